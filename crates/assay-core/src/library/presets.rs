//! Presets: queries and changes. The draft's own fields are checked by `PresetDraft`; here,
//! against the library, that every role and input names content of the right kind. All
//! problems are reported at once.

use rusqlite::Connection;

use super::{Library, now};
use crate::domain::content::ContentKind;
use crate::domain::preset::{Preset, PresetDraft, PresetRoles};
use crate::domain::{problems_to_result, to_json};
use crate::error::{Error, FieldProblem, Result};
use crate::store::{self, presets::PresetRow};

impl Library<'_> {
    /// Every preset, by name.
    pub fn presets(&self) -> Result<Vec<Preset>> {
        self.db.read(|conn| {
            store::presets::ids(conn)?
                .iter()
                .map(|id| store::presets::get(conn, id)?.ok_or_else(|| no_such(id)))
                .collect()
        })
    }

    /// One preset by id or (case-insensitive) name.
    pub fn preset(&self, reference: &str) -> Result<Preset> {
        self.db.read(|conn| {
            let id = store::presets::resolve(conn, reference)?.ok_or_else(|| no_such(reference))?;
            store::presets::get(conn, &id)?.ok_or_else(|| no_such(reference))
        })
    }

    /// Creates a preset. Errors are `INVALID_INPUT` listing every problem, each with its field
    /// first (`name: …`, `models[0].temperature: …`), so a form can show them beside their
    /// fields; a taken name (ignoring case) is decided by the UNIQUE index and reported on
    /// `name`.
    pub fn create_preset(&self, draft: &PresetDraft) -> Result<Preset> {
        let id = uuid::Uuid::new_v4().to_string();
        self.write_preset(&id, draft, true)?;
        self.preset(&id)
    }

    /// Creates the preset `draft` describes, or updates the one with its name (ignoring
    /// case). Roles and inputs may name content by id or by name; every problem (unknown or
    /// ambiguous references included) is reported at once.
    pub fn save_preset(&self, draft: &PresetDraft) -> Result<Preset> {
        let resolve = |reference: &String| match self.content_id(reference) {
            Ok(id) => id,
            // Left as given: the check of every reference reports it with its field.
            Err(_) => reference.clone(),
        };
        let roles = &draft.roles;
        let resolved = PresetDraft {
            name: draft.name.clone(),
            config: draft.config.clone(),
            roles: PresetRoles {
                generation_instructions: roles.generation_instructions.as_ref().map(resolve),
                single_eval_instructions: roles.single_eval_instructions.as_ref().map(resolve),
                pairwise_eval_instructions: roles.pairwise_eval_instructions.as_ref().map(resolve),
                eval_criteria: roles.eval_criteria.as_ref().map(resolve),
                combine_instructions: roles.combine_instructions.as_ref().map(resolve),
            },
            inputs: draft.inputs.iter().map(resolve).collect(),
        };
        let existing = self
            .db
            .read(|conn| store::presets::resolve(conn, draft.name.trim()))?;
        match existing {
            Some(id) => self.update_preset(&id, &resolved),
            None => self.create_preset(&resolved),
        }
    }

    /// Deletes the preset `reference` names (id or name); runs made from it keep their
    /// frozen configuration.
    pub fn delete_preset(&self, reference: &str) -> Result<()> {
        let id = self
            .db
            .read(|conn| store::presets::resolve(conn, reference))?
            .ok_or_else(|| no_such(reference))?;
        self.db.write(|tx| {
            if store::presets::delete(tx, &id)? {
                Ok(())
            } else {
                Err(no_such(reference))
            }
        })
    }

    /// Replaces a preset's name, configuration, roles and inputs.
    pub fn update_preset(&self, id: &str, draft: &PresetDraft) -> Result<Preset> {
        self.write_preset(id, draft, false)?;
        self.preset(id)
    }

    fn write_preset(&self, id: &str, draft: &PresetDraft, create: bool) -> Result<()> {
        let config = to_json(&draft.config)?;
        let now = now();
        let name = draft.name.trim();
        let row = PresetRow {
            id,
            name,
            config: &config,
            roles: &draft.roles,
            inputs: &draft.inputs,
            now: &now,
        };
        self.db.write(|tx| {
            let mut problems = draft.problems();
            problems.extend(reference_problems(tx, &draft.roles, &draft.inputs)?);
            problems.extend(endpoint_problems(tx, draft)?);
            problems_to_result(problems)?;
            let written = if create {
                store::presets::insert(tx, &row).map(|()| true)
            } else {
                store::presets::update(tx, &row)
            };
            match written {
                Err(e) if store::is_unique_violation(&e) => {
                    Err(Error::InvalidFields(vec![FieldProblem::new(
                        "name",
                        format!("a preset named {name:?} already exists"),
                    )]))
                }
                Ok(false) => Err(no_such(id)),
                other => other.map(drop).map_err(Error::from),
            }
        })
    }
}

/// Every role or input that does not name content of its kind, as `field: problem`.
fn reference_problems(
    conn: &Connection,
    roles: &PresetRoles,
    inputs: &[String],
) -> Result<Vec<FieldProblem>> {
    let expected = [
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
    let mut out = Vec::new();
    let mut check = |field: &str, id: &str, kind: ContentKind| -> Result<()> {
        match store::contents::kind_of(conn, id)? {
            Some(k) if k == kind => {}
            Some(k) => out.push(FieldProblem::new(
                field,
                format!("that item is a {}, not a {}", k.as_str(), kind.as_str()),
            )),
            None => out.push(FieldProblem::new(field, format!("no content item {id:?}"))),
        }
        Ok(())
    };
    for (field, id, kind) in expected {
        if let Some(id) = id {
            check(field, id, kind)?;
        }
    }
    for (i, id) in inputs.iter().enumerate() {
        check(&format!("inputs[{i}]"), id, ContentKind::InputDocument)?;
    }
    Ok(out)
}

/// Every model or judge whose endpoint the profile does not have, each with its field.
fn endpoint_problems(conn: &Connection, draft: &PresetDraft) -> Result<Vec<FieldProblem>> {
    let named = draft
        .config
        .models
        .iter()
        .map(|m| ("models", &m.provider))
        .enumerate()
        .chain(
            draft
                .config
                .judges
                .iter()
                .map(|j| ("judges", &j.provider))
                .enumerate(),
        );
    let mut out = Vec::new();
    for (i, (list, name)) in named {
        if crate::domain::endpoint::name_problem(name).is_none()
            && store::endpoints::get(conn, name)?.is_none()
        {
            out.push(FieldProblem::new(
                format!("{list}[{i}].provider"),
                format!("this profile has no endpoint named {name:?}"),
            ));
        }
    }
    Ok(out)
}

fn no_such(reference: &str) -> Error {
    Error::NoSuchItem {
        what: "preset",
        id: reference.to_owned(),
    }
}
