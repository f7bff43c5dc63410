//! The 256-bit key that encrypts one profile database.

use std::fmt;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// A random 256-bit SQLCipher key. `Debug` never shows it.
#[derive(Clone)]
pub struct DbKey(Zeroizing<[u8; 32]>);

impl DbKey {
    /// Length in bytes.
    pub const LEN: usize = 32;

    /// A fresh key from the OS random number generator.
    pub fn generate() -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; Self::LEN]);
        super::random(bytes.as_mut())?;
        Ok(Self(bytes))
    }

    /// A key from stored bytes; anything but 32 bytes is damage, reported as `CORRUPT`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let array: [u8; Self::LEN] = bytes.try_into().map_err(|_| {
            Error::Corrupt(format!(
                "a stored profile key has {} bytes instead of {}",
                bytes.len(),
                Self::LEN
            ))
        })?;
        Ok(Self(Zeroizing::new(array)))
    }

    /// The raw bytes, for storing in the keyring or wrapping.
    pub fn as_bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }

    /// The `PRAGMA key` statement for this key as a raw key (`x'…'`), which skips SQLCipher's
    /// own key derivation. Zeroized when dropped.
    pub(crate) fn pragma_key_sql(&self) -> Zeroizing<String> {
        self.pragma_sql("key")
    }

    /// `PRAGMA <pragma> = "x'<hex>'";`, e.g. `key` or `rekey`.
    pub(crate) fn pragma_sql(&self, pragma: &str) -> Zeroizing<String> {
        let mut sql = Zeroizing::new(String::with_capacity(24 + 2 * Self::LEN));
        sql.push_str("PRAGMA ");
        sql.push_str(pragma);
        sql.push_str(" = \"");
        sql.push_str(&self.raw_key_literal());
        sql.push_str("\";");
        sql
    }

    /// `x'<hex>'`: SQLCipher's spelling of a raw key (no key derivation), as a bindable value.
    pub(crate) fn raw_key_literal(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::with_capacity(3 + 2 * Self::LEN));
        text.push_str("x'");
        for byte in self.0.iter() {
            text.push(hex_digit(byte >> 4));
            text.push(hex_digit(byte & 0x0f));
        }
        text.push('\'');
        text
    }
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble)])
}

impl fmt::Debug for DbKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DbKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_contains_the_key_bytes() {
        let key = DbKey::from_bytes(&[0xab; 32]).expect("32 bytes");
        let debug = format!("{key:?} {:?}", Some(&key));
        assert!(!debug.contains("ab"), "Debug leaked key material: {debug}");
        assert!(debug.contains("redacted"));
    }

    #[test]
    fn the_pragma_is_a_raw_hex_key() {
        let key = DbKey::from_bytes(&[0x0f; 32]).expect("32 bytes");
        let sql = key.pragma_key_sql();
        assert_eq!(
            sql.as_str(),
            format!("PRAGMA key = \"x'{}'\";", "0f".repeat(32))
        );
    }

    #[test]
    fn a_stored_key_of_the_wrong_length_is_corrupt() {
        let err = DbKey::from_bytes(&[1; 31]).expect_err("31 bytes is not a key");
        assert_eq!(err.code(), crate::ErrorCode::Corrupt);
    }

    #[test]
    fn generated_keys_differ() {
        let a = DbKey::generate().expect("key");
        let b = DbKey::generate().expect("key");
        assert_ne!(a.as_bytes(), b.as_bytes(), "two random keys should differ");
    }
}
