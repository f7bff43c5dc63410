//! The runs the app executes: through core's `RunHost` for their profile (which holds the
//! profile open, so a window switching to another profile leaves them working, and serves the
//! control socket `assay run watch|pause|cancel` reach), each on a thread of its own, left
//! `interrupted` when the app quits (after the person confirms in the app).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use assay_core::engine::{Launch, RunControl, RunHost};
use assay_core::profile::{OpenProfile, Profiles};
use tauri::Manager;

use crate::state::AppState;

/// One profile's runs being executed: core's host for it, and the threads working its runs.
#[derive(Debug)]
pub struct Executing {
    host: Arc<RunHost>,
    threads: Vec<JoinHandle<()>>,
}

/// What the app tells a window outside a command's reply.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppEvent {
    /// The window was asked to close while runs work or edits are unsaved: ask the person.
    QuitRequested {
        /// Runs being executed, in every profile.
        runs: u32,
        /// Whether the window holds edits not yet saved.
        unsaved: bool,
    },
}

/// Each window's channel for [`AppEvent`]s.
#[derive(Default)]
pub struct EventChannels(Mutex<HashMap<String, tauri::ipc::Channel<AppEvent>>>);

impl std::fmt::Debug for EventChannels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(lock(&self.0).keys()).finish()
    }
}

impl EventChannels {
    /// Sets `window`'s channel.
    pub fn set(&self, window: &str, channel: tauri::ipc::Channel<AppEvent>) {
        lock(&self.0).insert(window.to_owned(), channel);
    }

    /// Sends `event` to `window`; false when it has no channel or the send failed.
    pub fn send(&self, window: &str, event: AppEvent) -> bool {
        lock(&self.0)
            .get(window)
            .is_some_and(|c| c.send(event).is_ok())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Makes (for a start) and begins a run of `open` through the profile's host in this process
/// (taking it when none is yet), then executes it on a thread of its own; returns its id.
/// Blocking: call it off the async runtime.
pub fn launch(
    app: &tauri::AppHandle,
    profiles: Arc<Profiles>,
    open: Arc<OpenProfile>,
    launch: Launch<'_>,
) -> Result<String, assay_core::Error> {
    let state = app.state::<AppState>();
    let profile_id = open.record().id.clone();
    let mut all = lock(&state.runs);
    let host = match all.get(&profile_id) {
        Some(e) => Arc::clone(&e.host),
        None => Arc::new(RunHost::take(profiles, open)?),
    };
    let (run_id, control) = host.launch(launch)?;
    let entry = all.entry(profile_id.clone()).or_insert_with(|| Executing {
        host: Arc::clone(&host),
        threads: Vec::new(),
    });
    let handle = app.clone();
    let run = run_id.clone();
    let thread = std::thread::Builder::new()
        .name("assay-run".into())
        .spawn(move || {
            if let Err(e) = host.work(&run, &control, &mut |_| {}) {
                log::warn!("run {run} stopped: {}", e.log_line());
            }
            finished(&handle, &profile_id, &host, &run);
        });
    match thread {
        Ok(t) => entry.threads.push(t),
        Err(e) => log::error!("could not start a run's thread: {e}"),
    }
    Ok(run_id)
}

/// A run stopped: it leaves the host; the last one lets go of the profile.
fn finished(app: &tauri::AppHandle, profile_id: &str, host: &RunHost, run_id: &str) {
    let state = app.state::<AppState>();
    let mut all = lock(&state.runs);
    if host.finish(run_id) {
        // Its threads have all ended but this one, which is ending; the host goes with the
        // last reference (this thread's).
        all.remove(profile_id);
    }
}

/// Profile `profile_id` as its runs hold it open, if this process executes any: a window
/// switching back to it takes this one (no passphrase asked again).
pub fn held(state: &AppState, profile_id: &str) -> Option<Arc<OpenProfile>> {
    lock(&state.runs)
        .get(profile_id)
        .map(|e| Arc::clone(e.host.profile()))
}

/// The control of run `run_id` if this process executes it.
pub fn control(state: &AppState, run_id: &str) -> Option<RunControl> {
    lock(&state.runs)
        .values()
        .find_map(|e| e.host.control(run_id))
}

/// How many runs this process executes.
pub fn count(state: &AppState) -> u32 {
    lock(&state.runs)
        .values()
        .map(|e| e.host.run_ids().len() as u32)
        .sum()
}

/// The latest state of every run this process executes.
pub fn updates(state: &AppState) -> Vec<assay_core::engine::RunUpdate> {
    lock(&state.runs)
        .values()
        .flat_map(|e| {
            e.host
                .run_ids()
                .into_iter()
                .filter_map(|id| e.host.control(&id))
        })
        .filter_map(|c| c.last())
        .collect()
}

/// Leaves every run `interrupted` and waits for their threads (the app is quitting).
pub fn interrupt_all(state: &AppState) {
    let threads: Vec<JoinHandle<()>> = {
        let mut all = lock(&state.runs);
        let mut threads = Vec::new();
        for e in all.values_mut() {
            for id in e.host.run_ids() {
                if let Some(c) = e.host.control(&id) {
                    c.interrupt();
                }
            }
            threads.append(&mut e.threads);
        }
        threads
    };
    for t in threads {
        let _ = t.join();
    }
}
