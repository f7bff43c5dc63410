//! `profile_meta` (the one row about the profile this database belongs to, and its setup
//! state) and what a bundle's manifest says about a database.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::error::Result;

/// Tables whose row counts a bundle's manifest records.
pub const COUNTED_TABLES: [&str; 8] = [
    "contents",
    "presets",
    "runs",
    "tasks",
    "documents",
    "eval_scores",
    "pairwise_results",
    "run_events",
];

/// The setup columns of `profile_meta`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedState {
    /// The seed package version applied, once seeded.
    pub version: Option<i64>,
    /// `pending`, `seeding`, `ready` or `failed`.
    pub status: String,
    /// RFC 3339, once seeded.
    pub seeded_at: Option<String>,
    /// Why seeding failed.
    pub error: Option<String>,
}

/// Writes the row of a new profile's database.
pub fn insert(
    tx: &Transaction<'_>,
    profile_id: &str,
    created_at: &str,
    version: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO profile_meta (singleton, profile_id, created_at, created_by_version)
         VALUES (1, ?1, ?2, ?3)",
        params![profile_id, created_at, version],
    )?;
    Ok(())
}

/// The profile this database belongs to.
pub fn profile_id(conn: &Connection) -> Result<String> {
    Ok(conn.query_row("SELECT profile_id FROM profile_meta", [], |r| r.get(0))?)
}

/// Gives the database to profile `profile_id` (an imported copy).
pub fn set_profile_id(tx: &Transaction<'_>, profile_id: &str) -> Result<()> {
    tx.execute("UPDATE profile_meta SET profile_id = ?1", [profile_id])?;
    Ok(())
}

/// The setup state, or `None` if the row is missing.
pub fn seed_state(conn: &Connection) -> Result<Option<SeedState>> {
    Ok(conn
        .query_row(
            "SELECT seed_version, seed_status, seeded_at, seed_error FROM profile_meta",
            [],
            |r| {
                Ok(SeedState {
                    version: r.get(0)?,
                    status: r.get(1)?,
                    seeded_at: r.get(2)?,
                    error: r.get(3)?,
                })
            },
        )
        .optional()?)
}

/// Records that seed package `version` was applied at `now`.
pub fn mark_seeded(tx: &Transaction<'_>, version: i64, now: &str) -> Result<()> {
    tx.execute(
        "UPDATE profile_meta SET seed_version = ?1, seed_status = 'ready', seeded_at = ?2,
             seed_error = NULL",
        params![version, now],
    )?;
    Ok(())
}

/// Records that seeding failed, and why.
pub fn mark_seed_failed(tx: &Transaction<'_>, reason: &str) -> Result<()> {
    tx.execute(
        "UPDATE profile_meta SET seed_status = 'failed', seed_error = ?1",
        [reason],
    )?;
    Ok(())
}

/// The newest applied schema version.
pub fn schema_version(conn: &Connection) -> Result<i64> {
    Ok(
        conn.query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })?,
    )
}

/// Rows in each of [`COUNTED_TABLES`].
pub fn row_counts(conn: &Connection) -> Result<BTreeMap<String, i64>> {
    COUNTED_TABLES
        .iter()
        .map(|table| {
            let n = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
            Ok(((*table).to_owned(), n))
        })
        .collect()
}
