//! Endpoints: the named places a profile calls models at, with their keys and limits. Replies
//! carry `Endpoint` only (name, kind, base URL, whether a key is set and its last 4, limits);
//! a key goes in, never out.

use assay_core::domain::endpoint::{Endpoint, EndpointChanges, EndpointKind};
use assay_core::library::Library;
use assay_core::providers::{self, ProviderKey};
use tauri::{State, Window};

use super::profiles::blocking;
use crate::error::IpcError;
use crate::state::AppState;

/// Every endpoint of this window's profile.
#[tauri::command]
#[specta::specta]
pub async fn endpoint_list(
    window: Window,
    state: State<'_, AppState>,
) -> Result<Vec<Endpoint>, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || providers::endpoints(&open)).await
}

/// Adds an endpoint; `base_url` may be left out for the cloud kinds.
#[tauri::command]
#[specta::specta]
pub async fn endpoint_add(
    window: Window,
    state: State<'_, AppState>,
    name: String,
    kind: EndpointKind,
    base_url: Option<String>,
) -> Result<Endpoint, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || providers::add_endpoint(&open, &name, kind, base_url.as_deref())).await
}

/// Changes an endpoint's base URL or limits.
#[tauri::command]
#[specta::specta]
pub async fn endpoint_update(
    window: Window,
    state: State<'_, AppState>,
    name: String,
    changes: EndpointChanges,
) -> Result<Endpoint, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || providers::update_endpoint(&open, &name, &changes)).await
}

/// Removes an endpoint and its key; `IN_USE` while a preset names it.
#[tauri::command]
#[specta::specta]
pub async fn endpoint_remove(
    window: Window,
    state: State<'_, AppState>,
    name: String,
) -> Result<(), IpcError> {
    let open = state.require_session(window.label())?;
    let profiles = state.profiles()?;
    blocking(move || providers::remove_endpoint(&profiles, &open, &name)).await
}

/// Sets or replaces an endpoint's key.
#[tauri::command]
#[specta::specta]
pub async fn endpoint_key_set(
    window: Window,
    state: State<'_, AppState>,
    name: String,
    key: String,
) -> Result<Endpoint, IpcError> {
    let open = state.require_session(window.label())?;
    let profiles = state.profiles()?;
    blocking(move || providers::set_endpoint_key(&profiles, &open, &name, &ProviderKey::new(key)?))
        .await
}

/// Deletes an endpoint's key.
#[tauri::command]
#[specta::specta]
pub async fn endpoint_key_clear(
    window: Window,
    state: State<'_, AppState>,
    name: String,
) -> Result<Endpoint, IpcError> {
    let open = state.require_session(window.label())?;
    let profiles = state.profiles()?;
    blocking(move || providers::clear_endpoint_key(&profiles, &open, &name)).await
}

/// Tokens, calls and cost per endpoint and model in this window's profile.
#[tauri::command]
#[specta::specta]
pub async fn usage_list(
    window: Window,
    state: State<'_, AppState>,
) -> Result<Vec<assay_core::library::UsageRow>, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || Library::of(&open)?.usage()).await
}
