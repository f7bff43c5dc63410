//! Run history and run details.

use rusqlite::{OptionalExtension, params};

use super::Library;
use crate::domain::from_json;
use crate::domain::run::{
    GeneratedDocument, PairwiseVerdict, RunDetail, RunEvent, RunSummary, Score,
};
use crate::error::{Error, Result};

/// Largest page of runs one call returns.
pub const MAX_PAGE: u32 = 200;

const SUMMARY: &str = "SELECT id, title, status, created_at, completed_at, tasks_total, total_tokens, total_cost FROM runs";

fn summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunSummary> {
    Ok(RunSummary {
        id: r.get(0)?,
        title: r.get(1)?,
        status: r.get(2)?,
        created_at: r.get(3)?,
        completed_at: r.get(4)?,
        tasks_total: r.get(5)?,
        total_tokens: r.get(6)?,
        total_cost: r.get(7)?,
    })
}

impl Library<'_> {
    /// One page of runs, newest first. `after` is the last run of the previous page (keyset
    /// pagination on the `runs_by_created` index, so every page costs the same).
    pub fn runs(&self, limit: u32, after: Option<&RunSummary>) -> Result<Vec<RunSummary>> {
        let limit = limit.clamp(1, MAX_PAGE);
        self.db.read(|conn| {
            // Two statements, not `?1 IS NULL OR ...`: the OR would stop SQLite from using
            // the index as a range, and deep pages would scan.
            let rows = match after {
                None => conn
                    .prepare_cached(&format!("{SUMMARY} ORDER BY created_at DESC, id DESC LIMIT ?1"))?
                    .query_map(params![limit], summary)?
                    .collect::<rusqlite::Result<_>>()?,
                Some(a) => conn
                    .prepare_cached(&format!(
                        "{SUMMARY} WHERE (created_at, id) < (?1, ?2) ORDER BY created_at DESC, id DESC LIMIT ?3"
                    ))?
                    .query_map(params![a.created_at, a.id, limit], summary)?
                    .collect::<rusqlite::Result<_>>()?,
            };
            Ok(rows)
        })
    }

    /// A run with its documents, scores, pairwise verdicts and timeline.
    pub fn run(&self, id: &str) -> Result<RunDetail> {
        self.db.read(|conn| {
            let head = conn
                .query_row(
                    "SELECT id, title, status, created_at, completed_at, tasks_total, total_tokens, total_cost,
                            preset_id, phase, error, started_at, config_snapshot
                     FROM runs WHERE id = ?1",
                    [id],
                    |r| Ok((summary(r)?, r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?, r.get::<_, String>(12)?)),
                )
                .optional()?;
            let (summary, preset_id, phase, error, started_at, config) =
                head.ok_or_else(|| Error::NoSuchItem { what: "run", id: id.to_owned() })?;
            let documents = conn
                .prepare(
                    "SELECT d.id, t.input_content_id, c.name, t.provider || '/' || t.model, t.iteration,
                            d.body, d.tokens_in, d.tokens_out, d.latency_ms, d.cost, d.status
                     FROM documents d JOIN tasks t ON t.id = d.task_id
                     LEFT JOIN contents c ON c.id = t.input_content_id
                     WHERE d.run_id = ?1 ORDER BY c.name, t.provider, t.model, t.iteration",
                )?
                .query_map([id], |r| {
                    Ok(GeneratedDocument {
                        id: r.get(0)?,
                        input_id: r.get(1)?,
                        input_name: r.get(2)?,
                        model: r.get(3)?,
                        iteration: r.get(4)?,
                        body: r.get(5)?,
                        tokens_in: r.get(6)?,
                        tokens_out: r.get(7)?,
                        latency_ms: r.get(8)?,
                        cost: r.get(9)?,
                        status: r.get(10)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            let scores = conn
                .prepare(
                    "SELECT document_id, criterion, judge, trial, score, reason FROM eval_scores
                     WHERE run_id = ?1 ORDER BY document_id, criterion, judge, trial",
                )?
                .query_map([id], |r| {
                    Ok(Score {
                        document_id: r.get(0)?,
                        criterion: r.get(1)?,
                        judge: r.get(2)?,
                        trial: r.get(3)?,
                        score: r.get(4)?,
                        reason: r.get(5)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            let pairwise = conn
                .prepare(
                    "SELECT doc_a_id, doc_b_id, judge, trial, winner, shown_first, reason FROM pairwise_results
                     WHERE run_id = ?1 ORDER BY doc_a_id, doc_b_id, judge, trial",
                )?
                .query_map([id], |r| {
                    Ok(PairwiseVerdict {
                        doc_a: r.get(0)?,
                        doc_b: r.get(1)?,
                        judge: r.get(2)?,
                        trial: r.get(3)?,
                        winner: r.get(4)?,
                        shown_first: r.get(5)?,
                        reason: r.get(6)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            let events = conn
                .prepare(
                    "SELECT phase, actor, target, started_at, ended_at, tokens_in, tokens_out, cost, status
                     FROM run_events WHERE run_id = ?1 ORDER BY started_at, phase, actor",
                )?
                .query_map([id], |r| {
                    Ok(RunEvent {
                        phase: r.get(0)?,
                        actor: r.get(1)?,
                        target: r.get(2)?,
                        started_at: r.get(3)?,
                        ended_at: r.get(4)?,
                        tokens_in: r.get(5)?,
                        tokens_out: r.get(6)?,
                        cost: r.get(7)?,
                        status: r.get(8)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(RunDetail {
                summary,
                preset_id,
                phase,
                error,
                started_at,
                config: from_json("runs.config_snapshot", &config)?,
                documents,
                scores,
                pairwise,
                events,
            })
        })
    }

    /// Deletes a run and, by cascade, its tasks, documents, scores, verdicts and events.
    pub fn delete_run(&self, id: &str) -> Result<()> {
        self.db.write(|tx| {
            if tx.execute("DELETE FROM runs WHERE id = ?1", [id])? == 0 {
                return Err(Error::NoSuchItem {
                    what: "run",
                    id: id.to_owned(),
                });
            }
            Ok(())
        })
    }
}
