//! Adopting a profile dir the registry does not list (one the sweep moved to `orphans/`, or
//! one copied in by hand): it is moved into `profiles/`, given a manifest and a registry row.

use std::path::Path;

use super::manifest::{self, Manifest};
use super::{Profiles, layout};
use crate::domain::name::ProfileName;
use crate::error::{Error, Result};
use crate::fs::{DirLock, RegistryLock};
use crate::registry::{KeyMode, ProfileRecord};

impl Profiles {
    /// Ids of the profile folders the sweep set aside in `orphans/` (folders without a
    /// manifest or a registry row) that could be brought back, oldest name first.
    pub fn orphans(&self) -> Result<Vec<String>> {
        let dir = layout::orphans_dir(&self.data_dir);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("list", &dir, e)),
        };
        let mut ids: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join(layout::DB_FILE).is_file())
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .filter(|name| uuid::Uuid::parse_str(name).is_ok())
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// [`Profiles::adopt`] of the folder `orphans/<id>`.
    pub fn adopt_orphan(&self, id: &str, name: Option<&str>) -> Result<ProfileRecord> {
        if uuid::Uuid::parse_str(id).is_err() {
            return Err(Error::InvalidInput(format!("{id:?} is not a profile id")));
        }
        self.adopt(&layout::orphans_dir(&self.data_dir).join(id), name)
    }

    /// Brings the profile dir at `dir` (named by the profile's id, holding its `profile.db`)
    /// back as an active profile. Its manifest gives its name and key mode; without one,
    /// `name` (or "Recovered <id>") is used and the key mode is read from what the dir holds.
    /// The profile's keys are not touched: a keyring profile finds its key if the keyring
    /// still has it, and otherwise reports KEY_MISSING when opened.
    pub fn adopt(&self, dir: &Path, name: Option<&str>) -> Result<ProfileRecord> {
        let id = dir
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| uuid::Uuid::parse_str(n).is_ok())
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "{} is not a profile folder: its name must be the profile's id",
                    dir.display()
                ))
            })?
            .to_owned();
        if !dir.join(layout::DB_FILE).is_file() {
            return Err(Error::InvalidInput(format!(
                "{} holds no {}; there is no profile to adopt",
                dir.display(),
                layout::DB_FILE
            )));
        }
        let found = manifest::read(dir);
        let key_mode = match &found {
            Some(m) => m.key_mode,
            None if dir.join(layout::WRAPPED_KEY_FILE).is_file() => KeyMode::Passphrase,
            None => KeyMode::Keyring,
        };
        let name = match (name, &found) {
            (Some(name), _) => name.to_owned(),
            (None, Some(m)) => m.name.clone(),
            (None, None) => format!("Recovered {}", &id[..8]),
        };
        let name = ProfileName::parse(&name)?;
        let created_at = found
            .map(|m| m.created_at)
            .unwrap_or_else(|| jiff::Timestamp::now().to_string());
        let target = layout::profile_dir(&self.data_dir, &id);

        let _registry = RegistryLock::acquire(&self.data_dir)?;
        if self.registry.get(&id)?.is_some() || target.exists() {
            return Err(Error::InvalidInput(format!(
                "a profile with id {id} is already in this data dir"
            )));
        }
        let _lock = DirLock::try_acquire(dir, name.as_str())?;
        let entries = match key_mode {
            KeyMode::Passphrase => Vec::new(),
            KeyMode::Keyring => vec![layout::db_key_entry(&id)],
        };
        let record = self
            .registry
            .insert_restored(&id, &name, key_mode, &created_at, &entries)?;
        let moved = crate::fs::private::create_dir_all(&layout::profiles_dir(&self.data_dir))
            .and_then(|()| {
                std::fs::rename(dir, &target).map_err(|e| Error::io("move into profiles/", dir, e))
            })
            .and_then(|()| crate::fs::sync_dir(&layout::profiles_dir(&self.data_dir)))
            .and_then(|()| manifest::write(&target, &record));
        if let Err(err) = moved {
            self.registry.remove(&id)?;
            return Err(err);
        }
        debug_assert_eq!(manifest::read(&target), Some(Manifest::of(&record)));
        log::info!("adopted profile {id}");
        Ok(record)
    }
}
