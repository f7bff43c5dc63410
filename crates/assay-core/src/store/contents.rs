//! `contents`: the content library.

use rusqlite::{Connection, OptionalExtension, ToSql, Transaction, params};

use super::all;
use crate::domain::content::{Content, ContentKind, ContentSummary};
use crate::domain::from_json;
use crate::error::Result;

/// A content row to write; `variables` and `tags` are JSON text already validated.
#[derive(Debug)]
pub struct ContentRow<'a> {
    /// UUID.
    pub id: &'a str,
    /// Validated name.
    pub name: &'a str,
    /// Type.
    pub kind: ContentKind,
    /// Markdown.
    pub body: &'a str,
    /// `{{VAR}}` bindings as JSON.
    pub variables: &'a str,
    /// Tags as JSON.
    pub tags: &'a str,
    /// RFC 3339, for `updated_at` (and `created_at` on insert).
    pub now: &'a str,
}

/// Summaries matching every given filter (`None` = any), by type then name. `search` is a
/// LIKE pattern with `\` as its escape.
pub fn list(
    conn: &Connection,
    kind: Option<ContentKind>,
    tag: Option<&str>,
    search: Option<&str>,
) -> Result<Vec<ContentSummary>> {
    let rows = all(
        conn,
        "SELECT id, name, kind, tags, updated_at FROM contents
         WHERE (?1 IS NULL OR kind = ?1)
           AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(contents.tags) WHERE value = ?2))
           AND (?3 IS NULL OR name LIKE ?3 ESCAPE '\\' OR body LIKE ?3 ESCAPE '\\')
         ORDER BY kind, name",
        params![kind.map(ContentKind::as_str), tag, search],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        },
    )?;
    rows.into_iter()
        .map(|(id, name, kind, tags, updated_at)| {
            Ok(ContentSummary {
                id,
                name,
                kind: ContentKind::parse(&kind)?,
                tags: from_json("contents.tags", &tags)?,
                updated_at,
            })
        })
        .collect()
}

/// One item, or `None`.
pub fn get(conn: &Connection, id: &str) -> Result<Option<Content>> {
    let row = conn
        .query_row(
            "SELECT id, name, kind, body, variables, tags, created_at, updated_at
             FROM contents WHERE id = ?1",
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
    row.map(
        |(id, name, kind, body, variables, tags, created_at, updated_at)| {
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
        },
    )
    .transpose()
}

/// Ids of the items named `name` (ignoring ASCII case), oldest first.
pub fn named(conn: &Connection, name: &str) -> Result<Vec<String>> {
    all(
        conn,
        "SELECT id FROM contents WHERE lower(name) = lower(?1) ORDER BY created_at, id",
        [name.trim()],
        |r| r.get(0),
    )
}

/// The type of item `id`, or `None` if there is no such item.
pub fn kind_of(conn: &Connection, id: &str) -> Result<Option<ContentKind>> {
    let kind: Option<String> = conn
        .query_row("SELECT kind FROM contents WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    kind.map(|k| ContentKind::parse(&k)).transpose()
}

/// Inserts a new item.
pub fn insert(tx: &Transaction<'_>, row: &ContentRow<'_>) -> Result<()> {
    tx.execute(
        "INSERT INTO contents (id, name, kind, body, variables, tags, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        row_params(row, &row.kind.as_str()).as_slice(),
    )?;
    Ok(())
}

/// `?1`–`?7` of [`insert`] and [`update`].
fn row_params<'a>(row: &'a ContentRow<'_>, kind: &'a &'static str) -> [&'a dyn ToSql; 7] {
    [
        &row.id,
        &row.name,
        kind,
        &row.body,
        &row.variables,
        &row.tags,
        &row.now,
    ]
}

/// Replaces an item's fields; false if there is no such item.
pub fn update(tx: &Transaction<'_>, row: &ContentRow<'_>) -> Result<bool> {
    let changed = tx.execute(
        "UPDATE contents SET name = ?2, kind = ?3, body = ?4, variables = ?5, tags = ?6,
             updated_at = ?7
         WHERE id = ?1",
        row_params(row, &row.kind.as_str()).as_slice(),
    )?;
    Ok(changed > 0)
}

/// Names of the presets that use item `id` in a role or as an input, by name.
pub fn presets_using(conn: &Connection, id: &str) -> Result<Vec<String>> {
    all(
        conn,
        "SELECT DISTINCT p.name FROM presets p LEFT JOIN preset_inputs i ON i.preset_id = p.id
         WHERE ?1 IN (p.generation_instructions_id, p.single_eval_instructions_id,
                      p.pairwise_eval_instructions_id, p.eval_criteria_id,
                      p.combine_instructions_id, i.content_id)
         ORDER BY p.name",
        [id],
        |r| r.get(0),
    )
}

/// Names of the items whose `{{VAR}}` bindings point at item `id`, by name.
pub fn bound_by(conn: &Connection, id: &str) -> Result<Vec<String>> {
    all(
        conn,
        "SELECT c.name FROM contents c, json_each(c.variables) v WHERE v.value = ?1
         ORDER BY c.name",
        [id],
        |r| r.get(0),
    )
}

/// Deletes item `id`; false if there was none. A preset's foreign key (RESTRICT) fails it
/// with a constraint error.
pub fn delete(tx: &Transaction<'_>, id: &str) -> rusqlite::Result<bool> {
    Ok(tx.execute("DELETE FROM contents WHERE id = ?1", [id])? > 0)
}
