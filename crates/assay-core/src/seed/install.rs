//! Writing a seed package into a profile with every id replaced by a fresh UUID.

use std::collections::HashMap;

use rusqlite::Transaction;

use super::package::{SEED_ID_PREFIX, SeedPackage, SeedRun};
use crate::domain::preset::PresetRoles;
use crate::domain::run::{PairwiseVerdict, RunEvent, Score};
use crate::domain::to_json;
use crate::error::{Error, Result};
use crate::faults::{crash_point, fault_point};
use crate::store;
use crate::store::contents::ContentRow;
use crate::store::presets::PresetRow;
use crate::store::runs::{NewDocument, NewRun, NewTask};

/// Seed id → the fresh UUID that replaces it in this profile.
#[derive(Debug, Default)]
pub(crate) struct IdMap(HashMap<String, String>);

impl IdMap {
    /// The UUID for `seed_id`, made on first use.
    fn id(&mut self, seed_id: &str) -> String {
        self.0
            .entry(seed_id.to_owned())
            .or_insert_with(|| uuid::Uuid::new_v4().to_string())
            .clone()
    }

    /// The UUID of an object that must already have been given one.
    fn existing(&self, seed_id: &str) -> Result<String> {
        self.0.get(seed_id).cloned().ok_or_else(|| {
            Error::Corrupt(format!(
                "the seed package refers to {seed_id} before defining it"
            ))
        })
    }

    /// Rewrites every seed id inside free text (e.g. an event's "a vs b" target).
    fn text(&self, text: &str) -> Result<String> {
        text.split(' ')
            .map(|word| {
                if word.starts_with(SEED_ID_PREFIX) {
                    self.existing(word)
                } else {
                    Ok(word.to_owned())
                }
            })
            .collect::<Result<Vec<_>>>()
            .map(|words| words.join(" "))
    }

    /// Rewrites every string in a JSON value that is a seed id.
    fn json(&self, value: &mut serde_json::Value) -> Result<()> {
        match value {
            serde_json::Value::String(s) if s.starts_with(SEED_ID_PREFIX) => {
                *s = self.existing(s)?
            }
            serde_json::Value::Array(items) => items.iter_mut().try_for_each(|v| self.json(v))?,
            serde_json::Value::Object(map) => map.values_mut().try_for_each(|v| self.json(v))?,
            _ => {}
        }
        Ok(())
    }

    fn opt(&self, seed_id: Option<&String>) -> Result<Option<String>> {
        seed_id.map(|id| self.existing(id)).transpose()
    }
}

/// Progress of one seeding: `done` of `total` objects written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct SeedProgress {
    /// Objects written so far.
    pub done: u32,
    /// Objects in the package.
    pub total: u32,
}

/// Writes the whole package inside `tx`.
pub(crate) fn apply(
    tx: &Transaction<'_>,
    package: &SeedPackage,
    progress: &mut dyn FnMut(SeedProgress),
) -> Result<()> {
    let total = (package.contents.len() + package.presets.len() + package.runs.len()) as u32;
    let mut done = 0;
    let mut step = |progress: &mut dyn FnMut(SeedProgress)| {
        done += 1;
        progress(SeedProgress { done, total });
    };
    let now = jiff::Timestamp::now().to_string();
    let mut ids = IdMap::default();
    // Ids first, so variables may refer to content defined later in the file.
    for c in &package.contents {
        ids.id(&c.seed_id);
    }
    for c in &package.contents {
        let mut variables =
            serde_json::to_value(&c.variables).map_err(|e| Error::Corrupt(e.to_string()))?;
        ids.json(&mut variables)?;
        store::contents::insert(
            tx,
            &ContentRow {
                id: &ids.existing(&c.seed_id)?,
                name: &c.name,
                kind: c.kind,
                body: &c.body,
                variables: &variables.to_string(),
                tags: &to_json(&c.tags)?,
                now: &now,
            },
        )?;
        step(progress);
    }
    crash_point("mid-seed");
    fault_point("mid-seed")?;
    for p in &package.presets {
        let id = ids.id(&p.seed_id);
        let roles = PresetRoles {
            generation_instructions: ids.opt(p.roles.generation_instructions.as_ref())?,
            single_eval_instructions: ids.opt(p.roles.single_eval_instructions.as_ref())?,
            pairwise_eval_instructions: ids.opt(p.roles.pairwise_eval_instructions.as_ref())?,
            eval_criteria: ids.opt(p.roles.eval_criteria.as_ref())?,
            combine_instructions: ids.opt(p.roles.combine_instructions.as_ref())?,
        };
        let inputs = p
            .inputs
            .iter()
            .map(|input| ids.existing(input))
            .collect::<Result<Vec<_>>>()?;
        store::presets::insert(
            tx,
            &PresetRow {
                id: &id,
                name: &p.name,
                config: &to_json(&p.config)?,
                roles: &roles,
                inputs: &inputs,
                now: &now,
            },
        )?;
        step(progress);
    }
    for run in &package.runs {
        apply_run(tx, run, &mut ids)?;
        step(progress);
    }
    Ok(())
}

