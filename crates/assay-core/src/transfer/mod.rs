//! Export and import of whole profiles as passphrase-encrypted bundles
//! (docs/bundle-format.md).
//!
//! Export streams the profile's database into the bundle without ever writing a plaintext
//! page. A keyring-mode profile's file never held a provider key, so its encrypted pages go
//! in as they are, with their key, while the database is held still (WAL checkpointed, writer
//! held): about the cost of a copy. A passphrase-mode profile keeps provider keys in its
//! database, so it is first copied into a SQLCipher file under a one-off key and the keys are
//! deleted from that copy. Import authenticates the whole bundle first, then creates the
//! profile through the same crash-safe path as `create`: the database is streamed into the new
//! profile's directory, each page re-keyed to the new profile's key on the way (`rekey.rs`),
//! and then given the new id and migrated.

mod progress;
mod read;
mod rekey;

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use zeroize::Zeroizing;

pub use self::progress::{Progress, STEP, TransferPhase, TransferProgress};
use self::progress::{Reporting, start};
use self::read::{Entry, Unlocked, scan, unlock};
use crate::bundle::entries::{self, Kind};
use crate::bundle::{self, DEFAULT_KDF, Manifest};
use crate::error::{Error, Result};
use crate::faults::crash_point;
use crate::fs::atomic::EarlySync;
use crate::fs::{DirLock, RegistryLock};
use crate::profile::layout;
use crate::profile::{KeyProtection, OpenProfile, Profiles};
use crate::providers::{self, ProviderKey};
use crate::registry::{KeyMode, ProfileRecord};
use crate::secrets::wrapped::KdfParams;
use crate::secrets::{DbKey, Passphrase};
use crate::store;

/// How to export.
#[derive(Debug, Clone, Copy)]
pub struct ExportOptions {
    /// Put the provider keys in the bundle (encrypted with it). Off by default.
    pub include_provider_keys: bool,
    /// Read the written bundle back in full before reporting success. On by default.
    pub verify: bool,
    /// Argon2id parameters for the bundle's passphrase.
    pub kdf: KdfParams,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            include_provider_keys: false,
            verify: true,
            kdf: DEFAULT_KDF,
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Exported {
    /// The bundle file.
    pub path: String,
    /// Its size.
    pub bytes: u64,
    /// What the bundle says about itself.
    pub manifest: Manifest,
    /// Whether it was read back and checked.
    pub verified: bool,
}

/// A scratch directory under the data dir (same file system as the profiles), locked while
/// the export runs and removed when dropped; the sweep removes one whose process died. It
/// only ever holds encrypted files.
struct Scratch(PathBuf, Option<DirLock>);

impl Drop for Scratch {
    fn drop(&mut self) {
        drop(self.1.take());
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What goes into a bundle besides the manifest and the database, and how to write it.
struct Contents<'a> {
    /// The header's fixed part and the payload's keys; the passphrase is stretched meanwhile.
    pending: &'a bundle::header::Pending,
    provider_keys: Option<&'a [u8]>,
    /// Read the bundle back before it replaces the target.
    verify: bool,
}

impl Scratch {
    /// A scratch directory on the bundle's own file system, beside it.
    fn beside(out: &Path) -> Result<Self> {
        let parent = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let dir = parent.join(format!(".assay-export-{}", uuid::Uuid::new_v4()));
        crate::fs::private::create_dir_all(&dir)?;
        let lock = DirLock::try_acquire(&dir, "export")?;
        Ok(Self(dir, Some(lock)))
    }

