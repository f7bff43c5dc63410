//! `runs` and what a run produced: `tasks`, `documents`, `eval_scores`, `pairwise_results`
//! and `run_events`.

use crate::domain::states::{Phase, RunStatus};
use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::all;
use crate::domain::from_json;
use crate::domain::run::{
    FailedAttempt, GeneratedDocument, PairwiseVerdict, PhaseProgress, RunDetail, RunEvent,
    RunProgress, RunSummary, Score, TaskFailure, Unscored,
};
use crate::error::Result;

const SUMMARY: &str = "SELECT id, title, status, created_at, completed_at, tasks_total, \
                       total_tokens, total_cost, unknown_cost_calls, estimated_calls FROM runs";

fn summary(r: &Row<'_>) -> rusqlite::Result<RunSummary> {
    Ok(RunSummary {
        id: r.get(0)?,
        title: r.get(1)?,
        status: r.get(2)?,
        created_at: r.get(3)?,
        completed_at: r.get(4)?,
        tasks_total: r.get(5)?,
        total_tokens: r.get(6)?,
        total_cost: r.get(7)?,
        unknown_cost_calls: r.get(8)?,
        estimated_calls: r.get(9)?,
    })
}

/// Up to `limit` runs, newest first, after `after` (the last run of the previous page). Keyset
/// pagination on the `runs_by_created` index, so every page costs the same.
pub fn page(conn: &Connection, limit: u32, after: Option<&RunSummary>) -> Result<Vec<RunSummary>> {
    // Two statements, not `?1 IS NULL OR ...`: the OR would stop SQLite from using the index
    // as a range, and deep pages would scan.
    match after {
        None => all(
            conn,
            &format!("{SUMMARY} ORDER BY created_at DESC, id DESC LIMIT ?1"),
            params![limit],
            summary,
        ),
        Some(a) => all(
            conn,
            &format!(
                "{SUMMARY} WHERE (created_at, id) < (?1, ?2)
                 ORDER BY created_at DESC, id DESC LIMIT ?3"
            ),
            params![a.created_at, a.id, limit],
            summary,
        ),
    }
}

/// Run `id` with its documents, scores, verdicts and timeline, or `None`.
pub fn detail(conn: &Connection, id: &str) -> Result<Option<RunDetail>> {
    let head = conn
        .query_row(
            // The summary's columns first (as SUMMARY lists them), then the detail's.
            "SELECT id, title, status, created_at, completed_at, tasks_total, total_tokens,
                    total_cost, unknown_cost_calls, estimated_calls, preset_id, phase, error,
                    started_at, config_snapshot, pause_reason
             FROM runs WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    summary(r)?,
                    r.get(10)?,
                    r.get(11)?,
                    r.get(12)?,
                    r.get(13)?,
                    r.get::<_, String>(14)?,
                    r.get::<_, Option<String>>(15)?,
                ))
            },
        )
        .optional()?;
    let Some((summary, preset_id, phase, error, started_at, config, pause_reason)) = head else {
        return Ok(None);
    };
    Ok(Some(RunDetail {
        actions: summary.status.actions(),
        summary,
        preset_id,
        phase,
        error,
        started_at,
        config: from_json("runs.config_snapshot", &config)?,
        documents: documents(conn, id)?,
        scores: scores(conn, id)?,
        pairwise: verdicts(conn, id)?,
        events: events(conn, id)?,
        progress: progress(conn, id)?,
        pause_reason,
        failures: failures(conn, id)?,
        unscored: unscored(conn, id)?,
    }))
}

