//! Exporting the window's profile to a bundle, and importing one as a new profile. The native
//! file dialogs open from Rust (as for reports), and passphrases only travel from the webview
//! to core, never back.

use assay_core::profile::KeyProtection;
use assay_core::registry::ProfileRecord;
use assay_core::secrets::Passphrase;
use assay_core::transfer;
use assay_core::transfer::{ExportOptions, TransferProgress};
use tauri::ipc::Channel;
use tauri::{State, Window};
use tauri_plugin_dialog::DialogExt;

use super::blocking;
use super::choose;
use crate::error::IpcError;
use crate::state::AppState;

/// The file extension bundles are saved with.
const EXTENSION: &str = "assaybundle";

/// Where a bundle was written.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct ExportedBundle {
    /// The file the person chose.
    pub path: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Whether it was read back and checked.
    pub verified: bool,
    /// Whether it carries the provider keys.
    pub includes_provider_keys: bool,
}

/// Asks where to save, then exports this window's profile there, sealed with `passphrase`,
/// reporting each phase on `progress`. `None` when the person cancels the dialog.
#[tauri::command]
#[specta::specta]
pub async fn profile_export(
    window: Window,
    state: State<'_, AppState>,
    passphrase: String,
    include_keys: bool,
    progress: Channel<TransferProgress>,
) -> Result<Option<ExportedBundle>, IpcError> {
    let passphrase = Passphrase::new_for_creation(passphrase)?;
    let open = state.require_session(window.label())?;
    let profiles = state.profiles()?;
    let suggested = format!("{}.{EXTENSION}", open.record().name);
    let dialog = window
        .dialog()
        .file()
        .set_parent(&window)
        .set_title("Export profile")
        .set_file_name(suggested)
        .add_filter("Assay bundle", &[EXTENSION]);
    let Some(path) = choose(dialog, true).await? else {
        return Ok(None);
    };
    blocking(move || {
        let options = ExportOptions {
            include_provider_keys: include_keys,
            ..ExportOptions::default()
        };
        let exported = transfer::export(&profiles, &open, &passphrase, &path, options, &|p| {
            let _ = progress.send(p);
        })?;
        Ok(Some(ExportedBundle {
            path: exported.path,
            bytes: exported.bytes,
            verified: exported.verified,
            includes_provider_keys: exported.manifest.includes_provider_keys,
        }))
    })
    .await
}

/// Asks for a bundle, then imports it as a new profile named `name` (or as in the bundle),
/// keyed in the keyring, or sealed with `new_passphrase` if one is given, reporting each phase
/// on `progress`. `None` when the person cancels the dialog.
#[tauri::command]
#[specta::specta]
pub async fn profile_import(
    window: Window,
    state: State<'_, AppState>,
    passphrase: String,
    name: Option<String>,
    new_passphrase: Option<String>,
    progress: Channel<TransferProgress>,
) -> Result<Option<ProfileRecord>, IpcError> {
    let passphrase = Passphrase::new(passphrase);
    let protection = match new_passphrase {
        Some(p) => KeyProtection::Passphrase(Passphrase::new_for_creation(p)?),
        None => KeyProtection::Keyring,
    };
    let profiles = state.profiles()?;
    let dialog = window
        .dialog()
        .file()
        .set_parent(&window)
        .set_title("Import a bundle")
        .add_filter("Assay bundle", &[EXTENSION]);
    let Some(path) = choose(dialog, false).await? else {
        return Ok(None);
    };
    blocking(move || {
        let name = name.as_deref().map(str::trim).filter(|n| !n.is_empty());
        transfer::import(&profiles, &path, &passphrase, name, protection, &|p| {
            let _ = progress.send(p);
        })
        .map(Some)
    })
    .await
}
