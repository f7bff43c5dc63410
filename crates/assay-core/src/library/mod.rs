//! The domain API of one ready profile. A [`Library`] can only be had from [`Library::of`],
//! which checks readiness, so no caller (UI, CLI) can reach the domain of a profile that is
//! not migrated and seeded. Every statement goes through `store`; every value is validated
//! by its `domain` type before it is written.

mod content;
mod presets;
mod runs;

pub use crate::domain::content::ContentDraft;
pub use crate::domain::preset::PresetDraft;
pub use crate::store::usage::UsageRow;
pub use content::ContentFilter;
pub use runs::MAX_PAGE;

use crate::db::Database;
use crate::error::Result;
use crate::profile::OpenProfile;

/// Domain operations on a ready profile.
#[derive(Debug, Clone, Copy)]
pub struct Library<'a> {
    db: &'a Database,
}

impl<'a> Library<'a> {
    /// The domain API of `open`, only for a ready profile; `NOT_READY` with the status
    /// otherwise.
    pub fn of(open: &'a OpenProfile) -> Result<Self> {
        open.ensure_ready()?;
        Ok(Self { db: open.db() })
    }

    /// Usage per provider and model, most expensive first (`usage_daily`, which keeps a
    /// run's usage after the run is deleted: the money was spent all the same).
    pub fn usage(&self) -> Result<Vec<UsageRow>> {
        self.db.read(crate::store::usage::totals)
    }
}

/// The current time as stored (RFC 3339, UTC).
fn now() -> String {
    jiff::Timestamp::now().to_string()
}
