//! The executor: works a run's open tasks under the preset's concurrency and each
//! endpoint's limits, journals every response the moment it arrives, applies it, plans what
//! depends on it, and stops when everything is done, or the budget, a pause, a cancel or an
//! endpoint that cannot be used stops it.
//!
//! The executor holds its parts by what they hold: [`endpoint_clients`] (a client, kind and prices
//! for each endpoint the run calls), [`spending`] (the totals, budgets and the reservations of
//! calls in flight), [`call_queue`] (the order calls go out in, each class within its
//! concurrency); [`answers`] journals and applies what comes back; [`dependents`] plans
//! what depends on results; [`watching`] is what watchers see. Its unit tests (`tests`) drive it in this
//! process against `gated_server`, a local server in OpenAI's wire format whose answers wait
//! at a gate the test opens.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Instant;

use tokio::task::JoinSet;

mod answers;
mod call_queue;
mod dependents;
mod endpoint_clients;
#[cfg(test)]
mod gated_server;
mod spending;
#[cfg(test)]
mod tests;
mod watching;

use super::charge::Charge;
use super::control::{Request, RunControl};
use super::requests::{self, Prepared};
use super::updates::RunUpdate;
use crate::domain::run::{PhaseProgress, RunConfigSnapshot, RunProgress, SnapshotTexts};
use crate::domain::states::{DocumentKind, Phase, TaskKind, TaskStatus};
use crate::error::{Error, Result};
use crate::llm::{self, CallResult, RetriedAttempt};
use crate::profile::{OpenProfile, Profiles};
use crate::store;
use crate::store::execution::{self as exec, TaskRow};
use call_queue::{CLASSES, CallQueue};
use endpoint_clients::Endpoints;
use spending::Spending;

/// The stages of an input that are planned once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Stage {
    Compare,
    Combine,
    PostCombine,
}

/// A call's result as it comes back to the executor.
struct Finished {
    task_id: String,
    first_attempt: i64,
    started_at: jiff::Timestamp,
    ended_at: jiff::Timestamp,
    repair: bool,
    result: Result<CallResult>,
    retried: Vec<RetriedAttempt>,
}

/// Why the executor stopped before the end.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stop {
    /// Pause with this reason (budget, an endpoint that cannot be used, a request).
    Pause(String),
}

pub(crate) struct Executor<'a> {
    open: &'a OpenProfile,
    run_id: String,
    snapshot: RunConfigSnapshot,
    texts: SnapshotTexts,
    endpoints: Endpoints,
    control: RunControl,
    tasks: HashMap<String, TaskRow>,
    doc_kinds: HashMap<String, DocumentKind>,
    calls: CallQueue,
    outstanding: HashMap<(String, TaskKind), i64>,
    planned: HashSet<(String, Stage)>,
    progress: RunProgress,
    spending: Spending,
    phase: Phase,
    stop: Option<Stop>,
    last_error: Option<String>,
    started: Instant,
    finished_here: u64,
    on_update: &'a mut dyn FnMut(&RunUpdate),
}

impl<'a> Executor<'a> {
    /// Loads run `run_id` (already `running`) with its open tasks.
    pub(crate) fn load(
        profiles: &Profiles,
        open: &'a OpenProfile,
        run_id: &str,
        control: RunControl,
        on_update: &'a mut dyn FnMut(&RunUpdate),
    ) -> Result<Self> {
        let state = open
            .db()
            .read(|c| exec::run_state(c, run_id))?
            .ok_or_else(|| Error::NoSuchItem {
                what: "run",
                id: run_id.into(),
            })?;
        let snapshot: RunConfigSnapshot = serde_json::from_str(&state.config_snapshot)
            .map_err(|e| Error::Corrupt(format!("the run's snapshot does not read: {e}")))?;
        let texts = snapshot.texts.clone().ok_or_else(|| {
            Error::InvalidInput(
                "this run was made before Assay kept the texts a run sends, so it cannot be \
                 continued; run its preset again"
                    .into(),
            )
        })?;
        let endpoints = Endpoints::load(profiles, open, &snapshot.config)?;
        let mut me = Self {
            open,
            run_id: run_id.to_owned(),
            texts,
            endpoints,
            control,
            tasks: HashMap::new(),
            doc_kinds: HashMap::new(),
            calls: CallQueue::new(
                snapshot.config.generation_concurrency,
                snapshot.config.eval_concurrency,
            ),
            outstanding: HashMap::new(),
            planned: HashSet::new(),
            progress: RunProgress::default(),
            spending: Spending::of(&state),
            phase: state.phase,
            stop: None,
            last_error: None,
            started: Instant::now(),
            finished_here: 0,
            on_update,
            snapshot,
        };
        me.load_tasks()?;
        Ok(me)
    }

