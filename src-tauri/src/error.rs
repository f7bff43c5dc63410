//! The error shape that crosses IPC: `{ code, message }`, never a Debug dump.

use assay_core::ErrorCode;

/// An error as the UI receives it. The UI branches on `code`; `message` is for people.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct IpcError {
    /// Stable machine-readable code, e.g. `NOT_READY`.
    pub code: ErrorCode,
    /// What happened and what the person can do about it. Never contains a secret.
    pub message: String,
    /// For `INVALID_INPUT` from a form: every field's problem, so each shows beside its
    /// field (the message lists the same as `field: problem` lines). Empty otherwise.
    pub fields: Vec<assay_core::FieldProblem>,
}

impl IpcError {
    /// The window has no profile open.
    pub fn no_profile() -> Self {
        Self {
            code: ErrorCode::NotFound,
            message: "no profile is open in this window; choose one first".into(),
            fields: Vec::new(),
        }
    }

    /// A background task failed to run to completion (a panic: a bug, not a user error).
    pub fn internal(err: impl std::fmt::Display) -> Self {
        log::error!("background task failed: {err}");
        Self::from(assay_core::Error::Internal {
            what: "a task of the app's died".into(),
        })
    }
}

impl From<assay_core::Error> for IpcError {
    fn from(err: assay_core::Error) -> Self {
        log::warn!("command failed: {}", err.log_line());
        let fields = match &err {
            assay_core::Error::InvalidFields(problems) => problems.clone(),
            _ => Vec::new(),
        };
        Self {
            code: err.code(),
            message: err.to_string(),
            fields,
        }
    }
}
