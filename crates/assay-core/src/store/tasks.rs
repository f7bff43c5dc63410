//! A run's plan (`tasks` of every kind, keyed) and its `call_journal` (migration 0018).
//!
//! Planning is idempotent: a task whose key the run already has is not added again, so a
//! resumed run re-plans freely. A response is journaled in its own transaction the moment it
//! arrives, before it is parsed; `applied` is set in the transaction that writes its result,
//! so after a crash the unapplied entries are exactly the answers to parse again (never to
//! request again).

use crate::domain::states::{JournalOutcome, TaskKind};
use rusqlite::{Connection, Transaction, params};

use super::all;
use crate::error::Result;

/// A task to plan.
#[derive(Debug, Clone, Copy)]
pub struct NewPlannedTask<'a> {
    /// UUID.
    pub id: &'a str,
    /// The run.
    pub run_id: &'a str,
    /// What it does.
    pub kind: TaskKind,
    /// Unique in the run.
    pub key: &'a str,
    /// The input it concerns.
    pub input_id: Option<&'a str>,
    /// The endpoint called.
    pub provider: &'a str,
    /// The model called.
    pub model: &'a str,
    /// The contestant's or judge's label.
    pub label: &'a str,
    /// Iteration or trial, from 1.
    pub iteration: i64,
    /// The document scored, or the pair's first.
    pub doc_a: Option<&'a str>,
    /// The pair's second document.
    pub doc_b: Option<&'a str>,
    /// `A` or `B`, for a comparison.
    pub shown_first: Option<&'a str>,
    /// A combine task's source documents, as a JSON array of ids.
    pub sources: Option<&'a str>,
}

/// Plans a task unless the run has its key already; true when it was added.
pub fn plan(tx: &Transaction<'_>, t: &NewPlannedTask<'_>) -> Result<bool> {
    Ok(tx
        .prepare_cached(
            "INSERT INTO tasks (id, run_id, kind, task_key, input_content_id, provider, model,
                                label, iteration, doc_a_id, doc_b_id, shown_first, sources,
                                status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'pending')
             ON CONFLICT (run_id, task_key) DO NOTHING",
        )?
        .execute(params![
            t.id,
            t.run_id,
            t.kind,
            t.key,
            t.input_id,
            t.provider,
            t.model,
            t.label,
            t.iteration,
            t.doc_a,
            t.doc_b,
            t.shown_first,
            t.sources
        ])?
        == 1)
}

/// A response (or failed attempt) as it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalEntry {
    /// UUID.
    pub id: String,
    /// The run.
    pub run_id: String,
    /// The task it answers.
    pub task_id: String,
    /// Attempt number, from 1.
    pub attempt: i64,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339.
    pub ended_at: String,
    /// `answer` or `failed`.
    pub outcome: JournalOutcome,
    /// The HTTP status, if any.
    pub http_status: Option<i64>,
    /// The failure's error code, if it failed.
    pub error_code: Option<String>,
    /// The raw body, whole (the client reads at most [`MAX_RAW`] bytes).
    pub raw: String,
    /// Input tokens charged, if any.
    pub tokens_in: Option<i64>,
    /// Output tokens charged, if any.
    pub tokens_out: Option<i64>,
    /// USD charged, if known.
    pub cost: Option<f64>,
    /// The tokens and cost are the call's worst case, not the server's report.
    pub usage_estimated: bool,
}

/// The largest raw body the journal keeps: the most the provider client reads, so every
/// answer it hands over is journaled whole and can be read again after a crash.
pub const MAX_RAW: usize = crate::llm::client::MAX_BODY;

/// Journals a response, its raw body whole. A body over [`MAX_RAW`] (which the client
/// never hands over) is refused, not cut: a cut answer could not be read again.
pub fn journal(tx: &Transaction<'_>, e: &JournalEntry) -> Result<()> {
    if e.raw.len() > MAX_RAW {
        return Err(crate::error::Error::InvalidInput(format!(
            "an answer of {} bytes is over the journal's limit of {MAX_RAW}",
            e.raw.len()
        )));
    }
    tx.prepare_cached(
        "INSERT INTO call_journal (id, run_id, task_id, attempt, started_at, ended_at, outcome,
                                   http_status, error_code, raw, tokens_in, tokens_out, cost,
                                   usage_estimated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        e.id,
        e.run_id,
        e.task_id,
        e.attempt,
        e.started_at,
        e.ended_at,
        e.outcome,
        e.http_status,
        e.error_code,
        e.raw,
        e.tokens_in,
        e.tokens_out,
        e.cost,
        e.usage_estimated
    ])?;
    Ok(())
}

/// Marks a journal entry's result as written (in the transaction that writes it).
pub fn mark_applied(tx: &Transaction<'_>, journal_id: &str) -> Result<()> {
    tx.execute(
        "UPDATE call_journal SET applied = 1 WHERE id = ?1",
        [journal_id],
    )?;
    Ok(())
}

