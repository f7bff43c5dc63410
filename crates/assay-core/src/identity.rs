//! A data dir's identity: a random id, created with the data dir and kept in
//! `<data dir>/data-dir.json` (plain, no secret) with the canonical path it was last opened at.
//! The registry keeps a copy, so either survives the loss of the other.
//!
//! Keyring entries are named from the id, never from the path, so `D`, `D/`, a symlink to `D`
//! and `x/../D` are one data dir. The recorded path tells a **moved** data dir (nothing is at
//! the old path any more: the path is updated) from a **copy** (the old path still holds a
//! data dir with the same id: the copy takes a new id, and its profiles' keys are copied to
//! it first, so deleting a profile in one never touches the other).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The identity file inside a data dir.
pub const FILE_NAME: &str = "data-dir.json";

/// What `data-dir.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    /// A UUID, made when the data dir was first opened by a version that names keys by id.
    pub id: String,
    /// The canonical path the data dir was last opened at.
    pub path: PathBuf,
    /// True while keyring entries of a data dir made by an older version (named from a hash
    /// of its path) still have to be moved to the id-based names.
    #[serde(default)]
    pub legacy_keys_pending: bool,
    /// Set on a copy until its profiles' keys have been copied from the original's namespace
    /// (the id named here) to its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy_keys_from: Option<String>,
}

/// How the data dir at hand relates to its recorded identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// No identity file: a new data dir, or one made by an older version.
    Missing,
    /// Opened where it was last opened.
    Same(Identity),
    /// Opened at another path, and nothing with this id is at the recorded path any more.
    Moved(Identity),
    /// Opened at another path while the recorded path still holds a data dir with this id.
    Copied(Identity),
}

/// The canonical form of `data_dir` (which must exist).
pub fn canonical(data_dir: &Path) -> Result<PathBuf> {
    data_dir
        .canonicalize()
        .map_err(|e| Error::io("resolve the data directory", data_dir, e))
}

/// Reads the identity file of `data_dir`, if there is one.
pub fn read(data_dir: &Path) -> Result<Option<Identity>> {
    let path = data_dir.join(FILE_NAME);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            Error::Corrupt(format!(
                "{} is damaged ({e}); restore it from a backup or remove it to give this data \
                 directory a new identity",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", &path, e)),
    }
}

/// Writes `identity` as `data_dir`'s identity file, atomically.
pub fn write(data_dir: &Path, identity: &Identity) -> Result<()> {
    let json = serde_json::to_vec_pretty(identity)
        .map_err(|e| Error::InvalidInput(format!("could not encode the identity: {e}")))?;
    crate::fs::write_atomic(&data_dir.join(FILE_NAME), &json)
}

/// How `data_dir` (at canonical path `here`) relates to its identity file.
pub fn examine(data_dir: &Path, here: &Path) -> Result<Found> {
    let Some(identity) = read(data_dir)? else {
        return Ok(Found::Missing);
    };
    if identity.path == here {
        return Ok(Found::Same(identity));
    }
    let still_there = read(&identity.path)
        .ok()
        .flatten()
        .is_some_and(|other| other.id == identity.id)
        && canonical(&identity.path).is_ok_and(|p| p != here);
    Ok(if still_there {
        Found::Copied(identity)
    } else {
        Found::Moved(identity)
    })
}

/// `id` as it goes into names that allow only letters, digits and `_` (the app's D-Bus
/// single-instance name).
pub fn instance_tag(id: &str) -> String {
    id.replace('-', "_")
}

/// A new random id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(id: &str, path: &Path) -> Identity {
        Identity {
            id: id.into(),
            path: path.to_path_buf(),
            legacy_keys_pending: false,
            copy_keys_from: None,
        }
    }

    #[test]
    fn a_data_dir_is_the_same_moved_or_copied_by_what_its_recorded_path_holds() {
        let root = tempfile::tempdir().expect("temp");
        let a = root.path().join("a");
        std::fs::create_dir(&a).expect("a");
        let a = canonical(&a).expect("canonical");
        assert_eq!(examine(&a, &a).expect("examine"), Found::Missing);
        write(&a, &identity("x", &a)).expect("write");
        assert!(matches!(examine(&a, &a), Ok(Found::Same(_))));

        // A copy: b records a's path, and a still holds the same id.
        let b = root.path().join("b");
        std::fs::create_dir(&b).expect("b");
        let b = canonical(&b).expect("canonical");
        write(&b, &identity("x", &a)).expect("write");
        assert!(matches!(examine(&b, &b), Ok(Found::Copied(_))));

        // A move: nothing with that id at the recorded path any more.
        std::fs::remove_file(a.join(FILE_NAME)).expect("remove");
        assert!(matches!(examine(&b, &b), Ok(Found::Moved(_))));
    }
}
