//! Endpoints: the named places a profile calls models at, each speaking one API dialect.

use crate::error::{Error, FieldProblem, Result};

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
            other => Err(Error::InvalidFields(vec![FieldProblem::new(
                "kind",
                format!(
                    "{other:?} is not an endpoint kind; use openai, anthropic, google, \
                     openrouter or openai-compatible"
                ),
            )])),
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
pub fn name_problem(name: &str) -> Option<FieldProblem> {
    let ok = (1..=40).contains(&name.chars().count())
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    (!ok).then(|| {
        FieldProblem::new(
            "name",
            "use 1–40 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    })
}

/// A base URL as the URL library reads it, which is how every request to it is addressed.
/// Every decision about an address (may a key go there? is it this machine?) is made on
/// this parsed value, never on the text, so no spelling can make the check and the
/// connection disagree (a `\\` that the URL library reads as `/` once did).
pub fn parse_base_url(text: &str) -> std::result::Result<reqwest::Url, FieldProblem> {
    let bad = |why: &str| FieldProblem::new("base_url", why);
    let text = text.trim();
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("an address has no spaces or control characters"));
    }
    if text.contains('\\') {
        return Err(bad(
            "an address has no backslash (URL readers take it for '/'); write '/'",
        ));
    }
    let url = reqwest::Url::parse(text)
        .map_err(|_| bad("give an address starting with https:// or http://"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad("give an address starting with https:// or http://"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "an address may not hold a user name or password; a key goes in the OS \
             keyring (or the passphrase profile's database) with `assay provider set-key`, or \
             Settings → Endpoints → Key, and is sent only in its header",
        ));
    }
    Ok(url)
}

/// The problem with `url` as a base URL, if any.
pub fn base_url_problem(url: &str) -> Option<FieldProblem> {
    parse_base_url(url).err()
}

/// Whether a key may be sent to `url`: always over `https://`; over plain `http://` only
/// to this machine (`localhost`, 127.0.0.0/8, ::1) or a private network (10/8, 172.16/12,
/// 192.168/16, 169.254/16, fc00::/7, fe80::/10), where a local server (Ollama, LM Studio, a
/// lab box) lives. A name other than `localhost` is not trusted to stay private. An address
/// that carries a user name or password never gets a key.
pub fn key_may_travel_to(url: &reqwest::Url) -> bool {
    if !url.username().is_empty() || url.password().is_some() {
        return false;
    }
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_private() || ip.is_link_local(),
            Some(url::Host::Ipv6(ip)) => {
                let first = ip.segments()[0];
                ip.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
            }
            None => false,
        },
        _ => false,
    }
}

/// [`key_may_travel_to`] for an address as stored; one that does not parse gets no key.
pub fn key_may_travel_to_text(base_url: &str) -> bool {
    parse_base_url(base_url).is_ok_and(|u| key_may_travel_to(&u))
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
    /// Every problem, each with its field.
    pub fn problems(&self) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        if let Some(url) = &self.base_url
            && let Some(p) = base_url_problem(url)
        {
            out.push(p);
        }
        if self.max_concurrent.is_some_and(|n| !(1..=64).contains(&n)) {
            out.push(FieldProblem::new(
                "max_concurrent",
                "must be between 1 and 64",
            ));
        }
        if self.requests_per_minute.is_some_and(|n| n > 100_000) {
            out.push(FieldProblem::new(
                "requests_per_minute",
                "must be at most 100000 (0 removes the limit)",
            ));
        }
        if self.min_delay_ms.is_some_and(|n| n > 600_000) {
            out.push(FieldProblem::new(
                "min_delay_ms",
                "must be at most 600000 (10 minutes)",
            ));
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
            assert!(key_may_travel_to_text(ok), "{ok}");
        }
        for bad in [
            "http://api.example.com/v1",
            "http://8.8.8.8/v1",
            "http://172.32.0.1/",
            "http://localhost.example.com/",
            "http://user@evil.test/",
            "ftp://10.0.0.1/",
            // A backslash is '/' to the URL library: the host is `evil`, not 127.0.0.1.
            "http://evil:45001\\@127.0.0.1:45303/v1",
            "http://evil.test\\@10.0.0.1/v1",
            "http://user:pass@127.0.0.1:1/v1",
        ] {
            assert!(!key_may_travel_to_text(bad), "{bad}");
        }
        // Parsed directly (no backslash check first), the URL library still finds `evil`.
        let parsed = reqwest::Url::parse("http://evil:45001\\@127.0.0.1:45303/v1").expect("url");
        assert_eq!(parsed.host_str(), Some("evil"));
        assert!(!key_may_travel_to(&parsed));
    }

    #[test]
    fn a_base_url_with_credentials_or_a_backslash_is_refused_with_where_keys_go() {
        let creds = base_url_problem("http://user:pass@127.0.0.1:8080/v1").expect("refused");
        assert!(
            creds.problem.contains("set-key"),
            "says where keys go: {creds}"
        );
        assert!(
            !creds.problem.contains("pass@"),
            "does not echo the password: {creds}"
        );
        assert!(base_url_problem("https://token@api.example.com/v1").is_some());
        assert!(base_url_problem("http://evil:45001\\@127.0.0.1:45303/v1").is_some());
        assert!(base_url_problem("http://a b/").is_some());
        assert!(base_url_problem("https://api.anthropic.com").is_none());
    }
}
