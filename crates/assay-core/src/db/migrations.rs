//! Schema migrations: numbered SQL files embedded at compile time, each applied in its own
//! transaction and recorded with a SHA-256 checksum of its text.
//!
//! On every open, before anything is written:
//! - a recorded version this build does not ship means the DB is from a newer Assay:
//!   `NEWER_VERSION`, and the DB is left untouched;
//! - a recorded checksum that differs from the shipped text means a migration was edited after
//!   it landed: `SCHEMA_MISMATCH`, and nothing is changed.
//!
//! Only then are pending migrations applied, oldest first, each in its own transaction.
//!
//! Most migrations run with foreign keys on, as every connection has them. A migration whose
//! first line is `-- assay:rebuild` may rebuild tables (SQLite's "make a new table, copy,
//! drop, rename" procedure), which foreign keys would turn into a cascade: dropping `runs`
//! would delete every result of every run. So a rebuild runs with foreign keys off, and in the
//! same transaction: every table's row count is taken before, `PRAGMA foreign_key_check` must
//! find nothing after, and every table must have as many rows after as before; any difference
//! rolls the whole migration back. A migration that drops a table without that mark is
//! refused before it runs.
//!
//! Released migrations never change: `migrations/checksums.sha256` records each file's
//! SHA-256 (as `sha256sum` prints it), and a test fails when a shipped file differs from it.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
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

/// The first line of a migration that may rebuild tables.
pub const REBUILD_MARK: &str = "-- assay:rebuild";

impl Migration {
    /// Whether the file is marked as a rebuild ([`REBUILD_MARK`] on its first line).
    pub fn is_rebuild(&self) -> bool {
        self.sql.lines().next().map(str::trim_end) == Some(REBUILD_MARK)
    }

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
        if migration.is_rebuild() {
            apply_rebuild(conn, migration, what)?;
        } else {
            if drops_a_table(migration.sql) {
                return Err(Error::Corrupt(format!(
                    "migration {:04}_{} drops a table but is not marked as a rebuild \
                     (`{REBUILD_MARK}` on its first line); with foreign keys on, the drop \
                     would delete every row that depends on it",
                    migration.version, migration.name
                )));
            }
            let tx = conn.transaction()?;
            apply_in(&tx, migration)?;
            tx.commit()?;
        }
        // `what` names the profile; the log does not.
        log::info!(
            "applied migration {:04}_{}",
            migration.version,
            migration.name
        );
    }
    Ok(())
}

/// Runs `migration` and records it in the ledger, inside `tx`.
fn apply_in(tx: &Transaction<'_>, migration: &Migration) -> Result<()> {
    tx.execute_batch(LEDGER)?;
    tx.execute_batch(migration.sql)?;
    record(tx, migration)
}

/// Records `migration` as applied.
fn record(tx: &Transaction<'_>, migration: &Migration) -> Result<()> {
    tx.execute(
        "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
        params![migration.version, migration.name, migration.checksum(), jiff::Timestamp::now().to_string()],
    )?;
    Ok(())
}

/// Applies a rebuild migration with foreign keys off, checking foreign keys and every
/// table's row count in the same transaction (see the module docs). Foreign keys are on
/// again afterwards, whatever happened.
fn apply_rebuild(conn: &mut Connection, migration: &Migration, what: &str) -> Result<()> {
    // foreign_keys cannot change inside a transaction, so it is switched around it.
    let fk_was_on: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    conn.execute_batch("PRAGMA foreign_keys = OFF")?;
    let applied = (|| {
        let tx = conn.transaction()?;
        let before = row_counts(&tx)?;
        tx.execute_batch(migration.sql)?;
        let broken = foreign_key_problems(&tx)?;
        let after = row_counts(&tx)?;
        let mut lost: Vec<String> = before
            .iter()
            .filter(|(table, n)| after.get(*table) != Some(n))
            .map(|(table, n)| match after.get(table) {
                Some(m) => format!("{table} had {n} rows and would have {m}"),
                None => format!("{table} (with {n} rows) would be gone"),
            })
            .collect();
        lost.extend(broken);
        if !lost.is_empty() {
            // Dropping `tx` rolls the migration back.
            return Err(Error::Corrupt(format!(
                "migration {:04}_{} was rolled back and {what} left as it was: {}",
                migration.version,
                migration.name,
                lost.join("; ")
            )));
        }
        record(&tx, migration)?;
        tx.commit()?;
        Ok(())
    })();
    if fk_was_on {
        conn.execute_batch("PRAGMA foreign_keys = ON")?;
    }
    applied
}

/// Rows in every table of the schema (not SQLite's own), by name.
fn row_counts(conn: &Connection) -> Result<BTreeMap<String, i64>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )?;
    let tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    tables
        .into_iter()
        .map(|table| {
            let quoted = table.replace('"', "\"\"");
            let n = conn.query_row(&format!("SELECT count(*) FROM \"{quoted}\""), [], |r| {
                r.get(0)
            })?;
            Ok((table, n))
        })
        .collect()
}

