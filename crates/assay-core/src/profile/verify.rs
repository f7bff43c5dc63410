//! `verify`: is a profile complete, consistent and undamaged?

use std::path::Path;

use super::Profiles;
use super::layout::{self, WRAPPED_KEY_FILE};
use crate::error::Result;
use crate::registry::{KeyMode, ProfileRecord};
use crate::secrets::Passphrase;

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
    pub fn verify(&self, reference: &str, passphrase: Option<&Passphrase>) -> Result<VerifyReport> {
        let open = self.open_profile(reference, passphrase)?;
        let record = open.record().clone();
        let mut checks = vec![Check {
            name: "open",
            ok: true,
            detail: "registry row active, directory present, key found, database decrypts, migrations match".into(),
        }];
        let db = open.db();
        checks.push(db.read(|conn| {
            rows_check(
                conn,
                "cipher_integrity_check",
                "PRAGMA cipher_integrity_check",
            )
        })?);
        checks.push(db.read(|conn| {
            let result: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            Ok(Check {
                name: "integrity_check",
                ok: result == "ok",
                detail: result,
            })
        })?);
        checks.push(
            db.read(|conn| rows_check(conn, "foreign_key_check", "PRAGMA foreign_key_check"))?,
        );
        checks.push(db.read(|conn| {
            let id = crate::store::meta::profile_id(conn)?;
            Ok(Check {
                name: "profile_meta",
                ok: id == record.id,
                detail: format!("database belongs to profile {id}"),
            })
        })?);
        let dir = layout::profile_dir(self.data_dir(), &record.id);
        checks.push(self.key_consistency(&record, &dir)?);
        let ok = checks.iter().all(|c| c.ok);
        Ok(VerifyReport {
            profile: record,
            checks,
            ok,
        })
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

fn rows_check(conn: &rusqlite::Connection, name: &'static str, sql: &str) -> Result<Check> {
    let mut stmt = conn.prepare(sql)?;
    let columns = stmt.column_count();
    let mut problems = Vec::new();
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let cells: Vec<String> = (0..columns)
            .map(|i| row.get_ref(i).map(|v| format!("{v:?}")).unwrap_or_default())
            .collect();
        problems.push(cells.join(" "));
    }
    Ok(Check {
        name,
        ok: problems.is_empty(),
        detail: if problems.is_empty() {
            "no problems".into()
        } else {
            problems.join("; ")
        },
    })
}
