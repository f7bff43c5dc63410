//! Rendering results and errors, as text or as JSON.

use std::io::Write;
use std::process::ExitCode;

use assay_core::{Error, ErrorCode};

/// A command result that can be shown as text; JSON comes from `Serialize`.
pub trait Render: serde::Serialize {
    /// The human-readable form, ending in a newline.
    fn text(&self) -> String;
}

/// Prints a result on stdout. A closed stdout (e.g. `| head`) is not an error worth a panic.
pub fn print(value: &impl Render, json: bool) -> Result<(), Error> {
    let rendered = if json {
        let mut s = serde_json::to_string_pretty(value)
            .map_err(|e| Error::InvalidInput(format!("could not encode the result: {e}")))?;
        s.push('\n');
        s
    } else {
        value.text()
    };
    let _ = std::io::stdout().lock().write_all(rendered.as_bytes());
    Ok(())
}

/// Opens the data dir's profiles and, if opening repaired the registry (profiles brought back
/// from their folders after it was lost), says so once on stderr, as `warning: …` (or
/// `{"warning": "…"}` with `--json`); stdout keeps its shape.
pub fn open_profiles(
    data_dir: &assay_core::paths::DataDir,
    json: bool,
) -> Result<assay_core::profile::Profiles, Error> {
    let profiles = assay_core::profile::Profiles::open(data_dir)?;
    if let Some(notice) = profiles.registry_notice() {
        let text = if json {
            serde_json::json!({ "warning": notice }).to_string()
        } else {
            format!("warning: {notice}")
        };
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    }
    Ok(profiles)
}

/// A run ended other than completed (completed with errors, failed, cancelled, paused).
pub const RUN_INCOMPLETE_EXIT: u8 = 25;

/// What was asked does not fit the run's state.
pub const RUN_STATE_EXIT: u8 = 26;

/// The process exit code for an error code (docs/cli.md keeps the table).
pub fn exit_code(code: ErrorCode) -> u8 {
    match code {
        ErrorCode::InvalidInput | ErrorCode::PassphraseRequired | ErrorCode::PriceUnknown => {
            USAGE_EXIT
        }
        ErrorCode::NotFound => 10,
        ErrorCode::AlreadyExists => 11,
        ErrorCode::ProfileInUse => 12,
        ErrorCode::KeyMissing => 13,
        ErrorCode::DataMissing => 14,
        ErrorCode::DecryptFailed | ErrorCode::WrongPassphrase => 15,
        ErrorCode::NewerVersion => 16,
        ErrorCode::KeyringUnavailable => 17,
        ErrorCode::Corrupt | ErrorCode::SchemaMismatch => 18,
        ErrorCode::NotReady => 19,
        ErrorCode::DiskFull => 20,
        ErrorCode::ProviderAuth => 21,
        ErrorCode::ProviderUnreachable => 22,
        ErrorCode::ProviderRateLimited => 23,
        ErrorCode::ModelNotFound
        | ErrorCode::OutOfCredit
        | ErrorCode::PromptTooLong
        | ErrorCode::BadRequest
        | ErrorCode::ServerError
        | ErrorCode::BadResponse
        | ErrorCode::ProviderError => 24,
        ErrorCode::RunState => RUN_STATE_EXIT,
        _ => 1,
    }
}

/// Prints an error on stderr and returns the matching exit code.
pub fn report_error(err: &Error, json: bool) -> ExitCode {
    let code = err.code();
    let text = if json {
        serde_json::json!({ "error": { "code": code.as_str(), "message": err.to_string() } })
            .to_string()
    } else {
        // Names a person typed and a server's words can hold escape sequences: shown, not
        // obeyed.
        format!("error: {}", assay_core::display::text(&err.to_string()))
    };
    let _ = writeln!(std::io::stderr().lock(), "{text}");
    ExitCode::from(exit_code(code))
}

/// Reports a clap parse error. `--help` and `--version` print as usual and exit 0; a real
/// usage error exits 2, as JSON on stderr when `--json` was among the arguments.
pub fn report_usage_error(err: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let wants_json = std::env::args_os().any(|a| a == "--json");
    let is_usage = !matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    );
    if !(wants_json && is_usage) {
        let _ = err.print();
        return ExitCode::from(if is_usage { USAGE_EXIT } else { 0 });
    }
    let message = err.kind().to_string();
    let detail = err.to_string();
    let first_line = detail
        .lines()
        .next()
        .unwrap_or(&message)
        .trim_start_matches("error: ");
    let json = serde_json::json!({ "error": { "code": "USAGE", "message": first_line } });
    let _ = writeln!(std::io::stderr().lock(), "{json}");
    ExitCode::from(USAGE_EXIT)
}

/// Exit code for a usage error (bad arguments), as clap uses.
pub const USAGE_EXIT: u8 = 2;
