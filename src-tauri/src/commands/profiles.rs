//! Profile commands: list, create, open (with setup progress), close.
//!
//! Core calls block (SQLCipher, the keyring over D-Bus), so each runs on the blocking pool via
//! [`super::blocking`]; nothing touches the database on the main thread.

use std::sync::Arc;

use assay_core::profile::KeyProtection;
use assay_core::registry::{KeyMode, ProfileRecord};
use assay_core::secrets::Passphrase;
use assay_core::seed::SetupStatus;
use tauri::ipc::Channel;
use tauri::{State, Window};

use super::blocking;
use crate::error::IpcError;
use crate::state::AppState;

/// What the first-launch and profile screens need to know.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct ProfilesOverview {
    /// Active profiles, oldest first.
    pub profiles: Vec<ProfileRecord>,
    /// Whether keyring mode can be offered.
    pub keyring_available: bool,
    /// Ids of profile folders set aside in `orphans/` that can be brought back.
    pub orphans: Vec<String>,
    /// Set when opening repaired the list of profiles (e.g. rebuilt a lost registry from the
    /// profile folders): a sentence for a notice.
    pub notice: Option<String>,
    /// The id of the profile opened most recently, if any was.
    pub last_profile: Option<String>,
}

/// The profile a window has open, and its setup status.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct ProfileSession {
    /// The profile.
    pub profile: ProfileRecord,
    /// Its setup status; domain screens render only when it is ready.
    pub status: SetupStatus,
}

/// Lists profiles and whether the keyring is reachable.
#[tauri::command]
#[specta::specta]
pub async fn profiles_overview(state: State<'_, AppState>) -> Result<ProfilesOverview, IpcError> {
    let profiles = state.profiles()?;
    blocking(move || {
        let list = profiles.list()?;
        Ok(ProfilesOverview {
            last_profile: list
                .iter()
                .filter(|p| p.last_opened_at.is_some())
                .max_by(|a, b| a.last_opened_at.cmp(&b.last_opened_at))
                .map(|p| p.id.clone()),
            profiles: list,
            keyring_available: profiles.keyring_available(),
            notice: profiles.registry_notice(),
            orphans: profiles.orphans()?,
        })
    })
    .await
}

/// Brings back the profile folder `orphans/<id>`, listed under `name` (or "Recovered <id>").
#[tauri::command]
#[specta::specta]
pub async fn profile_adopt(
    state: State<'_, AppState>,
    id: String,
    name: Option<String>,
) -> Result<ProfileRecord, IpcError> {
    let profiles = state.profiles()?;
    blocking(move || profiles.adopt_orphan(&id, name.as_deref())).await
}

/// Creates a profile. `passphrase` is required for `passphrase` mode and ignored otherwise.
#[tauri::command]
#[specta::specta]
pub async fn profile_create(
    state: State<'_, AppState>,
    name: String,
    key_mode: KeyMode,
    passphrase: Option<String>,
) -> Result<ProfileRecord, IpcError> {
    let profiles = state.profiles()?;
    blocking(move || {
        let protection = match key_mode {
            KeyMode::Keyring => KeyProtection::Keyring,
            KeyMode::Passphrase => KeyProtection::Passphrase(Passphrase::new_for_creation(
                passphrase.unwrap_or_default(),
            )?),
        };
        profiles.create(&name, protection)
    })
    .await
}

/// One setup step of one profile, as sent on a progress channel. The UI shows it only while
/// that profile is the one its window is opening.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct SetupEvent {
    /// The profile being set up.
    pub profile_id: String,
    /// Its step.
    pub status: SetupStatus,
}

/// Opens a profile in this window, reporting setup progress on `progress`, and closes the
/// profile the window had open before. If the window asks for another profile before this one
/// is open, this one is closed again and the reply is `SUPERSEDED`.
#[tauri::command]
#[specta::specta]
pub async fn profile_open(
    window: Window,
    state: State<'_, AppState>,
    reference: String,
    passphrase: Option<String>,
    progress: Channel<SetupEvent>,
) -> Result<ProfileSession, IpcError> {
    let profiles = state.profiles()?;
    let ticket = state.begin_open(window.label());
    let profile_id = {
        let profiles = Arc::clone(&profiles);
        blocking(move || Ok(profiles.show(&reference)?.id)).await?
    };
    let held = crate::runs::held(&state, &profile_id);
    let opened = blocking(move || {
        // A profile whose runs this process executes is open already: the window takes it.
        if let Some(open) = held {
            return Ok(open);
        }
        let passphrase = passphrase.map(Passphrase::new);
        let open = profiles.open_profile_with_progress(
            &profile_id,
            passphrase.as_ref(),
            &mut |status| {
                let profile_id = profile_id.clone();
                let _ = progress.send(SetupEvent { profile_id, status });
            },
        )?;
        Ok(Arc::new(open))
    })
    .await?;
    let session = ProfileSession {
        profile: opened.record().clone(),
        status: opened.status()?,
    };
    if state.finish_open(window.label(), ticket, opened).is_err() {
        log::info!(
            "an open of {} was superseded by a later one",
            session.profile.id
        );
        return Err(IpcError {
            code: assay_core::ErrorCode::Superseded,
            message: "another profile was chosen in this window meanwhile".into(),
            fields: Vec::new(),
        });
    }
    Ok(session)
}

/// Runs setup again after a failure.
#[tauri::command]
#[specta::specta]
pub async fn profile_retry_setup(
    window: Window,
    state: State<'_, AppState>,
    progress: Channel<SetupEvent>,
) -> Result<ProfileSession, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || {
        let profile_id = open.record().id.clone();
        let status = open.retry_setup(&mut |status| {
            let profile_id = profile_id.clone();
            let _ = progress.send(SetupEvent { profile_id, status });
        })?;
        Ok(ProfileSession {
            profile: open.record().clone(),
            status,
        })
    })
    .await
}

/// Closes this window's profile. `lock` (a passphrase profile's Lock) also means its key must
/// go: refused with `PROFILE_IN_USE`, naming them, while runs of it are executing, since they
/// hold the profile (and its key) open.
#[tauri::command]
#[specta::specta]
pub async fn profile_close(
    window: Window,
    state: State<'_, AppState>,
    lock: bool,
) -> Result<(), IpcError> {
    if lock && let Some(open) = state.session(window.label()) {
        let profiles = state.profiles()?;
        let record = open.record().clone();
        blocking(move || profiles.ensure_no_runs(&record)).await?;
    }
    state.clear_session(window.label());
    Ok(())
}

/// Renames a profile.
#[tauri::command]
#[specta::specta]
pub async fn profile_rename(
    state: State<'_, AppState>,
    reference: String,
    new_name: String,
) -> Result<ProfileRecord, IpcError> {
    let profiles = state.profiles()?;
    blocking(move || profiles.rename(&reference, &new_name)).await
}

/// Deletes a profile after the person typed its name. A profile open in this window is
/// closed first; one open elsewhere answers `PROFILE_IN_USE`.
#[tauri::command]
#[specta::specta]
pub async fn profile_delete(
    window: Window,
    state: State<'_, AppState>,
    reference: String,
    typed_name: String,
) -> Result<ProfileRecord, IpcError> {
    let profiles = state.profiles()?;
    if state
        .session(window.label())
        .is_some_and(|open| open.record().id == reference)
    {
        state.clear_session(window.label());
    }
    blocking(move || profiles.delete_confirmed(&reference, &typed_name)).await
}
