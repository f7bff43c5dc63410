//! Commands about the app itself.

use assay_core::app_info::AppInfo;
use assay_core::preferences::Preferences;
use tauri::State;

use crate::error::IpcError;
use crate::state::AppState;

/// App and engine versions plus the data dir, shown in the UI footer and used by the e2e
/// smoke test to prove UI → IPC → core → UI works.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct AppInfoReply {
    /// Versions reported by core and the linked SQLCipher.
    #[serde(flatten)]
    pub info: AppInfo,
    /// The data directory in use.
    pub data_dir: String,
}

/// Returns the app version, the linked SQLCipher version and the data directory.
#[tauri::command]
#[specta::specta]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfoReply, IpcError> {
    let info = assay_core::app_info::app_info()?;
    Ok(AppInfoReply {
        info,
        data_dir: state.data_dir().path().display().to_string(),
    })
}

/// The app's preferences.
#[tauri::command]
#[specta::specta]
pub fn preferences_get(state: State<'_, AppState>) -> Preferences {
    Preferences::load(&state.data_dir().preferences_file())
}

/// Saves the app's preferences.
#[tauri::command]
#[specta::specta]
pub async fn preferences_set(
    state: State<'_, AppState>,
    preferences: Preferences,
) -> Result<(), IpcError> {
    let path = state.data_dir().preferences_file();
    super::blocking(move || preferences.save(&path)).await
}
