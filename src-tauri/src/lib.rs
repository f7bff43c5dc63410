//! Assay's desktop shell.
//!
//! This crate is an adapter: each `#[tauri::command]` takes its state, calls one assay-core
//! function and maps the error to `{code, message}`. Behaviour belongs in assay-core.

pub mod bindings;
mod commands;
mod error;
mod state;

use std::process::ExitCode;

use assay_core::paths::DataDir;

pub use error::IpcError;

/// Starts the app: resolves the data dir, opens the log, then runs the Tauri event loop.
pub fn run() -> ExitCode {
    let data_dir = match DataDir::resolve(None) {
        Ok(dir) => dir,
        Err(err) => return startup_failed(&err),
    };
    if let Err(err) = assay_core::logging::init(&data_dir.logs_dir(), log::LevelFilter::Info) {
        return startup_failed(&err);
    }
    log::info!(
        "starting Assay {} with data dir {}",
        env!("CARGO_PKG_VERSION"),
        data_dir.path().display()
    );

    let builder = bindings::builder();
    let result = tauri::Builder::default()
        .manage(state::AppState::new(data_dir))
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            Ok(())
        })
        .run(tauri::generate_context!());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            log::error!("the app stopped with an error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Reports an error that happened before the log existed. stderr is the only channel left.
#[allow(
    clippy::print_stderr,
    reason = "no log file exists yet; stderr is all there is"
)]
fn startup_failed(err: &assay_core::Error) -> ExitCode {
    eprintln!("Assay could not start: {err}");
    ExitCode::FAILURE
}
