//! Tauri commands, grouped by feature. Each is a few lines: state in, one core call, error
//! mapped. Every command must also be listed in `build.rs` and granted in
//! `capabilities/main.json`, or the webview cannot call it.

pub mod app;
pub mod bundles;
pub mod library;
pub mod profiles;
pub mod providers;
pub mod reports;
