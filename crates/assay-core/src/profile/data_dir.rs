//! Establishing a data dir's identity (`crate::identity`) and its keyring namespace when its
//! profiles are opened: a new data dir gets an id; a moved one keeps its id; a copy gets a new
//! id and its own copies of its profiles' keys; a data dir made by an older version (keys named
//! from a hash of its path as typed) has its keys moved to the id-based names.
//!
//! Every step is crash-safe: the identity file is written (atomically) *before* the keys are
//! copied or moved, with a pending mark that is cleared only after; a run killed anywhere
//! leaves the next run to finish, keys are copied before any is deleted, and a key already in
//! the new namespace is never overwritten. When the keyring cannot be reached the work stays
//! pending and the profiles open as they can.

use std::path::Path;

use crate::error::Result;
use crate::faults::crash_point;
use crate::fs::RegistryLock;
use crate::identity::{self, Found, Identity};
use crate::registry::ProfileRegistry;
use crate::secrets::{KeyringStore, SecretStore};

/// The id of the data dir at `data_dir`, after finishing whatever its identity needs. Runs
/// under the data dir's registry lock, so processes starting together on a new data dir agree
/// on one id.
pub(super) fn establish(data_dir: &Path, registry: &ProfileRegistry) -> Result<String> {
    let _serialised = RegistryLock::acquire(data_dir)?;
    let here = identity::canonical(data_dir)?;
    let mut current = match identity::examine(data_dir, &here)? {
        Found::Same(identity) => identity,
        Found::Moved(identity) => {
            log::info!(
                "data dir {} was moved here; keeping its identity",
                identity.id
            );
            Identity {
                path: here.clone(),
                ..identity
            }
        }
        Found::Copied(original) => {
            let copy = Identity {
                id: identity::new_id(),
                path: here.clone(),
                legacy_keys_pending: original.legacy_keys_pending,
                copy_keys_from: Some(original.id.clone()),
            };
            log::info!(
                "data dir {} is a copy of {}; it gets its own identity and keys",
                copy.id,
                original.id
            );
            copy
        }
        Found::Missing => match registry.identity()? {
            // The file was lost; the registry remembers.
            Some((id, _)) => Identity {
                id,
                path: here.clone(),
                legacy_keys_pending: false,
                copy_keys_from: None,
            },
            None => Identity {
                id: identity::new_id(),
                path: here.clone(),
                // Profiles without an identity were made by an older version.
                legacy_keys_pending: !registry.all()?.is_empty(),
                copy_keys_from: None,
            },
        },
    };
    save(data_dir, registry, &current)?;
    crash_point("identity-written");

    let store = KeyringStore::for_data_dir_id(&current.id);
    if let Some(original) = current.copy_keys_from.clone() {
        let from = KeyringStore::for_data_dir_id(&original);
        match copy_keys(registry, &store, |entry| from.get(entry)) {
            Ok(()) => {
                current.copy_keys_from = None;
                save(data_dir, registry, &current)?;
            }
            Err(err) => log::warn!(
                "copying keys from data dir {original} deferred: {}",
                err.log_line()
            ),
        }
    }
    if current.legacy_keys_pending {
        match move_legacy_keys(registry, &store) {
            Ok(()) => {
                current.legacy_keys_pending = false;
                save(data_dir, registry, &current)?;
                log::info!("moved this data dir's keyring entries to id-based names");
            }
            Err(err) => log::warn!(
                "moving keyring entries to id-based names deferred: {}",
                err.log_line()
            ),
        }
    }
    Ok(current.id)
}

/// Writes the identity file and the registry's copy when either differs.
fn save(data_dir: &Path, registry: &ProfileRegistry, identity: &Identity) -> Result<()> {
    if identity::read(data_dir)?.as_ref() != Some(identity) {
        identity::write(data_dir, identity)?;
    }
    let path = identity.path.display().to_string();
    if registry.identity()? != Some((identity.id.clone(), path.clone())) {
        registry.set_identity(&identity.id, &path)?;
    }
    Ok(())
}

/// Puts every keyring entry the registry lists into `to`, from `source`, unless `to` has it.
fn copy_keys(
    registry: &ProfileRegistry,
    to: &KeyringStore,
    source: impl Fn(&str) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>>,
) -> Result<()> {
    for record in registry.all()? {
        for entry in &record.keyring_entries {
            if to.get(entry)?.is_some() {
                continue;
            }
            if let Some(secret) = source(entry)? {
                to.set(entry, &secret)?;
            }
        }
    }
    Ok(())
}

/// Moves the registry's keyring entries from the legacy, path-derived namespaces (whichever
/// spelling of the path made them) to `to`: all copied first, then the legacy ones deleted.
fn move_legacy_keys(registry: &ProfileRegistry, to: &KeyringStore) -> Result<()> {
    copy_keys(registry, to, |entry| {
        Ok(to.find_elsewhere(entry)?.into_iter().next().map(|(_, s)| s))
    })?;
    crash_point("legacy-keys-copied");
    for record in registry.all()? {
        for entry in &record.keyring_entries {
            // Deleted only once the id-based copy is there: no key is ever lost.
            if to.get(entry)?.is_some() {
                to.delete_legacy(entry)?;
            }
        }
    }
    Ok(())
}
