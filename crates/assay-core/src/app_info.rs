//! Facts about this build: the app version and the versions of the linked SQLite/SQLCipher.
//!
//! The SQLCipher version is asked of the linked library at run time, so it proves the
//! encryption engine really is linked, not merely declared as a dependency.

use rusqlite::Connection;

use crate::error::Result;

/// Version information shown in the UI and by `assay info`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct AppInfo {
    /// The app version (the workspace version).
    pub app_version: String,
    /// `PRAGMA cipher_version` from the linked SQLCipher, e.g. "4.6.1 community".
    pub sqlcipher_version: String,
    /// The SQLite version SQLCipher is built on.
    pub sqlite_version: String,
}

/// Reads the app version and asks the linked SQLCipher for its version.
pub fn app_info() -> Result<AppInfo> {
    let conn = Connection::open_in_memory()?;
    let sqlcipher_version: String =
        conn.query_row("PRAGMA cipher_version", [], |row| row.get(0))?;
    Ok(AppInfo {
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        sqlcipher_version,
        sqlite_version: rusqlite::version().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_info_reports_the_linked_sqlcipher_version() {
        let info = app_info().expect("app info");
        assert_eq!(info.app_version, env!("CARGO_PKG_VERSION"));
        let major = info.sqlcipher_version.split('.').next().unwrap_or_default();
        assert!(
            major.parse::<u32>().is_ok_and(|m| m >= 4),
            "expected SQLCipher 4.x or later, got {:?}",
            info.sqlcipher_version
        );
        assert!(
            info.sqlite_version.starts_with("3."),
            "got {:?}",
            info.sqlite_version
        );
    }
}
