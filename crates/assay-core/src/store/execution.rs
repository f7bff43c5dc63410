//! What the run engine reads and writes while a run works: its open tasks, their state, the
//! answers journaled for them, its status and running totals, and the results it stores.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::all;
use crate::domain::run::PairwiseVerdict;
use crate::domain::states::{DocumentKind, Phase, RunStatus, TaskKind, TaskStatus};
use crate::error::Result;

/// A task as the engine executes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRow {
    /// UUID.
    pub id: String,
    /// What it does.
    pub kind: TaskKind,
    /// The input document's id (empty if the input was deleted since).
    pub input_id: String,
    /// The endpoint called.
    pub provider: String,
    /// The model called.
    pub model: String,
    /// The contestant's or judge's label.
    pub label: String,
    /// Iteration or trial.
    pub iteration: i64,
    /// The document scored, or the pair's first.
    pub doc_a: Option<String>,
    /// The pair's second.
    pub doc_b: Option<String>,
    /// `A` or `B`: which of the pair is shown first.
    pub shown_first: Option<String>,
    /// A combine task's source documents, JSON.
    pub sources: Option<String>,
    /// Where it stands.
    pub status: TaskStatus,
}

const TASK_COLUMNS: &str = "id, kind, coalesce(input_content_id, ''), provider, model, label,
    iteration, doc_a_id, doc_b_id, shown_first, sources, status";

fn task_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TaskRow> {
    Ok(TaskRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        input_id: r.get(2)?,
        provider: r.get(3)?,
        model: r.get(4)?,
        label: r.get(5)?,
        iteration: r.get(6)?,
        doc_a: r.get(7)?,
        doc_b: r.get(8)?,
        shown_first: r.get(9)?,
        sources: r.get(10)?,
        status: r.get(11)?,
    })
}

/// Every task of `run_id`, in planning order (rowid).
pub fn tasks(conn: &Connection, run_id: &str) -> Result<Vec<TaskRow>> {
    all(
        conn,
        &format!("SELECT {TASK_COLUMNS} FROM tasks WHERE run_id = ?1 ORDER BY rowid"),
        [run_id],
        task_row,
    )
}

/// The task with key `key` in `run_id`, if planned.
pub fn task_by_key(conn: &Connection, run_id: &str, key: &str) -> Result<Option<TaskRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {TASK_COLUMNS} FROM tasks WHERE run_id = ?1 AND task_key = ?2"
        ))?
        .query_row(params![run_id, key], task_row)
        .optional()?)
}

/// Sets a task's status and error (`None` clears it).
pub fn set_task(
    tx: &Transaction<'_>,
    id: &str,
    status: TaskStatus,
    error: Option<&str>,
) -> Result<()> {
    tx.prepare_cached("UPDATE tasks SET status = ?2, error = ?3 WHERE id = ?1")?
        .execute(params![id, status, error])?;
    Ok(())
}

/// Adds `n` to a task's attempts.
pub fn add_attempts(tx: &Transaction<'_>, id: &str, n: i64) -> Result<()> {
    tx.prepare_cached("UPDATE tasks SET attempts = attempts + ?2 WHERE id = ?1")?
        .execute(params![id, n])?;
    Ok(())
}

/// Tasks of `run_id` left `running` (by a crash) become `pending` again.
pub fn requeue_running(tx: &Transaction<'_>, run_id: &str) -> Result<usize> {
    Ok(tx.execute(
        "UPDATE tasks SET status = 'pending' WHERE run_id = ?1 AND status = 'running'",
        [run_id],
    )?)
}

/// The failed tasks of `run_id` become `pending` again; returns how many.
pub fn requeue_failed(tx: &Transaction<'_>, run_id: &str) -> Result<usize> {
    Ok(tx.execute(
        "UPDATE tasks SET status = 'pending', error = NULL,
             retry_after_attempt = (SELECT coalesce(max(attempt), 0) FROM call_journal j
                                    WHERE j.task_id = tasks.id)
         WHERE run_id = ?1 AND status = 'failed'",
        [run_id],
    )?)
}

/// Every unfinished task of `run_id` becomes `cancelled`.
pub fn cancel_open(tx: &Transaction<'_>, run_id: &str) -> Result<usize> {
    Ok(tx.execute(
        "UPDATE tasks SET status = 'cancelled'
         WHERE run_id = ?1 AND status IN ('pending', 'running')",
        [run_id],
    )?)
}

/// The next attempt number of a task in the journal.
pub fn next_attempt(conn: &Connection, task_id: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce(max(attempt), 0) + 1 FROM call_journal WHERE task_id = ?1",
        )?
        .query_row([task_id], |r| r.get(0))?)
}

