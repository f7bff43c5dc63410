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
    /// A bug: a panic or a task that died inside Assay, not anything the person did.
    Internal,
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
    /// A provider rejected the endpoint's key, or asked for one it does not have.
    ProviderAuth,
    /// A provider could not be reached: refused, DNS, TLS, or no answer in time.
    ProviderUnreachable,
    /// A provider kept answering "too many requests" or "overloaded" after the retries.
    ProviderRateLimited,
    /// The provider does not know the model.
    ModelNotFound,
    /// The account is out of credit or over its spend cap.
    OutOfCredit,
    /// The prompt is longer than the model's context.
    PromptTooLong,
    /// The provider refused the request as malformed.
    BadRequest,
    /// The provider failed (5xx) after the retries.
    ServerError,
    /// The provider answered with something that is not its API's answer.
    BadResponse,
    /// Any other provider failure.
    ProviderError,
    /// The run's state does not allow what was asked (pausing a finished run).
    RunState,
    /// A model the run calls has no known price, and the person has not accepted that.
    PriceUnknown,
}

impl ErrorCode {
    /// The code as the string that crosses IPC and appears in `--json` errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "INVALID_INPUT",
            Self::Internal => "INTERNAL",
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
            Self::ProviderAuth => "PROVIDER_AUTH",
            Self::ProviderUnreachable => "PROVIDER_UNREACHABLE",
            Self::ProviderRateLimited => "PROVIDER_RATE_LIMITED",
            Self::ModelNotFound => "MODEL_NOT_FOUND",
            Self::OutOfCredit => "OUT_OF_CREDIT",
            Self::PromptTooLong => "PROMPT_TOO_LONG",
            Self::BadRequest => "BAD_REQUEST",
            Self::ServerError => "SERVER_ERROR",
            Self::BadResponse => "BAD_RESPONSE",
            Self::ProviderError => "PROVIDER_ERROR",
            Self::RunState => "RUN_STATE",
            Self::PriceUnknown => "PRICE_UNKNOWN",
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

    /// Several fields failed validation, every one at once, each with its field, so a form
    /// can show each beside its field (the message is `field: problem`, one per line).
    #[error("{}", lines(.0))]
    InvalidFields(Vec<FieldProblem>),

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

    /// What needs the profile alone (or to execute its runs) found runs executing in it.
    #[error(
        "profile {name:?} is busy: {} executing; wait for {} to end, or pause {} (the run's Pause, or `assay run pause RUN`), and try again",
        runs_named(runs), if runs.len() == 1 { "it" } else { "them" }, if runs.len() == 1 { "it" } else { "them" }
    )]
    RunsHosted {
        /// The profile's name.
        name: String,
        /// The runs' ids (possibly none known).
        runs: Vec<String>,
    },

    /// A write waited for another process's write for longer than it may.
    #[error(
        "profile {name:?} is busy: another process kept it locked for writing for over a second; nothing was changed; try again"
    )]
    WriteBusy {
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

    /// A call to a model provider failed; `failure` says how and what to do. It never holds
    /// the key.
    #[error("endpoint {endpoint:?}: {failure}")]
    Provider {
        /// The endpoint's name.
        endpoint: String,
        /// What went wrong.
        failure: ProviderFailure,
    },

    /// What was asked of a run does not fit its state.
    #[error("the run is {status}, so it cannot be {wanted}")]
    RunState {
        /// Its status now.
        status: &'static str,
        /// What was asked, as a past participle ("paused", "resumed").
        wanted: &'static str,
    },

    /// A bug inside Assay (a panic, a task that died): never the person's doing.
    #[error(
        "this is a bug in Assay: {what}; nothing was half-written. The log ({}) has the details; please report it",
        log_file_text()
    )]
    Internal {
        /// What failed, in a few words (no secret, no text a model wrote).
        what: String,
    },

    /// An error another Assay process reported (through the control socket), with its code.
    #[error("{message}")]
    Relayed {
        /// Its code there.
        code: ErrorCode,
        /// Its message there.
        message: String,
    },

    /// Models without a known price, which a run may call only with consent.
    #[error(
        "no price is known for {}; allow unpriced models (their cost shows as unknown), give a \
         token budget, or set a price for them",
        models.join(", ")
    )]
    PriceUnknown {
        /// `endpoint/model` of each.
        models: Vec<String>,
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
            Self::ProfileInUse { .. } | Self::RunsHosted { .. } | Self::WriteBusy { .. } => {
                ErrorCode::ProfileInUse
            }
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
            Self::Provider { failure, .. } => failure.kind.code(),
            Self::RunState { .. } => ErrorCode::RunState,
            Self::Relayed { code, .. } => *code,
            Self::Internal { .. } => ErrorCode::Internal,
            Self::PriceUnknown { .. } => ErrorCode::PriceUnknown,
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
            Self::Provider { failure, .. } => match failure.status {
                Some(status) => format!("{:?}, HTTP {status}", failure.kind),
                None => format!("{:?}", failure.kind),
            },
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

/// How a call to a model provider failed, in the terms a person acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// 401/403 with a key: the key is wrong, revoked or lacks access.
    KeyRejected,
    /// 401/403 without a key: the server wants one.
    KeyNeeded,
    /// The model name is unknown there.
    ModelNotFound,
    /// The prompt does not fit the model's context.
    PromptTooLong,
    /// Any other 4xx the server calls a bad request.
    BadRequest,
    /// 429 "too many requests".
    RateLimited,
    /// 529/503 "overloaded".
    Overloaded,
    /// Another 5xx.
    ServerError,
    /// No answer within the call's timeout.
    Timeout,
    /// Refused, DNS, TLS, reset.
    Unreachable,
    /// Out of credit or over a spend cap (OpenRouter's 402, Anthropic's spend limit, OpenAI's
    /// `insufficient_quota`).
    OutOfCredit,
    /// The answer is not the API's shape (malformed JSON, no choices).
    BadResponse,
    /// The key may not be sent to this address (plain http to the open internet).
    Insecure,
}

