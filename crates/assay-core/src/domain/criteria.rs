//! The criteria a judge scores, read from the criteria document: each top-level list item
//! whose text starts with a name (`- **Accuracy**: …`, `- Accuracy: …`, `1. Accuracy — …`).

use crate::error::{Error, FieldProblem, Result};

/// One criterion.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct Criterion {
    /// Its name, as scores record it.
    pub name: String,
    /// What it asks, as written.
    pub description: String,
}

/// The criteria of `document`, in order; an error when it lists none, or a name twice.
pub fn parse(document: &str) -> Result<Vec<Criterion>> {
    let mut out: Vec<Criterion> = Vec::new();
    for line in document.lines() {
        let Some(item) = list_item(line) else {
            if let Some(last) = out.last_mut()
                && line.starts_with(char::is_whitespace)
                && !line.trim().is_empty()
            {
                last.description.push(' ');
                last.description.push_str(line.trim());
            }
            continue;
        };
        let (name, description) = split_name(item);
        if name.is_empty() || name.chars().count() > 80 {
            continue;
        }
        if out.iter().any(|c| c.name.eq_ignore_ascii_case(&name)) {
            return Err(Error::InvalidFields(vec![FieldProblem::new(
                "eval_criteria",
                format!("the criterion {name:?} is listed twice"),
            )]));
        }
        out.push(Criterion { name, description });
    }
    if out.is_empty() {
        return Err(Error::InvalidFields(vec![FieldProblem::new(
            "eval_criteria",
            "list the criteria as a markdown list, one per item: \"- **Name**: what it asks\"",
        )]));
    }
    Ok(out)
}

/// The text of a top-level list item (`- `, `* `, `+ `, `1. `, `1) `), if `line` starts one.
fn list_item(line: &str) -> Option<&str> {
    if line.starts_with(char::is_whitespace) {
        return None;
    }
    if let Some(rest) = line
        .strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))
        .or_else(|| line.strip_prefix("+ "))
    {
        return Some(rest.trim());
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    line[digits..]
        .strip_prefix(". ")
        .or_else(|| line[digits..].strip_prefix(") "))
        .map(str::trim)
}

/// `**Name**: text`, `Name: text`, `Name — text` → (name, text).
fn split_name(item: &str) -> (String, String) {
    if let Some(rest) = item.strip_prefix("**")
        && let Some(end) = rest.find("**")
    {
        let name = rest[..end].trim().trim_end_matches(':').trim();
        let text = rest[end + 2..]
            .trim_start()
            .trim_start_matches([':', '—', '–', '-'])
            .trim();
        return (name.to_owned(), text.to_owned());
    }
    for sep in [":", " — ", " – ", " - "] {
        if let Some((name, text)) = item.split_once(sep) {
            return (name.trim().to_owned(), text.trim().to_owned());
        }
    }
    (item.trim().to_owned(), String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeded_criteria_read_as_four_named_criteria() {
        let doc = include_str!("../../../../seed/contents/eval-criteria.md");
        let names: Vec<String> = parse(doc)
            .expect("criteria")
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(
            names,
            ["Accuracy", "Completeness", "Clarity", "Actionability"]
        );
        let first = &parse(doc).expect("criteria")[0];
        assert!(first.description.starts_with("every fact and figure"));
        assert!(
            first.description.ends_with("date or team."),
            "{}",
            first.description
        );
    }

    #[test]
    fn plain_and_numbered_items_work_and_bad_lists_are_refused() {
        let c = parse("1. Tone — warm\n2) Brevity: short\n* Depth").expect("criteria");
        assert_eq!(
            c.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["Tone", "Brevity", "Depth"]
        );
        assert!(parse("No list here.").is_err());
        assert!(parse("- Tone: a\n- tone: b").is_err());
    }
}
