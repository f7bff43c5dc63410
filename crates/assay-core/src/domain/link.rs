//! An address a person asked to open in the system browser, from a link in a document.

use crate::error::{Error, Result};

/// Longest address accepted.
const MAX_LEN: usize = 2048;

/// A web address that may be handed to the system browser: `http` or `https`, absolute,
/// without spaces or control characters. Anything else (`javascript:`, `data:`, `file:`, a
/// relative path) is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalLink(String);

impl ExternalLink {
    /// Validates `text`.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let lower = text.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"));
        let host_present = rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'));
        if !host_present
            || text.len() > MAX_LEN
            || text.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Error::InvalidFields(vec![crate::error::FieldProblem::new(
                "link",
                "only web addresses (http or https) can be opened in the browser",
            )]));
        }
        Ok(Self(text.to_owned()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_web_addresses_are_accepted() {
        assert!(ExternalLink::parse("https://example.org/a?b=c").is_ok());
        assert!(ExternalLink::parse("http://127.0.0.1:8080/").is_ok());
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "file:///etc/passwd",
            "/relative",
            "https://",
            "https://exa mple.org",
            "tauri://localhost",
        ] {
            assert!(ExternalLink::parse(bad).is_err(), "{bad}");
        }
    }
}
