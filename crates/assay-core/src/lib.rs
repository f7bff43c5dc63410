//! Assay's core: every decision the app makes lives here.
//!
//! The desktop shell (`src-tauri`) and the `assay` CLI are adapters: they parse input, call one
//! function from this crate and map its error. This crate has no tauri, gtk or webkit
//! dependency, so all behaviour is testable without a webview.
#![deny(missing_docs)]

pub mod app_info;
pub mod bundle;
pub mod db;
pub mod display;
pub mod domain;
pub mod engine;
pub mod error;
pub(crate) mod faults;
pub mod fs;
pub mod identity;
pub mod library;
pub mod llm;
pub mod logging;
pub mod markdown;
pub mod numbers;
pub(crate) mod parallel;
pub mod paths;
pub mod preferences;
pub mod profile;
pub mod providers;
pub mod rankings;
pub mod registry;
pub mod reports;
pub mod secrets;
pub mod seed;
pub mod store;
pub mod transfer;
pub mod window_state;

pub use error::{Error, ErrorCode, FieldProblem};
#[cfg(test)]
mod architecture_tests;
#[cfg(test)]
mod test_support;
