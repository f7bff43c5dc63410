//! Profile names: what a person may call a profile, and how names are compared.

use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};

/// Longest name, in characters.
pub const MAX_CHARS: usize = 64;

/// A validated profile name: trimmed, NFC-normalised, 1–64 characters, no control characters,
/// and not shaped like a profile id (ids and names share one namespace in `REF`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileName {
    display: String,
    key: String,
}

impl ProfileName {
    /// Validates `raw`.
    pub fn parse(raw: &str) -> Result<Self> {
        let display: String = raw.trim().nfc().collect();
        let chars = display.chars().count();
        if chars == 0 {
            return Err(Error::InvalidInput("a profile name cannot be empty".into()));
        }
        if chars > MAX_CHARS {
            return Err(Error::InvalidInput(format!(
                "a profile name can have at most {MAX_CHARS} characters; this one has {chars}"
            )));
        }
        if display.chars().any(char::is_control) {
            return Err(Error::InvalidInput(
                "a profile name cannot contain control characters (tabs, newlines, ...)".into(),
            ));
        }
        if uuid::Uuid::parse_str(&display).is_ok() {
            return Err(Error::InvalidInput(
                "a profile name cannot look like a profile id; choose a different name".into(),
            ));
        }
        let key = display.to_lowercase();
        Ok(Self { display, key })
    }

    /// The name as shown.
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The comparison key: names equal under it are the same name. The registry has a UNIQUE
    /// constraint on it.
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// The comparison key of an arbitrary reference, for lookups.
pub fn lookup_key(reference: &str) -> String {
    reference.trim().nfc().collect::<String>().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_compared_case_insensitively() {
        let a = ProfileName::parse("  Work Stuff ").expect("valid");
        let b = ProfileName::parse("work STUFF").expect("valid");
        assert_eq!(a.as_str(), "Work Stuff");
        assert_eq!(a.key(), b.key(), "case must not make two names different");
    }

    #[test]
    fn composed_and_decomposed_accents_are_the_same_name() {
        let composed = ProfileName::parse("Caf\u{e9}").expect("valid");
        let decomposed = ProfileName::parse("Cafe\u{301}").expect("valid");
        assert_eq!(composed.key(), decomposed.key());
    }

    #[test]
    fn bad_names_are_rejected_with_the_rule_they_break() {
        for (raw, needle) in [
            ("", "empty"),
            ("   ", "empty"),
            ("tab\there", "control"),
            ("line\nbreak", "control"),
            ("0b6a4bc4-3c59-4f7e-9d7a-1f2d3c4b5a69", "id"),
        ] {
            let err = ProfileName::parse(raw).expect_err(raw);
            assert!(err.to_string().contains(needle), "{raw:?}: {err}");
        }
        let long = "x".repeat(MAX_CHARS + 1);
        assert!(
            ProfileName::parse(&long).is_err(),
            "65 characters is too long"
        );
        assert!(
            ProfileName::parse(&"é".repeat(MAX_CHARS)).is_ok(),
            "64 characters, not bytes"
        );
    }
}
