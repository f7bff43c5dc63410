//! Provider keys and limits. Replies carry `ProviderInfo` only (provider, last 4, timestamps,
//! limits); a key goes in, never out.

use assay_core::library::Library;
use assay_core::providers;
use assay_core::providers::{Provider, ProviderInfo, ProviderKey, ProviderLimits};
use tauri::{State, Window};

use super::profiles::blocking;
use crate::error::IpcError;
use crate::state::AppState;

/// Every provider's settings for this window's profile.
#[tauri::command]
#[specta::specta]
pub async fn provider_list(
    window: Window,
    state: State<'_, AppState>,
) -> Result<Vec<ProviderInfo>, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || providers::list(&open)).await
}

/// Sets or replaces a provider's key.
#[tauri::command]
#[specta::specta]
pub async fn provider_key_set(
    window: Window,
    state: State<'_, AppState>,
    provider: Provider,
    key: String,
) -> Result<ProviderInfo, IpcError> {
    let open = state.require_session(window.label())?;
    let profiles = state.profiles()?;
    blocking(move || providers::set_key(&profiles, &open, provider, &ProviderKey::new(key)?)).await
}

/// Deletes a provider's key.
#[tauri::command]
#[specta::specta]
pub async fn provider_key_delete(
    window: Window,
    state: State<'_, AppState>,
    provider: Provider,
) -> Result<ProviderInfo, IpcError> {
    let open = state.require_session(window.label())?;
    let profiles = state.profiles()?;
    blocking(move || providers::delete_key(&profiles, &open, provider)).await
}

/// Sets a provider's rate limits and base URL.
#[tauri::command]
#[specta::specta]
pub async fn provider_limits_set(
    window: Window,
    state: State<'_, AppState>,
    provider: Provider,
    limits: ProviderLimits,
) -> Result<ProviderInfo, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || providers::set_limits(&open, provider, &limits)).await
}

/// Tokens, calls and cost per provider and model in this window's profile.
#[tauri::command]
#[specta::specta]
pub async fn usage_list(
    window: Window,
    state: State<'_, AppState>,
) -> Result<Vec<assay_core::library::UsageRow>, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || Library::of(&open)?.usage()).await
}
