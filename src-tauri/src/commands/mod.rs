//! Tauri commands, grouped by feature. Each is a few lines: state in, one core call, error
//! mapped. Every command must also be listed in `build.rs` and granted in
//! `capabilities/main.json`, or the webview cannot call it.

pub mod app;
pub mod bundles;
pub mod library;
pub mod links;
pub mod profiles;
pub mod providers;
pub mod reports;
pub mod runs;

use std::path::PathBuf;

use tauri_plugin_dialog::FileDialogBuilder;

use crate::error::IpcError;

/// Runs blocking core work off the async runtime's threads. A panic in it is `INTERNAL`.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, assay_core::Error> + Send + 'static,
) -> Result<T, IpcError> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(IpcError::internal)?
        .map_err(IpcError::from)
}

/// Shows the dialog off the async runtime and returns the chosen path, if any.
pub(crate) async fn choose(
    dialog: FileDialogBuilder<tauri::Wry>,
    save: bool,
) -> Result<Option<PathBuf>, IpcError> {
    let chosen = tauri::async_runtime::spawn_blocking(move || {
        if save {
            dialog.blocking_save_file()
        } else {
            dialog.blocking_pick_file()
        }
    })
    .await
    .map_err(IpcError::internal)?;
    chosen
        .map(|c| {
            c.into_path().map_err(|err| IpcError {
                code: assay_core::ErrorCode::InvalidInput,
                message: format!("the chosen place is not a file path: {err}"),
                fields: Vec::new(),
            })
        })
        .transpose()
}
