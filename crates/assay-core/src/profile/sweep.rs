//! The recovery sweep: completes or undoes what a crashed create or delete left behind.

use std::path::Path;

use super::Profiles;
use super::layout;
use crate::error::{Error, Result};
use crate::fs::{DirLock, RegistryLock};
use crate::registry::ProfileState;

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    /// Ids of `creating` profiles whose creator died; everything they had was removed.
    pub undone_creates: Vec<String>,
    /// Ids of `deleting` profiles whose deleter died; the delete was finished.
    pub finished_deletes: Vec<String>,
    /// Directories without a registry row, moved to `<data dir>/orphans/`.
    pub orphans_moved: Vec<String>,
    /// Ids whose cleanup failed this time (e.g. keyring unavailable); retried next start.
    pub deferred: Vec<String>,
    /// Scratch directories of exports that died, removed (they held only encrypted copies).
    pub stale_transfers: Vec<String>,
}

impl SweepReport {
    /// True if the sweep found nothing to do.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

pub(super) fn run(profiles: &Profiles) -> Result<SweepReport> {
    let data_dir = profiles.data_dir();
    let _registry = RegistryLock::acquire(data_dir)?;
    let mut report = SweepReport::default();

    for record in profiles.registry.all()? {
        if record.state == ProfileState::Active {
            continue;
        }
        let dir = layout::profile_dir(data_dir, &record.id);
        // A live creator or deleter holds the profile's lock: leave its work alone.
        let _lock = if dir.is_dir() {
            match DirLock::try_acquire_quiet(&dir)? {
                Some(lock) => Some(lock),
                None => continue,
            }
        } else {
            None
        };
        match profiles.discard(&record, &dir) {
            Ok(()) if record.state == ProfileState::Creating => {
                report.undone_creates.push(record.id)
            }
            Ok(()) => report.finished_deletes.push(record.id),
            Err(err) => {
                log::warn!("recovery of profile {} deferred: {err}", record.id);
                report.deferred.push(record.id);
            }
        }
    }

    sweep_transfers(data_dir, &mut report)?;

    let profiles_dir = layout::profiles_dir(data_dir);
    let entries = match std::fs::read_dir(&profiles_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(report),
        Err(e) => return Err(Error::io("list", &profiles_dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("list", &profiles_dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if profiles.registry.get(&name)?.is_some() {
            continue;
        }
        let path = entry.path();
        if path.is_dir() && DirLock::try_acquire_quiet(&path)?.is_none() {
            continue;
        }
        move_to_orphans(data_dir, &path, &name)?;
        log::warn!("moved {} (no registry row) to orphans/", path.display());
        report.orphans_moved.push(name);
    }
    Ok(report)
}

/// Removes the scratch directories of exports whose process died (an unlockable lock file);
/// a running export holds its lock and is left alone.
fn sweep_transfers(data_dir: &Path, report: &mut SweepReport) -> Result<()> {
    let transfers = data_dir.join(layout::TRANSFERS_DIR);
    let Ok(entries) = std::fs::read_dir(&transfers) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("list", &transfers, e))?;
        let path = entry.path();
        if path.is_dir() && DirLock::try_acquire_quiet(&path)?.is_some() {
            std::fs::remove_dir_all(&path).map_err(|e| Error::io("remove", &path, e))?;
            report
                .stale_transfers
                .push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    Ok(())
}

/// Moves `path` into `<data dir>/orphans/`, never deleting it. A name already taken there
/// gets a numeric suffix.
fn move_to_orphans(data_dir: &Path, path: &Path, name: &str) -> Result<()> {
    let orphans = layout::orphans_dir(data_dir);
    std::fs::create_dir_all(&orphans).map_err(|e| Error::io("create", &orphans, e))?;
    let mut target = orphans.join(name);
    let mut n = 1;
    while target.exists() {
        target = orphans.join(format!("{name}.{n}"));
        n += 1;
    }
    std::fs::rename(path, &target).map_err(|e| Error::io("move aside", path, e))?;
    crate::fs::sync_dir(&layout::profiles_dir(data_dir))
}
