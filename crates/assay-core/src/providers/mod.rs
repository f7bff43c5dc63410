//! A profile's endpoints (named places it calls models at) and their keys and limits.
//!
//! Invariants:
//! - A key is never stored in plaintext and never returned: callers get [`Endpoint`] (name,
//!   kind, base URL, whether a key is set and its last 4 characters, limits).
//! - Keyring-mode profiles keep keys in the OS keyring under
//!   `profile/<id>/provider/<endpoint name>` (the names provider keys always had, so the four
//!   cloud endpoints kept their keys through migration 0014). The entry is added to the
//!   profile's registry row *before* the secret is stored, so delete and the sweep remove it.
//! - Passphrase-mode profiles keep keys in the encrypted database (`endpoint_secrets`).

mod clients;
mod pricing;

pub use clients::{
    CheckScope, EndpointCheck, EndpointLoad, ModelList, cached_models, client, endpoint_loads,
    refresh_models, test_endpoint,
};
pub use pricing::{
    EndpointPrices, PriceOrigin, PriceOverride, PriceQuote, Pricer, clear_price, endpoint_prices,
    price_overrides, price_table, set_price,
};

use crate::domain::endpoint::{self, Endpoint, EndpointChanges, EndpointKind};
pub use crate::domain::provider::ProviderKey;
use crate::error::{Error, FieldProblem, Result};
use crate::profile::{OpenProfile, Profiles};
use crate::registry::KeyMode;
use crate::store;

/// Every endpoint of `open`, by name.
pub fn endpoints(open: &OpenProfile) -> Result<Vec<Endpoint>> {
    open.ensure_ready()?;
    open.db().read(store::endpoints::list)
}

/// The endpoint named `name` (ignoring case).
pub fn endpoint(open: &OpenProfile, name: &str) -> Result<Endpoint> {
    open.ensure_ready()?;
    open.db()
        .read(|conn| store::endpoints::get(conn, name))?
        .ok_or_else(|| no_endpoint(name))
}

/// Adds an endpoint. The cloud kinds default their base URL; an OpenAI-compatible endpoint
/// needs one. A taken name (ignoring case) is an `INVALID_INPUT` problem on `name`.
pub fn add_endpoint(
    open: &OpenProfile,
    name: &str,
    kind: EndpointKind,
    base_url: Option<&str>,
) -> Result<Endpoint> {
    open.ensure_ready()?;
    let name = name.trim();
    let mut problems: Vec<FieldProblem> = endpoint::name_problem(name).into_iter().collect();
    let base_url = base_url
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .or(kind.default_base_url());
    match base_url {
        Some(url) => problems.extend(endpoint::base_url_problem(url)),
        None => problems.push(FieldProblem::new(
            "base_url",
            "an openai-compatible endpoint needs its address",
        )),
    }
    if !problems.is_empty() {
        return Err(Error::InvalidFields(problems));
    }
    let url = base_url.unwrap_or_default();
    open.db().write(|tx| {
        store::endpoints::insert(tx, name, kind, url, &now()).map_err(|e| {
            if store::is_unique_violation(&e) {
                Error::InvalidFields(vec![FieldProblem::new(
                    "name",
                    format!("an endpoint named {name:?} already exists"),
                )])
            } else {
                e.into()
            }
        })
    })?;
    endpoint(open, name)
}

/// Changes an endpoint's base URL or limits.
pub fn update_endpoint(
    open: &OpenProfile,
    name: &str,
    changes: &EndpointChanges,
) -> Result<Endpoint> {
    open.ensure_ready()?;
    let problems = changes.problems();
    if !problems.is_empty() {
        return Err(Error::InvalidFields(problems));
    }
    if let Some(url) = &changes.base_url {
        let current = endpoint(open, name)?;
        if current.has_key && !endpoint::key_may_travel_to_text(url) {
            return Err(plain_http(url));
        }
    }
    if !open
        .db()
        .write(|tx| store::endpoints::update(tx, name, changes, &now()))?
    {
        return Err(no_endpoint(name));
    }
    endpoint(open, name)
}