/// Documents of run `run_id` without a stored score, by why.
fn unscored(conn: &Connection, run_id: &str) -> Result<Unscored> {
    let (documents, failed): (i64, i64) = conn.query_row(
        "SELECT count(*),
                coalesce(sum(EXISTS (SELECT 1 FROM tasks t WHERE t.run_id = d.run_id
                     AND t.kind = 'score' AND t.doc_a_id = d.id AND t.status = 'failed')), 0)
         FROM documents d
         WHERE d.run_id = ?1 AND d.status = 'succeeded'
           AND NOT EXISTS (SELECT 1 FROM eval_scores s WHERE s.document_id = d.id)",
        [run_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let scoring_on = conn
        .query_row(
            "SELECT coalesce(json_extract(config_snapshot, '$.config.evaluation_enabled'), 1)
             FROM runs WHERE id = ?1",
            [run_id],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
        .unwrap_or(1)
        == 1;
    Ok(if scoring_on {
        Unscored::new(documents, failed, 0, documents - failed)
    } else {
        Unscored::new(documents, 0, documents, 0)
    })
}

fn failures(conn: &Connection, run_id: &str) -> Result<Vec<TaskFailure>> {
    let tasks: Vec<(String, TaskFailure)> = all(
        conn,
        "SELECT t.id, t.kind, t.label, t.iteration, c.name, coalesce(t.error, ''), t.doc_a_id
         FROM tasks t LEFT JOIN contents c ON c.id = t.input_content_id
         WHERE t.run_id = ?1 AND t.status = 'failed' ORDER BY t.rowid",
        [run_id],
        |r| {
            Ok((
                r.get(0)?,
                TaskFailure {
                    kind: r.get(1)?,
                    label: r.get(2)?,
                    iteration: r.get(3)?,
                    input_name: r.get(4)?,
                    error: r.get(5)?,
                    document_id: r.get(6)?,
                    problems: Vec::new(),
                    attempts: Vec::new(),
                },
            ))
        },
    )?;
    // Every attempt of every failed task, in one query.
    let rows: Vec<(String, i64, String, String, Option<String>)> = all(
        conn,
        "SELECT j.task_id, j.attempt, j.outcome,
                coalesce(j.answer_text, CASE WHEN j.outcome = 'failed'
                    THEN coalesce(j.error_code, '') || ': ' || j.raw ELSE '' END),
                j.problems
         FROM call_journal j JOIN tasks t ON t.id = j.task_id
         WHERE t.run_id = ?1 AND t.status = 'failed'
         ORDER BY j.task_id, j.attempt",
        [run_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let mut attempts: HashMap<String, Vec<FailedAttempt>> = HashMap::new();
    for (task_id, attempt, outcome, text, problems) in rows {
        let problems = match problems {
            Some(json) => from_json("call_journal.problems", &json)?,
            None => Vec::new(),
        };
        attempts.entry(task_id).or_default().push(FailedAttempt {
            attempt,
            outcome,
            text,
            problems,
        });
    }
    Ok(tasks
        .into_iter()
        .map(|(task_id, mut failure)| {
            failure.attempts = attempts.remove(&task_id).unwrap_or_default();
            failure.problems = failure
                .attempts
                .iter()
                .rev()
                .find(|a| a.outcome == "answer")
                .map(|a| a.problems.clone())
                .unwrap_or_default();
            failure
        })
        .collect())
}

fn progress(conn: &Connection, run_id: &str) -> Result<RunProgress> {
    let mut out = RunProgress::default();
    for (kind, total, done, failed) in super::tasks::progress(conn, run_id)? {
        *out.of_mut(kind) = PhaseProgress {
            total,
            done,
            failed,
        };
    }
    Ok(out)
}

fn documents(conn: &Connection, run_id: &str) -> Result<Vec<GeneratedDocument>> {
    all(
        conn,
        "SELECT d.id, t.input_content_id, c.name, t.label, t.iteration,
                d.body, d.tokens_in, d.tokens_out, d.latency_ms, d.cost, d.status, d.kind,
                d.truncated, d.created_at
         FROM documents d JOIN tasks t ON t.id = d.task_id
         LEFT JOIN contents c ON c.id = t.input_content_id
         WHERE d.run_id = ?1 ORDER BY c.name, t.label, t.iteration",
        [run_id],
        |r| {
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
                kind: r.get(11)?,
                truncated: r.get::<_, i64>(12)? == 1,
                created_at: r.get(13)?,
            })
        },
    )
}

fn scores(conn: &Connection, run_id: &str) -> Result<Vec<Score>> {
    all(
        conn,
        "SELECT document_id, criterion, judge, trial, score, reason FROM eval_scores
         WHERE run_id = ?1 ORDER BY document_id, criterion, judge, trial",
        [run_id],
        |r| {
            Ok(Score {
                document_id: r.get(0)?,
                criterion: r.get(1)?,
                judge: r.get(2)?,
                trial: r.get(3)?,
                score: r.get(4)?,
                reason: r.get(5)?,
            })
        },
    )
}

fn verdicts(conn: &Connection, run_id: &str) -> Result<Vec<PairwiseVerdict>> {
    all(
        conn,
        "SELECT doc_a_id, doc_b_id, judge, trial, winner, shown_first, reason
         FROM pairwise_results
         WHERE run_id = ?1 ORDER BY doc_a_id, doc_b_id, judge, trial",
        [run_id],
        |r| {
            Ok(PairwiseVerdict {
                doc_a: r.get(0)?,
                doc_b: r.get(1)?,
                judge: r.get(2)?,
                trial: r.get(3)?,
                winner: r.get(4)?,
                shown_first: r.get(5)?,
                reason: r.get(6)?,
            })
        },
    )
}

fn events(conn: &Connection, run_id: &str) -> Result<Vec<RunEvent>> {
    all(
        conn,
        "SELECT phase, actor, target, started_at, ended_at, tokens_in, tokens_out, cost, status,
                usage_estimated
         FROM run_events WHERE run_id = ?1 ORDER BY started_at, phase, actor",
        [run_id],
        |r| {
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
                usage_estimated: r.get(9)?,
            })
        },
    )
}

/// Deletes run `id` and, by cascade, everything it produced; false if there was none.
pub fn delete(tx: &Transaction<'_>, id: &str) -> Result<bool> {
    Ok(tx.execute("DELETE FROM runs WHERE id = ?1", [id])? > 0)
}

/// A run's row as written when it is recorded.
#[derive(Debug)]
pub struct NewRun<'a> {
    /// UUID.
    pub id: &'a str,
    /// Title.
    pub title: &'a str,
    /// The preset it ran.
    pub preset_id: Option<&'a str>,
    /// `RunConfigSnapshot` as JSON.
    pub config_snapshot: &'a str,
    /// Phase.
    pub phase: Phase,
    /// Status.
    pub status: RunStatus,
    /// RFC 3339.
    pub created_at: &'a str,
    /// RFC 3339.
    pub started_at: Option<&'a str>,
    /// RFC 3339.
    pub completed_at: Option<&'a str>,
    /// Tasks in total, done and failed.
    pub tasks: (i64, i64, i64),
    /// Tokens of every call.
    pub total_tokens: i64,
    /// USD of the calls whose cost is known.
    pub total_cost: f64,
    /// Calls whose cost is unknown.
    pub unknown_cost_calls: i64,
}

