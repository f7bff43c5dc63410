//! Export and import of whole profiles as passphrase-encrypted bundles
//! (docs/bundle-format.md).
//!
//! Export snapshots the live database into a SQLCipher file under a one-off key (no plaintext
//! page touches the disk), strips provider secrets from it unless asked to keep them, and
//! streams it into the bundle. Import authenticates the whole bundle first, then creates the
//! profile through the same crash-safe path as `create`: the snapshot is streamed into the new
//! profile's directory, re-keyed to the new profile's key, and migrated.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{KeyProtection, OpenProfile, Profiles, layout};
use crate::bundle::entries::{self, Kind};
use crate::bundle::{self, DEFAULT_KDF, Manifest};
use crate::error::{Error, Result};
use crate::providers::{Provider, ProviderKey};
use crate::registry::ProfileRecord;
use crate::secrets::wrapped::KdfParams;
use crate::secrets::{DbKey, Passphrase};

/// Tables a manifest counts rows of.
const COUNTED: [&str; 8] = [
    "contents",
    "presets",
    "runs",
    "tasks",
    "documents",
    "eval_scores",
    "pairwise_results",
    "run_events",
];

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

/// What a bundle holds, once authenticated in full.
struct Scanned {
    manifest: Manifest,
    database_sha256: [u8; 32],
}

/// Where exports keep their scratch directories, under the data dir.
pub(crate) const SCRATCH_DIR: &str = "transfers";

/// A scratch directory under the data dir (same file system as the profiles), locked while
/// the export runs and removed when dropped; the sweep removes one whose process died. It
/// only ever holds encrypted files.
struct Scratch(PathBuf, Option<super::ProfileLock>);

