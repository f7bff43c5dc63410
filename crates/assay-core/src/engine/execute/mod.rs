//! The executor: works a run's open tasks under the preset's concurrency and each
//! endpoint's limits, journals every response the moment it arrives, applies it, plans what
//! depends on it, and stops when everything is done, or the budget, a pause, a cancel or an
//! endpoint that cannot be used stops it.
//!
//! [`answers`] journals and applies what comes back; [`dependents`] plans what depends on
//! results; [`watching`] is what watchers see. Its unit tests (`tests`) drive it in this
//! process against `gated_server`, a local server in OpenAI's wire format whose answers wait
//! at a gate the test opens.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::task::JoinSet;

mod answers;
mod dependents;
#[cfg(test)]
mod gated_server;
#[cfg(test)]
mod tests;
mod watching;

use super::charge::Charge;
use super::control::{Request, RunControl};
use super::requests::{self, Prepared, WorstCase};
use super::updates::RunUpdate;
use crate::domain::endpoint::EndpointKind;
use crate::domain::run::{PhaseProgress, RunConfigSnapshot, RunProgress, SnapshotTexts};
use crate::domain::states::{DocumentKind, Phase, TaskKind, TaskStatus};
use crate::error::{Error, Result};
use crate::llm::{self, CallResult, EndpointClient, RetriedAttempt, RetryPolicy};
use crate::profile::{OpenProfile, Profiles};
use crate::providers::{self, Pricer};
use crate::store;
use crate::store::execution::{self as exec, TaskRow};

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
    clients: HashMap<String, Arc<EndpointClient>>,
    kinds: HashMap<String, EndpointKind>,
    pricer: Pricer,
    control: RunControl,
    tasks: HashMap<String, TaskRow>,
    doc_kinds: HashMap<String, DocumentKind>,
    queues: [VecDeque<String>; 2],
    queued: HashSet<String>,
    running: [u32; 2],
    outstanding: HashMap<(String, TaskKind), i64>,
    planned: HashSet<(String, Stage)>,
    progress: RunProgress,
    tokens: i64,
    cost: f64,
    unknown_cost_calls: i64,
    budget_usd: Option<f64>,
    budget_tokens: Option<i64>,
    /// The worst case of each call in flight, held against the budget until it is charged.
    reserved: HashMap<String, WorstCase>,
    estimated_calls: i64,
    phase: Phase,
    stop: Option<Stop>,
    last_error: Option<String>,
    started: Instant,
    finished_here: u64,
    on_update: &'a mut dyn FnMut(&RunUpdate),
}

/// Generation (and combine) calls, then judge calls: each has its own concurrency.
const GENERATE: usize = 0;
const JUDGE: usize = 1;

