//! The `assay-report` URI scheme: `assay-report://localhost/<run id>` (on Windows,
//! `http://assay-report.localhost/<run id>`) is the HTML report of that run in the requesting
//! window's profile, exactly the bytes Save writes. The Report tab shows it in a sandboxed
//! iframe.
//!
//! The report is served with its own policy, stricter than the app's: no scripts, no network,
//! only its inline stylesheet and inline SVG.

use assay_core::library::Library;
use std::sync::Arc;

use assay_core::profile::OpenProfile;
use assay_core::reports::{self, ReportFormat};
use tauri::Manager;
use tauri::http::{Response, StatusCode, header};

use crate::error::IpcError;
use crate::state::AppState;

/// The scheme's name; the UI builds URLs with `convertFileSrc(runId, SCHEME)`.
pub const SCHEME: &str = "assay-report";

/// The report's own content security policy.
const POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/// Registers the scheme on `builder`.
pub fn register(builder: tauri::Builder<tauri::Wry>) -> tauri::Builder<tauri::Wry> {
    builder.register_asynchronous_uri_scheme_protocol(SCHEME, |ctx, request, responder| {
        let session = ctx
            .app_handle()
            .state::<AppState>()
            .session(ctx.webview_label());
        let run_id = request.uri().path().trim_start_matches('/').to_owned();
        // Rendering reads the database: never on the thread that called us.
        tauri::async_runtime::spawn_blocking(move || {
            responder.respond(response(session, &run_id));
        });
    })
}

fn response(session: Option<Arc<OpenProfile>>, run_id: &str) -> Response<Vec<u8>> {
    let rendered = session.ok_or_else(IpcError::no_profile).and_then(|open| {
        let run = Library::of(&open)?.run(run_id)?;
        Ok(reports::render(&run, ReportFormat::Html)?)
    });
    let (status, content_type, body) = match rendered {
        Ok(html) => (StatusCode::OK, "text/html; charset=utf-8", html),
        Err(err) => {
            let status = match err.code {
                assay_core::ErrorCode::NotFound => StatusCode::NOT_FOUND,
                _ => StatusCode::CONFLICT,
            };
            let text = format!("{}: {}", err.code.as_str(), err.message);
            (status, "text/plain; charset=utf-8", text.into_bytes())
        }
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_SECURITY_POLICY, POLICY)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
        .unwrap_or_else(|_| Response::new(Vec::new()))
}
