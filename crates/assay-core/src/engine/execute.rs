//! The executor: works a run's open tasks under the preset's concurrency and each
//! endpoint's limits, journals every response the moment it arrives, applies it, plans what
//! depends on it, and stops when everything is done, or the budget, a pause, a cancel or an
//! endpoint that cannot be used stops it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::task::JoinSet;

use super::apply::{self, Answer, Applied, Context};
use super::calls::{self, Prepared};
use super::control::{Request, RunControl};
use super::plan;
use super::progress::{CallNote, EndpointNow, RunUpdate};
use super::stages;
use crate::domain::endpoint::EndpointKind;
use crate::domain::run::{PhaseProgress, RunConfigSnapshot, RunProgress, SnapshotTexts};
use crate::error::{Error, FailureKind, Result};
use crate::llm::{self, CallResult, EndpointClient, RetriedAttempt, RetryPolicy};
use crate::profile::{OpenProfile, Profiles};
use crate::providers::{self, Pricer};
use crate::store::execution::{self as exec, TaskRow};
use crate::store::{self, tasks::JournalEntry};

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
    doc_kinds: HashMap<String, String>,
    queues: [VecDeque<String>; 2],
    queued: HashSet<String>,
    running: [u32; 2],
    outstanding: HashMap<(String, String), i64>,
    planned: HashSet<(String, Stage)>,
    progress: RunProgress,
    tokens: i64,
    cost: f64,
    unknown_cost_calls: i64,
    budget_usd: Option<f64>,
    budget_tokens: Option<i64>,
    reserved: HashMap<String, (i64, f64)>,
    phase: String,
    stop: Option<Stop>,
    last_error: Option<String>,
    started: Instant,
    finished_here: u64,
    on_update: &'a mut dyn FnMut(&RunUpdate),
}

/// Generation (and combine) calls, then judge calls: each has its own concurrency.
const GENERATE: usize = 0;
const JUDGE: usize = 1;

