//! `presets` and `preset_inputs`.

use rusqlite::{Connection, OptionalExtension, ToSql, Transaction, params};

use super::all;
use crate::domain::from_json;
use crate::domain::preset::{Preset, PresetRoles};
use crate::error::Result;

/// A preset row to write; `config` is JSON text already validated.
#[derive(Debug)]
pub struct PresetRow<'a> {
    /// UUID.
    pub id: &'a str,
    /// Validated name.
    pub name: &'a str,
    /// `PresetConfig` as JSON.
    pub config: &'a str,
    /// Content ids by role.
    pub roles: &'a PresetRoles,
    /// Input document ids, in order.
    pub inputs: &'a [String],
    /// RFC 3339, for `updated_at` (and `created_at` on insert).
    pub now: &'a str,
}

/// Ids of every preset, by name.
pub fn ids(conn: &Connection) -> Result<Vec<String>> {
    all(conn, "SELECT id FROM presets ORDER BY name_key", [], |r| {
        r.get(0)
    })
}

/// The id of the preset `reference` names (its id, or its name ignoring case).
pub fn resolve(conn: &Connection, reference: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT id FROM presets WHERE id = ?1 OR name_key = lower(?1)",
            [reference],
            |r| r.get(0),
        )
        .optional()?)
}

/// Preset `id` with its roles and inputs, or `None`.
pub fn get(conn: &Connection, id: &str) -> Result<Option<Preset>> {
    let head = conn
        .query_row(
            "SELECT id, name, config, generation_instructions_id, single_eval_instructions_id,
                 pairwise_eval_instructions_id, eval_criteria_id, combine_instructions_id,
                 created_at, updated_at
             FROM presets WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    (r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                    r.get::<_, String>(2)?,
                    PresetRoles {
                        generation_instructions: r.get(3)?,
                        single_eval_instructions: r.get(4)?,
                        pairwise_eval_instructions: r.get(5)?,
                        eval_criteria: r.get(6)?,
                        combine_instructions: r.get(7)?,
                    },
                    (r.get::<_, String>(8)?, r.get::<_, String>(9)?),
                ))
            },
        )
        .optional()?;
    let Some(((id, name), config, roles, (created_at, updated_at))) = head else {
        return Ok(None);
    };
    let inputs = all(
        conn,
        "SELECT content_id FROM preset_inputs WHERE preset_id = ?1 ORDER BY position",
        [&id],
        |r| r.get(0),
    )?;
    Ok(Some(Preset {
        id,
        name,
        config: from_json("presets.config", &config)?,
        roles,
        inputs,
        created_at,
        updated_at,
    }))
}

/// Inserts a preset with its inputs; names are unique ignoring case (`name_key`). A taken name fails with a UNIQUE constraint error
/// (`super::is_unique_violation`).
pub fn insert(tx: &Transaction<'_>, row: &PresetRow<'_>) -> rusqlite::Result<()> {
    let name_key = row.name.to_lowercase();
    tx.execute(
        "INSERT INTO presets (id, name, name_key, config, generation_instructions_id,
             single_eval_instructions_id, pairwise_eval_instructions_id, eval_criteria_id,
             combine_instructions_id, created_at, updated_at)
         VALUES (?1, ?2, ?10, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        row_params(row, &name_key.as_str()).as_slice(),
    )?;
    set_inputs(tx, row.id, row.inputs)
}

/// Replaces a preset's fields and inputs; false if there is no such preset. A taken name
/// fails as in [`insert`].
pub fn update(tx: &Transaction<'_>, row: &PresetRow<'_>) -> rusqlite::Result<bool> {
    let name_key = row.name.to_lowercase();
    let changed = tx.execute(
        "UPDATE presets SET name = ?2, name_key = ?10, config = ?3,
             generation_instructions_id = ?4, single_eval_instructions_id = ?5,
             pairwise_eval_instructions_id = ?6, eval_criteria_id = ?7,
             combine_instructions_id = ?8, updated_at = ?9
         WHERE id = ?1",
        row_params(row, &name_key.as_str()).as_slice(),
    )?;
    if changed == 0 {
        return Ok(false);
    }
    set_inputs(tx, row.id, row.inputs)?;
    Ok(true)
}

/// `?1`–`?10` of [`insert`] and [`update`]; the name key is the lowercased name.
fn row_params<'a>(row: &'a PresetRow<'_>, name_key: &'a &'a str) -> [&'a dyn ToSql; 10] {
    let r = row.roles;
    [
        &row.id,
        &row.name,
        &row.config,
        &r.generation_instructions,
        &r.single_eval_instructions,
        &r.pairwise_eval_instructions,
        &r.eval_criteria,
        &r.combine_instructions,
        &row.now,
        name_key,
    ]
}

/// Names of the presets whose models or judges name endpoint `name` (ignoring case).
pub fn using_endpoint(conn: &Connection, name: &str) -> Result<Vec<String>> {
    all(
        conn,
        "SELECT p.name FROM presets p
         WHERE EXISTS (SELECT 1 FROM json_each(p.config, '$.models') m
                       WHERE lower(json_extract(m.value, '$.provider')) = lower(?1))
            OR EXISTS (SELECT 1 FROM json_each(p.config, '$.judges') j
                       WHERE lower(json_extract(j.value, '$.provider')) = lower(?1))
         ORDER BY p.name_key",
        [name],
        |r| r.get(0),
    )
}

/// Deletes preset `id` (its inputs go with it; runs keep their snapshot); false if none.
pub fn delete(tx: &Transaction<'_>, id: &str) -> Result<bool> {
    Ok(tx.execute("DELETE FROM presets WHERE id = ?1", [id])? > 0)
}

fn set_inputs(tx: &Transaction<'_>, preset_id: &str, inputs: &[String]) -> rusqlite::Result<()> {
    tx.execute(
        "DELETE FROM preset_inputs WHERE preset_id = ?1",
        [preset_id],
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO preset_inputs (preset_id, content_id, position) VALUES (?1, ?2, ?3)",
    )?;
    for (position, input) in inputs.iter().enumerate() {
        insert.execute(params![preset_id, input, position as i64])?;
    }
    Ok(())
}
