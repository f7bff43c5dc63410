//! Writing a journaled answer's result: the document, scores or verdicts, the call's usage
//! (run totals and `usage_daily`), its timeline event, the task's state, and the journal
//! entry marked applied, all in the caller's one transaction. A crash before it commits
//! leaves the answer unapplied in the journal, to be read again, never requested again.

use rusqlite::Transaction;

use super::charge::Charge;
use super::judge_answers::{self, Problem};
use super::judging::{self, Side};
use super::plan::{self, TaskSpec};
use crate::domain::run::{PairwiseVerdict, RunConfigSnapshot, RunEvent, Score};
use crate::domain::states::{DocumentKind, EventStatus, TaskKind, TaskStatus};
use crate::error::Result;
use crate::llm::FinishReason;
use crate::store::{self, execution as exec};

/// An answer as journaled.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Its journal entry.
    pub journal_id: String,
    /// The text the model wrote.
    pub text: String,
    /// Why it stopped.
    pub finish: FinishReason,
    /// Input tokens charged.
    pub tokens_in: i64,
    /// Output tokens charged.
    pub tokens_out: i64,
    /// USD charged; `None` when unknown.
    pub cost: Option<f64>,
    /// The charge is the call's worst case: the server reported no usable usage.
    pub estimated: bool,
    /// Wall time, ms.
    pub latency_ms: i64,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339.
    pub ended_at: String,
}

impl Answer {
    /// What the answer's call is charged.
    pub fn charge(&self) -> Charge {
        Charge {
            tokens_in: self.tokens_in,
            tokens_out: self.tokens_out,
            cost: self.cost,
            estimated: self.estimated,
        }
    }
}

/// What applying an answer did to its task.
#[derive(Debug)]
pub enum Applied {
    /// The task succeeded; these tasks were planned on its result, and this is the
    /// document it wrote (generate, combine).
    Succeeded(Vec<exec::TaskRow>, Option<String>),
    /// The judge's answer could not be read: ask once more with a repair prompt.
    Repair,
    /// The task failed (the answer stays in the journal, the reason with the task).
    Failed(String),
}

/// The run and snapshot an answer belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The run.
    pub run_id: &'a str,
    /// Its snapshot.
    pub snapshot: &'a RunConfigSnapshot,
}

/// Applies `answer` to `task`; `repaired` says whether it answers a repair prompt.
pub fn apply(
    tx: &Transaction<'_>,
    ctx: Context<'_>,
    task: &exec::TaskRow,
    answer: &Answer,
    repaired: bool,
) -> Result<Applied> {
    record_usage(tx, ctx.run_id, task, answer)?;
    store::tasks::mark_applied(tx, &answer.journal_id)?;
    let outcome = match task.kind {
        TaskKind::Generate | TaskKind::Combine => Unread::Read({
            let doc_id = uuid::Uuid::new_v4().to_string();
            exec::insert_result_document(
                tx,
                &exec::NewResultDocument {
                    id: &doc_id,
                    run_id: ctx.run_id,
                    task_id: &task.id,
                    kind: if task.kind == TaskKind::Combine {
                        DocumentKind::Combined
                    } else {
                        DocumentKind::Generated
                    },
                    sources: task.sources.as_deref(),
                    body: &answer.text,
                    truncated: answer.finish == FinishReason::Length,
                    tokens: (answer.tokens_in, answer.tokens_out),
                    latency_ms: answer.latency_ms,
                    cost: answer.cost,
                    created_at: &answer.ended_at,
                },
            )?;
            let specs = plan::scoring_tasks(ctx.snapshot, &task.input_id, &doc_id);
            Applied::Succeeded(plan_tasks(tx, ctx.run_id, &specs)?, Some(doc_id))
        }),
        TaskKind::Score => read_scores(tx, ctx, task, &answer.text)?,
        TaskKind::Compare => read_verdict(tx, ctx, task, &answer.text)?,
    };
    let outcome = match outcome {
        Unread::Read(applied) => applied,
        Unread::Problems(problems) => {
            let problems =
                judge_answers::noting_cut(problems, answer.finish, ctx.snapshot.judge_tokens());
            store::tasks::keep_problems(tx, &answer.journal_id, &answer.text, &problems)?;
            if repaired {
                Applied::Failed(format!(
                    "the judge's answer could not be read, even after a repair: {}",
                    judge_answers::summary(&problems)
                ))
            } else {
                Applied::Repair
            }
        }
    };
    event(
        tx,
        ctx.run_id,
        task,
        answer,
        match &outcome {
            Applied::Succeeded(..) => EventStatus::Succeeded,
            Applied::Repair => EventStatus::Retried,
            Applied::Failed(_) => EventStatus::Failed,
        },
    )?;
    match &outcome {
        Applied::Succeeded(planned, _) => {
            exec::set_task(tx, &task.id, TaskStatus::Succeeded, None)?;
            exec::bump_tasks(tx, ctx.run_id, planned.len() as i64, 1, 0)?;
        }
        Applied::Repair => {}
        Applied::Failed(why) => {
            // The text is kept (the journal has the raw body) and shown with the failure.
            let shown = format!("{why}\n---\n{}", cut(&answer.text, 4000));
            exec::set_task(tx, &task.id, TaskStatus::Failed, Some(&shown))?;
            exec::bump_tasks(tx, ctx.run_id, 0, 0, 1)?;
        }
    }
    Ok(outcome)
}