fn class_of(kind: &str) -> usize {
    if matches!(kind, "generate" | "combine") {
        GENERATE
    } else {
        JUDGE
    }
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
        let mut names: Vec<&str> = config
            .models
            .iter()
            .chain(&config.combine_models)
            .map(|m| m.provider.as_str())
            .chain(config.judges.iter().map(|j| j.provider.as_str()))
            .collect();
        names.sort_unstable();
        names.dedup();
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
            let docs: Vec<(String, String)> = store::all(
                c,
                "SELECT id, kind FROM documents WHERE run_id = ?1",
                [&self.run_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok((exec::tasks(c, &self.run_id)?, docs))
        })?;
        self.doc_kinds = docs.into_iter().collect();
        for task in all {
            let slot = progress_slot(&mut self.progress, &task.kind);
            slot.total += 1;
            match task.status.as_str() {
                "succeeded" => slot.done += 1,
                "failed" => slot.failed += 1,
                _ => {}
            }
            self.note_planned_stage(&task);
            if matches!(task.status.as_str(), "pending" | "running") {
                self.enqueue(task);
            } else {
                self.tasks.insert(task.id.clone(), task);
            }
        }
        Ok(())
    }

    fn note_planned_stage(&mut self, task: &TaskRow) {
        let stage = match task.kind.as_str() {
            "combine" => Stage::Combine,
            "compare" => {
                let combined = [&task.doc_a, &task.doc_b].iter().any(|d| {
                    d.as_deref()
                        .and_then(|d| self.doc_kinds.get(d))
                        .is_some_and(|k| k == "combined")
                });
                if combined {
                    Stage::PostCombine
                } else {
                    Stage::Compare
                }
            }
            _ => return,
        };
        self.planned.insert((task.input_id.clone(), stage));
    }

    fn enqueue(&mut self, task: TaskRow) {
        *self
            .outstanding
            .entry((task.input_id.clone(), task.kind.clone()))
            .or_default() += 1;
        self.queue(&task.kind, &task.id, false);
        self.tasks.insert(task.id.clone(), task);
    }

    /// Queues task `id` (once: a task already queued stays where it is).
    fn queue(&mut self, kind: &str, id: &str, front: bool) {
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
            let open = self
                .tasks
                .get(&id)
                .is_some_and(|t| matches!(t.status.as_str(), "pending" | "running"));
            if open && !self.reserved.contains_key(&id) {
                return Some(id);
            }
        }
        None
    }

    fn outstanding(&self, input: &str, kind: &str) -> i64 {
        self.outstanding
            .get(&(input.to_owned(), kind.to_owned()))
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
                        return Err(Error::InvalidInput(format!("a call's task failed: {e}")));
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
        self.tasks
            .values()
            .filter(|t| matches!(t.status.as_str(), "pending" | "running"))
            .count()
    }

    /// Answers journaled before a crash and not applied: read again, never asked again.
    fn reapply_journal(&mut self) -> Result<()> {
        let entries = self
            .open
            .db()
            .read(|c| store::tasks::unapplied_answers(c, &self.run_id))?;
        for entry in entries {
            let Some(task) = self.tasks.get(&entry.task_id).cloned() else {
                continue;
            };
            let kind = self.kinds.get(&task.provider).copied();
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
                        apply::fail(
                            tx,
                            &self.run_id,
                            &task,
                            why,
                            &entry.started_at,
                            &entry.ended_at,
                        )
                    })?;
                    self.finished_task(&task, false);
                }
            }
        }
        Ok(())
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
                        calls::prepare(tx, &self.snapshot, &self.texts, dialect.as_ref(), &task)?,
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
                let (tokens, cost) = calls::worst_case(&call.request, price.as_ref());
                if let Some(reason) = self.over_budget(tokens, cost) {
                    self.queue(&task.kind, &id, true);
                    self.stop = Some(Stop::Pause(reason));
                    return Ok(());
                }
                self.reserved
                    .insert(id.clone(), (tokens, cost.unwrap_or(0.0)));
                self.running[class] += 1;
                let client = Arc::clone(&self.clients[&task.provider]);
                calls.spawn(async move {
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

    /// The reason to pause before a call of this worst case, if it could pass a budget.
    fn over_budget(&self, tokens: i64, cost: Option<f64>) -> Option<String> {
        let (held_tokens, held_cost) = self
            .reserved
            .values()
            .fold((0, 0.0), |(t, c), (rt, rc)| (t + rt, c + rc));
        if let Some(budget) = self.budget_tokens {
            let could = self.tokens + held_tokens + tokens;
            if could > budget {
                return Some(format!(
                    "budget: the next call could take the run to {could} tokens, past its budget of {budget}"
                ));
            }
        }
        if let Some(budget) = self.budget_usd {
            let could = self.cost + held_cost + cost.unwrap_or(0.0);
            if could > budget {
                return Some(format!(
                    "budget: the next call could take the run to ${could:.4}, past its budget of ${budget:.2}"
                ));
            }
        }
        None
    }

    fn fail_now(&mut self, task: &TaskRow, why: &str) -> Result<()> {
        let now = jiff::Timestamp::now().to_string();
        self.open
            .db()
            .write(|tx| apply::fail(tx, &self.run_id, task, why, &now, &now))?;
        self.last_error = Some(why.to_owned());
        self.finished_task(task, false);
        let input = task.input_id.clone();
        self.advance(&input)
    }

    fn finish(&mut self, done: Finished) -> Result<()> {
        let task = self.tasks[&done.task_id].clone();
        self.reserved.remove(&task.id);
        self.running[class_of(&task.kind)] -= 1;
        let journal_id = uuid::Uuid::new_v4().to_string();
        let final_attempt = done.first_attempt + done.retried.len() as i64;
        let (usage, cost) = match &done.result {
            Ok(call) => {
                let cost = self.pricer.cost(&task.provider, &task.model, &call.usage);
                (Some(call.usage), cost)
            }
            Err(_) => (None, None),
        };
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
                        outcome: "failed".into(),
                        http_status: a.failure.status.map(i64::from),
                        error_code: Some(a.failure.kind.code().as_str().into()),
                        raw: a.failure.detail.clone().unwrap_or_default(),
                        tokens_in: None,
                        tokens_out: None,
                        cost: None,
                    },
                )?;
                apply::retried_attempt(
                    tx,
                    &self.run_id,
                    &task,
                    &a.started_at.to_string(),
                    &a.ended_at.to_string(),
                )?;
            }
            let (outcome, status, code, raw) = match &done.result {
                Ok(call) => ("answer", Some(200), None, call.raw.clone()),
                Err(e) => (
                    "failed",
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
                    outcome: outcome.into(),
                    http_status: status,
                    error_code: code,
                    raw,
                    tokens_in: usage.as_ref().and_then(|u| u.input_tokens).map(to_i64),
                    tokens_out: usage.as_ref().and_then(|u| u.output_tokens).map(to_i64),
                    cost,
                },
            )?;
            exec::add_attempts(tx, &task.id, done.retried.len() as i64 + 1)
        })?;
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
                    tokens_in: call.usage.input_tokens.map_or(0, to_i64),
                    tokens_out: call.usage.output_tokens.map_or(0, to_i64),
                    cost,
                    latency_ms,
                    started_at: done.started_at.to_string(),
                    ended_at: done.ended_at.to_string(),
                };
                let outcome = self.apply_answer(&task, &answer, done.repair)?;
                self.publish(Some(CallNote {
                    kind: task.kind.clone(),
                    label: task.label.clone(),
                    outcome: outcome.into(),
                    latency_ms: latency_ms as u64,
                }));
            }
            Err(e) => {
                let message = e.to_string();
                self.last_error = Some(message.clone());
                if stops_the_run(&e) {
                    // Every call to this endpoint would fail the same way: the task waits,
                    // and the run pauses until the person fixes it.
                    self.queue(&task.kind, &task.id, true);
                    if self.stop.is_none() {
                        self.stop = Some(Stop::Pause(message));
                    }
                } else {
                    let (s, e) = (done.started_at.to_string(), done.ended_at.to_string());
                    self.open
                        .db()
                        .write(|tx| apply::fail(tx, &self.run_id, &task, &message, &s, &e))?;
                    self.finished_task(&task, false);
                    self.advance(&task.input_id)?;
                }
                self.publish(Some(CallNote {
                    kind: task.kind.clone(),
                    label: task.label.clone(),
                    outcome: "failed".into(),
                    latency_ms: latency_ms as u64,
                }));
            }
        }
        self.update_phase()
    }

    /// Applies an answer and takes its consequences: new tasks queued, a repair queued, the
    /// input's next stage planned. Returns the outcome's name.
    fn apply_answer(
        &mut self,
        task: &TaskRow,
        answer: &Answer,
        repaired: bool,
    ) -> Result<&'static str> {
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
            .write(|tx| apply::apply(tx, ctx, task, answer, repaired))?;
        crate::faults::crash_point("after-apply");
        self.tokens += answer.tokens_in + answer.tokens_out;
        match answer.cost {
            Some(c) => self.cost += c,
            None => self.unknown_cost_calls += 1,
        }
        let name = match applied {
            Applied::Succeeded(new, document) => {
                if let Some(doc) = document {
                    let kind = if task.kind == "combine" {
                        "combined"
                    } else {
                        "generated"
                    };
                    self.doc_kinds.insert(doc, kind.into());
                }
                self.finished_task(task, true);
                for t in new {
                    self.progress_slot(&t.kind).total += 1;
                    self.enqueue(t);
                }
                "succeeded"
            }
            Applied::Repair => {
                self.queue(&task.kind, &task.id, false);
                return Ok("repairing");
            }
            Applied::Failed(why) => {
                self.last_error = Some(why);
                self.finished_task(task, false);
                "failed"
            }
        };
        self.advance(&task.input_id)?;
        Ok(name)
    }

    fn progress_slot(&mut self, kind: &str) -> &mut PhaseProgress {
        progress_slot(&mut self.progress, kind)
    }

    fn finished_task(&mut self, task: &TaskRow, succeeded: bool) {
        if let Some(t) = self.tasks.get_mut(&task.id) {
            t.status = if succeeded { "succeeded" } else { "failed" }.into();
        }
        if let Some(n) = self
            .outstanding
            .get_mut(&(task.input_id.clone(), task.kind.clone()))
        {
            *n -= 1;
        }
        let slot = self.progress_slot(&task.kind);
        if succeeded {
            slot.done += 1;
        } else {
            slot.failed += 1;
        }
        self.finished_here += 1;
    }

    /// Plans the stages of `input` whose results are in.
    fn advance(&mut self, input: &str) -> Result<()> {
        let config = self.snapshot.config.clone();
        let generating = self.outstanding(input, "generate") > 0;
        let scoring = self.outstanding(input, "score") > 0;
        let key = |s| (input.to_owned(), s);
        if generating {
            return Ok(());
        }
        if config.pairwise_enabled
            && !self.planned.contains(&key(Stage::Compare))
            && (config.pairwise_top_n.is_none() || !scoring)
        {
            let docs = self.input_documents(input, "generated")?;
            let ids: Vec<String> = match config.pairwise_top_n {
                Some(n) => stages::top_by_score(&docs, n as usize),
                None => docs.iter().map(|d| d.id.clone()).collect(),
            };
            let specs = plan::comparison_tasks(&self.snapshot, input, &ids);
            self.plan_stage(input, Stage::Compare, &specs, None)?;
        }
        let ranked = if config.pairwise_enabled {
            self.planned.contains(&key(Stage::Compare)) && self.outstanding(input, "compare") == 0
        } else {
            !scoring
        };
        if !config.combine_models.is_empty()
            && ranked
            && !self.planned.contains(&key(Stage::Combine))
        {
            let docs = self.input_documents(input, "generated")?;
            let verdicts = self
                .open
                .db()
                .read(|c| exec::input_verdicts(c, &self.run_id, input))?;
            let top: Vec<String> = stages::rank(&docs, &verdicts)
                .into_iter()
                .take(config.combine_top_k.max(2) as usize)
                .map(|d| d.id.clone())
                .collect();
            let specs = if top.len() >= 2 {
                combine_tasks(&self.snapshot, input)
            } else {
                Vec::new()
            };
            let sources = serde_json::to_string(&top).unwrap_or_default();
            self.plan_stage(input, Stage::Combine, &specs, Some(&sources))?;
        }
        if config.pairwise_enabled
            && self.planned.contains(&key(Stage::Combine))
            && self.outstanding(input, "combine") == 0
            && !self.planned.contains(&key(Stage::PostCombine))
        {
            let combined = self.input_documents(input, "combined")?;
            if !combined.is_empty() {
                let sources = self
                    .tasks
                    .values()
                    .find(|t| t.kind == "combine" && t.input_id == input)
                    .and_then(|t| t.sources.as_deref())
                    .and_then(|s| serde_json::from_str::<Vec<String>>(s).ok())
                    .unwrap_or_default();
                let ids: Vec<String> = sources
                    .into_iter()
                    .chain(combined.into_iter().map(|d| d.id))
                    .collect();
                let specs = plan::comparison_tasks(&self.snapshot, input, &ids);
                self.plan_stage(input, Stage::PostCombine, &specs, None)?;
            }
        }
        Ok(())
    }

    fn input_documents(&self, input: &str, kind: &str) -> Result<Vec<exec::InputDocument>> {
        let docs = self
            .open
            .db()
            .read(|c| exec::input_documents(c, &self.run_id, input))?;
        Ok(docs.into_iter().filter(|d| d.kind == kind).collect())
    }

    fn plan_stage(
        &mut self,
        input: &str,
        stage: Stage,
        specs: &[plan::TaskSpec],
        sources: Option<&str>,
    ) -> Result<()> {
        let new = self.open.db().write(|tx| {
            let new = apply::plan_with_sources(tx, &self.run_id, specs, sources)?;
            exec::bump_tasks(tx, &self.run_id, new.len() as i64, 0, 0)?;
            Ok(new)
        })?;
        self.planned.insert((input.to_owned(), stage));
        for t in new {
            self.progress_slot(&t.kind).total += 1;
            self.enqueue(t);
        }
        Ok(())
    }

    fn update_phase(&mut self) -> Result<()> {
        let left = |kind: &str| {
            self.outstanding
                .iter()
                .any(|((_, k), n)| k == kind && *n > 0)
        };
        let combining = self.planned.iter().any(|(_, s)| *s == Stage::Combine);
        let phase = if left("generate") {
            "generating"
        } else if combining || left("combine") {
            "combining"
        } else if left("score") {
            "scoring"
        } else if left("compare") {
            "comparing"
        } else {
            self.phase.as_str()
        }
        .to_owned();
        if phase != self.phase {
            self.open
                .db()
                .write(|tx| exec::set_phase(tx, &self.run_id, &phase))?;
            self.phase = phase;
        }
        Ok(())
    }

    /// The run's state now, as watchers see it.
    pub(crate) fn update(
        &self,
        status: &str,
        pause_reason: Option<String>,
        call: Option<CallNote>,
    ) -> RunUpdate {
        let mut endpoints: Vec<EndpointNow> = self
            .clients
            .values()
            .map(|c| {
                let s = c.limit_state();
                EndpointNow {
                    name: c.name().to_owned(),
                    current_limit: s.current_limit,
                    max_concurrent: s.max_concurrent,
                    in_flight: s.in_flight,
                }
            })
            .collect();
        endpoints.sort_by(|a, b| a.name.cmp(&b.name));
        let mut update = RunUpdate {
            profile_id: self.open.record().id.clone(),
            run_id: self.run_id.clone(),
            status: status.into(),
            phase: self.phase.clone(),
            progress: self.progress,
            in_flight: self.reserved.len() as u32,
            endpoints,
            tokens: self.tokens,
            cost: self.cost,
            unknown_cost_calls: self.unknown_cost_calls,
            eta_secs: None,
            last_error: self.last_error.clone(),
            pause_reason,
            call,
        };
        let (total, done) = update.counts();
        let elapsed = self.started.elapsed().as_secs_f64();
        if self.finished_here > 0 && total > done {
            let per_task = elapsed / self.finished_here as f64;
            update.eta_secs = Some((per_task * (total - done) as f64).ceil() as u64);
        }
        update
    }

    fn publish(&mut self, call: Option<CallNote>) {
        let update = self.update("running", None, call);
        self.control.publish(&update);
        (self.on_update)(&update);
    }

    /// Tells watchers the final state.
    pub(crate) fn publish_final(&mut self, status: &str, pause_reason: Option<String>) {
        let update = self.update(status, pause_reason, None);
        self.control.publish(&update);
        (self.on_update)(&update);
        self.control.close();
    }

    /// Tasks per kind.
    pub(crate) fn progress(&self) -> RunProgress {
        self.progress
    }
}

/// The combine tasks of one input: one per combine model.
fn combine_tasks(snapshot: &RunConfigSnapshot, input: &str) -> Vec<plan::TaskSpec> {
    snapshot
        .config
        .combine_models
        .iter()
        .map(|m| {
            let label = m.contestant();
            plan::TaskSpec {
                kind: plan::TaskKind::Combine,
                key: format!("combine/{input}/{label}/1"),
                input_id: Some(input.to_owned()),
                provider: m.provider.clone(),
                model: m.model.clone(),
                label,
                iteration: 1,
                doc_a: None,
                doc_b: None,
                shown_first: None,
            }
        })
        .collect()
}

fn progress_slot<'p>(progress: &'p mut RunProgress, kind: &str) -> &'p mut PhaseProgress {
    match kind {
        "generate" => &mut progress.generate,
        "score" => &mut progress.score,
        "compare" => &mut progress.compare,
        _ => &mut progress.combine,
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

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
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