impl FailureKind {
    /// The stable error code; the CLI maps it to exit 21–24.
    pub fn code(self) -> ErrorCode {
        match self {
            Self::KeyRejected | Self::KeyNeeded => ErrorCode::ProviderAuth,
            Self::Timeout | Self::Unreachable => ErrorCode::ProviderUnreachable,
            Self::RateLimited | Self::Overloaded => ErrorCode::ProviderRateLimited,
            Self::ModelNotFound => ErrorCode::ModelNotFound,
            Self::PromptTooLong => ErrorCode::PromptTooLong,
            Self::BadRequest | Self::Insecure => ErrorCode::BadRequest,
            Self::ServerError => ErrorCode::ServerError,
            Self::OutOfCredit => ErrorCode::OutOfCredit,
            Self::BadResponse => ErrorCode::BadResponse,
        }
    }

    /// Whether trying again later may succeed: 429, 529/503, other 5xx, timeouts and resets;
    /// never a 4xx, a key problem or a spend cap.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Self::RateLimited
                | Self::Overloaded
                | Self::ServerError
                | Self::Timeout
                | Self::Unreachable
        )
    }

    /// What the person can do about it.
    pub fn advice(self) -> &'static str {
        match self {
            Self::KeyRejected => "the key was rejected; replace it in Settings",
            Self::KeyNeeded => {
                "the server asks for a key and this endpoint has none; add one in Settings"
            }
            Self::ModelNotFound => {
                "the model is not known there; check its name (the endpoint's model list shows what it offers)"
            }
            Self::PromptTooLong => {
                "the prompt is longer than the model's context; shorten the inputs or pick a model with a longer context"
            }
            Self::BadRequest => "the server refused the request",
            Self::RateLimited => {
                "the provider kept answering \"too many requests\"; lower the endpoint's limits or try later"
            }
            Self::Overloaded => "the provider is overloaded; try again later",
            Self::ServerError => "the provider failed; try again later",
            Self::Timeout => "no answer in time; raise the timeout or try later",
            Self::Unreachable => {
                "could not reach the server; check the address, the network and any proxy"
            }
            Self::OutOfCredit => {
                "the account is out of credit or over its spend limit; add credit or raise the limit with the provider"
            }
            Self::BadResponse => "the server's answer was not what its API sends",
            Self::Insecure => {
                "a key is only sent over https://, or over http:// to this machine or a private network"
            }
        }
    }
}

/// A provider failure: its kind, the HTTP status if there was one, and the server's own
/// message (trimmed; it never holds the key, which is not echoed by the APIs and is scrubbed
/// if it were).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct ProviderFailure {
    /// What went wrong.
    pub kind: FailureKind,
    /// The HTTP status, if the server answered.
    pub status: Option<u16>,
    /// The server's message, if it gave one.
    pub detail: Option<String>,
}

impl std::fmt::Display for ProviderFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind.advice())?;
        match (self.status, &self.detail) {
            (Some(status), Some(detail)) => write!(f, " (HTTP {status}: {detail})"),
            (Some(status), None) => write!(f, " (HTTP {status})"),
            (None, Some(detail)) => write!(f, " ({detail})"),
            (None, None) => Ok(()),
        }
    }
}

/// Result alias for core operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// "run X is" or "runs X, Y are", for [`Error::RunsHosted`].
fn runs_named(runs: &[String]) -> String {
    match runs {
        [] => "a run is".to_owned(),
        [one] => format!("run {one} is"),
        many => format!("runs {} are", many.join(", ")),
    }
}

/// The log file this process writes, once `logging::init` ran (kept here, below `logging`, so
/// an `INTERNAL` error can say where to look).
static LOG_FILE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Records where this process's log is.
pub(crate) fn set_log_file(path: PathBuf) {
    let _ = LOG_FILE.set(path);
}

/// Where this process's log is, for messages that send a person there.
fn log_file_text() -> String {
    LOG_FILE.get().map_or_else(
        || "assay.log under the data directory's logs folder".to_owned(),
        |p| p.display().to_string(),
    )
}

/// One field's problem: the field's path (`name`, `models[0].temperature`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct FieldProblem {
    /// The field's path in the draft.
    pub field: String,
    /// What is wrong with it, as a phrase ("must be between 0 and 2").
    pub problem: String,
}

impl FieldProblem {
    /// `field`'s `problem`.
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

impl std::fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

/// Field problems as lines.
fn lines(problems: &[FieldProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

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
