//! The recovery sweep: completes or undoes what a crashed create or delete left behind, and
//! keeps the registry true to the profile dirs:
//! - a complete profile dir (valid manifest) the registry does not list comes back, so a
//!   lost, emptied or damaged registry never empties the app;
//! - an active row whose dir is gone (a restored old copy of the registry lists a profile
//!   deleted since) is dropped, its keys left where they are;
//! - a dir without a manifest and without a row is an unfinished create, moved to `orphans/`;
//! - every active profile's manifest is written if it is missing or out of date (profiles
//!   made before manifests existed get one here).

use std::path::Path;

use super::manifest::{self, Manifest};
use super::{Profiles, layout};
use crate::domain::name::ProfileName;
use crate::error::{Error, Result};
use crate::fs::{DirLock, RegistryLock};
use crate::registry::{KeyMode, ProfileState};

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
    /// Ids of complete profiles the registry did not list, brought back from their manifests.
    pub restored: Vec<String>,
    /// Ids of active rows whose profile dir no longer exists, dropped from the registry.
    pub dropped: Vec<String>,
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
            drop_if_gone(profiles, &record.id, &mut report)?;
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
                log::warn!(
                    "recovery of profile {} deferred: {}",
                    record.id,
                    err.log_line()
                );
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
        if let Some(found) = manifest::read(&path) {
            restore(profiles, &found, &mut report)?;
            continue;
        }
        move_to_orphans(data_dir, &path, &name)?;
        log::warn!("moved {} (no registry row) to orphans/", path.display());
        report.orphans_moved.push(name);
    }
    // Best effort: a full disk must not stop the profiles from opening.
    if let Err(err) = keep_manifests_current(profiles) {
        log::warn!(
            "could not bring the manifests up to date: {}",
            err.log_line()
        );
    }
    if !report.restored.is_empty() || !report.dropped.is_empty() {
        log::warn!(
            "the profile registry did not match the profile dirs: {} profile(s) brought back \
             from their manifests, {} row(s) of profiles that no longer exist dropped",
            report.restored.len(),
            report.dropped.len()
        );
    }
    Ok(report)
}

/// Drops active row `id` if its profile dir is gone (not merely unreadable). Its keyring
/// entries are left alone: if the dir comes back (restored from a backup), so does the
/// profile, with its keys.
fn drop_if_gone(profiles: &Profiles, id: &str, report: &mut SweepReport) -> Result<()> {
    let root = layout::profiles_dir(profiles.data_dir());
    let dir = layout::profile_dir(profiles.data_dir(), id);
    let gone =
        matches!(std::fs::metadata(&dir), Err(e) if e.kind() == std::io::ErrorKind::NotFound);
    if gone && root.is_dir() {
        profiles.registry.remove(id)?;
        log::warn!("dropped registry row {id}: its profile dir no longer exists");
        report.dropped.push(id.to_owned());
    }
    Ok(())
}

/// Brings back the complete profile `found` describes as an active row, with the keyring
/// entries its namespace holds for it. A name now taken gets a suffix.
fn restore(profiles: &Profiles, found: &Manifest, report: &mut SweepReport) -> Result<()> {
    let entries = match found.key_mode {
        KeyMode::Passphrase => Vec::new(),
        KeyMode::Keyring => {
            let prefix = format!("profile/{}/", found.id);
            let mut entries: Vec<String> = profiles
                .secrets
                .list()
                .unwrap_or_default()
                .into_iter()
                .filter(|e| e.starts_with(&prefix))
                .collect();
            let db_key = layout::db_key_entry(&found.id);
            if !entries.contains(&db_key) {
                entries.push(db_key);
            }
            entries.sort();
            entries
        }
    };
    let mut attempt = 1;
    loop {
        let name = if attempt == 1 {
            found.name.clone()
        } else {
            format!("{} ({attempt})", found.name)
        };
        let name = ProfileName::parse(&name).or_else(|_| {
            let short: String = found.name.chars().take(50).collect();
            ProfileName::parse(&format!("{short} ({attempt})"))
        })?;
        match profiles.registry.insert_restored(
            &found.id,
            &name,
            found.key_mode,
            &found.created_at,
            &entries,
        ) {
            Err(Error::AlreadyExists { .. }) if attempt < 100 => attempt += 1,
            Err(err) => return Err(err),
            Ok(_) => break,
        }
    }
    log::warn!("brought profile {} back from its manifest", found.id);
    report.restored.push(found.id.clone());
    Ok(())
}

/// Writes the manifest of every active profile whose dir lacks one or holds an outdated one.
fn keep_manifests_current(profiles: &Profiles) -> Result<()> {
    for record in profiles.registry.all()? {
        let dir = layout::profile_dir(profiles.data_dir(), &record.id);
        if record.state != ProfileState::Active || !dir.is_dir() {
            continue;
        }
        if manifest::read(&dir).as_ref() != Some(&Manifest::of(&record)) {
            manifest::write(&dir, &record)?;
        }
    }
    Ok(())
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
    crate::fs::private::create_dir_all(&orphans)?;
    let mut target = orphans.join(name);
    let mut n = 1;
    while target.exists() {
        target = orphans.join(format!("{name}.{n}"));
        n += 1;
    }
    std::fs::rename(path, &target).map_err(|e| Error::io("move aside", path, e))?;
    crate::fs::sync_dir(&layout::profiles_dir(data_dir))
}
