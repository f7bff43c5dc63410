//! Run commands: estimate, start, resume, retry failed, pause, cancel, and watching a run
//! this process executes (its updates stream over a channel the calling window made).

use std::sync::Arc;

use assay_core::engine::estimate::{RunEstimate, estimate};
use assay_core::engine::{Mode, Request, RunOutcome, RunUpdate, StartOptions, lifecycle, start};
use tauri::ipc::Channel;
use tauri::{AppHandle, State, Window};

use super::profiles::blocking;
use crate::error::IpcError;
use crate::runs::{self, AppEvent};
use crate::state::AppState;

/// A budget for a run, as the Run dialog gives it.
#[derive(Debug, Clone, Copy, serde::Deserialize, specta::Type)]
pub struct RunBudget {
    /// USD.
    pub usd: Option<f64>,
    /// Tokens.
    pub tokens: Option<u32>,
}

/// What a run of `preset` would do and could cost.
#[tauri::command]
#[specta::specta]
pub async fn run_estimate(
    window: Window,
    state: State<'_, AppState>,
    preset: String,
) -> Result<RunEstimate, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || estimate(&open, &preset)).await
}

/// Makes a run of `preset` and starts executing it; returns its id at once.
#[tauri::command]
#[specta::specta]
pub async fn run_start(
    app: AppHandle,
    window: Window,
    state: State<'_, AppState>,
    preset: String,
    budget: RunBudget,
    allow_unpriced: bool,
) -> Result<String, IpcError> {
    let open = state.require_session(window.label())?;
    let profiles = state.profiles()?;
    let options = StartOptions {
        budget_usd: budget.usd,
        budget_tokens: budget.tokens.map(u64::from),
        allow_unpriced,
    };
    let session = Arc::clone(&open);
    let id = blocking(move || {
        let run = start::create_run(&session, &preset, &options)?;
        lifecycle::begin(&session, &run.id, Mode::Resume)?;
        Ok(run.id)
    })
    .await?;
    runs::spawn(&app, profiles, open, &id);
    Ok(id)
}

/// Continues a paused or interrupted run (`retry_failed`: runs a finished run's failed tasks
/// again), raising its budget first when one is given.
#[tauri::command]
#[specta::specta]
pub async fn run_resume(
    app: AppHandle,
    window: Window,
    state: State<'_, AppState>,
    run_id: String,
    budget: RunBudget,
    retry_failed: bool,
) -> Result<(), IpcError> {
    let open = state.require_session(window.label())?;
    let profiles = state.profiles()?;
    let session = Arc::clone(&open);
    let id = run_id.clone();
    blocking(move || {
        lifecycle::raise_budget(&session, &id, budget.usd, budget.tokens.map(u64::from))?;
        let mode = if retry_failed {
            Mode::RetryFailed
        } else {
            Mode::Resume
        };
        lifecycle::begin(&session, &id, mode)
    })
    .await?;
    runs::spawn(&app, profiles, open, &run_id);
    Ok(())
}

/// Pauses (`cancel`: cancels) a run; returns its status now (`running` while calls in flight
/// finish).
#[tauri::command]
#[specta::specta]
pub async fn run_stop(
    window: Window,
    state: State<'_, AppState>,
    run_id: String,
    cancel: bool,
) -> Result<String, IpcError> {
    if let Some(control) = runs::control(&state, &run_id) {
        if cancel {
            control.cancel();
        } else {
            control.pause();
        }
        return Ok("running".into());
    }
    let open = state.require_session(window.label())?;
    let request = if cancel {
        Request::Cancel
    } else {
        Request::Pause
    };
    blocking(move || lifecycle::request_directly(open.db(), &run_id, request)).await
}

/// Streams the updates of run `run_id` while this process executes it; returns how it ended,
/// or `None` at once when this process does not execute it.
#[tauri::command]
#[specta::specta]
pub async fn run_watch(
    state: State<'_, AppState>,
    run_id: String,
    updates: Channel<RunUpdate>,
) -> Result<Option<RunOutcome>, IpcError> {
    let Some(control) = runs::control(&state, &run_id) else {
        return Ok(None);
    };
    tauri::async_runtime::spawn_blocking(move || {
        let mut last = None;
        for update in control.watch() {
            let _ = updates.send(update.clone());
            last = Some(update);
        }
        last.map(|u| RunOutcome {
            run_id: u.run_id,
            status: u.status,
            progress: u.progress,
        })
    })
    .await
    .map_err(IpcError::internal)
}

/// The latest state of every run this process executes (any profile).
#[tauri::command]
#[specta::specta]
pub fn runs_active(state: State<'_, AppState>) -> Vec<RunUpdate> {
    runs::updates(&state)
}

/// Registers the window's channel for app events (a quit asked while runs work).
#[tauri::command]
#[specta::specta]
pub fn app_events(window: Window, state: State<'_, AppState>, events: Channel<AppEvent>) {
    state.app_events.set(window.label(), events);
}

/// Tells the shell whether the window holds edits not yet saved, so closing it asks first.
#[tauri::command]
#[specta::specta]
pub fn app_unsaved(window: Window, state: State<'_, AppState>, unsaved: bool) {
    let mut windows = state
        .unsaved
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if unsaved {
        windows.insert(window.label().to_owned());
    } else {
        windows.remove(window.label());
    }
}

/// Quits after the person confirmed: every run is left `interrupted`, to resume later.
#[tauri::command]
#[specta::specta]
pub async fn app_quit(app: AppHandle) -> Result<(), IpcError> {
    let handle = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        use tauri::Manager;
        runs::interrupt_all(&handle.state::<AppState>());
    })
    .await
    .map_err(IpcError::internal)?;
    log::info!("quitting; runs in progress were left interrupted");
    app.exit(0);
    Ok(())
}
