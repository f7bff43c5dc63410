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
        if display.chars().any(is_bidi_control) {
            return Err(Error::InvalidInput(
                "a profile name cannot hold bidirectional override or isolate characters, which \
                 can make it read differently from what it is"
                    .into(),
            ));
        }
        if display
            .chars()
            .all(|c| c.is_whitespace() || is_invisible(c))
        {
            return Err(Error::InvalidInput(
                "a profile name needs visible characters; this one has only invisible ones \
                 (zero-width spaces, byte order marks, ...)"
                    .into(),
            ));
        }
        if uuid::Uuid::parse_str(&display).is_ok() {
            return Err(Error::InvalidInput(
                "a profile name cannot look like a profile id; choose a different name".into(),
            ));
        }
        let key = lookup_key(&display);
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

/// The comparison key of an arbitrary reference, for lookups: NFC, then full Unicode case
/// folding ("Straße" and "STRASSE" are one name), then NFC again.
pub fn lookup_key(reference: &str) -> String {
    let nfc: String = reference.trim().nfc().collect();
    caseless::default_case_fold_str(&nfc).nfc().collect()
}

/// The comparison key profile names had before full case folding (NFC, lowercased). Rows
/// whose folded key would clash with an older row keep it, so they stay reachable.
pub fn legacy_lookup_key(reference: &str) -> String {
    reference.trim().nfc().collect::<String>().to_lowercase()
}

/// Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that show nothing: format characters (zero-width space and joiners, the byte
/// order mark, ...) and the invisible fillers outside that category.
fn is_invisible(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    c.general_category() == GeneralCategory::Format
        || matches!(
            c,
            '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{2800}'
        )
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
    fn names_compare_by_full_case_folding() {
        let a = ProfileName::parse("Straße").expect("valid");
        let b = ProfileName::parse("STRASSE").expect("valid");
        assert_eq!(a.key(), b.key(), "ß folds to ss");
        assert_eq!(lookup_key("strasse"), a.key());
    }

    #[test]
    fn invisible_only_names_and_bidi_overrides_are_refused() {
        for raw in ["\u{200B}", "\u{FEFF}\u{200D}", " \u{2060} ", "\u{3164}"] {
            let err = ProfileName::parse(raw).expect_err(raw);
            assert!(err.to_string().contains("visible"), "{raw:?}: {err}");
        }
        for raw in ["abc\u{202E}txt.exe", "\u{2066}name\u{2069}"] {
            let err = ProfileName::parse(raw).expect_err(raw);
            assert!(err.to_string().contains("bidirectional"), "{raw:?}: {err}");
        }
        assert!(
            ProfileName::parse("a\u{200D}b").is_ok(),
            "a joiner inside a visible name is fine"
        );
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
