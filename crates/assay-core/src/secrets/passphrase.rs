//! A passphrase typed by a person.

use std::fmt;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// A passphrase. `Debug` never shows it; it is zeroized when dropped.
#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Shortest passphrase accepted for protecting a new key.
    pub const MIN_CHARS: usize = 8;

    /// Wraps a passphrase as given (for unlocking, where any text is tried).
    pub fn new(text: String) -> Self {
        Self(Zeroizing::new(text))
    }

    /// Wraps a passphrase chosen for a new key, which must have at least
    /// [`Passphrase::MIN_CHARS`] characters.
    pub fn new_for_creation(text: String) -> Result<Self> {
        let passphrase = Self::new(text);
        if passphrase.0.chars().count() < Self::MIN_CHARS {
            return Err(Error::InvalidInput(format!(
                "the passphrase is too short; use at least {} characters",
                Self::MIN_CHARS
            )));
        }
        Ok(passphrase)
    }

    /// The passphrase bytes (UTF-8), for key derivation.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_passphrase_is_refused_for_a_new_key() {
        let err = Passphrase::new_for_creation("short".into()).expect_err("too short");
        assert_eq!(err.code(), crate::ErrorCode::InvalidInput);
        assert!(
            !err.to_string().contains("short\""),
            "the message must not echo it"
        );
    }

    #[test]
    fn debug_hides_the_passphrase() {
        let p = Passphrase::new("correct horse battery".into());
        assert!(!format!("{p:?}").contains("horse"));
    }
}
