//! Profile lifecycle: create, open, rename, delete, verify, and the recovery sweep.
//!
//! Crash safety across the registry, the directory and the keyring rests on three rules:
//! 1. A profile's registry row (state `creating`, listing the keyring entries it will own) is
//!    written before its directory or any key exists, under the data dir's registry lock, and
//!    the profile's lock is held from then until the profile is `active`.
//! 2. Delete marks the row `deleting` before removing the keys and the directory, and removes
//!    the row last.
//! 3. [`Profiles::recover`] (run at every start) undoes every unlocked `creating` row and
//!    finishes every unlocked `deleting` row, in both cases by removing the recorded keyring
//!    entries, then the directory, then the row; and it moves any directory without a row to
//!    `<data dir>/orphans/`, never deleting it.
//!
//! So a crash at any point leaves a profile either complete or, after the next start, fully
//! gone: no half profile, no orphan secret.
//!
//! Nothing here repairs loss: a missing key is `KEY_MISSING`, a missing database file is
//! `DATA_MISSING`, and a database that does not decrypt is `DECRYPT_FAILED`.

mod adopt;
mod data_dir;
pub(crate) mod layout;
pub mod manifest;
mod sweep;
mod verify;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use sweep::SweepReport;
pub use verify::{Check, VerifyReport};

use crate::db::Database;
use crate::domain::name::{self, ProfileName};
use crate::error::{Error, Result};
use crate::faults::crash_point;
use crate::fs::{DirLock, RegistryLock};
use crate::paths::DataDir;
use crate::registry::{KeyMode, ProfileRecord, ProfileRegistry, ProfileState};
use crate::secrets::wrapped::{self, KdfParams};
use crate::secrets::{DbKey, KeyringStore, Passphrase, SecretStore};
use crate::seed::{self, SetupStatus};
use crate::store;
use layout::{DB_FILE, WRAPPED_KEY_FILE};

/// How a new profile's key is protected.
#[derive(Debug)]
pub enum KeyProtection {
    /// In the OS keyring (the default).
    Keyring,
    /// Wrapped with this passphrase in `key.wrapped`.
    Passphrase(Passphrase),
}

/// The profiles of one data dir.
#[derive(Debug)]
pub struct Profiles {
    data_dir: PathBuf,
    registry: ProfileRegistry,
    secrets: Arc<dyn SecretStore>,
    kdf: KdfParams,
    /// What the recovery sweep did when these profiles were opened.
    opened_with: SweepReport,
}

/// Runs left `running` with no process executing them (a crash, a killed process) become
/// `interrupted`, to be resumed. Only while holding the run host's lock, so a run another
/// process executes is never touched; a host that is busy means there is nothing to do.
fn interrupt_orphans(db: &Database, dir: &Path, id: &str) {
    let checked = crate::fs::RunHostLock::try_acquire(dir).and_then(|host| match host {
        Some(_held) => db.write(store::runs::interrupt_orphans),
        None => Ok(0),
    });
    match checked {
        Ok(0) => {}
        Ok(n) => log::info!("{n} run(s) of {id} were left running; now interrupted"),
        Err(err) => log::warn!(
            "could not mark the interrupted runs of {id}: {}",
            err.log_line()
        ),
    }
}

/// An open profile. It holds the profile's lock for as long as it (or any clone of its
/// database handle) lives.
#[derive(Debug)]
pub struct OpenProfile {
    record: ProfileRecord,
    db: Arc<Database>,
}

impl OpenProfile {
    /// The stored setup status.
    pub fn status(&self) -> Result<SetupStatus> {
        seed::status(&self.db)
    }

    /// `Ok` for a ready profile (migrated and seeded); `NOT_READY` with the status otherwise.
    /// Every domain operation passes this gate first (`Library::of` and the features).
    pub fn ensure_ready(&self) -> Result<()> {
        let status = self.status()?;
        if !status.is_ready() {
            return Err(Error::NotReady {
                name: self.record.name.clone(),
                status: status.label().into(),
            });
        }
        Ok(())
    }

