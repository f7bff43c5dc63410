//! Domain commands on the window's open profile. Each takes the window's profile when it
//! starts, so it finishes on that profile even if the window switches meanwhile; core's
//! `library()` gate answers `NOT_READY` for a profile that is not set up.

use assay_core::domain::content::ContentSummary;
use assay_core::domain::run::{RunDetail, RunSummary};
use assay_core::library::ContentFilter;
use assay_core::rankings::RunRankings;
use tauri::{State, Window};

use super::profiles::blocking;
use crate::error::IpcError;
use crate::state::AppState;

/// A run with its rankings, for the Evaluation tabs.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct RunEvaluation {
    /// The run and its raw results.
    pub run: RunDetail,
    /// Rankings computed by core.
    pub rankings: RunRankings,
}

/// Content items matching `filter`.
#[tauri::command]
#[specta::specta]
pub async fn content_list(
    window: Window,
    state: State<'_, AppState>,
    filter: ContentFilter,
) -> Result<Vec<ContentSummary>, IpcError> {
    let open = state
        .session(window.label())
        .ok_or_else(IpcError::no_profile)?;
    blocking(move || open.library()?.contents(&filter)).await
}

/// A page of runs, newest first.
#[tauri::command]
#[specta::specta]
pub async fn run_list(
    window: Window,
    state: State<'_, AppState>,
    limit: u32,
) -> Result<Vec<RunSummary>, IpcError> {
    let open = state
        .session(window.label())
        .ok_or_else(IpcError::no_profile)?;
    blocking(move || open.library()?.runs(limit, None)).await
}

/// A run with its results and rankings.
#[tauri::command]
#[specta::specta]
pub async fn run_evaluation(
    window: Window,
    state: State<'_, AppState>,
    run_id: String,
) -> Result<RunEvaluation, IpcError> {
    let open = state
        .session(window.label())
        .ok_or_else(IpcError::no_profile)?;
    blocking(move || {
        let run = open.library()?.run(&run_id)?;
        let rankings = assay_core::rankings::rank(&run);
        Ok(RunEvaluation { run, rankings })
    })
    .await
}
