//! Preset queries.

use rusqlite::{OptionalExtension, Row};

use super::Library;
use crate::domain::from_json;
use crate::domain::preset::{Preset, PresetRoles};
use crate::error::{Error, Result};

const SELECT: &str =
    "SELECT id, name, config, generation_instructions_id, single_eval_instructions_id,
    pairwise_eval_instructions_id, eval_criteria_id, combine_instructions_id, created_at, updated_at
    FROM presets";

impl Library<'_> {
    /// Every preset, by name.
    pub fn presets(&self) -> Result<Vec<Preset>> {
        self.db.read(|conn| {
            let ids: Vec<String> = conn
                .prepare("SELECT id FROM presets ORDER BY name_key")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            ids.iter().map(|id| load(conn, id)).collect()
        })
    }

    /// One preset by id or (case-insensitive) name.
    pub fn preset(&self, reference: &str) -> Result<Preset> {
        self.db.read(|conn| {
            let id: Option<String> = conn
                .query_row(
                    "SELECT id FROM presets WHERE id = ?1 OR name_key = lower(?1)",
                    [reference],
                    |r| r.get(0),
                )
                .optional()?;
            let id = id.ok_or_else(|| Error::NoSuchItem {
                what: "preset",
                id: reference.to_owned(),
            })?;
            load(conn, &id)
        })
    }
}

fn load(conn: &rusqlite::Connection, id: &str) -> Result<Preset> {
    let (fields, roles, config) = conn.query_row(&format!("{SELECT} WHERE id = ?1"), [id], row)?;
    let (id, name, created_at, updated_at) = fields;
    let inputs = conn
        .prepare("SELECT content_id FROM preset_inputs WHERE preset_id = ?1 ORDER BY position")?
        .query_map([&id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Preset {
        id,
        name,
        config: from_json("presets.config", &config)?,
        roles,
        inputs,
        created_at,
        updated_at,
    })
}

type Fields = (String, String, String, String);

fn row(r: &Row<'_>) -> rusqlite::Result<(Fields, PresetRoles, String)> {
    Ok((
        (r.get(0)?, r.get(1)?, r.get(8)?, r.get(9)?),
        PresetRoles {
            generation_instructions: r.get(3)?,
            single_eval_instructions: r.get(4)?,
            pairwise_eval_instructions: r.get(5)?,
            eval_criteria: r.get(6)?,
            combine_instructions: r.get(7)?,
        },
        r.get(2)?,
    ))
}
