//! What comes back from a call: journaled in its own transaction the moment it arrives
//! (with each failed attempt the client retried), then applied in one transaction with its
//! usage and event; a failure fails its task, or pauses the run when every call to the
//! endpoint would fail the same way. Answers journaled before a crash are applied again,
//! never requested again.

use super::{Executor, Finished, Stop};
use crate::domain::states::{CallOutcome, DocumentKind, JournalOutcome, TaskKind};
use crate::engine::charge::{self, Charge};
use crate::engine::results::{self, Answer, Applied, Context};
use crate::engine::updates::CallNote;
use crate::error::{Error, FailureKind, Result};
use crate::llm;
use crate::store::execution::{self as exec, TaskRow};
use crate::store::{self, tasks::JournalEntry};

impl Executor<'_> {
    /// Answers journaled before a crash and not applied: read again, never asked again.
    pub(super) fn reapply_journal(&mut self) -> Result<()> {
        let entries = self
            .open
            .db()
            .read(|c| store::tasks::unapplied_answers(c, &self.run_id))?;
        for entry in entries {
            let Some(task) = self.tasks.get(&entry.task_id).cloned() else {
                continue;
            };
            let kind = self.endpoints.kind(&task.provider);
            let read = kind.map(|k| llm::dialect::for_kind(k).read_answer(entry.raw.as_bytes()));
            let prior = self
                .open
                .db()
                .read(|c| exec::applied_answers(c, &task.id))?
                .len();
            match read {
                Some(Ok(answer)) => {
                    let ans = Answer {
                        journal_id: entry.id.clone(),
                        text: answer.text,
                        finish: answer.finish,
                        tokens_in: entry.tokens_in.unwrap_or(0),
                        tokens_out: entry.tokens_out.unwrap_or(0),
                        cost: entry.cost,
                        estimated: entry.usage_estimated,
                        latency_ms: latency_between(&entry.started_at, &entry.ended_at),
                        started_at: entry.started_at.clone(),
                        ended_at: entry.ended_at.clone(),
                    };
                    self.apply_answer(&task, &ans, prior > 0)?;
                }
                _ => {
                    let why = "the journaled answer could not be read again";
                    self.open.db().write(|tx| {
                        store::tasks::mark_applied(tx, &entry.id)?;
                        let charge = Charge {
                            tokens_in: entry.tokens_in.unwrap_or(0),
                            tokens_out: entry.tokens_out.unwrap_or(0),
                            cost: entry.cost,
                            estimated: entry.usage_estimated,
                        };
                        // The answer was journaled, so it was paid for: charged here.
                        results::charge_failure(tx, &self.run_id, &task, &entry.ended_at, &charge)?;
                        results::fail(
                            tx,
                            &self.run_id,
                            &task,
                            why,
                            (&entry.started_at, &entry.ended_at),
                            &charge,
                        )
                    })?;
                    self.finished_task(&task, false);
                }
            }
        }
        Ok(())
    }

    pub(super) fn fail_now(&mut self, task: &TaskRow, why: &str) -> Result<()> {
        let now = jiff::Timestamp::now().to_string();
        self.open
            .db()
            .write(|tx| results::fail(tx, &self.run_id, task, why, (&now, &now), &Charge::NONE))?;
        self.last_error = Some(why.to_owned());
        self.finished_task(task, false);
        let input = task.input_id.clone();
        self.advance(&input)
    }

    pub(super) fn finish(&mut self, done: Finished) -> Result<()> {
        let task = self.tasks[&done.task_id].clone();
        let worst = self.spending.release(&task.id);
        self.calls.ended(task.kind);
        let journal_id = uuid::Uuid::new_v4().to_string();
        let final_attempt = done.first_attempt + done.retried.len() as i64;
        // What each attempt is charged: an answer as reported (its worst case when it
        // reports no usable usage), a timeout its worst case, a refusal nothing.
        let charge = match &done.result {
            Ok(call) => Charge::answer(
                &call.usage,
                self.endpoints
                    .cost(&task.provider, &task.model, &call.usage),
                &worst,
            ),
            Err(e) if charge::error_may_be_billed(e) => Charge::worst(&worst),
            Err(_) => Charge::NONE,
        };
        let retried_charges: Vec<Charge> = done
            .retried
            .iter()
            .map(|a| {
                if charge::failure_may_be_billed(a.failure.kind) {
                    Charge::worst(&worst)
                } else {
                    Charge::NONE
                }
            })
            .collect();
        // The journal first, in its own transaction, before anything is parsed.
        self.open.db().write(|tx| {
            for (i, a) in done.retried.iter().enumerate() {
                store::tasks::journal(
                    tx,
                    &JournalEntry {
                        id: uuid::Uuid::new_v4().to_string(),
                        run_id: self.run_id.clone(),
                        task_id: task.id.clone(),
                        attempt: done.first_attempt + i as i64,
                        started_at: a.started_at.to_string(),
                        ended_at: a.ended_at.to_string(),
                        outcome: JournalOutcome::Failed,
                        http_status: a.failure.status.map(i64::from),
                        error_code: Some(a.failure.kind.code().as_str().into()),
                        raw: a.failure.detail.clone().unwrap_or_default(),
                        tokens_in: billed(&retried_charges[i]).map(|c| c.tokens_in),
                        tokens_out: billed(&retried_charges[i]).map(|c| c.tokens_out),
                        cost: billed(&retried_charges[i]).and_then(|c| c.cost),
                        usage_estimated: retried_charges[i].estimated,
                    },
                )?;
                results::retried_attempt(
                    tx,
                    &self.run_id,
                    &task,
                    (&a.started_at.to_string(), &a.ended_at.to_string()),
                    &retried_charges[i],
                )?;
            }
            let (outcome, status, code, raw) = match &done.result {
                Ok(call) => (JournalOutcome::Answer, Some(200), None, call.raw.clone()),
                Err(e) => (
                    JournalOutcome::Failed,
                    match e {
                        Error::Provider { failure, .. } => failure.status.map(i64::from),
                        _ => None,
                    },
                    Some(e.code().as_str().to_owned()),
                    String::new(),
                ),
            };
            store::tasks::journal(
                tx,
                &JournalEntry {
                    id: journal_id.clone(),
                    run_id: self.run_id.clone(),
                    task_id: task.id.clone(),
                    attempt: final_attempt,
                    started_at: done.started_at.to_string(),
                    ended_at: done.ended_at.to_string(),
                    outcome,
                    http_status: status,
                    error_code: code,
                    raw,
                    tokens_in: billed(&charge).map(|c| c.tokens_in),
                    tokens_out: billed(&charge).map(|c| c.tokens_out),
                    cost: billed(&charge).and_then(|c| c.cost),
                    usage_estimated: charge.estimated,
                },
            )?;
            if done.result.is_err() {
                // A failure is never applied again: what it may have cost counts now.
                results::charge_failure(
                    tx,
                    &self.run_id,
                    &task,
                    &done.ended_at.to_string(),
                    &charge,
                )?;
            }
            exec::add_attempts(tx, &task.id, done.retried.len() as i64 + 1)
        })?;
        for c in retried_charges
            .iter()
            .chain(done.result.is_err().then_some(&charge))
        {
            self.count_charge(c);
        }
        crate::faults::crash_point("after-journal");
        let latency_ms = (done.ended_at - done.started_at)
            .total(jiff::Unit::Millisecond)
            .map_or(0, |ms| ms.max(0.0) as i64);
        match done.result {
            Ok(call) => {
                let answer = Answer {
                    journal_id,
                    text: call.text,
                    finish: call.finish,
                    tokens_in: charge.tokens_in,
                    tokens_out: charge.tokens_out,
                    cost: charge.cost,
                    estimated: charge.estimated,
                    latency_ms,
                    started_at: done.started_at.to_string(),
                    ended_at: done.ended_at.to_string(),
                };
                let outcome = self.apply_answer(&task, &answer, done.repair)?;
                self.publish(Some(CallNote {
                    kind: task.kind,
                    label: task.label.clone(),
                    outcome,
                    latency_ms: latency_ms as u64,
                }));
            }
            Err(e) => {
                let message = e.to_string();
                self.last_error = Some(message.clone());
                if stops_the_run(&e) {
                    // Every call to this endpoint would fail the same way: the task waits,
                    // and the run pauses until the person fixes it.
                    self.queue(task.kind, &task.id, true);
                    if self.stop.is_none() {
                        self.stop = Some(Stop::Pause(message));
                    }
                } else {
                    let (s, e) = (done.started_at.to_string(), done.ended_at.to_string());
                    self.open.db().write(|tx| {
                        results::fail(tx, &self.run_id, &task, &message, (&s, &e), &charge)
                    })?;
                    self.finished_task(&task, false);
                    self.advance(&task.input_id)?;
                }
                self.publish(Some(CallNote {
                    kind: task.kind,
                    label: task.label.clone(),
                    outcome: CallOutcome::Failed,
                    latency_ms: latency_ms as u64,
                }));
            }
        }
        self.update_phase()
    }

    /// Applies an answer and takes its consequences: new tasks queued, a repair queued, the
    /// input's next stage planned. Returns the outcome's name.
    pub(super) fn apply_answer(
        &mut self,
        task: &TaskRow,
        answer: &Answer,
        repaired: bool,
    ) -> Result<CallOutcome> {
        let ctx = Context {
            run_id: &self.run_id,
            snapshot: &self.snapshot,
        };
        let dir = self
            .open
            .db()
            .path()
            .parent()
            .map(std::path::Path::to_path_buf);
        crate::faults::disk_full_point(
            "run-apply",
            dir.as_deref().unwrap_or(std::path::Path::new(".")),
        )?;
        let applied = self
            .open
            .db()
            .write(|tx| results::apply(tx, ctx, task, answer, repaired))?;
        crate::faults::crash_point("after-apply");
        self.count_charge(&answer.charge());
        let name = match applied {
            Applied::Succeeded(new, document) => {
                if let Some(doc) = document {
                    let kind = if task.kind == TaskKind::Combine {
                        DocumentKind::Combined
                    } else {
                        DocumentKind::Generated
                    };
                    self.doc_kinds.insert(doc, kind);
                }
                self.finished_task(task, true);
                for t in new {
                    self.progress_slot(t.kind).total += 1;
                    self.enqueue(t);
                }
                CallOutcome::Succeeded
            }
            Applied::Repair => {
                self.queue(task.kind, &task.id, false);
                return Ok(CallOutcome::Repairing);
            }
            Applied::Failed(why) => {
                self.last_error = Some(why);
                self.finished_task(task, false);
                CallOutcome::Failed
            }
        };
        self.advance(&task.input_id)?;
        Ok(name)
    }
}

/// Failures every other call to the endpoint would repeat: the run pauses on them rather
/// than failing task after task.
fn stops_the_run(e: &Error) -> bool {
    matches!(
        e,
        Error::Provider { failure, .. } if matches!(
            failure.kind,
            FailureKind::KeyRejected
                | FailureKind::KeyNeeded
                | FailureKind::OutOfCredit
                | FailureKind::Unreachable
                | FailureKind::Insecure
        )
    )
}

/// A charge as the journal keeps it: `None` for a call charged nothing.
fn billed(charge: &Charge) -> Option<&Charge> {
    (*charge != Charge::NONE).then_some(charge)
}

fn latency_between(start: &str, end: &str) -> i64 {
    match (
        start.parse::<jiff::Timestamp>(),
        end.parse::<jiff::Timestamp>(),
    ) {
        (Ok(s), Ok(e)) => (e - s)
            .total(jiff::Unit::Millisecond)
            .map_or(0, |ms| ms.max(0.0) as i64),
        _ => 0,
    }
}
