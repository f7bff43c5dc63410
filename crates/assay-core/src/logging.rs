//! The app's log: plain lines appended to `<data dir>/logs/assay.log`, rotated by size
//! (`file-rotate`): at 1 MiB the file becomes `assay.log.1` and the oldest of
//! [`KEPT_FILES`] is dropped, so the logs never take more than about 5 MiB. Files are 0600.
//!
//! The level is `info` unless raised for support: the `ASSAY_LOG_LEVEL` environment variable
//! (`error`, `warn`, `info`, `debug`, `trace`), else `"log_level"` in
//! `<data dir>/settings.json`.
//!
//! Invariants: no secret and nothing a person named reaches the log. Key material lives in
//! types whose `Debug` and `Display` print `<redacted>`; profiles, contents, presets and runs
//! are logged by id only, and errors through [`crate::Error::log_line`], which leaves out
//! names, titles and paths. Tests scan the logs for every name, key and passphrase they used.
//! Messages are single lines: embedded newlines are escaped so one log call cannot forge
//! another entry.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use log::{LevelFilter, Log, Metadata, Record};

use crate::error::{Error, Result};

/// File name of the log inside the logs directory.
pub const LOG_FILE_NAME: &str = "assay.log";

/// Bytes a log file may reach before it is rotated.
pub const MAX_FILE_BYTES: usize = 1 << 20;
/// Rotated files kept besides the current one.
pub const KEPT_FILES: usize = 4;
/// Environment variable that sets the log level.
pub const LEVEL_ENV: &str = "ASSAY_LOG_LEVEL";

/// A `log` backend that appends to a size-rotated file.
struct FileLog {
    file: Mutex<file_rotate::FileRotate<file_rotate::suffix::AppendCount>>,
    level: LevelFilter,
}

impl std::fmt::Debug for FileLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileLog")
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

impl Log for FileLog {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = format_line(&jiff::Timestamp::now().to_string(), record);
        // A poisoned lock means another thread panicked mid-write; keep logging anyway.
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        // Logging must never take the app down; a failed write is dropped.
        let _ = file.write_all(line.as_bytes());
    }

    fn flush(&self) {
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let _ = file.flush();
    }
}

fn format_line(timestamp: &str, record: &Record<'_>) -> String {
    let message = record
        .args()
        .to_string()
        .replace('\\', "\\\\")
        .replace('\n', "\\n");
    format!(
        "{timestamp} {:<5} {}: {message}\n",
        record.level(),
        record.target()
    )
}

/// Installs the file logger for the whole process, creating `logs_dir` if needed, and
/// returns the log file's path. `default` is the level unless `ASSAY_LOG_LEVEL` or the data
/// dir's settings raise it. Calling it a second time is an error from `log`, reported as
/// `InvalidInput`.
pub fn init(logs_dir: &Path, default: LevelFilter) -> Result<PathBuf> {
    crate::fs::private::create_dir_all(logs_dir)?;
    let path = logs_dir.join(LOG_FILE_NAME);
    let level = chosen_level(logs_dir.parent(), default);
    let mut options = crate::fs::private::options();
    options.read(true).create(true).append(true);
    let file = file_rotate::FileRotate::new(
        &path,
        file_rotate::suffix::AppendCount::new(KEPT_FILES),
        file_rotate::ContentLimit::BytesSurpassed(MAX_FILE_BYTES),
        file_rotate::compression::Compression::None,
        Some(options),
    );
    log::set_boxed_logger(Box::new(FileLog {
        file: Mutex::new(file),
        level,
    }))
    .map_err(|_| Error::InvalidInput("the logger is already installed".into()))?;
    log::set_max_level(level);
    crate::error::set_log_file(path.clone());
    Ok(path)
}

/// Logs every panic (its message and where it happened) before it unwinds, so an `INTERNAL`
/// error's "see the log" finds it there. Idempotent enough: a later call replaces the hook.
pub fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        log::error!("panic at {location}: {message}");
    }));
}

/// `ASSAY_LOG_LEVEL`, else `"log_level"` in `<data dir>/settings.json`, else `default`. A
/// value that is not a level is ignored.
fn chosen_level(data_dir: Option<&Path>, default: LevelFilter) -> LevelFilter {
    let from_env = std::env::var(LEVEL_ENV).ok();
    let from_settings = || -> Option<String> {
        let text = std::fs::read(data_dir?.join("settings.json")).ok()?;
        let value: serde_json::Value = serde_json::from_slice(&text).ok()?;
        value.get("log_level")?.as_str().map(str::to_owned)
    };
    from_env
        .or_else(from_settings)
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_comes_from_the_settings_file_unless_the_environment_says() {
        let dir = tempfile::tempdir().expect("temp");
        assert_eq!(
            chosen_level(Some(dir.path()), LevelFilter::Info),
            LevelFilter::Info
        );
        std::fs::write(
            dir.path().join("settings.json"),
            r#"{"log_level": "debug"}"#,
        )
        .expect("settings");
        if std::env::var_os(LEVEL_ENV).is_none() {
            assert_eq!(
                chosen_level(Some(dir.path()), LevelFilter::Info),
                LevelFilter::Debug
            );
        }
        std::fs::write(dir.path().join("settings.json"), r#"{"log_level": "loud"}"#)
            .expect("settings");
        if std::env::var_os(LEVEL_ENV).is_none() {
            assert_eq!(
                chosen_level(Some(dir.path()), LevelFilter::Info),
                LevelFilter::Info,
                "a value that is no level is ignored"
            );
        }
    }

    #[test]
    fn a_multi_line_message_stays_on_one_log_line() {
        let line = format_line(
            "2026-01-01T00:00:00Z",
            &Record::builder()
                .args(format_args!("first\nINFO forged: entry"))
                .level(log::Level::Info)
                .target("t")
                .build(),
        );
        assert_eq!(line.matches('\n').count(), 1, "exactly one line: {line:?}");
        assert!(
            line.contains("first\\nINFO forged"),
            "newline should be escaped: {line:?}"
        );
    }
}
