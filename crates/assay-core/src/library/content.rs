//! Content library queries and changes. Names and variable names are checked by
//! `ContentDraft`; here, against the library, that each `{{VAR}}` binding names another item
//! and that nothing relies on what a change would break.

use super::{Library, now};
use crate::domain::content::{Content, ContentDraft, ContentKind, ContentSummary};
use crate::domain::{problems_to_result, to_json};
use crate::error::{Error, Result};
use crate::store::{self, contents::ContentRow};

/// Filters for listing content; all optional and combined with AND.
#[derive(Debug, Clone, Default, serde::Deserialize, specta::Type)]
pub struct ContentFilter {
    /// Only this type.
    pub kind: Option<ContentKind>,
    /// Only items with this tag.
    pub tag: Option<String>,
    /// Only items whose name or body contains this text (case-insensitive).
    pub search: Option<String>,
}

impl Library<'_> {
    /// Content items matching `filter`, by type then name.
    pub fn contents(&self, filter: &ContentFilter) -> Result<Vec<ContentSummary>> {
        let search = filter
            .search
            .as_ref()
            .map(|s| format!("%{}%", s.replace('%', "\\%").replace('_', "\\_")));
        self.db.read(|conn| {
            store::contents::list(conn, filter.kind, filter.tag.as_deref(), search.as_deref())
        })
    }

    /// The id of the item `reference` names: its id, or its name (ignoring case) when one
    /// item has it. `NOT_FOUND` if none does, `INVALID_INPUT` if several do.
    pub fn content_id(&self, reference: &str) -> Result<String> {
        self.db.read(|conn| {
            if store::contents::kind_of(conn, reference)?.is_some() {
                return Ok(reference.to_owned());
            }
            match store::contents::named(conn, reference)?.as_slice() {
                [one] => Ok(one.clone()),
                [] => Err(no_such(reference)),
                many => Err(Error::InvalidInput(format!(
                    "{} content items are named {reference:?}; use the id",
                    many.len()
                ))),
            }
        })
    }

    /// One content item by id.
    pub fn content(&self, id: &str) -> Result<Content> {
        self.db
            .read(|conn| store::contents::get(conn, id))?
            .ok_or_else(|| no_such(id))
    }

    /// Creates a content item.
    pub fn create_content(&self, draft: &ContentDraft) -> Result<Content> {
        let id = uuid::Uuid::new_v4().to_string();
        self.write_content(&id, draft, true)?;
        self.content(&id)
    }

    /// Replaces a content item's name, type, body, bindings and tags.
    pub fn update_content(&self, id: &str, draft: &ContentDraft) -> Result<Content> {
        self.write_content(id, draft, false)?;
        self.content(id)
    }

    fn write_content(&self, id: &str, draft: &ContentDraft, create: bool) -> Result<()> {
        problems_to_result(draft.problems())?;
        let name = draft.name.trim();
        let (variables, tags) = (to_json(&draft.variables)?, to_json(&draft.tags)?);
        let now = now();
        let row = ContentRow {
            id,
            name,
            kind: draft.kind,
            body: &draft.body,
            variables: &variables,
            tags: &tags,
            now: &now,
        };
        self.db.write(|tx| {
            let mut problems = Vec::new();
            for (var, target) in &draft.variables {
                if target == id || store::contents::kind_of(tx, target)?.is_none() {
                    problems.push(crate::error::FieldProblem::new(
                        format!("variables.{var}"),
                        format!("{target:?} is not another content item"),
                    ));
                }
            }
            problems_to_result(problems)?;
            if create {
                return store::contents::insert(tx, &row);
            }
            let old = store::contents::kind_of(tx, id)?.ok_or_else(|| no_such(id))?;
            if old != draft.kind && !store::contents::presets_using(tx, id)?.is_empty() {
                return Err(Error::InUse {
                    what: format!("the type of {name:?}"),
                    by: "a preset that relies on it being a ".to_owned() + old.as_str(),
                });
            }
            if !store::contents::update(tx, &row)? {
                return Err(no_such(id));
            }
            Ok(())
        })
    }

    /// Deletes a content item; refused with `IN_USE`, naming every user, while a preset uses
    /// it or another item's `{{VAR}}` binding points at it. The preset foreign keys (RESTRICT)
    /// back this up in the schema; bindings live in JSON, so they are checked here.
    pub fn delete_content(&self, id: &str) -> Result<()> {
        let name = self.content(id)?.name;
        let what = format!("content {name:?}");
        self.db.write(|tx| {
            let presets = store::contents::presets_using(tx, id)?;
            let bindings = store::contents::bound_by(tx, id)?;
            let mut users = Vec::new();
            if !presets.is_empty() {
                users.push(format!("preset {}", presets.join(", ")));
            }
            if !bindings.is_empty() {
                users.push(format!(
                    "the {{{{VAR}}}} bindings of {}",
                    bindings.join(", ")
                ));
            }
            if !users.is_empty() {
                return Err(Error::InUse {
                    what: what.clone(),
                    by: users.join(" and "),
                });
            }
            store::contents::delete(tx, id)
                .map_err(|e| store::in_use(e, what.clone(), "a preset"))?;
            Ok(())
        })
    }
}

fn no_such(id: &str) -> Error {
    Error::NoSuchItem {
        what: "content",
        id: id.to_owned(),
    }
}
