//! A provider API key as a plain value with its validation; it is never shown (endpoints,
//! in `endpoint`, say only whether one is set and its last four characters).

use std::fmt;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

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
            return Err(Error::InvalidFields(vec![crate::error::FieldProblem::new(
                "key",
                "an API key has 8–512 characters and no spaces; paste it again",
            )]));
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
