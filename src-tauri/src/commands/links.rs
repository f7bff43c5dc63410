//! Opening a link from a document in the system browser, after the person clicked it and saw
//! its address. The webview never navigates anywhere itself (`crate::navigation`).

use assay_core::domain::link::ExternalLink;

use crate::error::IpcError;

/// Opens `url` (an `http` or `https` address) in the system's browser.
#[tauri::command]
#[specta::specta]
pub async fn open_external(url: String) -> Result<(), IpcError> {
    let link = ExternalLink::parse(&url)?;
    // A URL from a document is content: the log says that a link was opened, not which.
    log::info!("opening a link in the system browser");
    open::that_detached(link.as_str()).map_err(|err| IpcError {
        code: assay_core::ErrorCode::Io,
        message: format!("the system browser could not be started: {err}"),
        fields: Vec::new(),
    })
}
