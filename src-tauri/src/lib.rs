//! Assay's desktop shell.
//!
//! This crate is an adapter: each `#[tauri::command]` takes its state, calls one assay-core
//! function and maps the error to `{code, message}`. Behaviour belongs in assay-core.

pub mod bindings;
mod commands;
mod error;
#[cfg(test)]
mod ipc_lists_tests;
mod navigation;
mod report_protocol;
mod runs;
mod state;
mod window;

use std::process::ExitCode;

use assay_core::paths::DataDir;
use assay_core::profile::Profiles;

pub use error::IpcError;
pub use window::lean_webkit_environment;

/// Starts the app: resolves the data dir, opens the log, then runs the Tauri event loop.
pub fn run() -> ExitCode {
    let data_dir = match DataDir::resolve(None) {
        Ok(dir) => dir,
        Err(err) => return startup_failed(&err),
    };
    if let Err(err) = assay_core::logging::init(&data_dir.logs_dir(), log::LevelFilter::Info) {
        return startup_failed(&err);
    }
    assay_core::logging::log_panics();
    log::info!(
        "starting Assay {} with data dir {}",
        env!("CARGO_PKG_VERSION"),
        data_dir.path().display()
    );

    // Named after the data dir's identity, the same however its path is spelled.
    let instance = match Profiles::data_dir_id(&data_dir) {
        Ok(id) => assay_core::identity::instance_tag(&id),
        Err(err) => {
            log::warn!(
                "the data dir has no identity yet ({}); naming the instance by its path",
                err.code().as_str()
            );
            data_dir.tag()
        }
    };
    let builder = bindings::builder();
    let window_state_file = data_dir.window_state_file();
    // One app per data dir: a second launch on the same one focuses the first window and
    // exits. (On Linux the instance is a D-Bus name carrying the data dir's tag.)
    let single_instance = tauri_plugin_single_instance::Builder::new()
        .dbus_id(format!(
            "{}.d{}",
            assay_core::paths::APP_IDENTIFIER,
            instance
        ))
        .callback(|app, _argv, _cwd| window::focus_main(app))
        .build();
    let app = tauri::Builder::default()
        .plugin(single_instance)
        .plugin(tauri_plugin_dialog::init())
        .plugin(navigation::guard())
        .manage(state::AppState::new(data_dir));
    let result = report_protocol::register(app)
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            window::remember_state(app, window_state_file);
            window::ask_before_quitting_runs(app);
            window::lean_webview(app);
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
