//! The error shape that crosses IPC: `{ code, message }`, never a Debug dump.

use assay_core::ErrorCode;

/// An error as the UI receives it. The UI branches on `code`; `message` is for people.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct IpcError {
    /// Stable machine-readable code, e.g. `NOT_READY`.
    pub code: ErrorCode,
    /// What happened and what the person can do about it. Never contains a secret.
    pub message: String,
}

impl From<assay_core::Error> for IpcError {
    fn from(err: assay_core::Error) -> Self {
        log::warn!("command failed: {} ({})", err, err.code().as_str());
        Self {
            code: err.code(),
            message: err.to_string(),
        }
    }
}
