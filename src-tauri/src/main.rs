//! The Assay desktop app's entry point; everything is in the library so tests can reach it.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    assay_desktop::run()
}