    fn new(data_dir: &Path) -> Result<Self> {
        let dir = data_dir
            .join(layout::TRANSFERS_DIR)
            .join(uuid::Uuid::new_v4().to_string());
        // Made and locked under the registry lock, which the sweep holds while it runs, so a
        // sweep in another process never takes it for a dead export's.
        let _registry = RegistryLock::acquire(data_dir)?;
        crate::fs::private::create_dir_all(&dir)?;
        let lock = DirLock::try_acquire(&dir, "export")?;
        Ok(Self(dir, Some(lock)))
    }
}

/// Writes `open` as a bundle at `out`, sealed with `passphrase`, atomically: a crash leaves
/// the old file (if any) or the whole new one. `progress` hears of each phase.
pub fn export(
    profiles: &Profiles,
    open: &OpenProfile,
    passphrase: &Passphrase,
    out: &Path,
    options: ExportOptions,
    progress: Progress<'_>,
) -> Result<Exported> {
    open.ensure_ready()?;
    // A copy of a still database would hold a run's writes back for as long as it takes.
    profiles.ensure_no_runs(open.record())?;
    check_outside_data_dir(profiles.data_dir(), out)?;
    let provider_keys = if options.include_provider_keys {
        Some(provider_keys_json(profiles, open)?)
    } else {
        None
    };
    let pending = bundle::header::begin(options.kdf)?;
    let contents = Contents {
        pending: &pending,
        provider_keys: provider_keys.as_deref().map(Vec::as_slice),
        verify: options.verify,
    };
    // The payload's keys do not depend on the passphrase (docs/bundle-format.md), so the
    // passphrase is stretched (0.5-1 s) while the database is copied, and the header goes
    // in front of the payload at the end. Verification reuses the keys.
    let manifest = std::thread::scope(|scope| {
        let header = scope.spawn(|| pending.finish(passphrase));
        match open.record().key_mode {
            // The file never held a provider key (they live in the keyring): its pages go
            // in as they are, under its own key, while nothing can commit.
            KeyMode::Keyring => open.db().with_file_still(|file, key, conn| {
                let manifest = describe(conn, open, &options)?;
                write_bundle(out, &contents, header, &manifest, key, file, progress)?;
                Ok(manifest)
            }),
            KeyMode::Passphrase => {
                start(progress, TransferPhase::Snapshot);
                // On a nearly full data disk the copy goes beside the bundle instead.
                let scratch = if crate::fs::space::is_low(profiles.data_dir()) {
                    Scratch::beside(out)?
                } else {
                    Scratch::new(profiles.data_dir())?
                };
                let snapshot = scratch.0.join("snapshot.db");
                let snapshot_key = DbKey::generate()?;
                open.db().export_encrypted(&snapshot, &snapshot_key)?;
                let manifest = {
                    let conn = keyed(&snapshot, &snapshot_key)?;
                    strip_provider_keys(&conn)?;
                    describe(&conn, open, &options)?
                };
                write_bundle(
                    out,
                    &contents,
                    header,
                    &manifest,
                    &snapshot_key,
                    &snapshot,
                    progress,
                )?;
                Ok(manifest)
            }
        }
    })?;
    let bytes = std::fs::metadata(out)
        .map_err(|e| Error::io("stat", out, e))?
        .len();
    log::info!("exported profile {} ({bytes} bytes)", open.record().id);
    Ok(Exported {
        path: out.display().to_string(),
        bytes,
        manifest,
        verified: options.verify,
    })
}

/// Refuses a bundle path inside the data dir: the rename that finishes an export could
/// otherwise replace a profile's database or the registry.
fn check_outside_data_dir(data_dir: &Path, out: &Path) -> Result<()> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (Ok(parent), Ok(data_dir)) = (parent.canonicalize(), data_dir.canonicalize()) else {
        // A parent that does not exist fails with a clear error when the file is created.
        return Ok(());
    };
    if parent.starts_with(&data_dir) {
        return Err(Error::InvalidInput(format!(
            "{} is inside Assay's data directory ({}); save the bundle somewhere else",
            out.display(),
            data_dir.display()
        )));
    }
    Ok(())
}

/// The manifest of the bundle at `path`, after authenticating all of it.
pub fn inspect_bundle(path: &Path, passphrase: &Passphrase) -> Result<Manifest> {
    let unlocked = unlock(path, passphrase)?;
    scan(path, &unlocked, &|_| {}, TransferPhase::Check, |_| Ok(()))
}

/// Creates a new profile (new id, new database key) from the bundle at `path`, named
/// `new_name` or as in the bundle. The whole bundle is authenticated before anything is
/// created; a clash of names is `ALREADY_EXISTS`, a newer schema `NEWER_VERSION`.
/// `progress` hears of each phase.
pub fn import(
    profiles: &Profiles,
    path: &Path,
    passphrase: &Passphrase,
    new_name: Option<&str>,
    protection: KeyProtection,
    progress: Progress<'_>,
) -> Result<ProfileRecord> {
    // The passphrase is stretched once; both passes below reuse the keys.
    start(progress, TransferPhase::Key);
    let unlocked = unlock(path, passphrase)?;
    // Provider keys are parsed in this first pass, so keys that do not parse stop the
    // import before anything is created.
    let mut provider_keys = Vec::new();
    let manifest = scan(path, &unlocked, progress, TransferPhase::Check, |entry| {
        if let Entry::Small(Kind::ProviderKeys, bytes) = entry {
            provider_keys = parse_provider_keys(bytes)?;
        }
        Ok(())
    })?;
    let supported = crate::db::migrations::latest_version();
    if manifest.schema_version > supported {
        return Err(Error::NewerVersion {
            what: "the bundle's profile database".into(),
            found: manifest.schema_version,
            supported,
        });
    }
    let name = new_name.unwrap_or(&manifest.profile_name).to_owned();
    let unlock = match &protection {
        KeyProtection::Passphrase(p) => Some(p.clone()),
        KeyProtection::Keyring => None,
    };
    let record = profiles.create_with(&name, protection, |record, dir, key| {
        let incoming = dir.join("import.db");
        let mut bundle_key = None;
        scan(path, &unlocked, progress, TransferPhase::Read, |entry| {
            match entry {
                Entry::Small(Kind::DatabaseKey, bytes) => {
                    bundle_key = Some(DbKey::from_bytes(bytes)?);
                }
                Entry::Small(..) => {}
                Entry::Database(reader) => {
                    let from = bundle_key
                        .as_ref()
                        .ok_or_else(|| Error::Corrupt("the bundle has no database key".into()))?;
                    let io = |e: std::io::Error| Error::io("write", &incoming, e);
                    let file = crate::fs::private::create_new(&incoming).map_err(io)?;
                    // Each page is re-keyed to the new profile's key on its way to disk.
                    rekey::rekey(reader, &mut EarlySync::new(&file), &incoming, from, &key)?;
                    file.sync_all().map_err(io)?;
                }
            }
            Ok(())
        })?;
        crash_point("import-after-copy");
        start(progress, TransferPhase::Finish);
        adopt(&incoming, &key, &record.id)?;
        crash_point("import-after-rekey");
        let db_path = dir.join(layout::DB_FILE);
        std::fs::rename(&incoming, &db_path).map_err(|e| Error::io("rename", &incoming, e))?;
        // Opening migrates a database from an older schema.
        drop(crate::db::Database::open(&db_path, key, &record.name)?);
        Ok(())
    })?;
    if !provider_keys.is_empty() {
        let stored = profiles
            .open_profile(&record.id, unlock.as_ref())
            .and_then(|open| {
                provider_keys.iter().try_for_each(|(name, key)| {
                    match providers::set_endpoint_key(profiles, &open, name, key) {
                        Ok(_) => Ok(()),
                        // A key for an endpoint the profile no longer has (an old `custom`
                        // without an address) has nowhere to go.
                        Err(Error::NoSuchItem { .. }) => {
                            log::warn!("a bundled key names an endpoint the profile lacks");
                            Ok(())
                        }
                        Err(err) => Err(err),
                    }
                })
            });
        // A profile without the keys it was imported with is not what was asked for:
        // undo it rather than leave half an import behind.
        if let Err(err) = stored {
            if let Err(undo) = profiles.delete(&record.id) {
                log::error!(
                    "undoing the import of {} failed ({})",
                    record.id,
                    undo.log_line()
                );
            }
            return Err(err);
        }
    }
    log::info!("imported profile {} from a bundle", record.id);
    Ok(record)
}

/// The provider keys of `open` as JSON, by endpoint name: `[["openai", "sk-..."], ...]`
/// (bundles written before endpoints used the five fixed provider names, which are endpoint
/// names too, so they read the same way).
fn provider_keys_json(profiles: &Profiles, open: &OpenProfile) -> Result<Zeroizing<Vec<u8>>> {
    let mut pairs: Vec<(String, Zeroizing<String>)> = Vec::new();
    for name in providers::endpoints_with_keys(open)? {
        if let Some(key) = providers::endpoint_key(profiles, open, &name)? {
            pairs.push((name, Zeroizing::new(key.expose().to_owned())));
        }
    }
    let plain: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(n, k)| (n.as_str(), k.as_str()))
        .collect();
    serde_json::to_vec(&plain)
        .map(Zeroizing::new)
        .map_err(|e| Error::InvalidInput(format!("could not encode provider keys: {e}")))
}

