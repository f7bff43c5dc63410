//! The error type every core operation returns.
//!
//! Each variant maps to a stable `SCREAMING_SNAKE` code (see [`ErrorCode`]) that the shell
//! sends to the UI and the CLI turns into an exit code. Messages say what happened and what the
//! person can do about it; they never contain key material or passphrases.

use std::path::PathBuf;

/// Stable, machine-readable error codes. The UI branches on these and the CLI maps them to
/// exit codes, so a code is never renamed once released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, specta::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ErrorCode {
    /// Input failed validation (a bad name, an empty path, ...).
    InvalidInput,
    /// The data directory could not be determined or used.
    DataDir,
    /// No profile (or other object) matches the reference given.
    NotFound,
    /// The name is already taken.
    AlreadyExists,
    /// Another process or window has the profile open.
    ProfileInUse,
    /// The profile's key is not in the keyring (or `key.wrapped` is gone).
    KeyMissing,
    /// The profile's database file is gone.
    DataMissing,
    /// The database would not decrypt with the profile's key.
    DecryptFailed,
    /// The passphrase does not unlock the profile's key.
    WrongPassphrase,
    /// The profile is protected by a passphrase and none was given.
    PassphraseRequired,
    /// The data was written by a newer version of Assay.
    NewerVersion,
    /// The OS keyring cannot be reached.
    KeyringUnavailable,
    /// Stored data is damaged.
    Corrupt,
    /// A shipped migration no longer matches what the database applied.
    SchemaMismatch,
    /// The profile is not set up yet (migrated and seeded); the message carries its status.
    NotReady,
    /// The object is still used by another (e.g. content a preset uses).
    InUse,
    /// A newer request replaced this one before it finished (the app's window switched to
    /// another profile while this one was opening); nothing was changed.
    Superseded,
    /// The database engine failed in a way not covered by a more specific code.
    Storage,
    /// The OS keyring failed in a way not covered by a more specific code.
    Keyring,
    /// A file-system operation failed.
    Io,
    /// The disk holding Assay's data (or the chosen file) has no room left.
    DiskFull,
}

impl ErrorCode {
    /// The code as the string that crosses IPC and appears in `--json` errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "INVALID_INPUT",
            Self::DataDir => "DATA_DIR",
            Self::NotFound => "NOT_FOUND",
            Self::AlreadyExists => "ALREADY_EXISTS",
            Self::ProfileInUse => "PROFILE_IN_USE",
            Self::KeyMissing => "KEY_MISSING",
            Self::DataMissing => "DATA_MISSING",
            Self::DecryptFailed => "DECRYPT_FAILED",
            Self::WrongPassphrase => "WRONG_PASSPHRASE",
            Self::PassphraseRequired => "PASSPHRASE_REQUIRED",
            Self::NewerVersion => "NEWER_VERSION",
            Self::KeyringUnavailable => "KEYRING_UNAVAILABLE",
            Self::Corrupt => "CORRUPT",
            Self::SchemaMismatch => "SCHEMA_MISMATCH",
            Self::NotReady => "NOT_READY",
            Self::Superseded => "SUPERSEDED",
            Self::InUse => "IN_USE",
            Self::Storage => "STORAGE",
            Self::Keyring => "KEYRING",
            Self::Io => "IO",
            Self::DiskFull => "DISK_FULL",
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

    /// Several fields failed validation; each problem is `field: problem`, one per line, so
    /// a form can show every one beside its field at once.
    #[error("{}", .0.join("\n"))]
    InvalidFields(Vec<String>),