    fn load_tasks(&mut self) -> Result<()> {
        let (all, docs) = self.open.db().read(|c| {
            let docs: Vec<(String, DocumentKind)> = store::all(
                c,
                "SELECT id, kind FROM documents WHERE run_id = ?1",
                [&self.run_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok((exec::tasks(c, &self.run_id)?, docs))
        })?;
        self.doc_kinds = docs.into_iter().collect();
        for task in all {
            let slot = self.progress.of_mut(task.kind);
            slot.total += 1;
            match task.status {
                TaskStatus::Succeeded => slot.done += 1,
                TaskStatus::Failed => slot.failed += 1,
                TaskStatus::Pending | TaskStatus::Running | TaskStatus::Cancelled => {}
            }
            self.note_planned_stage(&task);
            if task.status.open() {
                self.enqueue(task);
            } else {
                self.tasks.insert(task.id.clone(), task);
            }
        }
        Ok(())
    }

    fn note_planned_stage(&mut self, task: &TaskRow) {
        let stage = match task.kind {
            TaskKind::Combine => Stage::Combine,
            TaskKind::Compare => {
                let combined = [&task.doc_a, &task.doc_b].iter().any(|d| {
                    d.as_deref()
                        .and_then(|d| self.doc_kinds.get(d))
                        .is_some_and(|k| *k == DocumentKind::Combined)
                });
                if combined {
                    Stage::PostCombine
                } else {
                    Stage::Compare
                }
            }
            TaskKind::Generate | TaskKind::Score => return,
        };
        self.planned.insert((task.input_id.clone(), stage));
    }

    fn enqueue(&mut self, task: TaskRow) {
        *self
            .outstanding
            .entry((task.input_id.clone(), task.kind))
            .or_default() += 1;
        self.queue(task.kind, &task.id, false);
        self.tasks.insert(task.id.clone(), task);
    }

    /// Queues task `id` (once: a task already queued stays where it is).
    fn queue(&mut self, kind: TaskKind, id: &str, front: bool) {
        self.calls.push(kind, id, front);
    }

    /// The next queued task of `class` still to call.
    fn next_queued(&mut self, class: usize) -> Option<String> {
        let (tasks, spending) = (&self.tasks, &self.spending);
        self.calls.pop(class, |id| {
            tasks.get(id).is_some_and(|t| t.status.open()) && !spending.is_in_flight(id)
        })
    }

    fn outstanding(&self, input: &str, kind: TaskKind) -> i64 {
        self.outstanding
            .get(&(input.to_owned(), kind))
            .copied()
            .unwrap_or(0)
    }

    /// Works the run until nothing is left or it must stop. Returns how it stopped.
    pub(crate) async fn drive(&mut self) -> Result<Option<Stop>> {
        self.reapply_journal()?;
        let inputs: Vec<String> = self.texts.inputs.iter().map(|i| i.id.clone()).collect();
        for input in &inputs {
            self.advance(input)?;
        }
        self.update_phase()?;
        self.publish(None);
        let control = self.control.clone();
        let mut calls: JoinSet<Finished> = JoinSet::new();
        loop {
            let request = control.request();
            if matches!(request, Request::Cancel | Request::Interrupt) {
                calls.abort_all();
                while calls.join_next().await.is_some() {}
                return Ok(None);
            }
            if request == Request::None && self.stop.is_none() {
                let before = self.spending.in_flight();
                self.dispatch(&mut calls)?;
                // Watchers see calls go out, not only come back: a long call is shown in
                // flight from its start.
                if self.spending.in_flight() > before {
                    self.publish(None);
                }
            }
            if calls.is_empty() {
                break;
            }
            tokio::select! {
                joined = calls.join_next() => match joined {
                    Some(Ok(finished)) => self.finish(finished)?,
                    Some(Err(e)) if e.is_cancelled() => {}
                    Some(Err(e)) => {
                        return Err(Error::Internal {
                            what: format!("a call's task failed ({})", if e.is_panic() { "it panicked" } else { "it was cancelled" }),
                        });
                    }
                    None => {}
                },
                () = control.changed(request) => {}
            }
        }
        Ok(match (control.request(), self.stop.clone()) {
            (_, Some(stop)) => Some(stop),
            (Request::Pause, None) if self.open_tasks() > 0 => {
                Some(Stop::Pause("paused by request".into()))
            }
            _ => None,
        })
    }

    /// Tasks not finished.
    pub(crate) fn open_tasks(&self) -> usize {
        self.tasks.values().filter(|t| t.status.open()).count()
    }

    fn dispatch(&mut self, calls: &mut JoinSet<Finished>) -> Result<()> {
        for class in CLASSES {
            while self.calls.has_room(class) {
                let Some(id) = self.next_queued(class) else {
                    break;
                };
                let task = self.tasks[&id].clone();
                let (Some(kind), Some(client)) = (
                    self.endpoints.kind(&task.provider),
                    self.endpoints.client(&task.provider),
                ) else {
                    self.fail_now(&task, "its endpoint is not in this profile")?;
                    continue;
                };
                let dialect = llm::dialect::for_kind(kind);
                // Read on the writer's connection: its page cache stays warm, where a
                // reader's is dropped after every write (each page read again is decrypted
                // and its HMAC checked).
                let (prepared, first_attempt) = self.open.db().write(|tx| {
                    Ok((
                        requests::prepare(
                            tx,
                            &self.snapshot,
                            &self.texts,
                            dialect.as_ref(),
                            &task,
                        )?,
                        exec::next_attempt(tx, &task.id)?,
                    ))
                })?;
                let call = match prepared {
                    Prepared::Fail(why) => {
                        self.fail_now(&task, &why)?;
                        continue;
                    }
                    Prepared::Call(call) => call,
                };
                let price = self.endpoints.price(&task.provider, &task.model);
                let worst = requests::worst_case(&call.request, price.as_ref());
                if let Some(reason) = self.spending.over_budget(&worst) {
                    self.queue(task.kind, &id, true);
                    // While calls are in flight their worst cases are only reservations: the
                    // call waits for them to be charged what they used. Alone, it could pass
                    // the budget for real, so the run pauses.
                    if self.spending.in_flight() == 0 {
                        self.stop = Some(Stop::Pause(reason));
                    }
                    return Ok(());
                }
                self.spending.reserve(&id, worst);
                self.calls.started(class);
                calls.spawn(async move {
                    crate::faults::panic_point("call");
                    let retried = Mutex::new(Vec::new());
                    let started_at = jiff::Timestamp::now();
                    let result = client
                        .generate_observed(&call.request, &|a: &RetriedAttempt| {
                            retried
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                .push(a.clone());
                        })
                        .await;
                    Finished {
                        task_id: id,
                        first_attempt,
                        started_at,
                        ended_at: jiff::Timestamp::now(),
                        repair: call.repair,
                        result,
                        retried: retried
                            .into_inner()
                            .unwrap_or_else(std::sync::PoisonError::into_inner),
                    }
                });
            }
        }
        Ok(())
    }

    /// Adds a call's charge to the run's totals, and pauses the run at once when they pass
    /// a budget.
    fn count_charge(&mut self, charge: &Charge) {
        if let Some(reason) = self.spending.count(charge)
            && self.stop.is_none()
        {
            self.stop = Some(Stop::Pause(reason));
        }
    }

    fn progress_slot(&mut self, kind: TaskKind) -> &mut PhaseProgress {
        self.progress.of_mut(kind)
    }

    fn finished_task(&mut self, task: &TaskRow, succeeded: bool) {
        if let Some(t) = self.tasks.get_mut(&task.id) {
            t.status = if succeeded {
                TaskStatus::Succeeded
            } else {
                TaskStatus::Failed
            };
        }
        if let Some(n) = self
            .outstanding
            .get_mut(&(task.input_id.clone(), task.kind))
        {
            *n -= 1;
        }
        let slot = self.progress_slot(task.kind);
        if succeeded {
            slot.done += 1;
        } else {
            slot.failed += 1;
        }
        self.finished_here += 1;
    }
}
