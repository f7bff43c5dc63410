//! The one place a run is hosted. A [`RunHost`] is the process's claim to execute one
//! profile's runs: it holds the profile's run-host lock (so no other process executes them, and
//! a process opening the profile leaves its `running` runs alone), serves the control socket
//! (`assay run watch|pause|cancel` and the app reach the runs through it), makes and begins
//! runs, executes them, and lets go of the profile when dropped: the socket first, then the
//! database (once nothing else holds it), then the lock, so whoever waits for the lock to be
//! free finds the profile free too.
//!
//! The CLI makes one call, [`host_here`]; the app keeps a host per profile while its runs work
//! ([`RunHost::take`], [`RunHost::launch`] in the command, [`RunHost::work`] on a thread).

use std::sync::{Arc, Mutex};

use super::control::RunControl;
use super::lifecycle::{self, Mode, RunOutcome};
use super::socket::{ActiveRuns, ControlServer};
use super::start::{self, StartOptions};
use super::updates::RunUpdate;
use crate::error::Result;
use crate::fs::RunHostLock;
use crate::profile::{OpenProfile, Profiles};

/// What a host is asked to execute.
#[derive(Debug, Clone, Copy)]
pub enum Launch<'a> {
    /// Make a run of this preset, then execute it.
    Start {
        /// The preset's id or name.
        preset: &'a str,
        /// Budget and consent.
        options: &'a StartOptions,
    },
    /// Continue a run (`Mode::Resume`) or run its failed tasks again (`Mode::RetryFailed`),
    /// raising its budgets first when given.
    Continue {
        /// The run.
        run_id: &'a str,
        /// Resume or retry-failed.
        mode: Mode,
        /// A new USD budget.
        budget_usd: Option<f64>,
        /// A new token budget.
        budget_tokens: Option<u64>,
    },
}

/// Executing one profile's runs in this process (see the module docs).
#[derive(Debug)]
pub struct RunHost {
    // Dropped in this order: the socket, the profile, the lock.
    server: Option<ControlServer>,
    runs: ActiveRuns,
    listed: Mutex<Vec<String>>,
    open: Arc<OpenProfile>,
    profiles: Arc<Profiles>,
    lock: RunHostLock,
}

impl RunHost {
    /// Becomes the host of `open`'s runs: `PROFILE_IN_USE`, naming the runs, when another
    /// process executes some.
    pub fn take(profiles: Arc<Profiles>, open: Arc<OpenProfile>) -> Result<Self> {
        let dir = profiles.profile_dir(&open.record().id);
        let lock = RunHostLock::acquire(&dir, &open.record().name)?;
        open.db().set_run_host(true)?;
        let runs = ActiveRuns::default();
        let server = match ControlServer::listen(&dir, Arc::clone(open.db()), runs.clone()) {
            Ok(server) => Some(server),
            Err(e) => {
                log::warn!("no control socket: {}", e.log_line());
                None
            }
        };
        Ok(Self {
            server,
            runs,
            listed: Mutex::new(Vec::new()),
            open,
            profiles,
            lock,
        })
    }

    /// The profile whose runs this host executes.
    pub fn profile(&self) -> &Arc<OpenProfile> {
        &self.open
    }

    /// Makes (for a start) and begins a run: it is `running` and listed as this host's, with
    /// the control to steer it; [`RunHost::work`] then executes it. A state that does not fit
    /// is `RUN_STATE`, before anything changes.
    pub fn launch(&self, launch: Launch<'_>) -> Result<(String, RunControl)> {
        let run_id = match launch {
            Launch::Start { preset, options } => start::create_run(&self.open, preset, options)?.id,
            Launch::Continue {
                run_id,
                budget_usd,
                budget_tokens,
                ..
            } => {
                lifecycle::raise_budget(&self.open, run_id, budget_usd, budget_tokens)?;
                run_id.to_owned()
            }
        };
        let mode = match launch {
            Launch::Start { .. } => Mode::Resume,
            Launch::Continue { mode, .. } => mode,
        };
        let control = RunControl::new();
        self.list(&run_id, Some(control.clone()))?;
        if let Err(e) = lifecycle::begin(&self.open, &run_id, mode) {
            let _ = self.list(&run_id, None);
            return Err(e);
        }
        Ok((run_id, control))
    }

    /// Executes run `run_id` that [`RunHost::launch`] began, until it ends, pauses or is
    /// cancelled. It stays listed as this host's until [`RunHost::finish`] (or the host's
    /// end), so a watcher waits for that.
    pub fn work(
        &self,
        run_id: &str,
        control: &RunControl,
        on_update: &mut dyn FnMut(&RunUpdate),
    ) -> Result<RunOutcome> {
        lifecycle::execute_begun(&self.profiles, &self.open, run_id, control, on_update)
    }

    /// Run `run_id` stopped working and is no longer this host's; whether the host now
    /// executes none (the app then drops it, letting go of the profile).
    pub fn finish(&self, run_id: &str) -> bool {
        if let Err(e) = self.list(run_id, None) {
            log::warn!("could not unlist run {run_id}: {}", e.log_line());
        }
        self.runs.ids().is_empty()
    }

    /// The control of run `run_id` if this host executes it.
    pub fn control(&self, run_id: &str) -> Option<RunControl> {
        self.runs.get(run_id)
    }

    /// The runs this host executes now.
    pub fn run_ids(&self) -> Vec<String> {
        self.runs.ids()
    }

    /// Adds (with its control) or removes a run, in the socket's table and the lock file.
    fn list(&self, run_id: &str, control: Option<RunControl>) -> Result<()> {
        let mut listed = self.listed.lock().unwrap_or_else(|p| p.into_inner());
        match control {
            Some(control) => {
                self.runs.add(run_id, control);
                listed.push(run_id.to_owned());
            }
            None => {
                self.runs.remove(run_id);
                listed.retain(|r| r != run_id);
            }
        }
        self.lock.set_runs(&listed)
    }
}

impl Drop for RunHost {
    fn drop(&mut self) {
        // The socket goes first, waiting for its connections to end (they hold the database).
        self.server.take();
        let _ = self.open.db().set_run_host(false);
    }
}

/// Hosts one run in this process until it ends, pauses or is cancelled, then lets go of the
/// profile (the socket, the database, the lock) before returning, so the next command (a
/// `watch` that was waiting, a `report`, a `delete`) finds it free. The CLI's one call.
pub fn host_here(
    profiles: Arc<Profiles>,
    open: OpenProfile,
    launch: Launch<'_>,
    on_update: &mut dyn FnMut(&RunUpdate),
) -> Result<RunOutcome> {
    let host = RunHost::take(profiles, Arc::new(open))?;
    let (run_id, control) = host.launch(launch)?;
    let outcome = host.work(&run_id, &control, on_update);
    drop(host);
    outcome
}
