//! Content library queries and changes.

use rusqlite::{OptionalExtension, params};

use super::Library;
use crate::domain::content::{Content, ContentKind, ContentSummary};
use crate::domain::from_json;
use crate::error::{Error, Result};

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
        let kind = filter.kind.map(ContentKind::as_str);
        let search = filter
            .search
            .as_ref()
            .map(|s| format!("%{}%", s.replace('%', "\\%").replace('_', "\\_")));
        self.db.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT id, name, kind, tags, updated_at FROM contents
                 WHERE (?1 IS NULL OR kind = ?1)
                   AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(contents.tags) WHERE value = ?2))
                   AND (?3 IS NULL OR name LIKE ?3 ESCAPE '\\' OR body LIKE ?3 ESCAPE '\\')
                 ORDER BY kind, name",
            )?;
            let rows = stmt.query_map(params![kind, filter.tag, search], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get(4)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, name, kind, tags, updated_at) = row?;
                out.push(ContentSummary {
                    id,
                    name,
                    kind: ContentKind::parse(&kind)?,
                    tags: from_json("contents.tags", &tags)?,
                    updated_at,
                });
            }
            Ok(out)
        })
    }

    /// One content item by id.
    pub fn content(&self, id: &str) -> Result<Content> {
        self.db.read(|conn| {
            let row = conn
                .query_row(
                    "SELECT id, name, kind, body, variables, tags, created_at, updated_at FROM contents WHERE id = ?1",
                    [id],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, String>(4)?,
                            r.get::<_, String>(5)?,
                            r.get::<_, String>(6)?,
                            r.get::<_, String>(7)?,
                        ))
                    },
                )
                .optional()?;
            let (id, name, kind, body, variables, tags, created_at, updated_at) =
                row.ok_or_else(|| Error::NoSuchItem { what: "content", id: id.to_owned() })?;
            Ok(Content {
                id,
                name,
                kind: ContentKind::parse(&kind)?,
                body,
                variables: from_json("contents.variables", &variables)?,
                tags: from_json("contents.tags", &tags)?,
                created_at,
                updated_at,
            })
        })
    }

    /// Deletes a content item; refused with `IN_USE`, naming every user, while a preset uses
    /// it or another item's `{{VAR}}` binding points at it. The preset foreign keys (RESTRICT)
    /// back this up in the schema; bindings live in JSON, so they are checked here.
    pub fn delete_content(&self, id: &str) -> Result<()> {
        let name = self.content(id)?.name;
        self.db.write(|tx| {
            let names = |sql: &str| -> Result<Vec<String>> {
                Ok(tx.prepare(sql)?.query_map([id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
            };
            let presets = names(
                "SELECT DISTINCT p.name FROM presets p LEFT JOIN preset_inputs i ON i.preset_id = p.id
                 WHERE ?1 IN (p.generation_instructions_id, p.single_eval_instructions_id,
                              p.pairwise_eval_instructions_id, p.eval_criteria_id,
                              p.combine_instructions_id, i.content_id)
                 ORDER BY p.name",
            )?;
            let bindings = names(
                "SELECT c.name FROM contents c, json_each(c.variables) v WHERE v.value = ?1 ORDER BY c.name",
            )?;
            let mut users = Vec::new();
            if !presets.is_empty() {
                users.push(format!("preset {}", presets.join(", ")));
            }
            if !bindings.is_empty() {
                users.push(format!("the {{{{VAR}}}} bindings of {}", bindings.join(", ")));
            }
            if !users.is_empty() {
                return Err(Error::InUse { what: format!("content {name:?}"), by: users.join(" and ") });
            }
            tx.execute("DELETE FROM contents WHERE id = ?1", [id])
                .map_err(|e| super::in_use(e, format!("content {name:?}"), "a preset"))?;
            Ok(())
        })
    }
}