/// The raw bodies of a task's answers already applied since it was last retried, oldest
/// first (a judge answer that could not be read is applied, for its usage, and then
/// repaired).
pub fn applied_answers(conn: &Connection, task_id: &str) -> Result<Vec<String>> {
    all(
        conn,
        "SELECT j.raw FROM call_journal j JOIN tasks t ON t.id = j.task_id
         WHERE j.task_id = ?1 AND j.outcome = 'answer' AND j.applied = 1
           AND j.attempt > t.retry_after_attempt
         ORDER BY j.attempt",
        [task_id],
        |r| r.get(0),
    )
}

/// A run's state as the engine keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunState {
    /// Status.
    pub status: RunStatus,
    /// Phase.
    pub phase: Phase,
    /// The snapshot, JSON.
    pub config_snapshot: String,
    /// Tokens so far.
    pub total_tokens: i64,
    /// USD so far (known costs).
    pub total_cost: f64,
    /// Calls of unknown cost.
    pub unknown_cost_calls: i64,
    /// Calls charged their worst case.
    pub estimated_calls: i64,
    /// USD budget.
    pub budget_usd: Option<f64>,
    /// Token budget.
    pub budget_tokens: Option<i64>,
    /// Consent to unpriced models.
    pub allow_unpriced: bool,
    /// Why it paused.
    pub pause_reason: Option<String>,
}

/// The state of run `id`, if it exists.
pub fn run_state(conn: &Connection, id: &str) -> Result<Option<RunState>> {
    Ok(conn
        .query_row(
            "SELECT status, phase, config_snapshot, total_tokens, total_cost, unknown_cost_calls,
                    budget_usd, budget_tokens, allow_unpriced, pause_reason, estimated_calls
             FROM runs WHERE id = ?1",
            [id],
            |r| {
                Ok(RunState {
                    status: r.get(0)?,
                    phase: r.get(1)?,
                    config_snapshot: r.get(2)?,
                    total_tokens: r.get(3)?,
                    total_cost: r.get(4)?,
                    unknown_cost_calls: r.get(5)?,
                    budget_usd: r.get(6)?,
                    budget_tokens: r.get(7)?,
                    allow_unpriced: r.get::<_, i64>(8)? == 1,
                    pause_reason: r.get(9)?,
                    estimated_calls: r.get(10)?,
                })
            },
        )
        .optional()?)
}

/// Sets a run's status with why it paused (or `None`), and its start or end time when
/// given.
pub fn set_run_status(
    tx: &Transaction<'_>,
    id: &str,
    status: RunStatus,
    pause_reason: Option<&str>,
    now: &str,
) -> Result<()> {
    let ended = status.ended();
    tx.execute(
        "UPDATE runs SET status = ?2, pause_reason = ?3,
             started_at = CASE WHEN ?2 = 'running' THEN coalesce(started_at, ?4) ELSE started_at END,
             completed_at = CASE WHEN ?5 THEN ?4 ELSE NULL END,
             phase = CASE WHEN ?5 AND ?2 <> 'cancelled' THEN 'done' ELSE phase END
         WHERE id = ?1",
        params![id, status, pause_reason, now, ended],
    )?;
    Ok(())
}

/// Sets a run's phase.
pub fn set_phase(tx: &Transaction<'_>, id: &str, phase: Phase) -> Result<()> {
    tx.prepare_cached("UPDATE runs SET phase = ?2 WHERE id = ?1")?
        .execute(params![id, phase])?;
    Ok(())
}

/// Sets or clears the error a run stopped with.
pub fn set_run_error(tx: &Transaction<'_>, id: &str, error: Option<&str>) -> Result<()> {
    tx.execute(
        "UPDATE runs SET error = ?2 WHERE id = ?1",
        params![id, error],
    )?;
    Ok(())
}

/// Adds one call's usage to its run's totals (`cost` `None`: unknown, counted as such).
pub fn add_run_usage(
    tx: &Transaction<'_>,
    id: &str,
    tokens: i64,
    cost: Option<f64>,
    estimated: bool,
) -> Result<()> {
    // Saturating: SQLite turns an overflowing integer sum into a REAL, which the STRICT
    // table refuses; a run's total stops at i64::MAX instead.
    tx.prepare_cached(
        "UPDATE runs SET total_tokens = CASE WHEN ?2 > 9223372036854775807 - total_tokens
                                             THEN 9223372036854775807
                                             ELSE total_tokens + ?2 END,
             total_cost = total_cost + coalesce(?3, 0),
             unknown_cost_calls = unknown_cost_calls + (?3 IS NULL),
             estimated_calls = estimated_calls + ?4
         WHERE id = ?1",
    )?
    .execute(params![id, tokens.max(0), cost, estimated])?;
    Ok(())
}