fn apply_run(tx: &Transaction<'_>, run: &SeedRun, ids: &mut IdMap) -> Result<()> {
    let run_id = ids.id(&run.seed_id);
    let mut snapshot =
        serde_json::to_value(&run.config_snapshot).map_err(|e| Error::Corrupt(e.to_string()))?;
    ids.json(&mut snapshot)?;
    let tokens: i64 = run.events.iter().map(|e| e.tokens_in + e.tokens_out).sum();
    let cost: f64 = run.events.iter().filter_map(|e| e.cost).sum();
    let unknown = run.events.iter().filter(|e| e.cost.is_none()).count() as i64;
    let total = run.tasks.len() as i64;
    let failed = run.tasks.iter().filter(|t| t.status != "succeeded").count() as i64;
    store::runs::insert_run(
        tx,
        &NewRun {
            id: &run_id,
            title: &run.title,
            preset_id: Some(&ids.existing(&run.preset)?),
            config_snapshot: &snapshot.to_string(),
            phase: run.phase,
            status: run.status,
            created_at: &run.created_at,
            started_at: Some(&run.started_at),
            completed_at: Some(&run.completed_at),
            tasks: (total, total - failed, failed),
            total_tokens: tokens,
            total_cost: cost,
            unknown_cost_calls: unknown,
        },
    )?;
    for task in &run.tasks {
        let task_id = ids.id(&task.seed_id);
        store::runs::insert_task(
            tx,
            &NewTask {
                id: &task_id,
                run_id: &run_id,
                input_content_id: &ids.existing(&task.input)?,
                provider: &task.provider,
                model: &task.model,
                iteration: task.iteration,
                status: &task.status,
            },
        )?;
        let d = &task.document;
        store::runs::insert_document(
            tx,
            &NewDocument {
                id: &ids.id(&d.seed_id),
                run_id: &run_id,
                task_id: &task_id,
                body: &d.body,
                tokens: (d.tokens_in, d.tokens_out),
                latency_ms: d.latency_ms,
                cost: Some(d.cost),
                status: "succeeded",
                created_at: &d.created_at,
            },
        )?;
    }
    for s in &run.scores {
        let score = Score {
            document_id: ids.existing(&s.document)?,
            criterion: s.criterion.clone(),
            judge: s.judge.clone(),
            trial: s.trial,
            score: s.score,
            reason: s.reason.clone(),
        };
        store::runs::insert_score(tx, &run_id, &score)?;
    }
    for p in &run.pairwise {
        let verdict = PairwiseVerdict {
            doc_a: ids.existing(&p.a)?,
            doc_b: ids.existing(&p.b)?,
            judge: p.judge.clone(),
            trial: p.trial,
            winner: p.winner.clone(),
            shown_first: p.shown_first.clone(),
            reason: p.reason.clone(),
        };
        store::runs::insert_verdict(tx, &run_id, &verdict)?;
    }
    for e in &run.events {
        let event = RunEvent {
            target: ids.text(&e.target)?,
            ..e.clone()
        };
        store::runs::insert_event(tx, &run_id, &event)?;
    }
    store::usage::record_run(tx, &run_id)
}
