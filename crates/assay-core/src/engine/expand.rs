//! `{{VAR}}` expansion: a content item's `{{NAME}}` is replaced by the (expanded) body of the
//! item its variables bind `NAME` to. A name without a binding is left as written (it may be
//! text the author meant), a cycle is an error, and nesting is bounded.

use std::collections::BTreeMap;

use crate::domain::content::Variables;
use crate::error::{Error, Result};

/// How deep bindings may nest (a fragment that uses a fragment …).
const MAX_DEPTH: usize = 8;

/// A content item's body and its bindings, as expansion needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Markdown, with `{{NAME}}` placeholders.
    pub body: String,
    /// `NAME` → content id.
    pub variables: Variables,
}

/// Expands `root`, looking bound items up by id in `items`.
pub fn expand(root: &Source, items: &BTreeMap<String, Source>) -> Result<String> {
    let mut trail = Vec::new();
    expand_in(root, items, &mut trail)
}

fn expand_in(
    source: &Source,
    items: &BTreeMap<String, Source>,
    trail: &mut Vec<String>,
) -> Result<String> {
    if trail.len() > MAX_DEPTH {
        return Err(Error::InvalidInput(format!(
            "{{{{VAR}}}} bindings nest more than {MAX_DEPTH} deep ({})",
            trail.join(" → ")
        )));
    }
    let mut out = String::with_capacity(source.body.len());
    let mut rest = source.body.as_str();
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let name = &after[..end];
        match source.variables.get(name) {
            Some(id) if is_name(name) => {
                if trail.iter().any(|t| t == id) {
                    return Err(Error::InvalidInput(format!(
                        "{{{{{name}}}}} leads back to an item that uses it: a cycle"
                    )));
                }
                let item = items.get(id).ok_or_else(|| Error::NoSuchItem {
                    what: "content",
                    id: id.clone(),
                })?;
                trail.push(id.clone());
                out.push_str(&expand_in(item, items, trail)?);
                trail.pop();
            }
            _ => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(body: &str, vars: &[(&str, &str)]) -> Source {
        Source {
            body: body.into(),
            variables: vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn bound_names_expand_recursively_and_unbound_ones_stay() {
        let items = BTreeMap::from([
            (
                "style".to_owned(),
                source("Be brief. {{TONE}}", &[("TONE", "tone")]),
            ),
            ("tone".to_owned(), source("Be kind.", &[])),
        ]);
        let root = source(
            "Write.\n{{STYLE}}\n{{UNBOUND}} {{ not a name }} {{",
            &[("STYLE", "style")],
        );
        assert_eq!(
            expand(&root, &items).expect("expands"),
            "Write.\nBe brief. Be kind.\n{{UNBOUND}} {{ not a name }} {{"
        );
    }

    #[test]
    fn a_cycle_is_an_error_not_a_hang() {
        let items = BTreeMap::from([
            ("a".to_owned(), source("{{B}}", &[("B", "b")])),
            ("b".to_owned(), source("{{A}}", &[("A", "a")])),
        ]);
        let root = source("{{A}}", &[("A", "a")]);
        let err = expand(&root, &items).expect_err("cycle");
        assert!(err.to_string().contains("cycle"), "{err}");
    }
}
