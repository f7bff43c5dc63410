//! Rebuild migrations on a real, seeded profile database.

use std::collections::BTreeMap;

use assay_core::ErrorCode;
use assay_core::db::Database;
use assay_core::db::migrations::{MIGRATIONS, Migration};
use assay_core::profile::KeyProtection;
use assay_core::secrets::DbKey;

use crate::Env;

/// Rebuilds `runs` (which tasks, documents, scores, verdicts and events depend on, all with
/// ON DELETE CASCADE) with a wider status CHECK, as the run engine's migrations will.
const REBUILD_RUNS: &str = "-- assay:rebuild
CREATE TABLE runs_new (
    id                 TEXT    NOT NULL PRIMARY KEY,
    title              TEXT    NOT NULL,
    preset_id          TEXT    REFERENCES presets (id) ON DELETE SET NULL,
    config_snapshot    TEXT    NOT NULL CHECK (json_valid(config_snapshot)),
    phase              TEXT    NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN ('pending', 'running', 'paused',
                           'completed', 'completed_with_errors', 'failed', 'cancelled',
                           'interrupted', 'archived')),
    error              TEXT,
    created_at         TEXT    NOT NULL,
    started_at         TEXT,
    completed_at       TEXT,
    tasks_total        INTEGER NOT NULL DEFAULT 0,
    tasks_done         INTEGER NOT NULL DEFAULT 0,
    tasks_failed       INTEGER NOT NULL DEFAULT 0,
    total_tokens       INTEGER NOT NULL DEFAULT 0,
    total_cost         REAL    NOT NULL DEFAULT 0,
    unknown_cost_calls INTEGER NOT NULL DEFAULT 0,
    budget_usd         REAL,
    budget_tokens      INTEGER,
    allow_unpriced     INTEGER NOT NULL DEFAULT 0,
    pause_reason       TEXT,
    estimated_calls    INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO runs_new SELECT * FROM runs;
DROP TABLE runs;
ALTER TABLE runs_new RENAME TO runs;
CREATE INDEX runs_by_created ON runs (created_at DESC, id DESC);
";

/// A seeded keyring profile, closed: its database path and key.
fn seeded_profile(env: &Env) -> (std::path::PathBuf, DbKey) {
    let record = env
        .profiles
        .create("Rebuilt", KeyProtection::Keyring)
        .expect("create");
    drop(
        env.profiles
            .open_profile("rebuilt", None)
            .expect("open and seed"),
    );
    let key = env
        .profiles
        .secrets()
        .get(&format!("profile/{}/db-key", record.id))
        .expect("keyring")
        .expect("the profile's key");
    let path = env.profile_dir(&record.id).join("profile.db");
    (path, DbKey::from_bytes(&key).expect("key"))
}

fn counts(db: &Database) -> BTreeMap<String, i64> {
    db.read(|conn| {
        let tables: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        tables
            .into_iter()
            .map(|t| {
                let n = conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))?;
                Ok((t, n))
            })
            .collect()
    })
    .expect("counts")
}

fn with_extra(sql: &'static str) -> Vec<Migration> {
    let mut all = MIGRATIONS.to_vec();
    all.push(Migration {
        version: MIGRATIONS.len() as i64 + 1,
        name: "rebuild_runs",
        sql,
    });
    all
}

