//! The domain API of one ready profile. A [`Library`] can only be had from
//! `OpenProfile::library()`, which checks readiness, so no caller (UI, CLI) can reach the
//! domain of a profile that is not migrated and seeded.

mod content;
mod edit;
mod presets;
mod runs;
mod usage;

pub use content::ContentFilter;
pub use edit::{ContentDraft, PresetDraft};
pub use usage::UsageRow;
pub(crate) use usage::record_run as record_run_usage;

use crate::db::Database;

/// Domain operations on a ready profile.
#[derive(Debug, Clone, Copy)]
pub struct Library<'a> {
    db: &'a Database,
}

impl<'a> Library<'a> {
    pub(crate) fn new(db: &'a Database) -> Self {
        Self { db }
    }
}

/// Maps a foreign-key violation on delete to `IN_USE`.
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
