//! Run history and run details.

use super::Library;
use crate::domain::run::{RunDetail, RunSummary};
use crate::error::{Error, Result};
use crate::store;

/// Largest page of runs one call returns.
pub const MAX_PAGE: u32 = 200;

impl Library<'_> {
    /// One page of runs, newest first. `after` is the last run of the previous page.
    pub fn runs(&self, limit: u32, after: Option<&RunSummary>) -> Result<Vec<RunSummary>> {
        let limit = limit.clamp(1, MAX_PAGE);
        self.db.read(|conn| store::runs::page(conn, limit, after))
    }

    /// A run with its documents, scores, pairwise verdicts and timeline.
    pub fn run(&self, id: &str) -> Result<RunDetail> {
        self.db
            .read(|conn| store::runs::detail(conn, id))?
            .ok_or_else(|| no_such(id))
    }

    /// Deletes a run and, by cascade, its tasks, documents, scores, verdicts and events.
    pub fn delete_run(&self, id: &str) -> Result<()> {
        self.db.write(|tx| {
            if store::runs::delete(tx, id)? {
                Ok(())
            } else {
                Err(no_such(id))
            }
        })
    }
}

fn no_such(id: &str) -> Error {
    Error::NoSuchItem {
        what: "run",
        id: id.to_owned(),
    }
}