    /// Runs setup again (after a failure); a ready profile is left as it is.
    pub fn retry_setup(&self, progress: &mut dyn FnMut(SetupStatus)) -> Result<SetupStatus> {
        seed::ensure_seeded(&self.db, progress)
    }

    /// The registry row as of opening.
    pub fn record(&self) -> &ProfileRecord {
        &self.record
    }

    /// The profile's database.
    pub fn db(&self) -> &Arc<Database> {
        &self.db
    }
}

impl Profiles {
    /// The profiles of `data_dir`, with the OS keyring namespaced to the data dir's identity
    /// (the same however its path is spelled; see `crate::identity`). Runs the recovery
    /// sweep before returning.
    pub fn open(data_dir: &DataDir) -> Result<Self> {
        Self::open_at(data_dir.path())
    }

    /// [`Profiles::open`] for a data dir path.
    pub fn open_at(data_dir: &Path) -> Result<Self> {
        // Anything looser than 0700/0600 (an old version, a copy made under another umask, a
        // read-only spell that left read-only side files) is tightened first.
        crate::fs::private::tighten_tree(data_dir);
        crate::fs::space::balance_reserve(data_dir);
        let registry = crate::fs::space::classified(ProfileRegistry::open(data_dir), data_dir)?;
        let id = data_dir::establish(data_dir, &registry)?;
        let secrets = Arc::new(KeyringStore::for_data_dir_id(&id));
        Self::with_registry(data_dir, registry, secrets)
    }

    /// The identity of the data dir at `data_dir` (created, or finished after a move or a
    /// copy, as [`Profiles::open`] would), without the recovery sweep: for naming things
    /// after the data dir before its profiles are needed (the app's single-instance name).
    pub fn data_dir_id(data_dir: &DataDir) -> Result<String> {
        let registry = ProfileRegistry::open(data_dir.path())?;
        data_dir::establish(data_dir.path(), &registry)
    }

    /// [`Profiles::open`] with a given secret store (tests, and stores other than the OS
    /// keyring); the data dir's identity is not consulted.
    pub fn open_with(data_dir: &Path, secrets: Arc<dyn SecretStore>) -> Result<Self> {
        let registry = ProfileRegistry::open(data_dir)?;
        Self::with_registry(data_dir, registry, secrets)
    }

