//! `registry.db`: the list of profiles in a data dir.
//!
//! Plain SQLite: it holds ids, names, states, key modes, timestamps and the names of the
//! keyring entries each profile owns. Never a secret and never content. Profile names are
//! unique case-insensitively *in the schema* (a UNIQUE index on the comparison key), so two
//! concurrent creates of one name cannot both succeed.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::name::{ProfileName, legacy_lookup_key, lookup_key};
use crate::error::{Error, Result};

/// File name of the registry inside the data dir.
pub const FILE_NAME: &str = "registry.db";
/// Schema version of `registry.db` (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 3;

const SCHEMA_V1: &str = "
CREATE TABLE profiles (
    id              TEXT NOT NULL PRIMARY KEY,
    name            TEXT NOT NULL,
    name_key        TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL CHECK (state IN ('creating', 'active', 'deleting')),
    key_mode        TEXT NOT NULL CHECK (key_mode IN ('keyring', 'passphrase')),
    created_at      TEXT NOT NULL,
    last_opened_at  TEXT,
    keyring_entries TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(keyring_entries))
) STRICT;
PRAGMA user_version = 1;
";

/// v2: the data dir's identity (`crate::identity`), a copy of `data-dir.json`.
const SCHEMA_V2: &str = "
CREATE TABLE data_dir (
    singleton INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 1),
    id        TEXT NOT NULL,
    path      TEXT NOT NULL
) STRICT;
PRAGMA user_version = 2;
";

/// Where a profile is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ProfileState {
    /// Being created; the recovery sweep undoes it if its creator died.
    Creating,
    /// Complete and usable.
    Active,
    /// Being deleted; the recovery sweep finishes it if its deleter died.
    Deleting,
}

/// How a profile's DB key is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum KeyMode {
    /// In the OS keyring.
    Keyring,
    /// Wrapped with a passphrase in `key.wrapped`.
    Passphrase,
}

impl ProfileState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Creating => "creating",
            Self::Active => "active",
            Self::Deleting => "deleting",
        }
    }
}

impl KeyMode {
    /// The stored name: `keyring` or `passphrase`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Keyring => "keyring",
            Self::Passphrase => "passphrase",
        }
    }
}

/// One row of the registry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct ProfileRecord {
    /// The profile's UUID; also its directory name.
    pub id: String,
    /// The name as the person typed it (trimmed, NFC).
    pub name: String,
    /// Lifecycle state.
    pub state: ProfileState,
    /// How the DB key is protected.
    pub key_mode: KeyMode,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last successful open.
    pub last_opened_at: Option<String>,
    /// Names of the keyring entries this profile owns (relative to the data dir's namespace).
    pub keyring_entries: Vec<String>,
}

/// The open registry of one data dir.
#[derive(Debug)]
pub struct ProfileRegistry {
    conn: Mutex<Connection>,
}

impl ProfileRegistry {
    /// Opens `<data_dir>/registry.db`, creating it (and the data dir) on first use. A
    /// registry that is not a database, or is damaged, is moved aside (never deleted) and a
    /// new one is made; the recovery sweep then brings every profile back from its manifest.
    pub fn open(data_dir: &Path) -> Result<Self> {
        crate::fs::private::create_dir_all(data_dir)?;
        // Opening may create the file, switch it to WAL and write the schema: processes that
        // start together on a new data dir take turns, so none sees a half-made registry.
        let _turn = crate::fs::RegistryLock::acquire(data_dir)?;
        match Self::open_file(data_dir) {
            Err(Error::Sqlite(e)) if is_damage(&e) => {
                let aside = move_aside(data_dir)?;
                log::warn!(
                    "the profile registry was damaged ({e}); moved it to {} and starting a new one",
                    aside.display()
                );
                Self::open_file(data_dir)
            }
            other => other,
        }
    }

