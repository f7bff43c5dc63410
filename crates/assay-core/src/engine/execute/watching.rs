//! What the executor tells watchers: the run's phase, and its state after every call.

use super::{Executor, Stage};
use crate::domain::run::RunProgress;
use crate::domain::states::{Phase, RunStatus, TaskKind};
use crate::engine::updates::{CallNote, RunUpdate};
use crate::error::Result;
use crate::store::execution as exec;

impl Executor<'_> {
    pub(super) fn update_phase(&mut self) -> Result<()> {
        let left = |kind: TaskKind| {
            self.outstanding
                .iter()
                .any(|((_, k), n)| *k == kind && *n > 0)
        };
        let combining = self.planned.iter().any(|(_, s)| *s == Stage::Combine);
        let phase = if left(TaskKind::Generate) {
            Phase::Generating
        } else if combining || left(TaskKind::Combine) {
            Phase::Combining
        } else if left(TaskKind::Score) {
            Phase::Scoring
        } else if left(TaskKind::Compare) {
            Phase::Comparing
        } else {
            self.phase
        };
        if phase != self.phase {
            self.open
                .db()
                .write(|tx| exec::set_phase(tx, &self.run_id, phase))?;
            self.phase = phase;
        }
        Ok(())
    }

    /// The run's state now, as watchers see it.
    pub(crate) fn update(
        &self,
        status: RunStatus,
        pause_reason: Option<String>,
        call: Option<CallNote>,
    ) -> RunUpdate {
        let endpoints = self.endpoints.now();
        let mut update = RunUpdate {
            profile_id: self.open.record().id.clone(),
            run_id: self.run_id.clone(),
            status,
            phase: self.phase,
            progress: self.progress,
            in_flight: self.spending.in_flight() as u32,
            endpoints,
            tokens: self.spending.tokens,
            cost: self.spending.cost,
            unknown_cost_calls: self.spending.unknown_cost_calls,
            estimated_calls: self.spending.estimated_calls,
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

    pub(super) fn publish(&mut self, call: Option<CallNote>) {
        let update = self.update(RunStatus::Running, None, call);
        self.control.publish(&update);
        (self.on_update)(&update);
    }

    /// Tells watchers the final state.
    pub(crate) fn publish_final(&mut self, status: RunStatus, pause_reason: Option<String>) {
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
