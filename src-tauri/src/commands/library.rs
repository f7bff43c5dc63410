//! Domain commands on the window's open profile. Each takes the window's profile when it
//! starts, so it finishes on that profile even if the window switches meanwhile; core's
//! `library()` gate answers `NOT_READY` for a profile that is not set up.

use assay_core::domain::content::{Content, ContentSummary};
use assay_core::domain::preset::Preset;
use assay_core::domain::run::{RunDetail, RunSummary};
use assay_core::library::Library;
use assay_core::library::{ContentDraft, ContentFilter, PresetDraft};
use assay_core::rankings::RunRankings;
use assay_core::rankings::compare::RunComparison;
use assay_core::reports::timeline::Timeline;
use tauri::{State, Window};

use super::blocking;
use crate::error::IpcError;
use crate::state::AppState;

/// A run with its rankings, for the Evaluation tabs.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct RunEvaluation {
    /// The run and its raw results.
    pub run: RunDetail,
    /// Rankings computed by core.
    pub rankings: RunRankings,
    /// Each document's markdown rendered by core (raw HTML escaped), in `run.documents` order.
    pub documents_html: Vec<String>,
    /// Its calls laid out on lanes per endpoint.
    pub timeline: Timeline,
}

/// A content item with its markdown rendered by core (raw HTML escaped).
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct ContentView {
    /// The item.
    pub content: Content,
    /// Its body as safe HTML.
    pub html: String,
}

/// One content item, rendered.
#[tauri::command]
#[specta::specta]
pub async fn content_get(
    window: Window,
    state: State<'_, AppState>,
    id: String,
) -> Result<ContentView, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || {
        let content = Library::of(&open)?.content(&id)?;
        Ok(ContentView {
            html: assay_core::markdown::to_html(&content.body),
            content,
        })
    })
    .await
}

/// Creates a content item (`id` None) or replaces one.
#[tauri::command]
#[specta::specta]
pub async fn content_save(
    window: Window,
    state: State<'_, AppState>,
    id: Option<String>,
    draft: ContentDraft,
) -> Result<Content, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || match id {
        Some(id) => Library::of(&open)?.update_content(&id, &draft),
        None => Library::of(&open)?.create_content(&draft),
    })
    .await
}

/// Deletes a content item; `IN_USE` names what still uses it.
#[tauri::command]
#[specta::specta]
pub async fn content_delete(
    window: Window,
    state: State<'_, AppState>,
    id: String,
) -> Result<(), IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || Library::of(&open)?.delete_content(&id)).await
}

/// Every preset.
#[tauri::command]
#[specta::specta]
pub async fn preset_list(
    window: Window,
    state: State<'_, AppState>,
) -> Result<Vec<Preset>, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || Library::of(&open)?.presets()).await
}

/// Creates a preset (`id` None) or replaces one. Validation errors start with the field
/// (`models[0].temperature: …`) so the form can show them beside it.
#[tauri::command]
#[specta::specta]
pub async fn preset_save(
    window: Window,
    state: State<'_, AppState>,
    id: Option<String>,
    draft: PresetDraft,
) -> Result<Preset, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || match id {
        Some(id) => Library::of(&open)?.update_preset(&id, &draft),
        None => Library::of(&open)?.create_preset(&draft),
    })
    .await
}

/// Content items matching `filter`.
#[tauri::command]
#[specta::specta]
pub async fn content_list(
    window: Window,
    state: State<'_, AppState>,
    filter: ContentFilter,
) -> Result<Vec<ContentSummary>, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || Library::of(&open)?.contents(&filter)).await
}

/// A page of runs, newest first.
#[tauri::command]
#[specta::specta]
pub async fn run_list(
    window: Window,
    state: State<'_, AppState>,
    limit: u32,
) -> Result<Vec<RunSummary>, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || Library::of(&open)?.runs(limit, None)).await
}

/// A run with its results and rankings.
#[tauri::command]
#[specta::specta]
pub async fn run_evaluation(
    window: Window,
    state: State<'_, AppState>,
    run_id: String,
) -> Result<RunEvaluation, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || {
        let run = Library::of(&open)?.run(&run_id)?;
        let rankings = assay_core::rankings::rank(&run);
        let documents_html = run
            .documents
            .iter()
            .map(|d| assay_core::markdown::to_html(&d.body))
            .collect();
        Ok(RunEvaluation {
            timeline: assay_core::reports::timeline::layout(&run),
            run,
            rankings,
            documents_html,
        })
    })
    .await
}

/// A preset draft's problems that need no look-up, each `field: problem` (none when it can be
/// saved, as far as its own fields go): the editor re-checks as the person fixes them.
#[tauri::command]
#[specta::specta]
pub fn preset_problems(draft: PresetDraft) -> Vec<assay_core::FieldProblem> {
    draft.problems()
}

/// Two runs compared: per model and criterion the change in mean score with its bootstrap
/// interval, and each model's rank in each (`INVALID_INPUT` when their criteria differ).
#[tauri::command]
#[specta::specta]
pub async fn run_compare(
    window: Window,
    state: State<'_, AppState>,
    run_a: String,
    run_b: String,
) -> Result<RunComparison, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || {
        let library = Library::of(&open)?;
        let (a, b) = (library.run(&run_a)?, library.run(&run_b)?);
        assay_core::rankings::compare::compare(&a, &b)
    })
    .await
}
