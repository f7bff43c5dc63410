//! Run commands: estimate, start, resume, retry failed, pause, cancel, and watching a run
//! this process executes (its updates stream over a channel the calling window made).

use assay_core::domain::states::RunStatus;
use assay_core::engine::estimate::{RunEstimate, estimate};
use assay_core::engine::{
    Launch, Mode, Request, RunOutcome, RunUpdate, StartOptions, lifecycle, socket,
};
use tauri::ipc::Channel;
use tauri::{AppHandle, State, Window};

use super::blocking;
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
    blocking(move || {
        let launch = Launch::Start {
            preset: &preset,
            options: &options,
        };
        runs::launch(&app, profiles, open, launch)
    })
    .await
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
    blocking(move || {
        let launch = Launch::Continue {
            run_id: &run_id,
            mode: if retry_failed {
                Mode::RetryFailed
            } else {
                Mode::Resume
            },
            budget_usd: budget.usd,
            budget_tokens: budget.tokens.map(u64::from),
        };
        runs::launch(&app, profiles, open, launch).map(|_| ())
    })
    .await
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
) -> Result<RunStatus, IpcError> {
    if let Some(control) = runs::control(&state, &run_id) {
        if cancel {
            control.cancel();
        } else {
            control.pause();
        }
        return Ok(RunStatus::Running);
    }
    let open = state.require_session(window.label())?;
    let profiles = state.profiles()?;
    let request = if cancel {
        Request::Cancel
    } else {
        Request::Pause
    };
    blocking(move || {
        // Another process (`assay run start`) may execute it: asked through its socket.
        let dir = profiles.profile_dir(&open.record().id);
        match socket::send(&dir, &run_id, request)? {
            Some(status) => Ok(status),
            None => lifecycle::request_directly(open.db(), &run_id, request),
        }
    })
    .await
}

/// Streams the updates of run `run_id` while this process, or another through the profile's
/// control socket, executes it; returns how it ended, or `None` at once when no process
/// executes it.
#[tauri::command]
#[specta::specta]
pub async fn run_watch(
    window: Window,
    state: State<'_, AppState>,
    run_id: String,
    updates: Channel<RunUpdate>,
) -> Result<Option<RunOutcome>, IpcError> {
    let Some(control) = runs::control(&state, &run_id) else {
        // Another process may execute it: followed through the profile's control socket.
        let Some(open) = state.session(window.label()) else {
            return Ok(None);
        };
        let profiles = state.profiles()?;
        return blocking(move || {
            let dir = profiles.profile_dir(&open.record().id);
            let mut sent = false;
            let followed = socket::watch(&dir, &run_id, &mut |u| {
                sent = true;
                let _ = updates.send(u.clone());
            })?;
            // A run nobody executes answers its stored outcome at once: not a live run.
            Ok(followed.filter(|_| sent))
        })
        .await;
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