    fn open_file(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join(FILE_NAME);
        // Made 0600 before SQLite opens it, so its -wal and -shm are 0600 too.
        crate::fs::private::ensure_file(&path)?;
        let mut conn = Connection::open(&path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(Error::NewerVersion {
                what: format!("the profile registry {}", path.display()),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if version == 0 {
            tx.execute_batch(SCHEMA_V1)?;
        }
        if version < 2 {
            tx.execute_batch(SCHEMA_V2)?;
        }
        if version < 3 {
            refold_names(&tx)?;
            tx.execute_batch("PRAGMA user_version = 3;")?;
        }
        tx.commit()?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Inserts a profile in state `creating`. A name clash is `ALREADY_EXISTS`, decided by the
    /// UNIQUE constraint, not by a prior lookup.
    pub fn insert_creating(
        &self,
        id: &str,
        name: &ProfileName,
        key_mode: KeyMode,
        keyring_entries: &[String],
    ) -> Result<ProfileRecord> {
        let entries = serde_json::to_string(keyring_entries)
            .map_err(|e| Error::InvalidInput(format!("keyring entry names: {e}")))?;
        let inserted = self.conn().execute(
            "INSERT INTO profiles (id, name, name_key, state, key_mode, created_at, keyring_entries)
             VALUES (?1, ?2, ?3, 'creating', ?4, ?5, ?6)",
            params![id, name.as_str(), name.key(), key_mode.as_str(), now(), entries],
        );
        map_unique(inserted, name)?;
        self.get(id)?.ok_or_else(|| Error::NotFound {
            reference: id.to_owned(),
        })
    }

    /// Moves a profile to `state`.
    pub fn set_state(&self, id: &str, state: ProfileState) -> Result<()> {
        self.conn().execute(
            "UPDATE profiles SET state = ?2 WHERE id = ?1",
            params![id, state.as_str()],
        )?;
        Ok(())
    }

    /// Removes a profile's row.
    pub fn remove(&self, id: &str) -> Result<()> {
        self.conn()
            .execute("DELETE FROM profiles WHERE id = ?1", params![id])?;
        Ok(())
    }

    /// Renames an active profile; a clash is `ALREADY_EXISTS`.
    pub fn rename(&self, id: &str, name: &ProfileName) -> Result<ProfileRecord> {
        let updated = self.conn().execute(
            "UPDATE profiles SET name = ?2, name_key = ?3 WHERE id = ?1 AND state = 'active'",
            params![id, name.as_str(), name.key()],
        );
        if map_unique(updated, name)? == 0 {
            return Err(Error::NotFound {
                reference: id.to_owned(),
            });
        }
        self.get(id)?.ok_or_else(|| Error::NotFound {
            reference: id.to_owned(),
        })
    }

    /// Adds `entry` to the keyring entries a profile owns (idempotent). Called *before* the
    /// secret is stored, so a crash never leaves an entry that delete and the sweep miss.
    pub fn add_keyring_entry(&self, id: &str, entry: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE profiles SET keyring_entries = json_insert(keyring_entries, '$[#]', ?2)
             WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM json_each(keyring_entries) WHERE value = ?2)",
            params![id, entry],
        )?;
        Ok(())
    }

    /// Removes `entry` from the keyring entries a profile owns; called *after* the secret is gone.
    pub fn remove_keyring_entry(&self, id: &str, entry: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE profiles SET keyring_entries =
                 (SELECT json_group_array(value) FROM json_each(keyring_entries) WHERE value <> ?2)
             WHERE id = ?1",
            params![id, entry],
        )?;
        Ok(())
    }

    /// Inserts an active row for a complete profile found on disk (from its manifest) that
    /// the registry did not list; a name clash is `ALREADY_EXISTS`.
    pub fn insert_restored(
        &self,
        id: &str,
        name: &ProfileName,
        key_mode: KeyMode,
        created_at: &str,
        keyring_entries: &[String],
    ) -> Result<ProfileRecord> {
        let entries = serde_json::to_string(keyring_entries)
            .map_err(|e| Error::InvalidInput(format!("keyring entry names: {e}")))?;
        let inserted = self.conn().execute(
            "INSERT INTO profiles (id, name, name_key, state, key_mode, created_at, keyring_entries)
             VALUES (?1, ?2, ?3, 'active', ?4, ?5, ?6)",
            params![id, name.as_str(), name.key(), key_mode.as_str(), created_at, entries],
        );
        map_unique(inserted, name)?;
        self.get(id)?.ok_or_else(|| Error::NotFound {
            reference: id.to_owned(),
        })
    }

    /// The data dir's id and path as last recorded here, if any.
    pub fn identity(&self) -> Result<Option<(String, String)>> {
        Ok(self
            .conn()
            .query_row("SELECT id, path FROM data_dir", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    /// Records the data dir's id and path.
    pub fn set_identity(&self, id: &str, path: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO data_dir (singleton, id, path) VALUES (1, ?1, ?2)
             ON CONFLICT (singleton) DO UPDATE SET id = ?1, path = ?2",
            params![id, path],
        )?;
        Ok(())
    }

    /// Records a successful open.
    pub fn touch_opened(&self, id: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE profiles SET last_opened_at = ?2 WHERE id = ?1",
            params![id, now()],
        )?;
        Ok(())
    }

    /// Every row, in every state, oldest first.
    pub fn all(&self) -> Result<Vec<ProfileRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY created_at, id"))?;
        let rows = stmt.query_map([], record)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The row with this id, in any state.
    pub fn get(&self, id: &str) -> Result<Option<ProfileRecord>> {
        Ok(self
            .conn()
            .query_row(&format!("{SELECT} WHERE id = ?1"), [id], record)
            .optional()?)
    }

    /// The active profile that `reference` names: an id, or a name compared case-insensitively.
    pub fn resolve(&self, reference: &str) -> Result<ProfileRecord> {
        let conn = self.conn();
        let by_id = conn
            .query_row(
                &format!("{SELECT} WHERE id = ?1 AND state = 'active'"),
                [reference.trim()],
                record,
            )
            .optional()?;
        let by_name = |key: String| {
            conn.query_row(
                &format!("{SELECT} WHERE name_key = ?1 AND state = 'active'"),
                [key],
                record,
            )
            .optional()
        };
        let found = match by_id {
            Some(found) => Some(found),
            // A row made before names were case-folded may keep its old key (see v3).
            None => match by_name(lookup_key(reference))? {
                Some(found) => Some(found),
                None => by_name(legacy_lookup_key(reference))?,
            },
        };
        found.ok_or_else(|| Error::NotFound {
            reference: reference.to_owned(),
        })
    }
}

/// v3: names compare by full case folding. Each row, oldest first, takes its folded key
/// unless an older row already has it: existing profiles keep their names (and so their
/// keys) even where two would now clash.
fn refold_names(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    let rows: Vec<(String, String, String)> = tx
        .prepare("SELECT id, name, name_key FROM profiles ORDER BY created_at, id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, name, old) in rows {
        let folded = lookup_key(&name);
        if folded == old {
            continue;
        }
        let taken: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM profiles WHERE name_key = ?1)",
            [&folded],
            |r| r.get(0),
        )?;
        if !taken {
            tx.execute(
                "UPDATE profiles SET name_key = ?2 WHERE id = ?1",
                params![id, folded],
            )?;
        }
    }
    Ok(())
}