#[test]
fn rebuilding_runs_in_a_seeded_profile_keeps_every_row_of_every_table() {
    let env = Env::new();
    let (path, key) = seeded_profile(&env);
    let before = counts(&Database::open(&path, key.clone(), "before").expect("open"));
    for table in [
        "runs",
        "tasks",
        "documents",
        "eval_scores",
        "pairwise_results",
        "run_events",
    ] {
        assert!(before[table] > 0, "the seeded run has {table} rows to lose");
    }

    let db = Database::open_migrating(&path, key, "rebuilt", &with_extra(REBUILD_RUNS))
        .expect("the rebuild applies");
    let mut after = counts(&db);
    after.remove("schema_migrations");
    let mut expected = before.clone();
    expected.remove("schema_migrations");
    assert_eq!(after, expected, "every row of every table is still there");
    db.write(|tx| {
        tx.execute("UPDATE runs SET status = 'archived'", [])?;
        Ok(())
    })
    .expect("the rebuilt table has the new CHECK");
    let dangling: i64 = db
        .read(|c| {
            Ok(
                c.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .expect("foreign_key_check");
    assert_eq!(dangling, 0, "every reference still resolves");
    let fk_on: i64 = db
        .write(|tx| Ok(tx.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?))
        .expect("pragma");
    assert_eq!(fk_on, 1, "the writer has foreign keys on again");
}

#[test]
fn a_rebuild_that_would_lose_results_leaves_the_profile_as_it_was() {
    let env = Env::new();
    let (path, key) = seeded_profile(&env);
    let before = counts(&Database::open(&path, key.clone(), "before").expect("open"));
    // Copies no run: with foreign keys on, the drop would also have cascaded to every result.
    let lossy = REBUILD_RUNS.replace(
        "INSERT INTO runs_new SELECT * FROM runs;",
        "INSERT INTO runs_new SELECT * FROM runs WHERE 0;",
    );
    assert_ne!(lossy, REBUILD_RUNS);
    let lossy: &'static str = Box::leak(lossy.into_boxed_str());
    let err = Database::open_migrating(&path, key.clone(), "lossy", &with_extra(lossy))
        .expect_err("refused");
    assert_eq!(err.code(), ErrorCode::Corrupt, "{err}");
    let message = err.to_string();
    assert!(
        message.contains("runs had 1 rows and would have 0"),
        "{message}"
    );
    assert!(
        message.contains("rows of tasks point at a missing runs"),
        "the results left without their run are named too: {message}"
    );
    let after = counts(&Database::open(&path, key, "after").expect("still opens"));
    assert_eq!(after, before, "nothing changed");
}

#[test]
fn migration_0018_maps_old_statuses_phases_and_tasks_onto_the_engines_schema() {
    let dir = tempfile::tempdir().expect("temp");
    let path = dir.path().join("profile.db");
    let key = DbKey::generate().expect("key");
    let upto_17: Vec<Migration> = MIGRATIONS.iter().take(17).copied().collect();
    // An empty file is a new database to SQLite; open never creates one.
    std::fs::File::create(&path).expect("empty file");
    let old = Database::open_migrating(&path, key.clone(), "at 17", &upto_17).expect("at 17");
    old.write(|tx| {
        tx.execute_batch(
            "INSERT INTO runs (id, title, config_snapshot, phase, status, created_at)
                 VALUES ('r1', 'mid-run', '{}', 'single_eval', 'single_eval', '2026-01-01T00:00:00Z'),
                        ('r2', 'done', '{}', 'done', 'completed', '2026-01-01T00:00:00Z');
             INSERT INTO tasks (id, run_id, input_content_id, provider, model, iteration, status)
                 VALUES ('t1', 'r1', NULL, 'openai', 'gpt-4o', 1, 'succeeded'),
                        ('t2', 'r1', NULL, 'openai', 'gpt-4o', 2, 'succeeded');
             INSERT INTO documents (id, run_id, task_id, body, cost, status, created_at)
                 VALUES ('d1', 'r1', 't1', 'one', 0.5, 'succeeded', '2026-01-01T00:00:00Z'),
                        ('d2', 'r1', 't2', 'two', NULL, 'succeeded', '2026-01-01T00:00:00Z');
             INSERT INTO pairwise_results (id, run_id, doc_a_id, doc_b_id, judge, trial, winner, shown_first)
                 VALUES ('p1', 'r1', 'd1', 'd2', 'j', 1, 'A', 'A');
             INSERT INTO run_events (id, run_id, phase, actor, target, started_at, ended_at, status)
                 VALUES ('e1', 'r1', 'pairwise_eval', 'j', 'd1 d2', 'x', 'y', 'succeeded');",
        )?;
        Ok(())
    })
    .expect("old rows");
    drop(old);

    let db = Database::open(&path, key, "migrated").expect("0018 applies");
    let text = |sql: &str| -> String {
        db.read(|c| Ok(c.query_row(sql, [], |r| r.get(0))?))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    assert_eq!(
        text("SELECT status FROM runs WHERE id = 'r1'"),
        "interrupted"
    );
    assert_eq!(text("SELECT phase FROM runs WHERE id = 'r1'"), "scoring");
    assert_eq!(text("SELECT status FROM runs WHERE id = 'r2'"), "completed");
    assert_eq!(
        text("SELECT kind || ' ' || task_key || ' ' || label FROM tasks WHERE id = 't2'"),
        "generate generate/t2/openai/gpt-4o/2 openai/gpt-4o"
    );
    assert_eq!(text("SELECT phase FROM run_events"), "comparing");
    assert_eq!(
        text("SELECT kind FROM documents WHERE id = 'd1'"),
        "generated"
    );
    // Both orders of one trial are two rows now.
    db.write(|tx| {
        tx.execute(
            "INSERT INTO pairwise_results (id, run_id, doc_a_id, doc_b_id, judge, trial, winner, shown_first)
             VALUES ('p2', 'r1', 'd1', 'd2', 'j', 1, 'B', 'B')",
            [],
        )?;
        Ok(())
    })
    .expect("the other order of the same trial");
}

#[test]
fn a_profile_of_the_previous_release_keeps_only_known_states_in_its_state_columns() {
    let env = Env::new();
    let (path, key) = seeded_profile(&env);
    let db = Database::open(&path, key, "previous").expect("opens as it is");
    let refused = |sql: &str| {
        let err = db
            .write(|tx| {
                tx.execute_batch(sql)?;
                Ok(())
            })
            .expect_err(sql);
        assert!(err.to_string().contains("CHECK"), "{sql}: {err}");
    };
    // The engine's enums are the only values these columns take (CHECKs since 0018).
    refused("UPDATE runs SET status = 'exploded'");
    refused("UPDATE runs SET phase = 'napping'");
    refused("UPDATE tasks SET kind = 'summarise'");
    refused("UPDATE tasks SET status = 'done'");
    // Every value stored reads back as a state the engine knows.
    db.read(|conn| {
        let statuses: Vec<assay_core::domain::states::RunStatus> = conn
            .prepare("SELECT status FROM runs")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        assert!(!statuses.is_empty());
        let kinds: Vec<(
            assay_core::domain::states::TaskKind,
            assay_core::domain::states::TaskStatus,
        )> = conn
            .prepare("SELECT kind, status FROM tasks")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        assert!(!kinds.is_empty());
        Ok(())
    })
    .expect("known states");
}
