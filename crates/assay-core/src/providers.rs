//! LLM provider keys and settings of a profile.
//!
//! Invariants:
//! - A key is never stored in plaintext and never returned: callers get [`ProviderInfo`]
//!   (provider, last 4 characters, timestamps, limits).
//! - Keyring-mode profiles keep keys in the OS keyring under `profile/<id>/provider/<name>`.
//!   The entry is added to the profile's registry row *before* the secret is stored, so
//!   profile delete and the recovery sweep always remove it.
//! - Passphrase-mode profiles keep keys in the encrypted database (`provider_secrets`).

pub use crate::domain::provider::{Provider, ProviderInfo, ProviderKey, ProviderLimits};
use crate::error::{Error, Result};
use crate::profile::{OpenProfile, Profiles};
use crate::registry::KeyMode;
use crate::store;
use crate::store::providers::SettingsRow;

const DEFAULT_CONCURRENT: u32 = 4;

/// What is set for every provider of `open` (defaults where nothing is).
pub fn list(open: &OpenProfile) -> Result<Vec<ProviderInfo>> {
    open.ensure_ready()?;
    open.db().read(|conn| {
        Provider::ALL
            .iter()
            .map(|&provider| {
                let row = store::providers::settings(conn, provider.as_str())?;
                let row = row.unwrap_or(SettingsRow {
                    key_last4: None,
                    key_updated_at: None,
                    base_url: None,
                    max_concurrent: DEFAULT_CONCURRENT,
                    min_delay_ms: 0,
                    requests_per_minute: None,
                });
                Ok(ProviderInfo {
                    provider,
                    key_last4: row.key_last4,
                    key_updated_at: row.key_updated_at,
                    base_url: row.base_url,
                    max_concurrent: row.max_concurrent,
                    min_delay_ms: row.min_delay_ms,
                    requests_per_minute: row.requests_per_minute,
                })
            })
            .collect()
    })
}

/// Sets a provider's rate limits and base URL.
pub fn set_limits(
    open: &OpenProfile,
    provider: Provider,
    limits: &ProviderLimits,
) -> Result<ProviderInfo> {
    open.ensure_ready()?;
    limits.validate(provider)?;
    let row = SettingsRow {
        key_last4: None,
        key_updated_at: None,
        base_url: limits
            .base_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned),
        max_concurrent: limits.max_concurrent,
        min_delay_ms: limits.min_delay_ms,
        requests_per_minute: limits.requests_per_minute,
    };
    open.db()
        .write(|tx| store::providers::set_limits(tx, provider.as_str(), &row, &now()))?;
    info(open, provider)
}

fn info(open: &OpenProfile, provider: Provider) -> Result<ProviderInfo> {
    list(open)?
        .into_iter()
        .find(|p| p.provider == provider)
        .ok_or_else(|| Error::NoSuchItem {
            what: "provider",
            id: provider.as_str().into(),
        })
}

/// The keyring entry of `provider`'s key in keyring-mode profile `profile_id`.
fn entry(provider: Provider, profile_id: &str) -> String {
    format!("profile/{profile_id}/provider/{}", provider.as_str())
}

/// Stores (or replaces) `open`'s key for `provider` and returns what may be shown.
pub fn set_key(
    profiles: &Profiles,
    open: &OpenProfile,
    provider: Provider,
    key: &ProviderKey,
) -> Result<ProviderInfo> {
    open.ensure_ready()?;
    let record = open.record();
    let (key_ref, secret) = match record.key_mode {
        KeyMode::Keyring => {
            let entry = entry(provider, &record.id);
            profiles.registry().add_keyring_entry(&record.id, &entry)?;
            profiles.secrets().set(&entry, key.expose().as_bytes())?;
            (format!("keyring:{entry}"), None)
        }
        KeyMode::Passphrase => ("database".to_owned(), Some(key.expose())),
    };
    open.db().write(|tx| {
        store::providers::set_key(
            tx,
            provider.as_str(),
            &key_ref,
            &key.last4(),
            secret,
            &now(),
        )
    })?;
    log::info!("set the {} key of profile {}", provider.as_str(), record.id);
    info(open, provider)
}

/// Deletes `open`'s key for `provider`. Deleting a key that is not set is not an error.
pub fn delete_key(
    profiles: &Profiles,
    open: &OpenProfile,
    provider: Provider,
) -> Result<ProviderInfo> {
    open.ensure_ready()?;
    let record = open.record();
    open.db()
        .write(|tx| store::providers::delete_key(tx, provider.as_str(), &now()))?;
    if record.key_mode == KeyMode::Keyring {
        let entry = entry(provider, &record.id);
        profiles.secrets().delete(&entry)?;
        profiles
            .registry()
            .remove_keyring_entry(&record.id, &entry)?;
    }
    info(open, provider)
}

/// The key for `provider`, for the code that calls the provider; never for display.
pub fn key(
    profiles: &Profiles,
    open: &OpenProfile,
    provider: Provider,
) -> Result<Option<ProviderKey>> {
    open.ensure_ready()?;
    let record = open.record();
    let secret = match record.key_mode {
        KeyMode::Keyring => profiles
            .secrets()
            .get(&entry(provider, &record.id))?
            .map(|bytes| {
                String::from_utf8(bytes.to_vec())
                    .map_err(|_| Error::Corrupt("a stored provider key is not text".into()))
            })
            .transpose()?,
        KeyMode::Passphrase => open
            .db()
            .read(|c| store::providers::secret(c, provider.as_str()))?,
    };
    Ok(secret.map(ProviderKey::from_stored))
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}