fn parse_provider_keys(bytes: &[u8]) -> Result<Vec<(String, ProviderKey)>> {
    let pairs: Vec<(String, String)> = serde_json::from_slice(bytes)
        .map_err(|_| Error::Corrupt("the bundle's provider keys do not parse".into()))?;
    // ProviderKey::new takes each string over and wipes it when dropped.
    pairs
        .into_iter()
        .map(|(name, key)| Ok((name, ProviderKey::new(key)?)))
        .collect()
}

/// Writes the bundle at `out` atomically: room for the header, manifest, the database's key,
/// the database file `db` (streamed), the provider keys if any, and then the header itself,
/// once `header` (the passphrase being stretched) is done. If asked, the written file is read
/// back in full (while it is fsynced) before it replaces `out`, so a bundle that fails leaves
/// an older one in place.
fn write_bundle(
    out: &Path,
    contents: &Contents<'_>,
    header: std::thread::ScopedJoinHandle<'_, Result<Vec<u8>>>,
    manifest: &Manifest,
    db_key: &DbKey,
    db: &Path,
    progress: Progress<'_>,
) -> Result<()> {
    let manifest_json = serde_json::to_vec(manifest)
        .map_err(|e| Error::InvalidInput(format!("could not encode the manifest: {e}")))?;
    // Closing this descriptor drops this process's POSIX locks on the file, SQLite's included
    // (a known SQLite caveat). That is safe here: the profile lock keeps every other process
    // away from a profile's files, and SQLite tracks its own connections' locks in memory.
    let db_file = File::open(db).map_err(|e| Error::io("open", db, e))?;
    let len = db_file
        .metadata()
        .map_err(|e| Error::io("stat", db, e))?
        .len();
    let opened = contents.pending.opened();
    // The finished header, with the keys it opens to, for the read-back.
    let written = std::cell::OnceCell::new();
    let fill = |file: &mut File| {
        let io = |e: std::io::Error| Error::io("write", out, e);
        let mut sink = EarlySync::new(file);
        sink.write_all(&[0u8; bundle::header::HEADER_LEN])
            .map_err(io)?;
        let mut w = bundle::StreamWriter::new(sink, opened);
        entries::write_head(&mut w, Kind::Manifest, manifest_json.len() as u64).map_err(io)?;
        w.write_all(&manifest_json).map_err(io)?;
        entries::write_head(&mut w, Kind::DatabaseKey, DbKey::LEN as u64).map_err(io)?;
        w.write_all(db_key.as_bytes()).map_err(io)?;
        entries::write_head(&mut w, Kind::Database, len).map_err(io)?;
        let reading = Reporting::new(&db_file, progress, TransferPhase::Write, len);
        let mut reading = BufReader::with_capacity(1 << 20, reading.take(len));
        let copied = std::io::copy(&mut reading, &mut w).map_err(io)?;
        if copied != len {
            return Err(Error::Corrupt(format!(
                "{} changed while it was copied",
                db.display()
            )));
        }
        if let Some(keys) = contents.provider_keys {
            entries::write_head(&mut w, Kind::ProviderKeys, keys.len() as u64).map_err(io)?;
            w.write_all(keys).map_err(io)?;
        }
        w.finish().map_err(io)?.flush().map_err(io)?;
        if !header.is_finished() {
            // Said only when it is what the export waits for (a small profile is written
            // before the passphrase is stretched).
            start(progress, TransferPhase::Key);
        }
        let header = header
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(&header).map_err(io)?;
        let _ = written.set(Unlocked {
            header,
            opened: opened.clone(),
        });
        Ok(())
    };
    let check = |path: &Path| {
        if !contents.verify {
            return Ok(());
        }
        let unlocked = written
            .get()
            .ok_or_else(|| Error::Corrupt("the bundle's header was not written".into()))?;
        let read = scan(path, unlocked, progress, TransferPhase::Verify, |_| Ok(()))?;
        if read != *manifest {
            return Err(Error::Corrupt(format!(
                "{} does not read back as written",
                out.display()
            )));
        }
        Ok(())
    };
    crate::fs::atomic::write_checked(out, fill, check)
}

