//! The error type every core operation returns.
//!
//! Each variant maps to a stable `SCREAMING_SNAKE` code (see [`ErrorCode`]) that the shell
//! sends to the UI and the CLI turns into an exit code. Messages say what happened and what the
//! person can do about it; they never contain key material.

use std::path::PathBuf;

/// Stable, machine-readable error codes. The UI branches on these and the CLI maps them to
/// exit codes, so a code is never renamed once released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ErrorCode {
    /// Input failed validation (a bad name, an empty path, ...).
    InvalidInput,
    /// The data directory could not be determined or used.
    DataDir,
    /// The database engine failed in a way not covered by a more specific code.
    Storage,
    /// A file-system operation failed.
    Io,
}

impl ErrorCode {
    /// The code as the string that crosses IPC and appears in `--json` errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "INVALID_INPUT",
            Self::DataDir => "DATA_DIR",
            Self::Storage => "STORAGE",
            Self::Io => "IO",
        }
    }
}

/// Everything that can go wrong in assay-core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input failed validation; the message says which rule it broke.
    #[error("{0}")]
    InvalidInput(String),

    /// No data directory could be found for this platform and none was given.
    #[error(
        "could not determine where to keep Assay's data on this system; set ASSAY_DATA_DIR or pass --data-dir"
    )]
    NoPlatformDataDir,

    /// The database engine reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    /// A file-system operation on `path` failed.
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        /// What we were doing, as a verb phrase ("create the directory").
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The stable code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidInput(_) => ErrorCode::InvalidInput,
            Self::NoPlatformDataDir => ErrorCode::DataDir,
            Self::Sqlite(_) => ErrorCode::Storage,
            Self::Io { .. } => ErrorCode::Io,
        }
    }

    /// Wraps an I/O error with the action and path it concerns.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Result alias for core operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
