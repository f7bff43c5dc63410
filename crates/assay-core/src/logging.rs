//! The app's log: plain lines appended to `<data dir>/logs/assay.log`.
//!
//! Invariant: no secret reaches the log. Key material lives in types whose `Debug` and
//! `Display` print `<redacted>`, so even `{:?}` of a struct holding one is safe; tests scan
//! the log file for known secrets. Messages are single lines: embedded newlines are escaped so
//! one log call cannot forge another entry.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use log::{LevelFilter, Log, Metadata, Record};

use crate::error::{Error, Result};

/// File name of the log inside the logs directory.
pub const LOG_FILE_NAME: &str = "assay.log";

/// A `log` backend that appends to one file.
#[derive(Debug)]
struct FileLog {
    file: Mutex<File>,
    level: LevelFilter,
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
/// returns the log file's path. Calling it a second time is an error from `log`, reported
/// as `InvalidInput`.
pub fn init(logs_dir: &Path, level: LevelFilter) -> Result<PathBuf> {
    crate::fs::private::create_dir_all(logs_dir)?;
    let path = logs_dir.join(LOG_FILE_NAME);
    let file = crate::fs::private::options()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| Error::io("open the log file", &path, e))?;
    log::set_boxed_logger(Box::new(FileLog {
        file: Mutex::new(file),
        level,
    }))
    .map_err(|_| Error::InvalidInput("the logger is already installed".into()))?;
    log::set_max_level(level);
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

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