/// Keeps a run's budget and its consent to unpriced models with it, so resuming needs
/// neither again.
pub fn set_budget(
    tx: &Transaction<'_>,
    run_id: &str,
    budget_usd: Option<f64>,
    budget_tokens: Option<i64>,
    allow_unpriced: bool,
) -> Result<()> {
    tx.execute(
        "UPDATE runs SET budget_usd = ?2, budget_tokens = ?3, allow_unpriced = ?4 WHERE id = ?1",
        params![run_id, budget_usd, budget_tokens, allow_unpriced],
    )?;
    Ok(())
}

/// Marks every run left `running` as `interrupted`: called when a process takes a profile's
/// lock, so no process is running them. Returns how many there were.
pub fn interrupt_orphans(tx: &Transaction<'_>) -> Result<usize> {
    Ok(tx.execute(
        "UPDATE runs SET status = 'interrupted' WHERE status = 'running'",
        [],
    )?)
}

/// Inserts a run.
pub fn insert_run(tx: &Transaction<'_>, run: &NewRun<'_>) -> Result<()> {
    tx.execute(
        "INSERT INTO runs (id, title, preset_id, config_snapshot, phase, status, created_at,
             started_at, completed_at, tasks_total, tasks_done, tasks_failed, total_tokens,
             total_cost, unknown_cost_calls)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            run.id,
            run.title,
            run.preset_id,
            run.config_snapshot,
            run.phase,
            run.status,
            run.created_at,
            run.started_at,
            run.completed_at,
            run.tasks.0,
            run.tasks.1,
            run.tasks.2,
            run.total_tokens,
            run.total_cost,
            run.unknown_cost_calls
        ],
    )?;
    Ok(())
}