/// What `PRAGMA foreign_key_check` reports, one line per table and missing parent.
fn foreign_key_problems(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT \"table\", parent, count(*) FROM pragma_foreign_key_check GROUP BY 1, 2",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(format!(
            "{} rows of {} point at a missing {}",
            r.get::<_, i64>(2)?,
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether `sql` has a `DROP TABLE` statement (outside `--` comments).
fn drops_a_table(sql: &str) -> bool {
    sql.lines()
        .map(|l| {
            l.split("--")
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase()
        })
        .any(|l| {
            l.split_whitespace()
                .collect::<Vec<_>>()
                .windows(2)
                .any(|w| w == ["DROP", "TABLE"])
        })
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

    /// A parent with a cascading child, as `runs` and its results are.
    const PARENT_CHILD: Migration = Migration {
        version: 1,
        name: "parent_child",
        sql: "CREATE TABLE parent (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
              CREATE TABLE child (id INTEGER PRIMARY KEY,
                  parent_id INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE);
              INSERT INTO parent VALUES (1, 'a'), (2, 'b');
              INSERT INTO child VALUES (10, 1), (11, 1), (12, 2);",
    };

    const REBUILD_PARENT: Migration = Migration {
        version: 2,
        name: "rebuild_parent",
        sql: "-- assay:rebuild
              CREATE TABLE parent_new (id INTEGER PRIMARY KEY, label TEXT NOT NULL,
                  status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'old')));
              INSERT INTO parent_new (id, label) SELECT id, label FROM parent;
              DROP TABLE parent;
              ALTER TABLE parent_new RENAME TO parent;",
    };

    /// An in-memory database with foreign keys on, as every profile connection has them.
    fn with_foreign_keys() -> Connection {
        let conn = fresh();
        conn.execute_batch("PRAGMA foreign_keys = ON")
            .expect("foreign keys on");
        conn
    }

    fn count(conn: &Connection, table: &str) -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .expect("count")
    }

    fn foreign_keys_on(conn: &Connection) -> bool {
        conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .expect("pragma")
    }

    #[test]
    fn a_rebuild_keeps_every_dependant_row_and_turns_foreign_keys_back_on() {
        let mut conn = with_foreign_keys();
        check_and_apply(&mut conn, &[PARENT_CHILD, REBUILD_PARENT], "db").expect("rebuild");
        assert_eq!(count(&conn, "parent"), 2, "every parent row was copied");
        assert_eq!(
            count(&conn, "child"),
            3,
            "no child was cascade-deleted by the drop"
        );
        let status: String = conn
            .query_row("SELECT status FROM parent WHERE id = 1", [], |r| r.get(0))
            .expect("the new column exists");
        assert_eq!(status, "new");
        assert!(foreign_keys_on(&conn), "foreign keys are on again");
        conn.execute("DELETE FROM parent WHERE id = 1", [])
            .expect("delete");
        assert_eq!(
            count(&conn, "child"),
            1,
            "the child's reference still cascades"
        );
    }

    #[test]
    fn without_the_rebuild_mark_a_drop_is_refused_before_it_runs() {
        let mut conn = with_foreign_keys();
        let unmarked = Migration {
            sql: REBUILD_PARENT
                .sql
                .trim_start()
                .trim_start_matches(REBUILD_MARK),
            ..REBUILD_PARENT
        };
        assert!(!unmarked.is_rebuild());
        let err = check_and_apply(&mut conn, &[PARENT_CHILD, unmarked], "db")
            .expect_err("a drop without the mark is refused");
        assert!(err.to_string().contains("not marked as a rebuild"), "{err}");
        assert_eq!(count(&conn, "child"), 3, "nothing was deleted");
    }

    #[test]
    fn a_rebuild_that_loses_rows_is_rolled_back_whole() {
        let mut conn = with_foreign_keys();
        check_and_apply(&mut conn, &[PARENT_CHILD], "db").expect("first");
        let lossy = Migration {
            sql: "-- assay:rebuild
                  CREATE TABLE parent_new (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
                  INSERT INTO parent_new SELECT id, label FROM parent WHERE id = 1;
                  DROP TABLE parent;
                  ALTER TABLE parent_new RENAME TO parent;",
            ..REBUILD_PARENT
        };
        let err = check_and_apply(&mut conn, &[PARENT_CHILD, lossy], "db").expect_err("lossy");
        assert_eq!(err.code(), ErrorCode::Corrupt);
        let message = err.to_string();
        assert!(
            message.contains("parent had 2 rows and would have 1"),
            "{message}"
        );
        assert!(
            message.contains("1 rows of child point at a missing parent"),
            "{message}"
        );
        assert_eq!(count(&conn, "parent"), 2, "the old table is back");
        let recorded: i64 = conn
            .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
            .expect("ledger");
        assert_eq!(recorded, 1, "the failed migration is not recorded");
        assert!(
            foreign_keys_on(&conn),
            "foreign keys are on again after a failure too"
        );
    }

    /// `migrations/checksums.sha256`: `<sha256>  NNNN_name.sql` per released migration.
    fn committed_checksums() -> Vec<(String, String)> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../migrations/checksums.sha256"
        );
        let text = std::fs::read_to_string(path).expect("migrations/checksums.sha256");
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let (sum, file) = l.split_once("  ").expect("`<sha256>  <file>` lines");
                (file.to_owned(), sum.to_owned())
            })
            .collect()
    }

    #[test]
    fn no_released_migration_has_changed_since_its_checksum_was_committed() {
        let committed = committed_checksums();
        for m in MIGRATIONS {
            let file = format!("{:04}_{}.sql", m.version, m.name);
            let Some((_, sum)) = committed.iter().find(|(f, _)| *f == file) else {
                panic!(
                    "{file} has no line in migrations/checksums.sha256; once it is final, add \
                     `(cd migrations && sha256sum {file} >> checksums.sha256)`"
                );
            };
            assert_eq!(
                *sum,
                m.checksum(),
                "{file} changed after its release: write a new migration instead of editing it"
            );
        }
        for (file, _) in &committed {
            assert!(
                MIGRATIONS
                    .iter()
                    .any(|m| format!("{:04}_{}.sql", m.version, m.name) == *file),
                "{file} is in checksums.sha256 but not shipped: a released migration was removed"
            );
        }
    }
}
