//! Schema migrations: numbered SQL files embedded at compile time, each applied in its own
//! transaction and recorded with a SHA-256 checksum of its text.
//!
//! On every open, before anything is written:
//! - a recorded version this build does not ship means the DB is from a newer Assay:
//!   `NEWER_VERSION`, and the DB is left untouched;
//! - a recorded checksum that differs from the shipped text means a migration was edited after
//!   it landed: `SCHEMA_MISMATCH`, and nothing is changed.
//!
//! Only then are pending migrations applied, oldest first.

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// One migration file.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The number from the file name (`0001` → 1).
    pub version: i64,
    /// The name from the file name.
    pub name: &'static str,
    /// The SQL text.
    pub sql: &'static str,
}

impl Migration {
    /// SHA-256 of the SQL text, lowercase hex.
    pub fn checksum(&self) -> String {
        Sha256::digest(self.sql.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// The newest schema version this build ships.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

const LEDGER: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TEXT NOT NULL
) STRICT;";

/// Checks the applied migrations against `migrations` and applies the pending ones.
/// `what` names the database in messages ("the database of profile \"x\"").
pub fn check_and_apply(conn: &mut Connection, migrations: &[Migration], what: &str) -> Result<()> {
    let applied = applied(conn)?;
    let newest_known = migrations.last().map_or(0, |m| m.version);
    if let Some(&(found, _)) = applied.iter().find(|(v, _)| *v > newest_known) {
        return Err(Error::NewerVersion {
            what: what.to_owned(),
            found,
            supported: newest_known,
        });
    }
    for (version, checksum) in &applied {
        let shipped = migrations.iter().find(|m| m.version == *version);
        match shipped {
            Some(m) if m.checksum() == *checksum => {}
            Some(m) => {
                return Err(Error::SchemaMismatch {
                    version: *version,
                    name: m.name.into(),
                });
            }
            None => {
                return Err(Error::Corrupt(format!(
                    "{what} records migration {version}, which this build does not have"
                )));
            }
        }
    }
    for migration in migrations
        .iter()
        .filter(|m| !applied.iter().any(|(v, _)| *v == m.version))
    {
        let tx = conn.transaction()?;
        tx.execute_batch(LEDGER)?;
        tx.execute_batch(migration.sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
            params![migration.version, migration.name, migration.checksum(), jiff::Timestamp::now().to_string()],
        )?;
        tx.commit()?;
        log::info!(
            "applied migration {:04}_{} to {what}",
            migration.version,
            migration.name
        );
    }
    Ok(())
}

/// `(version, checksum)` of every applied migration; empty for a new database.
fn applied(conn: &Connection) -> Result<Vec<(i64, String)>> {
    let exists: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_none() {
        return Ok(Vec::new());
    }
    let mut stmt =
        conn.prepare("SELECT version, checksum FROM schema_migrations ORDER BY version")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn shipped_migrations_are_numbered_contiguously_from_0001() {
        assert!(!MIGRATIONS.is_empty(), "at least one migration ships");
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            let expected = i64::try_from(index).expect("small") + 1;
            assert_eq!(
                migration.version, expected,
                "migration {} ({}) should be number {expected}: no gaps, no duplicates",
                migration.version, migration.name
            );
        }
    }

    fn fresh() -> Connection {
        Connection::open_in_memory().expect("in-memory db")
    }

    const V1: Migration = Migration {
        version: 1,
        name: "one",
        sql: "CREATE TABLE a (x INTEGER);",
    };
    const V2: Migration = Migration {
        version: 2,
        name: "two",
        sql: "CREATE TABLE b (y INTEGER);",
    };

    #[test]
    fn pending_migrations_are_applied_once_and_recorded() {
        let mut conn = fresh();
        check_and_apply(&mut conn, &[V1], "db").expect("first");
        check_and_apply(&mut conn, &[V1, V2], "db").expect("second");
        check_and_apply(&mut conn, &[V1, V2], "db").expect("idempotent");
        let count: i64 = conn
            .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
            .expect("count");
        assert_eq!(count, 2, "each migration is recorded exactly once");
    }

    #[test]
    fn an_edited_migration_is_a_schema_mismatch() {
        let mut conn = fresh();
        check_and_apply(&mut conn, &[V1], "db").expect("apply");
        let edited = Migration {
            sql: "CREATE TABLE a (x INTEGER, z TEXT);",
            ..V1
        };
        let err = check_and_apply(&mut conn, &[edited, V2], "db").expect_err("must refuse");
        assert_eq!(err.code(), ErrorCode::SchemaMismatch);
        let has_b: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'b'",
                [],
                |r| r.get(0),
            )
            .expect("query");
        assert_eq!(has_b, 0, "nothing is applied after a mismatch");
    }

    #[test]
    fn a_database_from_a_newer_build_is_refused() {
        let mut conn = fresh();
        check_and_apply(&mut conn, &[V1, V2], "db").expect("apply");
        let err = check_and_apply(&mut conn, &[V1], "db").expect_err("must refuse");
        assert_eq!(err.code(), ErrorCode::NewerVersion);
    }

    #[test]
    fn a_failing_migration_leaves_no_trace() {
        let mut conn = fresh();
        let broken = Migration {
            version: 1,
            name: "broken",
            sql: "CREATE TABLE c (x); SELEC oops;",
        };
        assert!(check_and_apply(&mut conn, &[broken], "db").is_err());
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .expect("query");
        assert_eq!(
            tables, 0,
            "the failed migration's transaction rolled back entirely"
        );
    }
}