impl Drop for Scratch {
    fn drop(&mut self) {
        drop(self.1.take());
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Profiles {
    fn scratch(&self) -> Result<Scratch> {
        let dir = self
            .data_dir
            .join(SCRATCH_DIR)
            .join(uuid::Uuid::new_v4().to_string());
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
        let lock = super::ProfileLock::try_acquire(&dir, "export")?;
        Ok(Scratch(dir, Some(lock)))
    }

    /// Writes `open` as a bundle at `out`, sealed with `passphrase`, atomically: a crash leaves
    /// the old file (if any) or the whole new one.
    pub fn export(
        &self,
        open: &OpenProfile,
        passphrase: &Passphrase,
        out: &Path,
        options: ExportOptions,
    ) -> Result<Exported> {
        open.library()?;
        let scratch = self.scratch()?;
        let snapshot = scratch.0.join("snapshot.db");
        let snapshot_key = DbKey::generate()?;
        open.db().export_encrypted(&snapshot, &snapshot_key)?;
        let manifest = strip_and_describe(&snapshot, &snapshot_key, open, &options)?;
        let provider_keys = if options.include_provider_keys {
            Some(self.provider_keys_json(open)?)
        } else {
            None
        };

        let manifest_json = serde_json::to_vec(&manifest)
            .map_err(|e| Error::InvalidInput(format!("could not encode the manifest: {e}")))?;
        let mut written_sha = [0u8; 32];
        // The header is made once; verification reuses its keys rather than stretching the
        // passphrase again.
        let (header, opened) = bundle::header::seal(passphrase, options.kdf)?;
        crate::atomic_file::write_with(out, |file| {
            let io = |e: std::io::Error| Error::io("write", out, e);
            let mut buffered = BufWriter::with_capacity(1 << 17, file);
            buffered.write_all(&header).map_err(io)?;
            let mut w = bundle::StreamWriter::new(buffered, &opened);
            entries::write_head(&mut w, Kind::Manifest, manifest_json.len() as u64).map_err(io)?;
            w.write_all(&manifest_json).map_err(io)?;
            entries::write_head(&mut w, Kind::DatabaseKey, DbKey::LEN as u64).map_err(io)?;
            w.write_all(snapshot_key.as_bytes()).map_err(io)?;
            let db = File::open(&snapshot).map_err(|e| Error::io("open", &snapshot, e))?;
            let len = db
                .metadata()
                .map_err(|e| Error::io("stat", &snapshot, e))?
                .len();
            entries::write_head(&mut w, Kind::Database, len).map_err(io)?;
            let mut hashing = HashingWriter::new(&mut w);
            let copied = std::io::copy(&mut BufReader::with_capacity(1 << 17, db), &mut hashing)
                .map_err(io)?;
            if copied != len {
                return Err(Error::Corrupt(
                    "the snapshot changed while it was copied".into(),
                ));
            }
            written_sha = hashing.finish();
            if let Some(keys) = &provider_keys {
                entries::write_head(&mut w, Kind::ProviderKeys, keys.len() as u64).map_err(io)?;
                w.write_all(keys).map_err(io)?;
            }
            w.finish().map_err(io)?.flush().map_err(io)
        })?;
        drop(scratch);

        if options.verify {
            let scanned = scan(out, &Unlocked { header, opened }, |_| Ok(()))?;
            if scanned.database_sha256 != written_sha || scanned.manifest != manifest {
                return Err(Error::Corrupt(format!(
                    "{} does not read back as written",
                    out.display()
                )));
            }
        }
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

    /// The manifest of the bundle at `path`, after authenticating all of it.
    pub fn inspect_bundle(&self, path: &Path, passphrase: &Passphrase) -> Result<Manifest> {
        Ok(scan(path, &unlock(path, passphrase)?, |_| Ok(()))?.manifest)
    }

    /// Creates a new profile (new id, new database key) from the bundle at `path`, named
    /// `new_name` or as in the bundle. The whole bundle is authenticated before anything is
    /// created; a clash of names is `ALREADY_EXISTS`, a newer schema `NEWER_VERSION`.
    pub fn import(
        &self,
        path: &Path,
        passphrase: &Passphrase,
        new_name: Option<&str>,
        protection: KeyProtection,
    ) -> Result<ProfileRecord> {
        // The passphrase is stretched once; both passes below reuse the keys.
        let unlocked = unlock(path, passphrase)?;
        let manifest = scan(path, &unlocked, |_| Ok(()))?.manifest;
        let supported = crate::db::migrations::latest_version();
        if manifest.schema_version > supported {
            return Err(Error::NewerVersion {
                what: "the bundle's profile database".into(),
                found: manifest.schema_version,
                supported,
            });
        }
        let name = new_name.unwrap_or(&manifest.profile_name).to_owned();
        let mut provider_keys: Option<Zeroizing<Vec<u8>>> = None;
        let unlock = match &protection {
            KeyProtection::Passphrase(p) => Some(p.clone()),
            KeyProtection::Keyring => None,
        };
        let record = self.create_with(&name, protection, |record, dir, key| {
            let incoming = dir.join("import.db");
            let mut snapshot_key = None;
            scan(path, &unlocked, |entry| {
                match entry {
                    Entry::Small(Kind::DatabaseKey, bytes) => {
                        snapshot_key = Some(DbKey::from_bytes(bytes)?);
                    }
                    Entry::Small(Kind::ProviderKeys, bytes) => {
                        provider_keys = Some(Zeroizing::new(bytes.to_vec()));
                    }
                    Entry::Small(..) => {}
                    Entry::Database(reader) => {
                        let io = |e: std::io::Error| Error::io("write", &incoming, e);
                        let mut file = File::create_new(&incoming).map_err(io)?;
                        std::io::copy(reader, &mut file).map_err(|e| {
                            if e.kind() == std::io::ErrorKind::InvalidData {
                                bundle::stream::read_error(e)
                            } else {
                                io(e)
                            }
                        })?;
                        file.sync_all().map_err(io)?;
                    }
                }
                Ok(())
            })?;
            super::crash_point("import-after-copy");
            let snapshot_key = snapshot_key
                .ok_or_else(|| Error::Corrupt("the bundle has no database key".into()))?;
            rekey(&incoming, &snapshot_key, &key, &record.id)?;
            super::crash_point("import-after-rekey");
            let db_path = dir.join(layout::DB_FILE);
            std::fs::rename(&incoming, &db_path).map_err(|e| Error::io("rename", &incoming, e))?;
            // Opening migrates a database from an older schema.
            drop(crate::db::Database::open(&db_path, key, &record.name)?);
            Ok(())
        })?;
        if let Some(keys) = provider_keys {
            let open = self.open_profile(&record.id, unlock.as_ref())?;
            for (provider, key) in parse_provider_keys(&keys)? {
                self.set_provider_key(&open, provider, &key)?;
            }
        }
        log::info!("imported profile {} from a bundle", record.id);
        Ok(record)
    }

    /// The provider keys of `open` as JSON: `[["openai", "sk-..."], ...]`.
    fn provider_keys_json(&self, open: &OpenProfile) -> Result<Zeroizing<Vec<u8>>> {
        let mut pairs: Vec<(Provider, Zeroizing<String>)> = Vec::new();
        for provider in Provider::ALL {
            if let Some(key) = self.provider_key(open, provider)? {
                pairs.push((provider, Zeroizing::new(key.expose().to_owned())));
            }
        }
        let plain: Vec<(Provider, &str)> = pairs.iter().map(|(p, k)| (*p, k.as_str())).collect();
        serde_json::to_vec(&plain)
            .map(Zeroizing::new)
            .map_err(|e| Error::InvalidInput(format!("could not encode provider keys: {e}")))
    }
}

fn parse_provider_keys(bytes: &[u8]) -> Result<Vec<(Provider, ProviderKey)>> {
    let pairs: Vec<(Provider, String)> = serde_json::from_slice(bytes)
        .map_err(|_| Error::Corrupt("the bundle's provider keys do not parse".into()))?;
    // ProviderKey::new takes each string over and wipes it when dropped.
    pairs
        .into_iter()
        .map(|(provider, key)| Ok((provider, ProviderKey::new(key)?)))
        .collect()
}

/// One entry as [`scan`] hands it over.
enum Entry<'a> {
    /// A small entry, in memory.
    Small(Kind, &'a [u8]),
    /// The database, to be read (or not) by the callback; the rest is drained and hashed.
    Database(&'a mut dyn Read),
}

/// A bundle's header, checked, with the keys derived from the passphrase.
struct Unlocked {
    header: Vec<u8>,
    opened: bundle::header::Opened,
}

/// Reads and checks the header of the bundle at `path` (one Argon2 derivation).
fn unlock(path: &Path, passphrase: &Passphrase) -> Result<Unlocked> {
    let file = File::open(path).map_err(|e| Error::io("open", path, e))?;
    let mut header = Vec::with_capacity(bundle::header::HEADER_LEN);
    file.take(bundle::header::HEADER_LEN as u64)
        .read_to_end(&mut header)
        .map_err(|e| Error::io("read", path, e))?;
    let opened = bundle::header::open(&mut header.as_slice(), passphrase)?;
    Ok(Unlocked { header, opened })
}

/// Reads and authenticates the whole bundle at `path`, calling `sink` for each entry. The
/// header must be the one `unlocked` checked.
fn scan(
    path: &Path,
    unlocked: &Unlocked,
    mut sink: impl FnMut(Entry<'_>) -> Result<()>,
) -> Result<Scanned> {
    let mut file = BufReader::with_capacity(
        1 << 17,
        File::open(path).map_err(|e| Error::io("open", path, e))?,
    );
    let mut header = vec![0u8; unlocked.header.len()];
    file.read_exact(&mut header)
        .map_err(|e| Error::io("read", path, e))?;
    if header != unlocked.header {
        return Err(Error::Corrupt(
            "the bundle changed while it was read".into(),
        ));
    }
    let mut reader = bundle::StreamReader::new(file, &unlocked.opened);
    let mut manifest: Option<Manifest> = None;
    let mut database_sha256 = None;
    // Entries come exactly in this order, each once; only the last may be missing (a bundle
    // with a database has the key before it, so the check at the end covers both).
    let mut expected = [
        Kind::Manifest,
        Kind::DatabaseKey,
        Kind::Database,
        Kind::ProviderKeys,
    ]
    .into_iter();
    while let Some((kind, len)) = entries::read_head(&mut reader)? {
        if expected.next() != Some(kind) {
            return Err(Error::Corrupt(format!(
                "a bundle entry out of order or repeated: {kind:?}"
            )));
        }
        if kind == Kind::Database {
            let mut limited = HashingReader::new((&mut reader).take(len));
            sink(Entry::Database(&mut limited))?;
            std::io::copy(&mut limited, &mut std::io::sink())
                .map_err(bundle::stream::read_error)?;
            if limited.read_total != len {
                return Err(Error::Corrupt("the bundle's database is truncated".into()));
            }
            database_sha256 = Some(limited.finish());
            continue;
        }
        let bytes = Zeroizing::new(entries::read_small(&mut reader, len)?);
        if kind == Kind::Manifest {
            manifest = Some(
                serde_json::from_slice(&bytes)
                    .map_err(|_| Error::Corrupt("the bundle's manifest does not parse".into()))?,
            );
        }
        sink(Entry::Small(kind, &bytes))?;
    }
    match (manifest, database_sha256) {
        (Some(manifest), Some(database_sha256)) => Ok(Scanned {
            manifest,
            database_sha256,
        }),
        _ => Err(Error::Corrupt("the bundle is missing entries".into())),
    }
}

/// Removes provider secrets from the snapshot (unless kept) so that no page holds them, and
/// describes it.
fn strip_and_describe(
    snapshot: &Path,
    key: &DbKey,
    open: &OpenProfile,
    options: &ExportOptions,
) -> Result<Manifest> {
    let conn = keyed(snapshot, key)?;
    // Keys travel in their own entry when included, and are set again on import, so the
    // snapshot never carries them, nor a reference to this machine's keyring.
    // secure_delete zeroes what is deleted, in place, so no page (free or not) keeps a key and
    // no VACUUM (a second full rewrite) is needed.
    conn.execute_batch(
        "PRAGMA secure_delete = ON;
         DELETE FROM provider_secrets;
         UPDATE provider_settings SET key_ref = NULL, key_last4 = NULL, key_updated_at = NULL;",
    )?;
    let mut row_counts = BTreeMap::new();
    for table in COUNTED {
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        row_counts.insert(table.to_owned(), n);
    }
    let schema_version: i64 =
        conn.query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })?;
    let seed_version: Option<i64> =
        conn.query_row("SELECT seed_version FROM profile_meta", [], |r| r.get(0))?;
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

/// Re-keys the imported snapshot from its one-off key to the new profile's key, and makes it
/// the new profile's (its id is new).
fn rekey(path: &Path, from: &DbKey, to: &DbKey, profile_id: &str) -> Result<()> {
    let conn = keyed(path, from)?;
    conn.execute("UPDATE profile_meta SET profile_id = ?1", [profile_id])?;
    conn.execute_batch(&to.pragma_sql("rekey"))?;
    conn.close().map_err(|(_, e)| Error::from(e))
}

/// A connection to a snapshot file under `key`, in its own (rollback) journal mode.
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

/// Counts and hashes what passes through.
struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
        }
    }

    fn finish(self) -> [u8; 32] {
        self.hasher.finalize().into()
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

struct HashingReader<R: Read> {
    inner: R,
    hasher: Sha256,
    read_total: u64,
}

impl<R: Read> HashingReader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            read_total: 0,
        }
    }

    fn finish(self) -> [u8; 32] {
        self.hasher.finalize().into()
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read_total += n as u64;
        Ok(n)
    }
}
