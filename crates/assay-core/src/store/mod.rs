//! The store: every SQL statement over the profile database's tables, each written once.
//!
//! Plain functions, one module per table group. Writes take a `&Transaction`, so no code can
//! write outside one and a caller that needs several writes to be atomic (seeding, an import,
//! the run engine writing a result with its usage and its event) passes its transaction along.
//! Reads take a `&Connection` (a `&Transaction` derefs to one, so a write can read its own
//! changes). Nothing here opens a transaction, checks readiness or validates domain values:
//! that is for the callers (`library`, `seed`, `transfer`, `providers`) and `domain`.
//!
//! The database engine's own statements (keying, pragmas, integrity checks) stay in `db`,
//! and the schema in `migrations/`.

pub mod contents;
pub mod endpoints;
pub mod execution;
pub mod meta;
pub mod models;
pub mod presets;
pub mod runs;
pub mod tasks;
pub mod usage;

use rusqlite::{Connection, Row};

use crate::error::Result;

/// Collects every row of `sql` with `params`, mapped by `map`.
pub(crate) fn all<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, map)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Maps a foreign-key violation to `IN_USE` (`what` is used by `by`).
pub(crate) fn in_use(err: rusqlite::Error, what: String, by: &str) -> crate::Error {
    match &err {
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
        {
            crate::Error::InUse {
                what,
                by: by.to_owned(),
            }
        }
        _ => err.into(),
    }
}

/// True if `err` is a UNIQUE constraint violation.
pub(crate) fn is_unique_violation(err: &rusqlite::Error) -> bool {
    matches!(err, rusqlite::Error::SqliteFailure(e, _)
        if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}
