//! The domain: content, presets, runs and their results. Every JSON column has a serde type
//! here and is validated before it is written, so bad JSON is an error, never a stored value.

pub mod content;
pub mod preset;
pub mod run;

use crate::error::{Error, Result};

/// Serialises a JSON column value after validating it.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::InvalidInput(format!("could not encode: {e}")))
}

/// Parses a stored JSON column; a value that does not parse is damage (`CORRUPT`).
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> Result<T> {
    serde_json::from_str(text)
        .map_err(|e| Error::Corrupt(format!("stored {column} is not valid: {e}")))
}
