//! The domain: content, presets, runs and their results. Every JSON column has a serde type
//! here and is validated before it is written, so bad JSON is an error, never a stored value.

pub mod content;
pub mod criteria;
pub mod endpoint;
pub mod judge_problem;
pub mod link;
pub mod name;
pub mod preset;
pub mod preset_bounds;
pub mod provider;
pub mod run;
pub mod states;

use crate::error::{Error, FieldProblem, Result};

/// `Ok` if there are no problems, else every one of them (`field: problem`) at once.
pub(crate) fn problems_to_result(problems: Vec<FieldProblem>) -> Result<()> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidFields(problems))
    }
}

/// The problem with `name` as the name of a content item or preset in `field`, if any:
/// 1–200 characters (after trimming) without control characters.
pub(crate) fn item_name_problem(field: &str, name: &str) -> Option<FieldProblem> {
    let name = name.trim();
    (name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control))
        .then(|| FieldProblem::new(field, "use 1–200 characters without control characters"))
}

/// Serialises a JSON column value after validating it.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::InvalidInput(format!("could not encode: {e}")))
}

/// Parses a stored JSON column; a value that does not parse is damage (`CORRUPT`).
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> Result<T> {
    serde_json::from_str(text)
        .map_err(|e| Error::Corrupt(format!("stored {column} is not valid: {e}")))
}