/// Keeps, on a journaled judge's answer that did not read, its text and its problems (in the
/// transaction that applies it), so a failed task shows every attempt's.
pub fn keep_problems(
    tx: &Transaction<'_>,
    journal_id: &str,
    text: &str,
    problems: &[crate::domain::judge_problem::Problem],
) -> Result<()> {
    let json = serde_json::to_string(problems)
        .map_err(|e| crate::error::Error::InvalidInput(format!("could not encode: {e}")))?;
    tx.execute(
        "UPDATE call_journal SET answer_text = ?2, problems = ?3 WHERE id = ?1",
        params![journal_id, text, json],
    )?;
    Ok(())
}

/// The answers of `run_id` journaled but not yet applied: to parse again after a crash,
/// never to request again.
pub fn unapplied_answers(conn: &Connection, run_id: &str) -> Result<Vec<JournalEntry>> {
    all(
        conn,
        "SELECT id, run_id, task_id, attempt, started_at, ended_at, outcome, http_status,
                error_code, raw, tokens_in, tokens_out, cost, usage_estimated
         FROM call_journal WHERE run_id = ?1 AND outcome = 'answer' AND applied = 0
         ORDER BY started_at, id",
        [run_id],
        |r| {
            Ok(JournalEntry {
                id: r.get(0)?,
                run_id: r.get(1)?,
                task_id: r.get(2)?,
                attempt: r.get(3)?,
                started_at: r.get(4)?,
                ended_at: r.get(5)?,
                outcome: r.get(6)?,
                http_status: r.get(7)?,
                error_code: r.get(8)?,
                raw: r.get(9)?,
                tokens_in: r.get(10)?,
                tokens_out: r.get(11)?,
                cost: r.get(12)?,
                usage_estimated: r.get(13)?,
            })
        },
    )
}

/// Tasks of `run_id` per kind: (kind, total, succeeded, failed), for progress.
pub fn progress(conn: &Connection, run_id: &str) -> Result<Vec<(TaskKind, i64, i64, i64)>> {
    all(
        conn,
        "SELECT kind, count(*), sum(status = 'succeeded'), sum(status = 'failed')
         FROM tasks WHERE run_id = ?1 GROUP BY kind ORDER BY kind",
        [run_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task<'a>(id: &'a str, run_id: &'a str, key: &'a str) -> NewPlannedTask<'a> {
        NewPlannedTask {
            id,
            run_id,
            kind: TaskKind::Score,
            key,
            input_id: None,
            provider: "openai",
            model: "judge",
            label: "openai/judge",
            iteration: 1,
            doc_a: None,
            doc_b: None,
            shown_first: None,
            sources: None,
        }
    }

    #[test]
    fn planning_is_idempotent_and_the_journal_gives_back_only_unapplied_answers() {
        let profile = crate::test_support::seeded_profile("t");
        let db = profile.open.db();
        let run_id: String = db
            .read(|c| Ok(c.query_row("SELECT id FROM runs", [], |r| r.get(0))?))
            .expect("the seeded run");
        db.write(|tx| {
            assert!(plan(tx, &task("t1", &run_id, "score/x/openai/judge/1"))?);
            assert!(
                !plan(tx, &task("t2", &run_id, "score/x/openai/judge/1"))?,
                "the same key is not planned twice"
            );
            let entry = JournalEntry {
                id: "j1".into(),
                run_id: run_id.clone(),
                task_id: "t1".into(),
                attempt: 1,
                started_at: "2026-01-01T00:00:00Z".into(),
                ended_at: "2026-01-01T00:00:01Z".into(),
                outcome: JournalOutcome::Answer,
                http_status: Some(200),
                error_code: None,
                // 2 MiB: over the 1 MiB the journal once cut answers at.
                raw: format!("a{}", "é".repeat(1024 * 1024)),
                tokens_in: Some(10),
                tokens_out: None,
                cost: None,
                usage_estimated: false,
            };
            assert!(
                journal(
                    tx,
                    &JournalEntry {
                        id: "too-big".into(),
                        raw: "x".repeat(MAX_RAW + 1),
                        ..entry.clone()
                    }
                )
                .is_err(),
                "an answer over the limit is refused, not cut"
            );
            journal(tx, &entry)?;
            journal(
                tx,
                &JournalEntry {
                    id: "j0".into(),
                    attempt: 2,
                    outcome: JournalOutcome::Failed,
                    ..entry
                },
            )?;
            Ok(())
        })
        .expect("plan and journal");
        let pending = db
            .read(|c| unapplied_answers(c, &run_id))
            .expect("unapplied");
        assert_eq!(
            pending.len(),
            1,
            "failed attempts are kept but not re-parsed"
        );
        assert_eq!(
            pending[0].raw.len(),
            1 + 2 * 1024 * 1024,
            "an answer over 1 MiB is kept whole"
        );
        assert_eq!(
            pending[0].tokens_out, None,
            "an unreported count stays unknown"
        );
        db.write(|tx| mark_applied(tx, "j1")).expect("applied");
        assert!(
            db.read(|c| unapplied_answers(c, &run_id))
                .expect("unapplied")
                .is_empty()
        );
        let kinds = db.read(|c| progress(c, &run_id)).expect("progress");
        assert!(kinds.contains(&(TaskKind::Score, 1, 0, 0)), "{kinds:?}");
        assert!(
            kinds
                .iter()
                .any(|(k, total, done, _)| *k == TaskKind::Generate && total == done)
        );
    }
}