/// Deletes provider keys, and references to this machine's keyring, from a copy of a profile's
/// database (an export's of a passphrase profile, or an import's).
/// `secure_delete` zeroes what is deleted, in place, so no page (free or not) keeps a key and
/// no VACUUM (a second full rewrite) is needed. Keys travel in their own entry when included.
fn strip_provider_keys(conn: &Connection) -> Result<()> {
    conn.execute_batch("PRAGMA secure_delete = ON;")?;
    let tx = conn.unchecked_transaction()?;
    store::endpoints::strip_keys(&tx)?;
    tx.commit()?;
    Ok(())
}

/// The manifest of the database `conn` reads, as exported from `open`.
fn describe(conn: &Connection, open: &OpenProfile, options: &ExportOptions) -> Result<Manifest> {
    let row_counts = store::meta::row_counts(conn)?;
    let schema_version = store::meta::schema_version(conn)?;
    let seed_version = store::meta::seed_state(conn)?.and_then(|s| s.version);
    let record = open.record();
    Ok(Manifest {
        format_version: bundle::header::VERSION,
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        schema_version,
        seed_version,
        profile_name: record.name.clone(),
        created_at: record.created_at.clone(),
        exported_at: jiff::Timestamp::now().to_string(),
        row_counts,
        includes_provider_keys: options.include_provider_keys,
    })
}

/// Makes the imported database (already under the new profile's key) the new profile's: its
/// id, and no provider key settings from the old machine (keys included in the bundle are set
/// again afterwards).
fn adopt(path: &Path, key: &DbKey, profile_id: &str) -> Result<()> {
    let conn = keyed(path, key)?;
    let tx = conn.unchecked_transaction()?;
    store::meta::set_profile_id(&tx, profile_id)?;
    tx.commit()?;
    strip_provider_keys(&conn)?;
    conn.close().map_err(|(_, e)| Error::from(e))
}

/// A connection to a copy of a profile's database under `key`, in the journal mode the file
/// has.
fn keyed(path: &Path, key: &DbKey) -> Result<Connection> {
    crate::db::open_keyed(path, key, "snapshot", OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(|err| {
        match err {
            Error::DecryptFailed { .. } => {
                Error::Corrupt("the bundle's database does not open with its key".into())
            }
            other => other,
        }
    })
}
