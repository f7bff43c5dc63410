//! `profiles/<id>/profile.json`: a small plain manifest in each profile dir (id, name, key
//! mode, creation time; no secret, no content), so a lost or damaged registry can be rebuilt
//! from the profile dirs themselves.
//!
//! Create writes it last, when the profile is complete; delete removes it first; rename and
//! import keep it current; every write is atomic. A dir without a valid manifest is an
//! unfinished create.

use std::path::Path;

use crate::error::{Error, Result};
use crate::registry::{KeyMode, ProfileRecord};

/// The manifest's file name inside a profile dir.
pub const FILE: &str = "profile.json";

/// What a manifest says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Format version, 1.
    pub format: u32,
    /// The profile's id (its dir's name).
    pub id: String,
    /// The profile's name.
    pub name: String,
    /// How its database key is kept.
    pub key_mode: KeyMode,
    /// RFC 3339.
    pub created_at: String,
}

impl Manifest {
    /// The manifest of `record`.
    pub fn of(record: &ProfileRecord) -> Self {
        Self {
            format: 1,
            id: record.id.clone(),
            name: record.name.clone(),
            key_mode: record.key_mode,
            created_at: record.created_at.clone(),
        }
    }
}

/// Writes `record`'s manifest into `dir`, atomically.
pub fn write(dir: &Path, record: &ProfileRecord) -> Result<()> {
    let json = serde_json::to_vec_pretty(&Manifest::of(record))
        .map_err(|e| Error::InvalidInput(format!("could not encode the manifest: {e}")))?;
    crate::fs::write_atomic(&dir.join(FILE), &json)
}

/// The valid manifest in `dir` for the profile named by the dir, or `None` (missing,
/// unreadable, damaged, or for another id).
pub fn read(dir: &Path) -> Option<Manifest> {
    let bytes = std::fs::read(dir.join(FILE)).ok()?;
    let manifest: Manifest = serde_json::from_slice(&bytes).ok()?;
    let named_for = dir.file_name()?.to_str()?;
    (manifest.format == 1 && manifest.id == named_for).then_some(manifest)
}

/// Removes the manifest from `dir` (first step of a delete) and makes that durable.
pub fn remove(dir: &Path) -> Result<()> {
    let path = dir.join(FILE);
    match std::fs::remove_file(&path) {
        Ok(()) => crate::fs::sync_dir(dir),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("remove", &path, e)),
    }
}