/// Removes an endpoint and its key; refused with `IN_USE`, naming them, while presets use it.
pub fn remove_endpoint(profiles: &Profiles, open: &OpenProfile, name: &str) -> Result<()> {
    let found = endpoint(open, name)?;
    let users = open
        .db()
        .read(|conn| store::presets::using_endpoint(conn, &found.name))?;
    if !users.is_empty() {
        return Err(Error::InUse {
            what: format!("endpoint {:?}", found.name),
            by: format!("preset {}", users.join(", ")),
        });
    }
    clear_endpoint_key(profiles, open, &found.name)?;
    open.db()
        .write(|tx| store::endpoints::delete(tx, &found.name))?;
    log::info!("removed an endpoint of profile {}", open.record().id);
    Ok(())
}

/// Stores (or replaces) the key of endpoint `name`.
pub fn set_endpoint_key(
    profiles: &Profiles,
    open: &OpenProfile,
    name: &str,
    key: &ProviderKey,
) -> Result<Endpoint> {
    let found = endpoint(open, name)?;
    if !endpoint::key_may_travel_to_text(&found.base_url) {
        return Err(plain_http(&found.base_url));
    }
    let record = open.record();
    let (key_ref, secret) = match record.key_mode {
        KeyMode::Keyring => {
            let entry = entry(&found.name, &record.id);
            profiles.registry().add_keyring_entry(&record.id, &entry)?;
            profiles.secrets().set(&entry, key.expose().as_bytes())?;
            (format!("keyring:{entry}"), None)
        }
        KeyMode::Passphrase => ("database".to_owned(), Some(key.expose())),
    };
    open.db().write(|tx| {
        store::endpoints::set_key(tx, &found.name, &key_ref, &key.last4(), secret, &now())
    })?;
    log::info!("set an endpoint key of profile {}", record.id);
    endpoint(open, &found.name)
}

/// Deletes the key of endpoint `name`; one that is not set is not an error.
pub fn clear_endpoint_key(profiles: &Profiles, open: &OpenProfile, name: &str) -> Result<Endpoint> {
    let found = endpoint(open, name)?;
    let record = open.record();
    open.db()
        .write(|tx| store::endpoints::clear_key(tx, &found.name, &now()))?;
    if record.key_mode == KeyMode::Keyring {
        let entry = entry(&found.name, &record.id);
        profiles.secrets().delete(&entry)?;
        profiles
            .registry()
            .remove_keyring_entry(&record.id, &entry)?;
    }
    endpoint(open, &found.name)
}

/// The key of endpoint `name`, for the code that calls it; never for display.
pub fn endpoint_key(
    profiles: &Profiles,
    open: &OpenProfile,
    name: &str,
) -> Result<Option<ProviderKey>> {
    let found = endpoint(open, name)?;
    let record = open.record();
    let secret = match record.key_mode {
        KeyMode::Keyring => profiles
            .secrets()
            .get(&entry(&found.name, &record.id))?
            .map(|bytes| {
                String::from_utf8(bytes.to_vec())
                    .map_err(|_| Error::Corrupt("a stored provider key is not text".into()))
            })
            .transpose()?,
        KeyMode::Passphrase => open
            .db()
            .read(|c| store::endpoints::secret(c, &found.name))?,
    };
    Ok(secret.map(ProviderKey::from_stored))
}

/// Names of the endpoints of `open` that have a key.
pub fn endpoints_with_keys(open: &OpenProfile) -> Result<Vec<String>> {
    open.ensure_ready()?;
    open.db().read(store::endpoints::with_keys)
}

/// A key and a plain-http address on the open internet do not go together.
fn plain_http(url: &str) -> Error {
    Error::InvalidFields(vec![FieldProblem::new(
        "base_url",
        format!(
            "a key is only sent over https://, or over http:// to this machine or a private \
             network; {url:?} is neither. Use https:// or remove the key"
        ),
    )])
}

fn no_endpoint(name: &str) -> Error {
    Error::NoSuchItem {
        what: "endpoint",
        id: name.to_owned(),
    }
}

/// The keyring entry of endpoint `name`'s key in keyring-mode profile `profile_id`.
fn entry(name: &str, profile_id: &str) -> String {
    format!("profile/{profile_id}/provider/{name}")
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}
