//! LLM providers as plain values: which provider, its key (never shown), what may be shown
//! about it, and its limits, each with its validation.

use std::fmt;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The providers Assay talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// OpenAI.
    Openai,
    /// Anthropic.
    Anthropic,
    /// Google.
    Google,
    /// OpenRouter.
    Openrouter,
    /// Any OpenAI-compatible API at a custom base URL.
    Custom,
}

impl Provider {
    /// Every provider, in display order.
    pub const ALL: [Provider; 5] = [
        Self::Openai,
        Self::Anthropic,
        Self::Google,
        Self::Openrouter,
        Self::Custom,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Openai => "openai",
            Self::Anthropic => "anthropic",
            Self::Google => "google",
            Self::Openrouter => "openrouter",
            Self::Custom => "custom",
        }
    }
}

/// An API key as typed. `Debug` never shows it; it is zeroized when dropped.
pub struct ProviderKey(Zeroizing<String>);

impl ProviderKey {
    /// Validates a key: 8–512 printable characters without spaces.
    pub fn new(text: String) -> Result<Self> {
        // Both the key as received and its trimmed copy are wiped when dropped.
        let text = Zeroizing::new(text);
        let key = Zeroizing::new(text.trim().to_owned());
        let n = key.chars().count();
        if !(8..=512).contains(&n) || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::InvalidInput(
                "key: an API key has 8–512 characters and no spaces; paste it again".into(),
            ));
        }
        Ok(Self(key))
    }

    /// The key itself, for code that hands it on (a provider call, an opted-in bundle).
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// Takes a key as it was stored (validated when it was set).
    pub(crate) fn from_stored(text: String) -> Self {
        Self(Zeroizing::new(text))
    }

    /// The last four characters, which the UI shows.
    pub(crate) fn last4(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        chars[chars.len() - 4..].iter().collect()
    }
}

impl fmt::Debug for ProviderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProviderKey(<redacted>)")
    }
}

/// What may be shown about a provider: never the key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct ProviderInfo {
    /// Which provider.
    pub provider: Provider,
    /// The key's last four characters, if a key is set.
    pub key_last4: Option<String>,
    /// RFC 3339 time the key was set.
    pub key_updated_at: Option<String>,
    /// Base URL (custom provider).
    pub base_url: Option<String>,
    /// Concurrent calls allowed.
    pub max_concurrent: u32,
    /// Minimum delay between calls, ms.
    pub min_delay_ms: u32,
    /// Requests per minute, if limited.
    pub requests_per_minute: Option<u32>,
}

/// Rate limits and base URL of a provider.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, specta::Type)]
pub struct ProviderLimits {
    /// Concurrent calls allowed (1–64).
    pub max_concurrent: u32,
    /// Minimum delay between calls, ms (0–600000).
    pub min_delay_ms: u32,
    /// Requests per minute (1–100000), or none.
    pub requests_per_minute: Option<u32>,
    /// Base URL; required for `custom`, http(s) only.
    pub base_url: Option<String>,
}

impl ProviderLimits {
    /// Checks every field for `provider`; the error names the field, as `field: problem`.
    pub fn validate(&self, provider: Provider) -> Result<()> {
        let bad = |f: &str, why: &str| Err(Error::InvalidInput(format!("{f}: {why}")));
        if !(1..=64).contains(&self.max_concurrent) {
            return bad("max_concurrent", "must be between 1 and 64");
        }
        if self.min_delay_ms > 600_000 {
            return bad("min_delay_ms", "must be at most 600000 (10 minutes)");
        }
        if self
            .requests_per_minute
            .is_some_and(|r| !(1..=100_000).contains(&r))
        {
            return bad("requests_per_minute", "must be between 1 and 100000");
        }
        match self.base_url.as_deref().map(str::trim) {
            Some(url) if !(url.starts_with("https://") || url.starts_with("http://")) => {
                bad("base_url", "must start with https:// or http://")
            }
            None | Some("") if provider == Provider::Custom => {
                bad("base_url", "a custom provider needs its base URL")
            }
            _ => Ok(()),
        }
    }
}