/// Records on the timeline a failed attempt the client retried (a 429, a timeout), with
/// what it is charged: nothing for a refusal, the worst case for a timeout (the server
/// may have done the work). Journaled and charged in one transaction, never again.
pub fn retried_attempt(
    tx: &Transaction<'_>,
    run_id: &str,
    task: &exec::TaskRow,
    (started_at, ended_at): (&str, &str),
    charge: &Charge,
) -> Result<()> {
    charge_failure(tx, run_id, task, ended_at, charge)?;
    unanswered_event(
        tx,
        run_id,
        task,
        (started_at, ended_at),
        EventStatus::Retried,
        charge,
    )
}

/// Adds what a failed call is charged to the run's totals and the day's usage, in the
/// transaction that journals it (a failure is never applied again, so never charged
/// twice). Nothing for [`Charge::NONE`].
pub fn charge_failure(
    tx: &Transaction<'_>,
    run_id: &str,
    task: &exec::TaskRow,
    ended_at: &str,
    charge: &Charge,
) -> Result<()> {
    if *charge == Charge::NONE {
        return Ok(());
    }
    charge_usage(tx, run_id, task, ended_at, charge)
}

/// A timeline event of a call that brought no answer, showing what it was charged (the
/// charge itself is added by [`charge_failure`]).
fn unanswered_event(
    tx: &Transaction<'_>,
    run_id: &str,
    task: &exec::TaskRow,
    (started_at, ended_at): (&str, &str),
    status: EventStatus,
    charge: &Charge,
) -> Result<()> {
    store::runs::insert_event(
        tx,
        run_id,
        &RunEvent {
            tokens_in: charge.tokens_in,
            tokens_out: charge.tokens_out,
            cost: charge.cost,
            usage_estimated: charge.estimated,
            ..task_event(task, started_at, ended_at, status)
        },
    )
}

/// A timeline event of `task`'s call, with no tokens and no cost (a call that brought no
/// answer; [`event`] fills in an answer's usage).
fn task_event(
    task: &exec::TaskRow,
    started_at: &str,
    ended_at: &str,
    status: EventStatus,
) -> RunEvent {
    RunEvent {
        phase: task.kind.phase().as_str().into(),
        actor: task.label.clone(),
        target: target(task),
        started_at: started_at.into(),
        ended_at: ended_at.into(),
        tokens_in: 0,
        tokens_out: 0,
        cost: Some(0.0),
        status: status.as_str().into(),
        usage_estimated: false,
    }
}

/// Records a task that failed without an answer to apply; its event shows what its last
/// call was charged ([`Charge::NONE`] when it made none, or the server refused it), which
/// [`charge_failure`] added when the failure was journaled.
pub fn fail(
    tx: &Transaction<'_>,
    run_id: &str,
    task: &exec::TaskRow,
    why: &str,
    (started_at, ended_at): (&str, &str),
    charge: &Charge,
) -> Result<()> {
    unanswered_event(
        tx,
        run_id,
        task,
        (started_at, ended_at),
        EventStatus::Failed,
        charge,
    )?;
    exec::set_task(tx, &task.id, TaskStatus::Failed, Some(why))?;
    exec::bump_tasks(tx, run_id, 0, 0, 1)
}

/// Plans `specs` (those already planned are skipped) and returns the new ones.
pub fn plan_tasks(
    tx: &Transaction<'_>,
    run_id: &str,
    specs: &[TaskSpec],
) -> Result<Vec<exec::TaskRow>> {
    plan_with_sources(tx, run_id, specs, None)
}

/// [`plan_tasks`] with the combine sources (JSON) given to every task.
pub fn plan_with_sources(
    tx: &Transaction<'_>,
    run_id: &str,
    specs: &[TaskSpec],
    sources: Option<&str>,
) -> Result<Vec<exec::TaskRow>> {
    let mut out = Vec::new();
    for spec in specs {
        let id = uuid::Uuid::new_v4().to_string();
        let shown = spec.shown_first.map(|s| match s {
            Side::A => "A",
            Side::B => "B",
        });
        let added = store::tasks::plan(
            tx,
            &store::tasks::NewPlannedTask {
                id: &id,
                run_id,
                kind: spec.kind,
                key: &spec.key,
                input_id: spec.input_id.as_deref(),
                provider: &spec.provider,
                model: &spec.model,
                label: &spec.label,
                iteration: i64::from(spec.iteration),
                doc_a: spec.doc_a.as_deref(),
                doc_b: spec.doc_b.as_deref(),
                shown_first: shown,
                sources,
            },
        )?;
        if added {
            out.push(exec::TaskRow {
                id,
                kind: spec.kind,
                input_id: spec.input_id.clone().unwrap_or_default(),
                provider: spec.provider.clone(),
                model: spec.model.clone(),
                label: spec.label.clone(),
                iteration: i64::from(spec.iteration),
                doc_a: spec.doc_a.clone(),
                doc_b: spec.doc_b.clone(),
                shown_first: shown.map(str::to_owned),
                sources: sources.map(str::to_owned),
                status: TaskStatus::Pending,
            });
        }
    }
    Ok(out)
}

