//! Endpoints: the named places a profile calls models at, each speaking one API dialect.

use crate::error::{Error, Result};

/// The API an endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "kebab-case")]
pub enum EndpointKind {
    /// OpenAI's Chat Completions.
    Openai,
    /// Anthropic's Messages.
    Anthropic,
    /// Google's Gemini generateContent.
    Google,
    /// OpenRouter (the Chat Completions shape, with its cost report).
    Openrouter,
    /// Any server speaking the Chat Completions shape: Ollama, LM Studio, llama.cpp, vLLM, a
    /// company gateway.
    OpenaiCompatible,
}

impl EndpointKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Openai => "openai",
            Self::Anthropic => "anthropic",
            Self::Google => "google",
            Self::Openrouter => "openrouter",
            Self::OpenaiCompatible => "openai-compatible",
        }
    }

    /// Parses a stored or typed name.
    pub fn parse(text: &str) -> Result<Self> {
        match text.trim() {
            "openai" => Ok(Self::Openai),
            "anthropic" => Ok(Self::Anthropic),
            "google" => Ok(Self::Google),
            "openrouter" => Ok(Self::Openrouter),
            "openai-compatible" => Ok(Self::OpenaiCompatible),
            other => Err(Error::InvalidInput(format!(
                "kind: {other:?} is not an endpoint kind; use openai, anthropic, google, \
                 openrouter or openai-compatible"
            ))),
        }
    }

    /// The base URL the cloud kinds default to; an OpenAI-compatible server has none.
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            Self::Openai => Some("https://api.openai.com/v1"),
            Self::Anthropic => Some("https://api.anthropic.com"),
            Self::Google => Some("https://generativelanguage.googleapis.com"),
            Self::Openrouter => Some("https://openrouter.ai/api/v1"),
            Self::OpenaiCompatible => None,
        }
    }
}

/// The problem with `name` as an endpoint name, if any: 1–40 letters, digits, `.`, `_` or
/// `-`, starting with a letter or digit.
pub fn name_problem(name: &str) -> Option<String> {
    let ok = (1..=40).contains(&name.chars().count())
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    (!ok).then(|| {
        "name: use 1–40 letters, digits, '.', '_' or '-', starting with a letter or digit".into()
    })
}

/// The problem with `url` as a base URL, if any.
pub fn base_url_problem(url: &str) -> Option<String> {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let ok = rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    (!ok).then(|| "base_url: give an address starting with https:// or http://".into())
}

/// Whether a key may be sent to `base_url`: always over `https://`; over plain `http://` only
/// to this machine (`localhost`, 127.0.0.0/8, ::1) or a private network (10/8, 172.16/12,
/// 192.168/16, 169.254/16, fc00::/7, fe80::/10), where a local server (Ollama, LM Studio, a
/// lab box) lives. A name other than `localhost` is not trusted to stay private.
pub fn key_may_travel_to(base_url: &str) -> bool {
    let url = base_url.trim();
    if url.to_ascii_lowercase().starts_with("https://") {
        return true;
    }
    let Some(rest) = url
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
        .map(|_| &url[7..])
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => ip.is_loopback() || ip.is_private() || ip.is_link_local(),
        Ok(std::net::IpAddr::V6(ip)) => {
            let first = ip.segments()[0];
            ip.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
        Err(_) => false,
    }
}

/// What may be shown about an endpoint: never its key. `assay provider list --json` prints
/// these.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct Endpoint {
    /// Its name, unique ignoring case.
    pub name: String,
    /// The API it speaks.
    pub kind: EndpointKind,
    /// Where it is.
    pub base_url: String,
    /// Whether a key is set.
    pub has_key: bool,
    /// The key's last four characters, if a key is set.
    pub key_last4: Option<String>,
    /// RFC 3339 time the key was set.
    pub key_updated_at: Option<String>,
    /// Concurrent calls allowed.
    pub max_concurrent: u32,
    /// Requests per minute, if limited.
    pub requests_per_minute: Option<u32>,
    /// Minimum delay between calls, ms.
    pub min_delay_ms: u32,
}

/// Changes to an endpoint's settings; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, specta::Type)]
pub struct EndpointChanges {
    /// New base URL.
    pub base_url: Option<String>,
    /// Concurrent calls allowed (1–64).
    pub max_concurrent: Option<u32>,
    /// Requests per minute (1–100000); `Some(0)` removes the limit.
    pub requests_per_minute: Option<u32>,
    /// Minimum delay between calls, ms (0–600000).
    pub min_delay_ms: Option<u32>,
}

impl EndpointChanges {
    /// Every problem, each as `field: problem`.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(url) = &self.base_url
            && let Some(p) = base_url_problem(url)
        {
            out.push(p);
        }
        if self.max_concurrent.is_some_and(|n| !(1..=64).contains(&n)) {
            out.push("max_concurrent: must be between 1 and 64".into());
        }
        if self.requests_per_minute.is_some_and(|n| n > 100_000) {
            out.push("requests_per_minute: must be at most 100000 (0 removes the limit)".into());
        }
        if self.min_delay_ms.is_some_and(|n| n > 600_000) {
            out.push("min_delay_ms: must be at most 600000 (10 minutes)".into());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_names_and_urls_are_checked() {
        for ok in ["openai", "ollama-local", "lab.gpu_2", "9lives"] {
            assert!(name_problem(ok).is_none(), "{ok}");
        }
        for bad in ["", "-lead", "has space", "slash/name", &"x".repeat(41)] {
            assert!(name_problem(bad).is_some(), "{bad:?}");
        }
        assert!(base_url_problem("http://127.0.0.1:11434/v1").is_none());
        assert!(base_url_problem("ftp://x").is_some());
        assert!(base_url_problem("https://").is_some());
        assert_eq!(
            EndpointKind::parse("openai-compatible").expect("kind"),
            EndpointKind::OpenaiCompatible
        );
        assert!(EndpointKind::parse("custom").is_err());
    }

    #[test]
    fn a_key_travels_over_plain_http_only_to_this_machine_or_a_private_network() {
        for ok in [
            "https://api.openai.com/v1",
            "http://localhost:11434/v1",
            "http://127.0.0.1:1234",
            "http://[::1]:8080/v1",
            "http://192.168.1.20:8000/v1",
            "http://10.0.0.5/v1",
            "http://172.20.3.4:9000",
            "http://[fd12::1]/v1",
        ] {
            assert!(key_may_travel_to(ok), "{ok}");
        }
        for bad in [
            "http://api.example.com/v1",
            "http://8.8.8.8/v1",
            "http://172.32.0.1/",
            "http://localhost.example.com/",
            "http://user@evil.test/",
            "ftp://10.0.0.1/",
        ] {
            assert!(!key_may_travel_to(bad), "{bad}");
        }
    }
}