    fn with_registry(
        data_dir: &Path,
        registry: ProfileRegistry,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<Self> {
        let mut profiles = Self {
            data_dir: data_dir.to_path_buf(),
            registry,
            secrets,
            kdf: KdfParams::default(),
            opened_with: SweepReport::default(),
        };
        let report = profiles.recover()?;
        if !report.is_empty() {
            log::info!("recovery sweep: {report:?}");
        }
        profiles.opened_with = report;
        Ok(profiles)
    }

    /// Uses `kdf` for keys wrapped from now on (tests use cheap parameters).
    pub fn with_kdf_params(mut self, kdf: KdfParams) -> Self {
        self.kdf = kdf;
        self
    }

    /// What the recovery sweep did when these profiles were opened (e.g. profiles brought
    /// back from their manifests after the registry was lost), for a one-time notice.
    pub fn opened_with(&self) -> &SweepReport {
        &self.opened_with
    }

    /// A sentence for the person when opening changed what the registry lists, else `None`.
    pub fn registry_notice(&self) -> Option<String> {
        let r = &self.opened_with;
        if r.restored.is_empty() && r.dropped.is_empty() {
            return None;
        }
        Some(format!(
            "the list of profiles did not match the profile folders and was repaired: {} \
             profile(s) brought back from their folders, {} listed profile(s) whose folder no \
             longer exists taken off the list",
            r.restored.len(),
            r.dropped.len()
        ))
    }

    /// The data dir.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The directory of profile `id` (its database, manifest and control socket).
    pub fn profile_dir(&self, id: &str) -> PathBuf {
        layout::profile_dir(&self.data_dir, id)
    }

    /// The secret store in use.
    pub fn secrets(&self) -> &Arc<dyn SecretStore> {
        &self.secrets
    }

    /// The registry.
    pub(crate) fn registry(&self) -> &ProfileRegistry {
        &self.registry
    }

    /// Whether the OS keyring can be used right now (so the UI can offer keyring mode).
    pub fn keyring_available(&self) -> bool {
        self.secrets.check_available().is_ok()
    }

    /// Active profiles, oldest first.
    pub fn list(&self) -> Result<Vec<ProfileRecord>> {
        let all = self.registry.all()?;
        Ok(all
            .into_iter()
            .filter(|p| p.state == ProfileState::Active)
            .collect())
    }

    /// The active profile `reference` names (an id, or a case-insensitive name).
    pub fn show(&self, reference: &str) -> Result<ProfileRecord> {
        self.registry.resolve(reference)
    }

    /// Creates a profile: registry row, directory, key, and a migrated encrypted database.
    pub fn create(&self, raw_name: &str, protection: KeyProtection) -> Result<ProfileRecord> {
        let created = self.create_with(raw_name, protection, |record, dir, key| {
            self.create_db(record, dir, key)
        });
        crate::fs::space::classified(created, &self.data_dir)
    }

    /// The crash-safe skeleton of every way a profile comes to be (new, or imported): the row
    /// in `creating` state, the locked directory and the stored key, then `fill` makes the
    /// database, and only then the row turns active. Any failure, or a crash at any point,
    /// leaves nothing once undone here or by the next start's sweep.
    pub(crate) fn create_with(
        &self,
        raw_name: &str,
        protection: KeyProtection,
        fill: impl FnOnce(&ProfileRecord, &Path, DbKey) -> Result<()>,
    ) -> Result<ProfileRecord> {
        let name = ProfileName::parse(raw_name)?;
        let id = uuid::Uuid::new_v4().to_string();
        let (mode, entries) = match &protection {
            KeyProtection::Keyring => {
                self.secrets.check_available()?;
                (KeyMode::Keyring, vec![layout::db_key_entry(&id)])
            }
            KeyProtection::Passphrase(_) => (KeyMode::Passphrase, Vec::new()),
        };
        let dir = layout::profile_dir(&self.data_dir, &id);

        // Row first, then directory and lock, all under the registry lock: a crash between
        // any two steps leaves an unlocked `creating` row that the sweep undoes, and never a
        // directory without a row.
        let (lock, record) = {
            let _registry = RegistryLock::acquire(&self.data_dir)?;
            let record = self.registry.insert_creating(&id, &name, mode, &entries)?;
            crash_point("after-row");
            let profiles = layout::profiles_dir(&self.data_dir);
            let made = crate::fs::private::create_dir_all(&profiles)
                .and_then(|()| {
                    crate::fs::private::create_dir(&dir).map_err(|e| Error::io("create", &dir, e))
                })
                .and_then(|()| DirLock::try_acquire(&dir, name.as_str()));
            match made {
                Ok(lock) => (lock, record),
                Err(err) => {
                    self.discard(&record, &dir)?;
                    return Err(err);
                }
            }
        };
        crash_point("after-lock");

        // The manifest goes in last, when the profile is complete: a dir with one is a profile
        // that can be brought back if the registry is ever lost.
        let finished = self
            .store_key(&record, &dir, &protection)
            .and_then(|key| fill(&record, &dir, key))
            .and_then(|()| manifest::write(&dir, &record))
            .and_then(|()| crate::fs::sync_dir(&dir))
            .and_then(|()| self.registry.set_state(&id, ProfileState::Active));
        if let Err(err) = finished {
            log::warn!(
                "creating profile {id} failed ({}); undoing",
                err.code().as_str()
            );
            if let Err(undo) = self.discard(&record, &dir) {
                log::error!(
                    "undoing profile {id} failed ({}); the next start retries",
                    undo.log_line()
                );
            }
            return Err(err);
        }
        drop(lock);
        log::info!("created profile {id}");
        Ok(ProfileRecord {
            state: ProfileState::Active,
            ..record
        })
    }

    fn store_key(
        &self,
        record: &ProfileRecord,
        dir: &Path,
        protection: &KeyProtection,
    ) -> Result<DbKey> {
        let key = DbKey::generate()?;
        match protection {
            KeyProtection::Keyring => {
                self.secrets
                    .set(&layout::db_key_entry(&record.id), key.as_bytes())?;
            }
            KeyProtection::Passphrase(passphrase) => {
                let sealed = wrapped::wrap(&key, passphrase, &record.id, self.kdf)?;
                crate::fs::write_atomic(&dir.join(WRAPPED_KEY_FILE), &sealed)?;
            }
        }
        crash_point("after-key");
        Ok(key)
    }

    fn create_db(&self, record: &ProfileRecord, dir: &Path, key: DbKey) -> Result<()> {
        let db = Database::create(&dir.join(DB_FILE), key, &record.name)?;
        crash_point("after-db");
        db.write(|tx| {
            store::meta::insert(
                tx,
                &record.id,
                &record.created_at,
                env!("CARGO_PKG_VERSION"),
            )
        })?;
        drop(db);
        Ok(())
    }

    /// Opens a profile: takes its lock, loads its key, opens and migrates its database.
    /// `passphrase` is needed for passphrase-mode profiles and ignored otherwise.
    pub fn open_profile(
        &self,
        reference: &str,
        passphrase: Option<&Passphrase>,
    ) -> Result<OpenProfile> {
        self.open_profile_with_progress(reference, passphrase, &mut |_| {})
    }

    /// [`Profiles::open_profile`], reporting setup progress (opening → migrating → seeding →
    /// ready or failed). A profile whose seeding fails still opens; its status says why and
    /// its domain operations answer `NOT_READY` until a retry succeeds.
    pub fn open_profile_with_progress(
        &self,
        reference: &str,
        passphrase: Option<&Passphrase>,
        progress: &mut dyn FnMut(SetupStatus),
    ) -> Result<OpenProfile> {
        progress(SetupStatus::Opening);
        let record = self.registry.resolve(reference)?;
        let dir = layout::profile_dir(&self.data_dir, &record.id);
        let db_path = dir.join(DB_FILE);
        if !dir.is_dir() {
            return Err(Error::DataMissing {
                name: record.name,
                path: db_path,
            });
        }
        let lock = DirLock::try_acquire_shared(&dir, &record.name)?;
        if !db_path.is_file() {
            return Err(Error::DataMissing {
                name: record.name,
                path: db_path,
            });
        }
        let key = self.load_key(&record, &dir, passphrase)?;
        progress(SetupStatus::Migrating);
        crate::faults::disk_full_point("open-disk-full", &dir)?;
        let opened =
            crate::fs::space::classified(Database::open(&db_path, key, &record.name), &dir);
        let db = opened?.holding(lock);
        // Reading needs no registry write: on a full disk the time of this open goes unrecorded.
        if let Err(err) = self.registry.touch_opened(&record.id) {
            log::warn!(
                "could not record the open of {}: {}",
                record.id,
                err.log_line()
            );
        }
        seed::ensure_seeded(&db, progress)?;
        interrupt_orphans(&db, &dir, &record.id);
        Ok(OpenProfile {
            record,
            db: Arc::new(db),
        })
    }

    /// `PROFILE_IN_USE` naming the runs when runs of `record` are executing: for what must
    /// not change the profile under a run (rename, export, lock).
    pub fn ensure_no_runs(&self, record: &ProfileRecord) -> Result<()> {
        let dir = layout::profile_dir(&self.data_dir, &record.id);
        let runs = crate::fs::RunHostLock::hosted(&dir).unwrap_or_default();
        if runs.is_empty() {
            Ok(())
        } else {
            Err(Error::RunsHosted {
                name: record.name.clone(),
                runs,
            })
        }
    }

    fn load_key(
        &self,
        record: &ProfileRecord,
        dir: &Path,
        passphrase: Option<&Passphrase>,
    ) -> Result<DbKey> {
        match record.key_mode {
            KeyMode::Keyring => match self.secrets.get(&layout::db_key_entry(&record.id))? {
                Some(bytes) => DbKey::from_bytes(&bytes),
                None => Err(Error::KeyMissing {
                    name: record.name.clone(),
                    location: "the OS keyring".into(),
                }),
            },
            KeyMode::Passphrase => {
                let path = dir.join(WRAPPED_KEY_FILE);
                let bytes = match std::fs::read(&path) {
                    Ok(bytes) => bytes,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        return Err(Error::KeyMissing {
                            name: record.name.clone(),
                            location: path.display().to_string(),
                        });
                    }
                    Err(e) => return Err(Error::io("read", &path, e)),
                };
                let passphrase = passphrase.ok_or_else(|| Error::PassphraseRequired {
                    name: record.name.clone(),
                })?;
                wrapped::unwrap(&bytes, passphrase, &record.id, &record.name)
            }
        }
    }

