//! Writing a seed package into a profile with every id replaced by a fresh UUID.

use std::collections::HashMap;

use rusqlite::{Transaction, params};

use super::package::{SEED_ID_PREFIX, SeedPackage, SeedRun};
use crate::domain::to_json;
use crate::error::{Error, Result};

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
        tx.execute(
            "INSERT INTO contents (id, name, kind, body, variables, tags, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            params![
                ids.existing(&c.seed_id)?,
                c.name,
                c.kind.as_str(),
                c.body,
                variables.to_string(),
                to_json(&c.tags)?,
                now
            ],
        )?;
        step(progress);
    }
    crate::profile::crash_point("mid-seed");
    crate::profile::fault_point("mid-seed")?;
    for p in &package.presets {
        let id = ids.id(&p.seed_id);
        tx.execute(
            "INSERT INTO presets (id, name, name_key, config, generation_instructions_id,
                 single_eval_instructions_id, pairwise_eval_instructions_id, eval_criteria_id,
                 combine_instructions_id, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
            params![
                id,
                p.name,
                p.name.to_lowercase(),
                to_json(&p.config)?,
                ids.opt(p.roles.generation_instructions.as_ref())?,
                ids.opt(p.roles.single_eval_instructions.as_ref())?,
                ids.opt(p.roles.pairwise_eval_instructions.as_ref())?,
                ids.opt(p.roles.eval_criteria.as_ref())?,
                ids.opt(p.roles.combine_instructions.as_ref())?,
                now
            ],
        )?;
        for (position, input) in p.inputs.iter().enumerate() {
            tx.execute(
                "INSERT INTO preset_inputs (preset_id, content_id, position) VALUES (?1, ?2, ?3)",
                params![id, ids.existing(input)?, position as i64],
            )?;
        }
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
    let cost: f64 = run.events.iter().map(|e| e.cost).sum();
    let failed = run.tasks.iter().filter(|t| t.status != "succeeded").count() as i64;
    tx.execute(
        "INSERT INTO runs (id, title, preset_id, config_snapshot, phase, status, created_at,
             started_at, completed_at, tasks_total, tasks_done, tasks_failed, total_tokens, total_cost)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            run_id,
            run.title,
            ids.existing(&run.preset)?,
            snapshot.to_string(),
            run.phase,
            run.status,
            run.created_at,
            run.started_at,
            run.completed_at,
            run.tasks.len() as i64,
            run.tasks.len() as i64 - failed,
            failed,
            tokens,
            cost
        ],
    )?;
    for task in &run.tasks {
        let task_id = ids.id(&task.seed_id);
        tx.execute(
            "INSERT INTO tasks (id, run_id, input_content_id, provider, model, iteration, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                task_id,
                run_id,
                ids.existing(&task.input)?,
                task.provider,
                task.model,
                task.iteration,
                task.status
            ],
        )?;
        let d = &task.document;
        tx.execute(
            "INSERT INTO documents (id, run_id, task_id, body, tokens_in, tokens_out, latency_ms, cost, status, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'succeeded', ?9)",
            params![ids.id(&d.seed_id), run_id, task_id, d.body, d.tokens_in, d.tokens_out, d.latency_ms, d.cost, d.created_at],
        )?;
    }
    for s in &run.scores {
        tx.execute(
            "INSERT INTO eval_scores (id, run_id, document_id, criterion, judge, trial, score, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![uuid::Uuid::new_v4().to_string(), run_id, ids.existing(&s.document)?, s.criterion, s.judge, s.trial, s.score, s.reason],
        )?;
    }
    for p in &run.pairwise {
        tx.execute(
            "INSERT INTO pairwise_results (id, run_id, doc_a_id, doc_b_id, judge, trial, winner, reason, shown_first)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                uuid::Uuid::new_v4().to_string(),
                run_id,
                ids.existing(&p.a)?,
                ids.existing(&p.b)?,
                p.judge,
                p.trial,
                p.winner,
                p.reason,
                p.shown_first
            ],
        )?;
    }
    for e in &run.events {
        tx.execute(
            "INSERT INTO run_events (id, run_id, phase, actor, target, started_at, ended_at, tokens_in, tokens_out, cost, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                uuid::Uuid::new_v4().to_string(),
                run_id,
                e.phase,
                e.actor,
                ids.text(&e.target)?,
                e.started_at,
                e.ended_at,
                e.tokens_in,
                e.tokens_out,
                e.cost,
                e.status
            ],
        )?;
    }
    crate::library::record_run_usage(tx, &run_id)?;
    Ok(())
}
