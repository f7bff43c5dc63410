//! Content items: instructions, input documents, criteria and fragments.

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// What a content item is for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, specta::Type,
)]
#[serde(rename_all = "snake_case")]
pub enum ContentKind {
    /// Tells a model what to write.
    GenerationInstructions,
    /// A source document a model writes from.
    InputDocument,
    /// Tells a judge how to score one document.
    SingleEvalInstructions,
    /// Tells a judge how to compare two documents.
    PairwiseEvalInstructions,
    /// The named criteria judges score against.
    EvalCriteria,
    /// Tells a model how to combine the best documents.
    CombineInstructions,
    /// A reusable piece of text for `{{VAR}}` expansion.
    TemplateFragment,
    /// A document produced by a run and kept in the library.
    OutputDocument,
}

impl ContentKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GenerationInstructions => "generation_instructions",
            Self::InputDocument => "input_document",
            Self::SingleEvalInstructions => "single_eval_instructions",
            Self::PairwiseEvalInstructions => "pairwise_eval_instructions",
            Self::EvalCriteria => "eval_criteria",
            Self::CombineInstructions => "combine_instructions",
            Self::TemplateFragment => "template_fragment",
            Self::OutputDocument => "output_document",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Result<Self> {
        serde_json::from_value(serde_json::Value::String(text.to_owned()))
            .map_err(|_| Error::InvalidInput(format!("{text:?} is not a content type")))
    }
}

/// `{{VAR}}` name → the id of the content item it expands to.
pub type Variables = BTreeMap<String, String>;

/// A content item to create, or the new state of one being edited.
#[derive(Debug, Clone, serde::Deserialize, specta::Type)]
pub struct ContentDraft {
    /// 1–200 characters.
    pub name: String,
    /// Type.
    pub kind: ContentKind,
    /// Markdown.
    pub body: String,
    /// `{{VAR}}` → content id.
    #[serde(default)]
    pub variables: Variables,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

impl ContentDraft {
    /// Every problem that needs no look-up (the name, the variable names), each as
    /// `field: problem`. Whether each binding names another item is checked against the
    /// library.
    pub fn problems(&self) -> Vec<crate::error::FieldProblem> {
        let mut out: Vec<crate::error::FieldProblem> = super::item_name_problem("name", &self.name)
            .into_iter()
            .collect();
        for var in self.variables.keys() {
            let valid = !var.is_empty()
                && var
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                out.push(crate::error::FieldProblem::new(
                    format!("variables.{var}"),
                    "names use A–Z, 0–9 and _",
                ));
            }
        }
        out
    }
}

/// A content item as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct Content {
    /// UUID.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What it is for.
    pub kind: ContentKind,
    /// Markdown.
    pub body: String,
    /// Variable bindings.
    pub variables: Variables,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

/// A content item without its body, for lists.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct ContentSummary {
    /// UUID.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What it is for.
    pub kind: ContentKind,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// RFC 3339.
    pub updated_at: String,
}

/// One named criterion from an `eval_criteria` item.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct Criterion {
    /// The name judges use, e.g. "Accuracy".
    pub name: String,
    /// What it means.
    pub description: String,
}

/// Parses criteria written as markdown list items: `- **Name**: description`, where the
/// description may continue on indented lines.
pub fn parse_criteria(body: &str) -> Vec<Criterion> {
    let mut criteria: Vec<Criterion> = Vec::new();
    for line in body.lines() {
        let trimmed = line.trim();
        let item = trimmed
            .strip_prefix("- **")
            .or_else(|| trimmed.strip_prefix("* **"));
        if let Some((name, description)) = item.and_then(|rest| rest.split_once("**")) {
            let description = description.trim_start_matches(':').trim();
            criteria.push(Criterion {
                name: name.trim().to_owned(),
                description: description.to_owned(),
            });
        } else if line.starts_with("  ")
            && !trimmed.is_empty()
            && let Some(last) = criteria.last_mut()
        {
            last.description.push(' ');
            last.description.push_str(trimmed);
        }
    }
    criteria
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_are_parsed_with_multi_line_descriptions() {
        let body = "# Criteria\n\n- **Accuracy**: facts match\n  the source.\n- **Clarity**: easy to read.\n";
        let parsed = parse_criteria(body);
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].name, "Accuracy");
        assert_eq!(parsed[0].description, "facts match the source.");
        assert_eq!(parsed[1].name, "Clarity");
    }

    #[test]
    fn every_kind_round_trips_through_its_stored_name() {
        for kind in [
            ContentKind::InputDocument,
            ContentKind::EvalCriteria,
            ContentKind::OutputDocument,
        ] {
            assert_eq!(ContentKind::parse(kind.as_str()).expect("parses"), kind);
        }
        assert!(ContentKind::parse("poem").is_err());
    }
}