    /// Renames an active profile.
    pub fn rename(&self, reference: &str, new_name: &str) -> Result<ProfileRecord> {
        let name = ProfileName::parse(new_name)?;
        let record = self.registry.resolve(reference)?;
        self.ensure_no_runs(&record)?;
        let renamed = self.registry.rename(&record.id, &name)?;
        let dir = layout::profile_dir(&self.data_dir, &renamed.id);
        if dir.is_dir() {
            manifest::write(&dir, &renamed)?;
        }
        Ok(renamed)
    }

    /// Deletes a profile only if `typed_name` is its name (compared as names are: trimmed,
    /// ignoring case), so a slip of the mouse cannot delete the wrong profile.
    pub fn delete_confirmed(&self, reference: &str, typed_name: &str) -> Result<ProfileRecord> {
        let record = self.registry.resolve(reference)?;
        if name::lookup_key(typed_name) != name::lookup_key(&record.name) {
            return Err(Error::InvalidFields(vec![crate::error::FieldProblem::new(
                "confirm",
                format!("type the profile's name, {:?}, to delete it", record.name),
            )]));
        }
        self.delete(&record.id)
    }

    /// Deletes a profile: its keyring entries, its directory and its registry row.
    pub fn delete(&self, reference: &str) -> Result<ProfileRecord> {
        let record = self.registry.resolve(reference)?;
        let dir = layout::profile_dir(&self.data_dir, &record.id);
        let lock = if dir.is_dir() {
            Some(DirLock::try_acquire(&dir, &record.name)?)
        } else {
            None
        };
        // Its keys must be removable before anything changes: a delete that could not reach
        // the keyring would leave the profile marked `deleting` with its keys behind.
        if !record.keyring_entries.is_empty() {
            self.secrets.check_available()?;
        }
        self.registry
            .set_state(&record.id, ProfileState::Deleting)?;
        crash_point("after-mark-deleting");
        // The manifest goes first, so a half-deleted dir is never brought back as a profile.
        manifest::remove(&dir)?;
        self.discard(&record, &dir)?;
        drop(lock);
        log::info!("deleted profile {}", record.id);
        Ok(record)
    }

    /// Removes everything a profile owns, in the order that keeps a crash recoverable:
    /// keyring entries, then the directory, then the registry row.
    fn discard(&self, record: &ProfileRecord, dir: &Path) -> Result<()> {
        for entry in &record.keyring_entries {
            self.secrets.delete(entry)?;
        }
        crash_point("after-keys-removed");
        crate::fs::remove_dir_if_present(dir)?;
        crash_point("after-dir-removed");
        self.registry.remove(&record.id)
    }

    /// Runs the recovery sweep (see the module docs).
    pub fn recover(&self) -> Result<SweepReport> {
        sweep::run(self)
    }
}
