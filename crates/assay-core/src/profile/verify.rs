//! `verify`: is a profile complete, consistent and undamaged?

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::Profiles;
use super::layout::{self, WRAPPED_KEY_FILE};
use crate::error::{Error, Result};
use crate::registry::{KeyMode, ProfileRecord};
use crate::secrets::{DbKey, Passphrase};

/// One check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    /// What was checked, e.g. `integrity_check`.
    pub name: &'static str,
    /// Whether it passed.
    pub ok: bool,
    /// What was found.
    pub detail: String,
}

/// The outcome of verifying one profile.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifyReport {
    /// The profile.
    pub profile: ProfileRecord,
    /// Every check, in the order run.
    pub checks: Vec<Check>,
    /// True if every check passed.
    pub ok: bool,
}

impl Profiles {
    /// Opens the profile (which proves its row, directory, lock, key, decryption and
    /// migrations, failing with their typed errors) and then runs SQLCipher's and SQLite's
    /// integrity checks and the registry/directory/keyring consistency checks.
    ///
    /// A database that is damaged past its first page still gets a report: the open check
    /// fails with what went wrong, and every other check runs on the raw file and reports its
    /// first problem. A first page that does not decrypt is `DECRYPT_FAILED`, as a wrong key
    /// is: nothing past it can be read.
    pub fn verify(&self, reference: &str, passphrase: Option<&Passphrase>) -> Result<VerifyReport> {
        match self.open_profile(reference, passphrase) {
            Ok(open) => {
                let record = open.record().clone();
                let opened = Check {
                    name: "open",
                    ok: true,
                    detail: "registry row active, directory present, key found, database decrypts, migrations match".into(),
                };
                let checks = open
                    .db()
                    .read(|conn| Ok(self.checks(&record, opened, conn)))?;
                Ok(VerifyReport::of(record, checks))
            }
            Err(err) if is_damage(&err) => {
                let record = self.registry.resolve(reference)?;
                let dir = layout::profile_dir(self.data_dir(), &record.id);
                let _lock = crate::fs::DirLock::try_acquire(&dir, &record.name)?;
                let key = self.load_key(&record, &dir, passphrase)?;
                let conn = raw_keyed(&dir.join(layout::DB_FILE), &key, &record.name)?;
                let opened = Check {
                    name: "open",
                    ok: false,
                    detail: format!("the database is damaged: {}", first_line(&err.to_string())),
                };
                let checks = self.checks(&record, opened, &conn);
                Ok(VerifyReport::of(record, checks))
            }
            Err(err) => Err(err),
        }
    }

    /// Every check after `opened`, each with its outcome; a check that cannot run fails with
    /// the reason.
    fn checks(&self, record: &ProfileRecord, opened: Check, conn: &Connection) -> Vec<Check> {
        let run = |name: &'static str, check: &dyn Fn() -> Result<Check>| {
            check().unwrap_or_else(|err| Check {
                name,
                ok: false,
                detail: first_line(&err.to_string()),
            })
        };
        let dir = layout::profile_dir(self.data_dir(), &record.id);
        vec![
            opened,
            run("cipher_integrity_check", &|| {
                rows_check(
                    conn,
                    "cipher_integrity_check",
                    "PRAGMA cipher_integrity_check",
                )
            }),
            run("integrity_check", &|| {
                let result: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
                let problems: Vec<&str> = result
                    .lines()
                    .filter(|l| *l != "ok" && !l.starts_with("*** in database"))
                    .collect();
                Ok(Check {
                    name: "integrity_check",
                    ok: result == "ok",
                    detail: summary(&problems),
                })
            }),
            run("foreign_key_check", &|| {
                rows_check(conn, "foreign_key_check", "PRAGMA foreign_key_check")
            }),
            run("profile_meta", &|| {
                let id = crate::store::meta::profile_id(conn)?;
                Ok(Check {
                    name: "profile_meta",
                    ok: id == record.id,
                    detail: format!("database belongs to profile {id}"),
                })
            }),
            run("key_consistency", &|| self.key_consistency(record, &dir)),
        ]
    }

    /// A keyring profile owns exactly its recorded keyring entries and no key file; a
    /// passphrase profile owns a key file and no keyring entries.
    fn key_consistency(&self, record: &ProfileRecord, dir: &Path) -> Result<Check> {
        let wrapped = dir.join(WRAPPED_KEY_FILE).is_file();
        let (ok, detail) = match record.key_mode {
            KeyMode::Keyring => {
                // The DB key must exist; provider-key entries are recorded before they are stored,
                // so one may legitimately be absent after a crash.
                let mut missing = Vec::new();
                let db_key = layout::db_key_entry(&record.id);
                if !record.keyring_entries.contains(&db_key) || self.secrets.get(&db_key)?.is_none()
                {
                    missing.push(db_key);
                }
                let ok = missing.is_empty() && !wrapped && !record.keyring_entries.is_empty();
                (
                    ok,
                    format!("keyring entries missing: {missing:?}; stray key.wrapped: {wrapped}"),
                )
            }
            KeyMode::Passphrase => (
                wrapped && record.keyring_entries.is_empty(),
                format!(
                    "key.wrapped present: {wrapped}; keyring entries: {}",
                    record.keyring_entries.len()
                ),
            ),
        };
        Ok(Check {
            name: "key_consistency",
            ok,
            detail,
        })
    }
}

impl VerifyReport {
    fn of(profile: ProfileRecord, checks: Vec<Check>) -> Self {
        let ok = checks.iter().all(|c| c.ok);
        Self {
            profile,
            checks,
            ok,
        }
    }
}

/// Whether `err` says the database file is damaged (as opposed to a missing key, a wrong
/// key, a lock held elsewhere, ...).
fn is_damage(err: &Error) -> bool {
    match err {
        Error::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
            e.code,
            rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase
        ),
        Error::Corrupt(_) => true,
        _ => false,
    }
}

/// A keyed connection to a damaged database, for checks only. Its first page must decrypt
/// (else `DECRYPT_FAILED`); anything else that fails is left for the checks to report.
fn raw_keyed(path: &Path, key: &DbKey, name: &str) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    conn.execute_batch(&key.pragma_key_sql())?;
    conn.execute_batch("PRAGMA query_only = ON; PRAGMA temp_store = MEMORY;")?;
    let probe = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    });
    if let Err(rusqlite::Error::SqliteFailure(e, _)) = &probe
        && e.code == rusqlite::ErrorCode::NotADatabase
    {
        return Err(Error::DecryptFailed {
            name: name.to_owned(),
        });
    }
    Ok(conn)
}

/// A result cell as text: what SQLite reports, not Rust's debug form of it.
fn cell_text(value: rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => String::new(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_owned()
}

/// The first problem, and how many more there are.
fn summary(problems: &[&str]) -> String {
    match problems {
        [] => "no problems".into(),
        [one] => (*one).to_owned(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

fn rows_check(conn: &Connection, name: &'static str, sql: &str) -> Result<Check> {
    let mut stmt = conn.prepare(sql)?;
    let columns = stmt.column_count();
    let mut problems = Vec::new();
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let cells: Vec<String> = (0..columns)
            .map(|i| row.get_ref(i).map(cell_text).unwrap_or_default())
            .collect();
        problems.push(cells.join(" "));
    }
    let shown: Vec<&str> = problems.iter().map(String::as_str).collect();
    Ok(Check {
        name,
        ok: problems.is_empty(),
        detail: summary(&shown),
    })
}
