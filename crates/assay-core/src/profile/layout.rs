//! Where a profile's files live inside the data dir.

use std::path::{Path, PathBuf};

/// The encrypted database.
pub const DB_FILE: &str = "profile.db";
/// The passphrase-wrapped key of a passphrase-mode profile.
pub const WRAPPED_KEY_FILE: &str = "key.wrapped";
/// Where exports keep their scratch directories, under the data dir.
pub const TRANSFERS_DIR: &str = "transfers";

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