/// Whether `err` says the registry file is not a database or is damaged.
fn is_damage(err: &rusqlite::Error) -> bool {
    matches!(err, rusqlite::Error::SqliteFailure(e, _)
        if matches!(e.code, rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt))
}

/// Moves a damaged `registry.db` (with its -wal and -shm) aside, to
/// `registry.db.damaged-<time>`; returns where it went.
fn move_aside(data_dir: &Path) -> Result<std::path::PathBuf> {
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%S%.fZ")
        .to_string();
    let target = data_dir.join(format!("{FILE_NAME}.damaged-{stamp}"));
    for suffix in ["", "-wal", "-shm"] {
        let from = data_dir.join(format!("{FILE_NAME}{suffix}"));
        let to = std::path::PathBuf::from(format!("{}{suffix}", target.display()));
        match std::fs::rename(&from, &to) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("move aside", &from, e)),
        }
    }
    crate::fs::sync_dir(data_dir)?;
    Ok(target)
}

const SELECT: &str =
    "SELECT id, name, state, key_mode, created_at, last_opened_at, keyring_entries FROM profiles";

fn record(row: &Row<'_>) -> rusqlite::Result<ProfileRecord> {
    let state = match row.get_ref(2)?.as_str()? {
        "creating" => ProfileState::Creating,
        "deleting" => ProfileState::Deleting,
        _ => ProfileState::Active,
    };
    let key_mode = match row.get_ref(3)?.as_str()? {
        "passphrase" => KeyMode::Passphrase,
        _ => KeyMode::Keyring,
    };
    let entries: String = row.get(6)?;
    Ok(ProfileRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        state,
        key_mode,
        created_at: row.get(4)?,
        last_opened_at: row.get(5)?,
        keyring_entries: serde_json::from_str(&entries).unwrap_or_default(),
    })
}

