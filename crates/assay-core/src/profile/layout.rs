//! Where a profile's files live inside the data dir, and small durable-write helpers.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The encrypted database.
pub const DB_FILE: &str = "profile.db";
/// Held (flock) while a process has the profile open.
pub const LOCK_FILE: &str = "profile.lock";
/// The passphrase-wrapped key of a passphrase-mode profile.
pub const WRAPPED_KEY_FILE: &str = "key.wrapped";
/// Serialises the registry-and-directory steps of create and the recovery sweep.
pub const REGISTRY_LOCK_FILE: &str = "registry.lock";

/// `<data dir>/profiles`.
pub fn profiles_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("profiles")
}

/// `<data dir>/profiles/<id>`: directories are named by UUID, never by the person's name.
pub fn profile_dir(data_dir: &Path, id: &str) -> PathBuf {
    profiles_dir(data_dir).join(id)
}

/// `<data dir>/orphans`, where directories without a registry row are moved aside.
pub fn orphans_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("orphans")
}

/// The keyring entry that holds a keyring-mode profile's DB key.
pub fn db_key_entry(id: &str) -> String {
    format!("profile/{id}/db-key")
}

pub use crate::atomic_file::{sync_dir, write as write_atomic};

/// Removes a directory tree; one that is already gone is fine.
pub fn remove_dir_if_present(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("remove", dir, e)),
    }
}
