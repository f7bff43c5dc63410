//! Test-only fault injection at named points, so crash-safety and failure paths can be hit
//! deterministically (besides random SIGKILLs):
//! - `ASSAY_CRASH_AT=<point>` aborts the process at that point, as a crash would;
//! - `ASSAY_FAIL_AT=<point>` makes that step fail with an error, as a failing disk or a bad
//!   package would;
//! - `ASSAY_PANIC_AT=<point>` panics there, as a bug would (`INTERNAL`).
//!
//! The points are listed in docs/architecture.md ("Profile lifecycle and crash safety").

use crate::error::{Error, Result};

/// When `ASSAY_FAIL_AT` names this point, the step fails with a `CORRUPT` error.
pub(crate) fn fault_point(point: &str) -> Result<()> {
    if std::env::var_os("ASSAY_FAIL_AT").is_some_and(|p| p == point) {
        return Err(Error::Corrupt(format!(
            "injected failure at {point} (ASSAY_FAIL_AT)"
        )));
    }
    Ok(())
}

/// When `ASSAY_FAIL_AT` names this point, the step fails as a write on a full disk would:
/// `DISK_FULL` for `dir`. The seam the app's full-disk screen is tested through (the CLI's
/// tests use a real full file system).
pub(crate) fn disk_full_point(point: &str, dir: &std::path::Path) -> Result<()> {
    if std::env::var_os("ASSAY_FAIL_AT").is_some_and(|p| p == point) {
        return Err(Error::DiskFull {
            dir: dir.to_path_buf(),
        });
    }
    Ok(())
}

/// When `ASSAY_CRASH_AT` names this point, the process aborts here.
pub(crate) fn crash_point(point: &str) {
    if std::env::var_os("ASSAY_CRASH_AT").is_some_and(|p| p == point) {
        std::process::abort();
    }
}

/// When `ASSAY_PANIC_AT` names this point, the code panics here, as a bug would.
pub(crate) fn panic_point(point: &str) {
    if std::env::var_os("ASSAY_PANIC_AT").is_some_and(|p| p == point) {
        panic!("injected panic at {point} (ASSAY_PANIC_AT)");
    }
}