/// A judge's answer read, or what was wrong with it.
enum Unread {
    Read(Applied),
    Problems(Vec<Problem>),
}

fn read_scores(
    tx: &Transaction<'_>,
    ctx: Context<'_>,
    task: &exec::TaskRow,
    text: &str,
) -> Result<Unread> {
    let criteria = ctx
        .snapshot
        .texts
        .as_ref()
        .map(|t| t.criteria.as_slice())
        .unwrap_or_default();
    let Some(doc) = task.doc_a.as_deref() else {
        return Ok(Unread::Read(Applied::Failed(
            "the document scored is gone".into(),
        )));
    };
    match judging::read_scores(text, criteria) {
        Ok(scores) => {
            for s in scores {
                store::runs::insert_score(
                    tx,
                    ctx.run_id,
                    &Score {
                        document_id: doc.into(),
                        criterion: s.criterion,
                        judge: task.label.clone(),
                        trial: task.iteration,
                        score: s.score,
                        reason: s.reason,
                    },
                )?;
            }
            Ok(Unread::Read(Applied::Succeeded(Vec::new(), None)))
        }
        Err(problems) => Ok(Unread::Problems(problems)),
    }
}

fn read_verdict(
    tx: &Transaction<'_>,
    ctx: Context<'_>,
    task: &exec::TaskRow,
    text: &str,
) -> Result<Unread> {
    let (Some(a), Some(b)) = (task.doc_a.as_deref(), task.doc_b.as_deref()) else {
        return Ok(Unread::Read(Applied::Failed(
            "a document compared is gone".into(),
        )));
    };
    let shown_first = if task.shown_first.as_deref() == Some("B") {
        Side::B
    } else {
        Side::A
    };
    match judging::read_verdict(text) {
        Ok((verdict, reason)) => {
            let winner = match judging::preferred(shown_first, verdict) {
                Side::A => "A",
                Side::B => "B",
            };
            store::runs::insert_verdict(
                tx,
                ctx.run_id,
                &PairwiseVerdict {
                    doc_a: a.into(),
                    doc_b: b.into(),
                    judge: task.label.clone(),
                    trial: task.iteration,
                    winner: Some(winner.into()),
                    shown_first: if shown_first == Side::A { "A" } else { "B" }.into(),
                    reason,
                },
            )?;
            Ok(Unread::Read(Applied::Succeeded(Vec::new(), None)))
        }
        Err(problems) => Ok(Unread::Problems(problems)),
    }
}

fn record_usage(
    tx: &Transaction<'_>,
    run_id: &str,
    task: &exec::TaskRow,
    answer: &Answer,
) -> Result<()> {
    charge_usage(tx, run_id, task, &answer.ended_at, &answer.charge())
}

/// Adds a call's charge to the run's totals and the day's usage.
fn charge_usage(
    tx: &Transaction<'_>,
    run_id: &str,
    task: &exec::TaskRow,
    ended_at: &str,
    charge: &Charge,
) -> Result<()> {
    exec::add_run_usage(tx, run_id, charge.tokens(), charge.cost, charge.estimated)?;
    store::usage::record_call(
        tx,
        &store::usage::CallUsage {
            date: ended_at.get(..10).unwrap_or(""),
            endpoint: &task.provider,
            model: &task.model,
            tokens_in: charge.tokens_in,
            tokens_out: charge.tokens_out,
            cost: charge.cost,
        },
    )
}

fn event(
    tx: &Transaction<'_>,
    run_id: &str,
    task: &exec::TaskRow,
    answer: &Answer,
    status: EventStatus,
) -> Result<()> {
    store::runs::insert_event(
        tx,
        run_id,
        &RunEvent {
            tokens_in: answer.tokens_in,
            tokens_out: answer.tokens_out,
            cost: answer.cost,
            usage_estimated: answer.estimated,
            ..task_event(task, &answer.started_at, &answer.ended_at, status)
        },
    )
}

/// What a task worked on, for the timeline.
fn target(task: &exec::TaskRow) -> String {
    let short = |id: &Option<String>| {
        id.as_deref()
            .map_or("?", |i| i.get(..8).unwrap_or(i))
            .to_owned()
    };
    match task.kind {
        TaskKind::Generate | TaskKind::Combine => format!(
            "{} #{}",
            short(&Some(task.input_id.clone())),
            task.iteration
        ),
        TaskKind::Score => format!("{} trial {}", short(&task.doc_a), task.iteration),
        TaskKind::Compare => format!(
            "{} vs {} trial {} ({} first)",
            short(&task.doc_a),
            short(&task.doc_b),
            task.iteration,
            task.shown_first.as_deref().unwrap_or("A")
        ),
    }
}

fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