fn map_unique(result: rusqlite::Result<usize>, name: &ProfileName) -> Result<usize> {
    match result {
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            Err(Error::AlreadyExists {
                name: name.as_str().to_owned(),
            })
        }
        other => Ok(other?),
    }
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> ProfileName {
        ProfileName::parse(s).expect("valid name")
    }

    #[test]
    fn a_duplicate_name_in_any_case_is_rejected_by_the_schema() {
        let dir = tempfile::tempdir().expect("temp");
        let reg = ProfileRegistry::open(dir.path()).expect("open");
        reg.insert_creating("id-1", &name("Research"), KeyMode::Keyring, &[])
            .expect("first");
        let err = reg
            .insert_creating("id-2", &name("RESEARCH"), KeyMode::Keyring, &[])
            .expect_err("duplicate");
        assert_eq!(err.code(), crate::ErrorCode::AlreadyExists);
        assert_eq!(
            reg.all().expect("all").len(),
            1,
            "the second row must not exist"
        );
    }

    #[test]
    fn resolve_finds_active_profiles_by_id_or_name_but_not_half_made_ones() {
        let dir = tempfile::tempdir().expect("temp");
        let reg = ProfileRegistry::open(dir.path()).expect("open");
        reg.insert_creating("id-1", &name("Alpha"), KeyMode::Keyring, &[])
            .expect("insert");
        assert!(
            reg.resolve("alpha").is_err(),
            "a creating profile is not resolvable"
        );
        reg.set_state("id-1", ProfileState::Active)
            .expect("activate");
        assert_eq!(reg.resolve(" ALPHA ").expect("by name").id, "id-1");
        assert_eq!(reg.resolve("id-1").expect("by id").name, "Alpha");
        assert_eq!(
            reg.resolve("beta").expect_err("none").code(),
            crate::ErrorCode::NotFound
        );
    }

    #[test]
    fn a_registry_from_a_newer_version_is_refused() {
        let dir = tempfile::tempdir().expect("temp");
        drop(ProfileRegistry::open(dir.path()).expect("open"));
        let conn = Connection::open(dir.path().join(FILE_NAME)).expect("raw");
        conn.execute_batch("PRAGMA user_version = 99;")
            .expect("bump");
        drop(conn);
        let err = ProfileRegistry::open(dir.path()).expect_err("newer");
        assert_eq!(err.code(), crate::ErrorCode::NewerVersion);
    }
}
