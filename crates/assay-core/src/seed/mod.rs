//! Seeding: a new profile is filled from the embedded seed package on its first open, in one
//! write transaction, with fresh ids everywhere.
//!
//! - Idempotent by `profile_meta.seed_version`: a profile that was seeded once is never
//!   seeded again, so a person's edits are never overwritten.
//! - A crash mid-seed rolls the transaction back; `seed_version` stays NULL and the next open
//!   seeds again.
//! - A failure is recorded (`seed_status = 'failed'`, `seed_error`) in its own transaction and
//!   can be retried.

mod apply;
pub mod package;

use rusqlite::OptionalExtension;

pub use apply::SeedProgress;
pub use package::SeedPackage;

use crate::db::Database;
use crate::error::Result;

/// Where a profile's setup stands, as the UI's gate and `assay profile status` show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum SetupStatus {
    /// The profile is being opened (key, decryption).
    Opening,
    /// Migrations are being applied.
    Migrating,
    /// The seed package is being written.
    Seeding {
        /// Progress.
        progress: SeedProgress,
    },
    /// Ready for use.
    Ready {
        /// The seed package version applied.
        seed_version: i64,
        /// RFC 3339.
        seeded_at: String,
    },
    /// Seeding failed; retrying is safe.
    Failed {
        /// What went wrong.
        reason: String,
    },
    /// Not seeded yet.
    Pending,
}

impl SetupStatus {
    /// True when domain operations may run.
    pub fn is_ready(&self) -> bool {
        matches!(self, Self::Ready { .. })
    }

    /// One word for messages: `ready`, `failed`, ...
    pub fn label(&self) -> &'static str {
        match self {
            Self::Opening => "opening",
            Self::Migrating => "migrating",
            Self::Seeding { .. } => "seeding",
            Self::Ready { .. } => "ready",
            Self::Failed { .. } => "failed",
            Self::Pending => "pending",
        }
    }
}

/// seed_version, seed_status, seeded_at, seed_error.
type MetaRow = (Option<i64>, String, Option<String>, Option<String>);

/// The stored setup status of an open database.
pub fn status(db: &Database) -> Result<SetupStatus> {
    db.read(|conn| {
        let row: Option<MetaRow> = conn
            .query_row(
                "SELECT seed_version, seed_status, seeded_at, seed_error FROM profile_meta",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        Ok(match row {
            Some((Some(seed_version), status, seeded_at, _)) if status == "ready" => {
                SetupStatus::Ready {
                    seed_version,
                    seeded_at: seeded_at.unwrap_or_default(),
                }
            }
            Some((_, status, _, error)) if status == "failed" => SetupStatus::Failed {
                reason: error.unwrap_or_default(),
            },
            _ => SetupStatus::Pending,
        })
    })
}

/// Seeds the database unless it was seeded before; returns the resulting status. A seeding
/// failure is recorded and returned as `Failed`, not as an error.
pub fn ensure_seeded(db: &Database, progress: &mut dyn FnMut(SetupStatus)) -> Result<SetupStatus> {
    let current = status(db)?;
    if current.is_ready() {
        return Ok(current);
    }
    let outcome = SeedPackage::embedded().and_then(|package| {
        db.write(|tx| {
            apply::apply(tx, &package, &mut |p| {
                progress(SetupStatus::Seeding { progress: p })
            })?;
            tx.execute(
                "UPDATE profile_meta SET seed_version = ?1, seed_status = 'ready',
                     seeded_at = ?2, seed_error = NULL",
                rusqlite::params![package.version, jiff::Timestamp::now().to_string()],
            )?;
            Ok(())
        })
    });
    if let Err(err) = outcome {
        log::error!("seeding failed: {err}");
        let reason = err.to_string();
        db.write(|tx| {
            tx.execute(
                "UPDATE profile_meta SET seed_status = 'failed', seed_error = ?1",
                [&reason],
            )?;
            Ok(())
        })?;
    }
    let done = status(db)?;
    progress(done.clone());
    Ok(done)
}