/// A generation task: one input document × model × iteration.
#[derive(Debug)]
pub struct NewTask<'a> {
    /// UUID.
    pub id: &'a str,
    /// The run.
    pub run_id: &'a str,
    /// The input document.
    pub input_content_id: &'a str,
    /// Provider name.
    pub provider: &'a str,
    /// Model name.
    pub model: &'a str,
    /// From 1.
    pub iteration: i64,
    /// Status.
    pub status: &'a str,
}

/// Inserts a generation task (kind `generate`), keyed by input, model and iteration, its
/// contestant named `provider/model`.
pub fn insert_task(tx: &Transaction<'_>, task: &NewTask<'_>) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO tasks (id, run_id, kind, task_key, input_content_id, provider, model,
                            label, iteration, status, attempts)
         VALUES (?1, ?2, 'generate', 'generate/' || ?3 || '/' || ?4 || '/' || ?5 || '/' || ?6,
                 ?3, ?4, ?5, ?4 || '/' || ?5, ?6, ?7,
                 CASE WHEN ?7 IN ('succeeded', 'failed') THEN 1 ELSE 0 END)",
    )?
    .execute(params![
        task.id,
        task.run_id,
        task.input_content_id,
        task.provider,
        task.model,
        task.iteration,
        task.status
    ])?;
    Ok(())
}

/// A document a task generated.
#[derive(Debug)]
pub struct NewDocument<'a> {
    /// UUID.
    pub id: &'a str,
    /// The run.
    pub run_id: &'a str,
    /// The task that generated it.
    pub task_id: &'a str,
    /// Markdown.
    pub body: &'a str,
    /// Prompt and completion tokens.
    pub tokens: (i64, i64),
    /// Wall time of the call.
    pub latency_ms: i64,
    /// USD; `None` when unknown.
    pub cost: Option<f64>,
    /// `succeeded` or `failed`.
    pub status: &'a str,
    /// RFC 3339.
    pub created_at: &'a str,
}

/// Inserts a document.
pub fn insert_document(tx: &Transaction<'_>, d: &NewDocument<'_>) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO documents (id, run_id, task_id, body, tokens_in, tokens_out, latency_ms,
             cost, status, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        d.id,
        d.run_id,
        d.task_id,
        d.body,
        d.tokens.0,
        d.tokens.1,
        d.latency_ms,
        d.cost,
        d.status,
        d.created_at
    ])?;
    Ok(())
}

/// Inserts one score of run `run_id` (a fresh row id).
pub fn insert_score(tx: &Transaction<'_>, run_id: &str, s: &Score) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO eval_scores (id, run_id, document_id, criterion, judge, trial, score, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        uuid::Uuid::new_v4().to_string(),
        run_id,
        s.document_id,
        s.criterion,
        s.judge,
        s.trial,
        s.score,
        s.reason
    ])?;
    Ok(())
}

/// Inserts one pairwise verdict of run `run_id` (a fresh row id).
pub fn insert_verdict(tx: &Transaction<'_>, run_id: &str, v: &PairwiseVerdict) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO pairwise_results (id, run_id, doc_a_id, doc_b_id, judge, trial, winner,
             reason, shown_first)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        uuid::Uuid::new_v4().to_string(),
        run_id,
        v.doc_a,
        v.doc_b,
        v.judge,
        v.trial,
        v.winner,
        v.reason,
        v.shown_first
    ])?;
    Ok(())
}

/// Inserts one timeline event of run `run_id` (a fresh row id).
pub fn insert_event(tx: &Transaction<'_>, run_id: &str, e: &RunEvent) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO run_events (id, run_id, phase, actor, target, started_at, ended_at,
             tokens_in, tokens_out, cost, status, usage_estimated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        uuid::Uuid::new_v4().to_string(),
        run_id,
        e.phase,
        e.actor,
        e.target,
        e.started_at,
        e.ended_at,
        e.tokens_in,
        e.tokens_out,
        e.cost,
        e.status,
        e.usage_estimated
    ])?;
    Ok(())
}