    /// No data directory could be found for this platform and none was given.
    #[error(
        "could not determine where to keep Assay's data on this system; set ASSAY_DATA_DIR or pass --data-dir"
    )]
    NoPlatformDataDir,

    /// Nothing matches the reference.
    #[error("no profile matches {reference:?}; `assay profile list` shows the profiles there are")]
    NotFound {
        /// The name or id that was looked up.
        reference: String,
    },

    /// The name is taken (names are compared case-insensitively).
    #[error("a profile named {name:?} already exists; choose another name")]
    AlreadyExists {
        /// The name that clashed.
        name: String,
    },

    /// Another process or window holds the profile's lock.
    #[error(
        "profile {name:?} is open in another Assay window or process; close it there and try again"
    )]
    ProfileInUse {
        /// The profile's name.
        name: String,
    },

    /// The key that encrypts the profile cannot be found.
    #[error(
        "the key for profile {name:?} is missing from {location}; the data cannot be read without it. Restore it, or import the profile from a bundle"
    )]
    KeyMissing {
        /// The profile's name.
        name: String,
        /// Where the key should have been ("the OS keyring" or a file path).
        location: String,
    },

    /// The profile's database file is gone although the registry lists the profile.
    #[error(
        "the data of profile {name:?} is missing ({} does not exist); it was not recreated. Restore the file, or import the profile from a bundle",
        path.display()
    )]
    DataMissing {
        /// The profile's name.
        name: String,
        /// The missing file.
        path: PathBuf,
    },

    /// The database did not decrypt with the key we have for it.
    #[error(
        "the data of profile {name:?} could not be decrypted with its key: the key is wrong or the file is damaged. Nothing was changed; import the profile from a bundle to recover"
    )]
    DecryptFailed {
        /// The profile's name.
        name: String,
    },

    /// The passphrase did not unlock the key.
    #[error("the passphrase for profile {name:?} is wrong (or its key.wrapped file is damaged)")]
    WrongPassphrase {
        /// The profile's name.
        name: String,
    },

    /// The passphrase does not open a bundle (its header is intact, so it is the passphrase).
    #[error("the passphrase does not open this bundle")]
    BundleWrongPassphrase,

    /// A passphrase-mode profile was opened without its passphrase.
    #[error(
        "profile {name:?} is protected by a passphrase; give it (the CLI reads it from a prompt or with --passphrase-stdin)"
    )]
    PassphraseRequired {
        /// The profile's name.
        name: String,
    },

    /// Data from a newer version of Assay; it was not opened for writing.
    #[error(
        "{what} was written by a newer version of Assay (format {found}, this version knows up to {supported}); it was left untouched. Update Assay to open it"
    )]
    NewerVersion {
        /// What was refused ("the database of profile \"x\"").
        what: String,
        /// The version found.
        found: i64,
        /// The newest version this build understands.
        supported: i64,
    },

    /// The OS keyring cannot be reached.
    #[error(
        "the OS keyring is not available ({detail}); create the profile with a passphrase instead (`--passphrase-stdin`, or choose \"passphrase\" in the app)"
    )]
    KeyringUnavailable {
        /// What the keyring said, without any secret.
        detail: String,
    },

    /// The OS keyring failed for another reason.
    #[error("the OS keyring failed: {0}")]
    Keyring(String),

    /// Stored data is damaged.
    #[error("{0}")]
    Corrupt(String),

    /// A shipped migration's text differs from what the database recorded when applying it.
    #[error(
        "migration {version} ({name}) differs from the one this database applied; this build's schema does not match the data. Nothing was changed"
    )]
    SchemaMismatch {
        /// The migration number.
        version: i64,
        /// The migration name.
        name: String,
    },

    /// A domain operation on a profile that is not ready.
    #[error(
        "profile {name:?} is not ready yet (setup status: {status}); wait for setup to finish, or retry it if it failed"
    )]
    NotReady {
        /// The profile's name.
        name: String,
        /// The setup status label.
        status: String,
    },

    /// Something still uses the object.
    #[error("{what} is still used by {by}; remove it there first")]
    InUse {
        /// What was to be changed.
        what: String,
        /// What uses it.
        by: String,
    },

    /// No such object in the profile.
    #[error("no {what} {id:?} in this profile")]
    NoSuchItem {
        /// "content", "preset", "run".
        what: &'static str,
        /// The id or name given.
        id: String,
    },

    /// The database engine reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    /// A write failed because the disk is full; nothing was half-written.
    #[error(
        "the disk holding {} is full, so nothing was changed; free some space there (empty the \
         trash, delete files or a profile you no longer need) and try again",
        dir.display()
    )]
    DiskFull {
        /// The directory whose file system is full.
        dir: PathBuf,
    },

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
            Self::InvalidInput(_) | Self::InvalidFields(_) => ErrorCode::InvalidInput,
            Self::NoPlatformDataDir => ErrorCode::DataDir,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::AlreadyExists { .. } => ErrorCode::AlreadyExists,
            Self::ProfileInUse { .. } => ErrorCode::ProfileInUse,
            Self::KeyMissing { .. } => ErrorCode::KeyMissing,
            Self::DataMissing { .. } => ErrorCode::DataMissing,
            Self::DecryptFailed { .. } => ErrorCode::DecryptFailed,
            Self::WrongPassphrase { .. } | Self::BundleWrongPassphrase => {
                ErrorCode::WrongPassphrase
            }
            Self::PassphraseRequired { .. } => ErrorCode::PassphraseRequired,
            Self::NewerVersion { .. } => ErrorCode::NewerVersion,
            Self::KeyringUnavailable { .. } => ErrorCode::KeyringUnavailable,
            Self::Keyring(_) => ErrorCode::Keyring,
            Self::Corrupt(_) => ErrorCode::Corrupt,
            Self::SchemaMismatch { .. } => ErrorCode::SchemaMismatch,
            Self::NotReady { .. } => ErrorCode::NotReady,
            Self::InUse { .. } => ErrorCode::InUse,
            Self::NoSuchItem { .. } => ErrorCode::NotFound,
            Self::Sqlite(_) => ErrorCode::Storage,
            Self::Io { .. } => ErrorCode::Io,
            Self::DiskFull { .. } => ErrorCode::DiskFull,
        }
    }

    /// The error as the log may hold it: its code and, where that says nothing a person
    /// named, what went wrong. Messages that name a profile, a content item, a preset, a run
    /// or a path (most of them, for the person's sake) are left out; ids are logged instead
    /// by the caller.
    pub fn log_line(&self) -> String {
        let detail = match self {
            Self::Sqlite(e) => match e {
                rusqlite::Error::SqliteFailure(f, _) => {
                    format!("{:?} ({})", f.code, f.extended_code)
                }
                other => format!("{:?}", std::mem::discriminant(other)),
            },
            Self::Io { action, source, .. } => format!("could not {action}: {:?}", source.kind()),
            Self::Keyring(detail) | Self::KeyringUnavailable { detail } => detail.clone(),
            Self::NewerVersion {
                found, supported, ..
            } => format!("format {found}, this version knows up to {supported}"),
            Self::SchemaMismatch { version, .. } => format!("migration {version}"),
            Self::InvalidFields(problems) => format!("{} problem(s)", problems.len()),
            _ => String::new(),
        };
        let code = self.code().as_str();
        if detail.is_empty() {
            code.to_owned()
        } else {
            format!("{code}: {detail}")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_serialized_code_is_the_same_string_as_as_str() {
        for code in [
            ErrorCode::InvalidInput,
            ErrorCode::NotFound,
            ErrorCode::SchemaMismatch,
        ] {
            let json = serde_json::to_string(&code).expect("serialize");
            assert_eq!(
                json,
                format!("\"{}\"", code.as_str()),
                "serde and as_str disagree"
            );
        }
    }
}
