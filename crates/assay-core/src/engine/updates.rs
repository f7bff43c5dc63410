//! What a working run tells its watchers, after every call and at every change of state.

use crate::domain::run::RunProgress;
use crate::domain::states::{CallOutcome, Phase, RunStatus, TaskKind};

/// One endpoint's concurrency as the run sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct EndpointNow {
    /// The endpoint.
    pub name: String,
    /// What its limiter allows now (below its setting while it recovers from 429s).
    pub current_limit: u32,
    /// Its setting.
    pub max_concurrent: u32,
    /// Calls in flight at it.
    pub in_flight: u32,
}

/// The call that just ended.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct CallNote {
    /// What the call did.
    pub kind: TaskKind,
    /// The contestant or judge.
    pub label: String,
    /// How it ended.
    pub outcome: CallOutcome,
    /// Wall time, ms.
    pub latency_ms: u64,
}

/// A run's state as it works.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct RunUpdate {
    /// The profile the run belongs to.
    pub profile_id: String,
    /// The run.
    pub run_id: String,
    /// `running`, then how it ended.
    pub status: RunStatus,
    /// Its earliest unfinished kind of task.
    pub phase: Phase,
    /// Tasks per kind.
    pub progress: RunProgress,
    /// Calls in flight.
    pub in_flight: u32,
    /// Each endpoint the run calls.
    pub endpoints: Vec<EndpointNow>,
    /// Tokens so far.
    pub tokens: i64,
    /// USD so far, of the calls whose cost is known.
    pub cost: f64,
    /// Calls whose cost is unknown.
    pub unknown_cost_calls: i64,
    /// Calls charged their worst case (no usable usage reported, or timed out).
    pub estimated_calls: i64,
    /// Seconds to go at this pace, once there is a pace to go by.
    pub eta_secs: Option<u64>,
    /// The last failure, if any.
    pub last_error: Option<String>,
    /// Why the run paused, if it did.
    pub pause_reason: Option<String>,
    /// The call that just ended, if this update is about one.
    pub call: Option<CallNote>,
}

impl RunUpdate {
    /// Tasks planned and tasks finished (succeeded or failed), over every kind.
    pub fn counts(&self) -> (i64, i64) {
        let p = &self.progress;
        [p.generate, p.score, p.compare, p.combine]
            .iter()
            .fold((0, 0), |(t, d), k| (t + k.total, d + k.done + k.failed))
    }
}
