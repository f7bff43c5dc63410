//! Creating and editing content and presets. Every value is validated before it is written:
//! names, kinds, the `{{VAR}}` bindings and role references (which must name content of the
//! right kind), and the typed preset configuration.

use rusqlite::{OptionalExtension, Transaction, params};

use super::Library;
use crate::domain::content::{Content, ContentKind, Variables};
use crate::domain::preset::{Preset, PresetConfig, PresetRoles};
use crate::domain::to_json;
use crate::error::{Error, Result};

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

/// A preset to create, or the new state of one being edited.
#[derive(Debug, Clone, serde::Deserialize, specta::Type)]
pub struct PresetDraft {
    /// Unique name, 1–200 characters.
    pub name: String,
    /// Models, judges and settings.
    pub config: PresetConfig,
    /// Content ids by role.
    pub roles: PresetRoles,
    /// Input document ids.
    pub inputs: Vec<String>,
}

fn check_name(field: &str, name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(Error::InvalidInput(format!(
            "{field}: use 1–200 characters without control characters"
        )));
    }
    Ok(name.to_owned())
}

fn kind_of(tx: &Transaction<'_>, id: &str) -> Result<Option<ContentKind>> {
    let kind: Option<String> = tx
        .query_row("SELECT kind FROM contents WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    kind.map(|k| ContentKind::parse(&k)).transpose()
}

fn check_variables(tx: &Transaction<'_>, variables: &Variables, own_id: &str) -> Result<()> {
    for (var, target) in variables {
        let valid_name = !var.is_empty()
            && var
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !valid_name {
            return Err(Error::InvalidInput(format!(
                "variables.{var}: names use A–Z, 0–9 and _"
            )));
        }
        if target == own_id || kind_of(tx, target)?.is_none() {
            return Err(Error::InvalidInput(format!(
                "variables.{var}: {target:?} is not another content item"
            )));
        }
    }
    Ok(())
}

fn check_roles(tx: &Transaction<'_>, roles: &PresetRoles, inputs: &[String]) -> Result<()> {
    let pairs = [
        (
            "roles.generation_instructions",
            &roles.generation_instructions,
            ContentKind::GenerationInstructions,
        ),
        (
            "roles.single_eval_instructions",
            &roles.single_eval_instructions,
            ContentKind::SingleEvalInstructions,
        ),
        (
            "roles.pairwise_eval_instructions",
            &roles.pairwise_eval_instructions,
            ContentKind::PairwiseEvalInstructions,
        ),
        (
            "roles.eval_criteria",
            &roles.eval_criteria,
            ContentKind::EvalCriteria,
        ),
        (
            "roles.combine_instructions",
            &roles.combine_instructions,
            ContentKind::CombineInstructions,
        ),
    ];
    for (field, id, kind) in pairs {
        if let Some(id) = id {
            expect(tx, field, id, kind)?;
        }
    }
    if inputs.is_empty() {
        return Err(Error::InvalidInput(
            "inputs: choose at least one input document".into(),
        ));
    }
    for (i, id) in inputs.iter().enumerate() {
        expect(tx, &format!("inputs[{i}]"), id, ContentKind::InputDocument)?;
    }
    Ok(())
}

fn expect(tx: &Transaction<'_>, field: &str, id: &str, kind: ContentKind) -> Result<()> {
    match kind_of(tx, id)? {
        Some(k) if k == kind => Ok(()),
        Some(k) => Err(Error::InvalidInput(format!(
            "{field}: that item is a {}, not a {}",
            k.as_str(),
            kind.as_str()
        ))),
        None => Err(Error::InvalidInput(format!(
            "{field}: no content item {id:?}"
        ))),
    }
}

impl Library<'_> {
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
        let name = check_name("name", &draft.name)?;
        let now = jiff::Timestamp::now().to_string();
        self.db.write(|tx| {
            check_variables(tx, &draft.variables, id)?;
            let (variables, tags) = (to_json(&draft.variables)?, to_json(&draft.tags)?);
            let kind = draft.kind.as_str();
            if create {
                tx.execute(
                    "INSERT INTO contents (id, name, kind, body, variables, tags, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                    params![id, name, kind, draft.body, variables, tags, now],
                )?;
            } else {
                let old = kind_of(tx, id)?.ok_or_else(|| Error::NoSuchItem { what: "content", id: id.to_owned() })?;
                let used: i64 = tx.query_row(
                    "SELECT count(*) FROM presets p LEFT JOIN preset_inputs i ON i.preset_id = p.id
                     WHERE ?1 IN (p.generation_instructions_id, p.single_eval_instructions_id,
                                  p.pairwise_eval_instructions_id, p.eval_criteria_id,
                                  p.combine_instructions_id, i.content_id)",
                    [id],
                    |r| r.get(0),
                )?;
                if old != draft.kind && used > 0 {
                    return Err(Error::InUse {
                        what: format!("the type of {name:?}"),
                        by: "a preset that relies on it being a ".to_owned() + old.as_str(),
                    });
                }
                let changed = tx
                    .execute(
                        "UPDATE contents SET name = ?2, kind = ?3, body = ?4, variables = ?5, tags = ?6, updated_at = ?7
                         WHERE id = ?1",
                        params![id, name, kind, draft.body, variables, tags, now],
                    )?;
                if changed == 0 {
                    return Err(Error::NoSuchItem { what: "content", id: id.to_owned() });
                }
            }
            Ok(())
        })
    }

    /// Creates a preset. Errors are `INVALID_INPUT` with the field first (`name: …`,
    /// `models[0].temperature: …`) so a form can show them beside the field; a taken name
    /// (ignoring case) is decided by the UNIQUE index and reported on `name`.
    pub fn create_preset(&self, draft: &PresetDraft) -> Result<Preset> {
        let id = uuid::Uuid::new_v4().to_string();
        self.write_preset(&id, draft, true)?;
        self.preset(&id)
    }

    /// Replaces a preset's name, configuration, roles and inputs.
    pub fn update_preset(&self, id: &str, draft: &PresetDraft) -> Result<Preset> {
        self.write_preset(id, draft, false)?;
        self.preset(id)
    }

    fn write_preset(&self, id: &str, draft: &PresetDraft, create: bool) -> Result<()> {
        let name = check_name("name", &draft.name)?;
        draft.config.validate()?;
        let now = jiff::Timestamp::now().to_string();
        let r = &draft.roles;
        self.db.write(|tx| {
            check_roles(tx, r, &draft.inputs)?;
            let config = to_json(&draft.config)?;
            let sql = if create {
                "INSERT INTO presets (id, name, name_key, config, generation_instructions_id,
                     single_eval_instructions_id, pairwise_eval_instructions_id, eval_criteria_id,
                     combine_instructions_id, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)"
            } else {
                "UPDATE presets SET name = ?2, name_key = ?3, config = ?4, generation_instructions_id = ?5,
                     single_eval_instructions_id = ?6, pairwise_eval_instructions_id = ?7,
                     eval_criteria_id = ?8, combine_instructions_id = ?9, updated_at = ?10
                 WHERE id = ?1"
            };
            let written = tx.execute(
                sql,
                params![
                    id,
                    name,
                    name.to_lowercase(),
                    config,
                    r.generation_instructions,
                    r.single_eval_instructions,
                    r.pairwise_eval_instructions,
                    r.eval_criteria,
                    r.combine_instructions,
                    now
                ],
            );
            match written {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
                {
                    return Err(Error::InvalidInput(format!("name: a preset named {name:?} already exists")));
                }
                Ok(0) => return Err(Error::NoSuchItem { what: "preset", id: id.to_owned() }),
                other => {
                    other?;
                }
            }
            tx.execute("DELETE FROM preset_inputs WHERE preset_id = ?1", [id])?;
            for (position, input) in draft.inputs.iter().enumerate() {
                tx.execute(
                    "INSERT INTO preset_inputs (preset_id, content_id, position) VALUES (?1, ?2, ?3)",
                    params![id, input, position as i64],
                )?;
            }
            Ok(())
        })
    }
}
