//! Endpoints: the named places a profile calls models at, with their keys and limits. Replies
//! carry `Endpoint` only (name, kind, base URL, whether a key is set and its last 4, limits);
//! a key goes in, never out.

use assay_core::domain::endpoint::{Endpoint, EndpointChanges, EndpointKind};
use assay_core::library::Library;
use assay_core::llm::price_table::Price;
use assay_core::providers::{self, ProviderKey};
use tauri::{State, Window};

use super::blocking;
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

/// Checks an endpoint's address and key (its model list, within about 10 s); a failure is
/// the typed provider error (`PROVIDER_AUTH`, `PROVIDER_UNREACHABLE`, …).
#[tauri::command]
#[specta::specta]
pub async fn endpoint_test(
    window: Window,
    state: State<'_, AppState>,
    name: String,
) -> Result<providers::EndpointCheck, IpcError> {
    let open = state.require_session(window.label())?;
    let profiles = state.profiles()?;
    blocking(move || providers::test_endpoint(&profiles, &open, &name, None)).await
}

/// Checks `model` at endpoint `name` as a judge: one scoring and one comparison request on a
/// built-in sample, each read as a run reads it (one repair allowed). A provider failure is
/// the typed provider error; answers that do not read are in the check, with their problems.
#[tauri::command]
#[specta::specta]
pub async fn endpoint_check_judge(
    window: Window,
    state: State<'_, AppState>,
    name: String,
    model: String,
) -> Result<assay_core::engine::judge_check::JudgeCheck, IpcError> {
    let open = state.require_session(window.label())?;
    let profiles = state.profiles()?;
    blocking(move || assay_core::engine::judge_check::check(&profiles, &open, &name, &model)).await
}

/// Each endpoint's concurrency now (lowered after 429s until it recovers).
#[tauri::command]
#[specta::specta]
pub async fn endpoint_loads(
    window: Window,
    state: State<'_, AppState>,
) -> Result<Vec<providers::EndpointLoad>, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || providers::endpoint_loads(&open)).await
}

/// An endpoint's models: the cached list, or fetched now when `refresh`.
#[tauri::command]
#[specta::specta]
pub async fn endpoint_models(
    window: Window,
    state: State<'_, AppState>,
    name: String,
    refresh: bool,
) -> Result<providers::ModelList, IpcError> {
    let open = state.require_session(window.label())?;
    let profiles = state.profiles()?;
    blocking(move || {
        if refresh {
            providers::refresh_models(&profiles, &open, &name)
        } else {
            providers::cached_models(&open, &name)
        }
    })
    .await
}

/// The prices that apply at an endpoint: the profile's own, then the table's.
#[tauri::command]
#[specta::specta]
pub async fn price_list(
    window: Window,
    state: State<'_, AppState>,
    name: String,
) -> Result<providers::EndpointPrices, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || providers::endpoint_prices(&open, &name)).await
}

/// Sets the profile's own price of a model at an endpoint; replies with the endpoint's prices.
#[tauri::command]
#[specta::specta]
pub async fn price_set(
    window: Window,
    state: State<'_, AppState>,
    name: String,
    model: String,
    price: Price,
) -> Result<providers::EndpointPrices, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || {
        providers::set_price(&open, &name, &model, &price)?;
        providers::endpoint_prices(&open, &name)
    })
    .await
}

/// Removes the profile's own price of a model at an endpoint.
#[tauri::command]
#[specta::specta]
pub async fn price_clear(
    window: Window,
    state: State<'_, AppState>,
    name: String,
    model: String,
) -> Result<providers::EndpointPrices, IpcError> {
    let open = state.require_session(window.label())?;
    blocking(move || {
        providers::clear_price(&open, &name, &model)?;
        providers::endpoint_prices(&open, &name)
    })
    .await
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