fn class_of(kind: TaskKind) -> usize {
    if kind.writes() { GENERATE } else { JUDGE }
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
        let config = &snapshot.config;
        let names = config.called_endpoints();
        let policy = RetryPolicy {
            max_retries: config.max_retries as usize,
            ..RetryPolicy::CALLS
        };
        let mut clients = HashMap::new();
        let mut kinds = HashMap::new();
        for name in names {
            let endpoint = providers::endpoint(open, name)?;
            kinds.insert(name.to_owned(), endpoint.kind);
            let client = providers::client(profiles, open, name)?.with_retry(policy);
            clients.insert(name.to_owned(), Arc::new(client));
        }
        let pricer = Pricer::of(open)?;
        let mut me = Self {
            open,
            run_id: run_id.to_owned(),
            texts,
            clients,
            kinds,
            pricer,
            control,
            tasks: HashMap::new(),
            doc_kinds: HashMap::new(),
            queues: [VecDeque::new(), VecDeque::new()],
            queued: HashSet::new(),
            running: [0, 0],
            outstanding: HashMap::new(),
            planned: HashSet::new(),
            progress: RunProgress::default(),
            tokens: state.total_tokens,
            cost: state.total_cost,
            unknown_cost_calls: state.unknown_cost_calls,
            budget_usd: state.budget_usd,
            budget_tokens: state.budget_tokens,
            reserved: HashMap::new(),
            estimated_calls: state.estimated_calls,
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
        if !self.queued.insert(id.to_owned()) {
            return;
        }
        let q = &mut self.queues[class_of(kind)];
        if front {
            q.push_front(id.to_owned());
        } else {
            q.push_back(id.to_owned());
        }
    }

    /// The next queued task of `class` still to call.
    fn next_queued(&mut self, class: usize) -> Option<String> {
        while let Some(id) = self.queues[class].pop_front() {
            self.queued.remove(&id);
            let open = self.tasks.get(&id).is_some_and(|t| t.status.open());
            if open && !self.reserved.contains_key(&id) {
                return Some(id);
            }
        }
        None
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
                self.dispatch(&mut calls)?;
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
        let config = &self.snapshot.config;
        let limits = [
            config.generation_concurrency.max(1),
            config.eval_concurrency.max(1),
        ];
        for class in [JUDGE, GENERATE] {
            while self.running[class] < limits[class] {
                let Some(id) = self.next_queued(class) else {
                    break;
                };
                let task = self.tasks[&id].clone();
                let Some(kind) = self.kinds.get(&task.provider).copied() else {
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
                let price = self
                    .pricer
                    .quote(&task.provider, &task.model)
                    .map(|q| q.price);
                let worst = requests::worst_case(&call.request, price.as_ref());
                if let Some(reason) = self.over_budget(&worst) {
                    self.queue(task.kind, &id, true);
                    // While calls are in flight their worst cases are only reservations: the
                    // call waits for them to be charged what they used. Alone, it could pass
                    // the budget for real, so the run pauses.
                    if self.reserved.is_empty() {
                        self.stop = Some(Stop::Pause(reason));
                    }
                    return Ok(());
                }
                self.reserved.insert(id.clone(), worst);
                self.running[class] += 1;
                let client = Arc::clone(&self.clients[&task.provider]);
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

    /// The reason to pause before a call of this worst case, if it could pass a budget:
    /// what is spent, plus the worst case of every call in flight, plus this one.
    fn over_budget(&self, worst: &WorstCase) -> Option<String> {
        let (held_tokens, held_cost) = self.reserved.values().fold((0_i64, 0.0), |(t, c), w| {
            (t.saturating_add(w.tokens()), c + w.cost.unwrap_or(0.0))
        });
        if let Some(budget) = self.budget_tokens {
            let could = self
                .tokens
                .saturating_add(held_tokens)
                .saturating_add(worst.tokens());
            if could > budget {
                return Some(format!(
                    "budget: the next call could take the run to {} tokens, past its budget of {}",
                    could, budget
                ));
            }
        }
        if let Some(budget) = self.budget_usd {
            let could = self.cost + held_cost + worst.cost.unwrap_or(0.0);
            if could > budget {
                return Some(format!(
                    "budget: the next call could take the run to {}, past its budget of {}",
                    crate::numbers::usd_exact(could),
                    crate::numbers::usd_exact(budget)
                ));
            }
        }
        None
    }

    /// Adds a call's charge to the run's totals as this process counts them (the store's
    /// were added in the charge's transaction), and pauses the run at once when they pass
    /// a budget: a server may report more than a call's limits allowed.
    fn count_charge(&mut self, charge: &Charge) {
        self.tokens = self.tokens.saturating_add(charge.tokens());
        match charge.cost {
            Some(c) => self.cost += c,
            None => self.unknown_cost_calls += 1,
        }
        if charge.estimated {
            self.estimated_calls += 1;
        }
        if self.stop.is_some() {
            return;
        }
        let over_tokens = self.budget_tokens.filter(|b| self.tokens > *b).map(|b| {
            format!(
                "budget: the run has used {} tokens, past its budget of {}",
                self.tokens, b
            )
        });
        let over_usd = self.budget_usd.filter(|b| self.cost > *b).map(|b| {
            format!(
                "budget: the run has spent {}, past its budget of {}",
                crate::numbers::usd_exact(self.cost),
                crate::numbers::usd_exact(b)
            )
        });
        if let Some(reason) = over_tokens.or(over_usd) {
            let why = if charge.estimated {
                "a call's worst case was charged (its server reported no usage, or it timed out)"
            } else {
                "a server reported more usage than the call's limits"
            };
            self.stop = Some(Stop::Pause(format!("{reason}; {why}")));
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
