//! Saving a run's report through the native save dialog. The Report tab's in-app view is served
//! by [`crate::report_protocol`].
//!
//! The dialog is opened from Rust, not from the webview, so the webview needs no file system or
//! dialog permission: it asks for a report to be saved, and the person picks the place.

use assay_core::library::Library;
use assay_core::reports::{self, ReportFormat};
use tauri::{State, Window};
use tauri_plugin_dialog::DialogExt;

use super::blocking;
use crate::error::IpcError;
use crate::state::AppState;

/// Where a report was saved.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct SavedReport {
    /// The file the person chose.
    pub path: String,
    /// Its size in bytes.
    pub bytes: u64,
}

/// Asks where to save the report of `run_id` in `format`, then writes it there atomically.
/// `None` when the person cancels the dialog.
#[tauri::command]
#[specta::specta]
pub async fn run_report_save(
    window: Window,
    state: State<'_, AppState>,
    run_id: String,
    format: ReportFormat,
) -> Result<Option<SavedReport>, IpcError> {
    let open = state.require_session(window.label())?;
    let run = blocking(move || Library::of(&open)?.run(&run_id)).await?;
    let dialog = window
        .dialog()
        .file()
        .set_parent(&window)
        .set_title("Save report")
        .set_file_name(reports::file_name(&run, format))
        .add_filter(format.extension().to_uppercase(), &[format.extension()]);
    let Some(path) = super::choose(dialog, true).await? else {
        return Ok(None);
    };
    blocking(move || {
        let bytes = reports::write_file(&run, format, &path)?;
        // The file's name comes from the run's title: the log names the run by id only.
        log::info!(
            "saved a {} report of run {}",
            format.extension(),
            run.summary.id
        );
        Ok(Some(SavedReport {
            path: path.display().to_string(),
            bytes: bytes as u64,
        }))
    })
    .await
}
