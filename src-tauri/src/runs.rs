//! The runs the app executes: each on a thread of its own, holding its profile open (so a
//! window switching to another profile leaves it working), reachable through the profile's
//! control socket by `assay run watch|pause|cancel`, and left `interrupted` when the app
//! quits (after the person confirms in the app).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use assay_core::engine::socket::{ActiveRuns, ControlServer};
use assay_core::engine::{RunControl, lifecycle};
use assay_core::profile::{OpenProfile, Profiles};
use tauri::Manager;

use crate::state::AppState;

/// One profile's runs being executed.
#[derive(Debug)]
pub struct Executing {
    /// By run id.
    pub runs: ActiveRuns,
    threads: Vec<JoinHandle<()>>,
    _server: Option<ControlServer>,
    profile: Arc<OpenProfile>,
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

/// Executes run `run_id` (already begun) of `open` on a thread of its own.
pub fn spawn(
    app: &tauri::AppHandle,
    profiles: Arc<Profiles>,
    open: Arc<OpenProfile>,
    run_id: &str,
) {
    let state = app.state::<AppState>();
    let control = RunControl::new();
    let profile_id = open.record().id.clone();
    let mut all = lock(&state.runs);
    let entry = all.entry(profile_id.clone()).or_insert_with(|| {
        let runs = ActiveRuns::default();
        let server = ControlServer::listen(
            &profiles.profile_dir(&profile_id),
            Arc::clone(open.db()),
            runs.clone(),
        )
        .map_err(|e| log::warn!("no control socket: {}", e.log_line()))
        .ok();
        Executing {
            runs,
            threads: Vec::new(),
            _server: server,
            profile: Arc::clone(&open),
        }
    });
    entry.runs.add(run_id, control.clone());
    let handle = app.clone();
    let run = run_id.to_owned();
    let thread = std::thread::Builder::new()
        .name("assay-run".into())
        .spawn(move || {
            if let Err(e) = lifecycle::execute_begun(&profiles, &open, &run, &control, &mut |_| {})
            {
                log::warn!("run {run} stopped: {}", e.log_line());
            }
            finished(&handle, &profile_id, &run);
        });
    match thread {
        Ok(t) => entry.threads.push(t),
        Err(e) => log::error!("could not start a run's thread: {e}"),
    }
}

/// A run stopped: it leaves the profile's list; the last one lets go of the profile.
fn finished(app: &tauri::AppHandle, profile_id: &str, run_id: &str) {
    let state = app.state::<AppState>();
    let mut all = lock(&state.runs);
    let empty = all.get(profile_id).is_some_and(|e| {
        e.runs.remove(run_id);
        e.runs.ids().is_empty()
    });
    if empty {
        // Its threads have all ended but this one, which is ending.
        all.remove(profile_id);
    }
}

/// Profile `profile_id` as its runs hold it open, if this process executes any: a window
/// switching back to it takes this one (the profile cannot be opened twice).
pub fn held(state: &AppState, profile_id: &str) -> Option<Arc<OpenProfile>> {
    lock(&state.runs)
        .get(profile_id)
        .map(|e| Arc::clone(&e.profile))
}

/// The control of run `run_id` if this process executes it.
pub fn control(state: &AppState, run_id: &str) -> Option<RunControl> {
    lock(&state.runs).values().find_map(|e| e.runs.get(run_id))
}

/// How many runs this process executes.
pub fn count(state: &AppState) -> u32 {
    lock(&state.runs)
        .values()
        .map(|e| e.runs.ids().len() as u32)
        .sum()
}

/// The latest state of every run this process executes.
pub fn updates(state: &AppState) -> Vec<assay_core::engine::RunUpdate> {
    lock(&state.runs)
        .values()
        .flat_map(|e| e.runs.ids().into_iter().filter_map(|id| e.runs.get(&id)))
        .filter_map(|c| c.last())
        .collect()
}

/// Leaves every run `interrupted` and waits for their threads (the app is quitting).
pub fn interrupt_all(state: &AppState) {
    let threads: Vec<JoinHandle<()>> = {
        let mut all = lock(&state.runs);
        let mut threads = Vec::new();
        for e in all.values_mut() {
            for id in e.runs.ids() {
                if let Some(c) = e.runs.get(&id) {
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