/// Recounts a run's task totals from its tasks.
pub fn recount_tasks(tx: &Transaction<'_>, id: &str) -> Result<()> {
    tx.prepare_cached(
        "UPDATE runs SET
             tasks_total = (SELECT count(*) FROM tasks WHERE run_id = ?1),
             tasks_done = (SELECT count(*) FROM tasks WHERE run_id = ?1 AND status = 'succeeded'),
             tasks_failed = (SELECT count(*) FROM tasks WHERE run_id = ?1 AND status = 'failed')
         WHERE id = ?1",
    )?
    .execute([id])?;
    Ok(())
}

/// Moves a run's task counters by the given amounts.
pub fn bump_tasks(
    tx: &Transaction<'_>,
    id: &str,
    total: i64,
    done: i64,
    failed: i64,
) -> Result<()> {
    tx.prepare_cached(
        "UPDATE runs SET tasks_total = tasks_total + ?2, tasks_done = tasks_done + ?3,
             tasks_failed = tasks_failed + ?4
         WHERE id = ?1",
    )?
    .execute(params![id, total, done, failed])?;
    Ok(())
}

/// A document the engine stores.
#[derive(Debug)]
pub struct NewResultDocument<'a> {
    /// UUID.
    pub id: &'a str,
    /// The run.
    pub run_id: &'a str,
    /// The task that wrote it.
    pub task_id: &'a str,
    /// Where it came from.
    pub kind: DocumentKind,
    /// A combined document's sources, JSON.
    pub sources: Option<&'a str>,
    /// Markdown.
    pub body: &'a str,
    /// Cut at its token limit.
    pub truncated: bool,
    /// Prompt and completion tokens.
    pub tokens: (i64, i64),
    /// Wall time.
    pub latency_ms: i64,
    /// USD, `None` when unknown.
    pub cost: Option<f64>,
    /// RFC 3339.
    pub created_at: &'a str,
}

/// Inserts a document the engine received.
pub fn insert_result_document(tx: &Transaction<'_>, d: &NewResultDocument<'_>) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO documents (id, run_id, task_id, kind, sources, body, truncated, tokens_in,
             tokens_out, latency_ms, cost, status, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'succeeded', ?12)",
    )?
    .execute(params![
        d.id,
        d.run_id,
        d.task_id,
        d.kind,
        d.sources,
        d.body,
        d.truncated,
        d.tokens.0,
        d.tokens.1,
        d.latency_ms,
        d.cost,
        d.created_at
    ])?;
    Ok(())
}

/// A document's body.
pub fn document_body(conn: &Connection, id: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT body FROM documents WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// One of an input's documents, for ranking within the input.
#[derive(Debug, Clone, PartialEq)]
pub struct InputDocument {
    /// Its id.
    pub id: String,
    /// Where it came from.
    pub kind: DocumentKind,
    /// Its mean score over every criterion, judge and trial, if scored.
    pub mean_score: Option<f64>,
}

/// The succeeded documents of `input_id` in `run_id`, in the order they were written.
pub fn input_documents(
    conn: &Connection,
    run_id: &str,
    input_id: &str,
) -> Result<Vec<InputDocument>> {
    all(
        conn,
        "SELECT d.id, d.kind, (SELECT avg(score) FROM eval_scores s WHERE s.document_id = d.id)
         FROM documents d JOIN tasks t ON t.id = d.task_id
         WHERE d.run_id = ?1 AND coalesce(t.input_content_id, '') = ?2 AND d.status = 'succeeded'
         ORDER BY d.created_at, d.rowid",
        params![run_id, input_id],
        |r| {
            Ok(InputDocument {
                id: r.get(0)?,
                kind: r.get(1)?,
                mean_score: r.get(2)?,
            })
        },
    )
}

/// Every verdict between documents of one input.
pub fn input_verdicts(
    conn: &Connection,
    run_id: &str,
    input_id: &str,
) -> Result<Vec<PairwiseVerdict>> {
    all(
        conn,
        "SELECT p.doc_a_id, p.doc_b_id, p.judge, p.trial, p.winner, p.shown_first, p.reason
         FROM pairwise_results p JOIN documents d ON d.id = p.doc_a_id
         JOIN tasks t ON t.id = d.task_id
         WHERE p.run_id = ?1 AND coalesce(t.input_content_id, '') = ?2
         ORDER BY p.doc_a_id, p.doc_b_id, p.judge, p.trial, p.shown_first",
        params![run_id, input_id],
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
