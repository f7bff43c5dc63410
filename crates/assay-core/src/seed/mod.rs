//! Seeding: a new profile is filled from the embedded seed package on its first open, in one
//! write transaction, with fresh ids everywhere.
//!
//! - Idempotent by `profile_meta.seed_version`: a profile that was seeded once is never
//!   seeded again, so a person's edits are never overwritten.
//! - A crash mid-seed rolls the transaction back; `seed_version` stays NULL and the next open
//!   seeds again.
//! - A failure is recorded (`seed_status = 'failed'`, `seed_error`) in its own transaction and
//!   can be retried.

mod install;
pub mod package;

pub use install::SeedProgress;
pub use package::SeedPackage;

use crate::db::Database;
use crate::error::Result;
use crate::store;
use crate::store::meta::SeedState;

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

/// The stored setup status of an open database.
pub fn status(db: &Database) -> Result<SetupStatus> {
    let state = db.read(store::meta::seed_state)?;
    Ok(match state {
        Some(SeedState {
            version: Some(seed_version),
            status,
            seeded_at,
            ..
        }) if status == "ready" => SetupStatus::Ready {
            seed_version,
            seeded_at: seeded_at.unwrap_or_default(),
        },
        Some(SeedState { status, error, .. }) if status == "failed" => SetupStatus::Failed {
            reason: error.unwrap_or_default(),
        },
        _ => SetupStatus::Pending,
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
            install::apply(tx, &package, &mut |p| {
                progress(SetupStatus::Seeding { progress: p })
            })?;
            store::meta::mark_seeded(tx, package.version, &jiff::Timestamp::now().to_string())
        })
    });
    if let Err(err) = outcome {
        log::error!("seeding failed: {}", err.log_line());
        let reason = err.to_string();
        db.write(|tx| store::meta::mark_seed_failed(tx, &reason))?;
    }
    let done = status(db)?;
    progress(done.clone());
    Ok(done)
}
