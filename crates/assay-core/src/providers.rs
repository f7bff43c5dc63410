//! LLM provider keys and settings of a profile.
//!
//! Invariants:
//! - A key is never stored in plaintext and never returned: callers get [`ProviderInfo`]
//!   (provider, last 4 characters, timestamps, limits).
//! - Keyring-mode profiles keep keys in the OS keyring under `profile/<id>/provider/<name>`.
//!   The entry is added to the profile's registry row *before* the secret is stored, so
//!   profile delete and the recovery sweep always remove it.
//! - Passphrase-mode profiles keep keys in the encrypted database (`provider_secrets`).

use std::fmt;

use rusqlite::{OptionalExtension, params};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::profile::{OpenProfile, Profiles};
use crate::registry::KeyMode;

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

    fn entry(self, profile_id: &str) -> String {
        format!("profile/{profile_id}/provider/{}", self.as_str())
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

    fn last4(&self) -> String {
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
    fn validate(&self, provider: Provider) -> Result<()> {
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

const DEFAULT_CONCURRENT: u32 = 4;

impl OpenProfile {
    /// What is set for every provider (defaults where nothing is).
    pub fn providers(&self) -> Result<Vec<ProviderInfo>> {
        self.library()?;
        self.db().read(|conn| {
            Provider::ALL
                .iter()
                .map(|&p| {
                    let row = conn
                        .query_row(
                            "SELECT key_last4, key_updated_at, base_url, max_concurrent, min_delay_ms, requests_per_minute
                             FROM provider_settings WHERE provider = ?1",
                            [p.as_str()],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
                        )
                        .optional()?;
                    Ok(match row {
                        Some((key_last4, key_updated_at, base_url, max_concurrent, min_delay_ms, requests_per_minute)) => {
                            ProviderInfo { provider: p, key_last4, key_updated_at, base_url, max_concurrent, min_delay_ms, requests_per_minute }
                        }
                        None => ProviderInfo {
                            provider: p,
                            key_last4: None,
                            key_updated_at: None,
                            base_url: None,
                            max_concurrent: DEFAULT_CONCURRENT,
                            min_delay_ms: 0,
                            requests_per_minute: None,
                        },
                    })
                })
                .collect()
        })
    }

    /// Sets a provider's rate limits and base URL.
    pub fn set_provider_limits(
        &self,
        provider: Provider,
        limits: &ProviderLimits,
    ) -> Result<ProviderInfo> {
        self.library()?;
        limits.validate(provider)?;
        let base_url = limits
            .base_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        self.db().write(|tx| {
            tx.execute(
                "INSERT INTO provider_settings (provider, base_url, max_concurrent, min_delay_ms, requests_per_minute, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (provider) DO UPDATE SET base_url = ?2, max_concurrent = ?3, min_delay_ms = ?4,
                     requests_per_minute = ?5, updated_at = ?6",
                params![provider.as_str(), base_url, limits.max_concurrent, limits.min_delay_ms, limits.requests_per_minute, now()],
            )?;
            Ok(())
        })?;
        self.provider(provider)
    }

    fn provider(&self, provider: Provider) -> Result<ProviderInfo> {
        self.providers()?
            .into_iter()
            .find(|p| p.provider == provider)
            .ok_or_else(|| Error::NoSuchItem {
                what: "provider",
                id: provider.as_str().into(),
            })
    }
}

impl Profiles {
    /// Stores (or replaces) `open`'s key for `provider` and returns what may be shown.
    pub fn set_provider_key(
        &self,
        open: &OpenProfile,
        provider: Provider,
        key: &ProviderKey,
    ) -> Result<ProviderInfo> {
        open.library()?;
        let record = open.record();
        let key_ref = match record.key_mode {
            KeyMode::Keyring => {
                let entry = provider.entry(&record.id);
                self.registry().add_keyring_entry(&record.id, &entry)?;
                self.secrets().set(&entry, key.0.as_bytes())?;
                format!("keyring:{entry}")
            }
            KeyMode::Passphrase => "database".to_owned(),
        };
        open.db().write(|tx| {
            tx.execute(
                "INSERT INTO provider_settings (provider, key_ref, key_last4, key_updated_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)
                 ON CONFLICT (provider) DO UPDATE SET key_ref = ?2, key_last4 = ?3, key_updated_at = ?4, updated_at = ?4",
                params![provider.as_str(), key_ref, key.last4(), now()],
            )?;
            if record.key_mode == KeyMode::Passphrase {
                tx.execute(
                    "INSERT INTO provider_secrets (provider, secret) VALUES (?1, ?2)
                     ON CONFLICT (provider) DO UPDATE SET secret = ?2",
                    params![provider.as_str(), key.0.as_str()],
                )?;
            }
            Ok(())
        })?;
        log::info!("set the {} key of profile {}", provider.as_str(), record.id);
        open.provider(provider)
    }

    /// Deletes `open`'s key for `provider`. Deleting a key that is not set is not an error.
    pub fn delete_provider_key(
        &self,
        open: &OpenProfile,
        provider: Provider,
    ) -> Result<ProviderInfo> {
        open.library()?;
        let record = open.record();
        open.db().write(|tx| {
            tx.execute("DELETE FROM provider_secrets WHERE provider = ?1", [provider.as_str()])?;
            tx.execute(
                "UPDATE provider_settings SET key_ref = NULL, key_last4 = NULL, key_updated_at = NULL, updated_at = ?2
                 WHERE provider = ?1",
                params![provider.as_str(), now()],
            )?;
            Ok(())
        })?;
        if record.key_mode == KeyMode::Keyring {
            let entry = provider.entry(&record.id);
            self.secrets().delete(&entry)?;
            self.registry().remove_keyring_entry(&record.id, &entry)?;
        }
        open.provider(provider)
    }

    /// The key for `provider`, for the code that calls the provider; never for display.
    pub fn provider_key(
        &self,
        open: &OpenProfile,
        provider: Provider,
    ) -> Result<Option<ProviderKey>> {
        open.library()?;
        let record = open.record();
        let secret = match record.key_mode {
            KeyMode::Keyring => self
                .secrets()
                .get(&provider.entry(&record.id))?
                .map(|bytes| {
                    String::from_utf8(bytes.to_vec())
                        .map_err(|_| Error::Corrupt("a stored provider key is not text".into()))
                })
                .transpose()?,
            KeyMode::Passphrase => open.db().read(|c| {
                Ok(c.query_row(
                    "SELECT secret FROM provider_secrets WHERE provider = ?1",
                    [provider.as_str()],
                    |r| r.get(0),
                )
                .optional()?)
            })?,
        };
        Ok(secret.map(|s| ProviderKey(Zeroizing::new(s))))
    }
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}
