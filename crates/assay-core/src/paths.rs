//! Where Assay keeps its data.
//!
//! The data directory is chosen, first match wins, from:
//! 1. an explicit path (the CLI's `--data-dir`),
//! 2. the `ASSAY_DATA_DIR` environment variable,
//! 3. the platform data directory for the app identifier.
//!
//! The platform rule is the one Tauri's `app_data_dir()` uses (`dirs::data_dir()` joined with
//! the bundle identifier), so the desktop app and the CLI always agree on where profiles live:
//!
//! | OS      | data dir                                              |
//! |---------|-------------------------------------------------------|
//! | Linux   | `$XDG_DATA_HOME/dev.assay.desktop` or `~/.local/share/dev.assay.desktop` |
//! | macOS   | `~/Library/Application Support/dev.assay.desktop`     |
//! | Windows | `%APPDATA%\dev.assay.desktop`                         |

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The bundle identifier in `tauri.conf.json`. The platform data dir is named after it.
pub const APP_IDENTIFIER: &str = "dev.assay.desktop";

/// Environment variable that overrides the platform data directory.
pub const DATA_DIR_ENV: &str = "ASSAY_DATA_DIR";

/// Where the chosen data directory came from, so `assay info` can explain itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum DataDirSource {
    /// Given explicitly (the CLI's `--data-dir`).
    Explicit,
    /// Taken from `ASSAY_DATA_DIR`.
    Environment,
    /// The platform default for [`APP_IDENTIFIER`].
    Platform,
}

/// The resolved data directory. The path is always absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    path: PathBuf,
    source: DataDirSource,
}

impl DataDir {
    /// Resolves the data directory from an explicit path, then `ASSAY_DATA_DIR`, then the
    /// platform default. Nothing is created on disk.
    pub fn resolve(explicit: Option<&Path>) -> Result<Self> {
        Self::resolve_from(explicit, std::env::var_os(DATA_DIR_ENV), platform_data_dir)
    }

    /// [`DataDir::resolve`] with its inputs passed in, so tests never read the real
    /// environment or touch the real data dir.
    pub fn resolve_from(
        explicit: Option<&Path>,
        env: Option<OsString>,
        platform: impl FnOnce() -> Option<PathBuf>,
    ) -> Result<Self> {
        let (raw, source) = if let Some(path) = explicit {
            (path.to_path_buf(), DataDirSource::Explicit)
        } else if let Some(value) = env.filter(|v| !v.is_empty()) {
            (PathBuf::from(value), DataDirSource::Environment)
        } else {
            (
                platform().ok_or(Error::NoPlatformDataDir)?,
                DataDirSource::Platform,
            )
        };
        if raw.as_os_str().is_empty() {
            return Err(Error::InvalidInput(
                "the data directory path is empty; give a directory path".into(),
            ));
        }
        let path = std::path::absolute(&raw)
            .map_err(|e| Error::io("resolve the data directory", &raw, e))?;
        Ok(Self { path, source })
    }

    /// The absolute path of the data directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the path came from.
    pub fn source(&self) -> DataDirSource {
        self.source
    }

    /// This data dir's [`dir_tag`].
    pub fn tag(&self) -> String {
        dir_tag(&self.path)
    }

    /// Where the app remembers its window's size and position.
    pub fn window_state_file(&self) -> PathBuf {
        self.path.join("window-state.json")
    }

    /// The app's preferences (`preferences.json`).
    pub fn preferences_file(&self) -> PathBuf {
        self.path.join("preferences.json")
    }

    /// `<data dir>/logs`, where redacted logs are written.
    pub fn logs_dir(&self) -> PathBuf {
        self.path.join("logs")
    }
}

/// The platform data directory for [`APP_IDENTIFIER`], or `None` when the platform has no
/// home directory to put it under.
pub fn platform_data_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|dirs| dirs.data_dir().join(APP_IDENTIFIER))
}

/// 16 hex digits of the SHA-256 of `dir`'s path: a short name for one data dir, used to keep
/// its keyring entries and its running app instance apart from another data dir's.
pub fn dir_tag(dir: &Path) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(dir.as_os_str().as_encoded_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform() -> Option<PathBuf> {
        Some(PathBuf::from("/platform/dev.assay.desktop"))
    }

    #[test]
    fn an_explicit_path_wins_over_the_environment_and_the_platform() {
        let dir = DataDir::resolve_from(Some(Path::new("/flag")), Some("/env".into()), platform)
            .expect("explicit path resolves");
        assert_eq!(dir.path(), Path::new("/flag"), "the flag should win");
        assert_eq!(dir.source(), DataDirSource::Explicit);
    }

    #[test]
    fn the_environment_wins_over_the_platform() {
        let dir = DataDir::resolve_from(None, Some("/env".into()), platform).expect("env resolves");
        assert_eq!(dir.path(), Path::new("/env"), "ASSAY_DATA_DIR should win");
        assert_eq!(dir.source(), DataDirSource::Environment);
    }

    #[test]
    fn an_empty_environment_variable_falls_back_to_the_platform() {
        let dir = DataDir::resolve_from(None, Some("".into()), platform).expect("falls back");
        assert_eq!(
            dir.source(),
            DataDirSource::Platform,
            "empty env must count as unset"
        );
        assert_eq!(dir.path(), Path::new("/platform/dev.assay.desktop"));
    }

    #[test]
    fn a_relative_path_is_made_absolute() {
        let dir = DataDir::resolve_from(Some(Path::new("rel/dir")), None, platform)
            .expect("relative path resolves");
        assert!(
            dir.path().is_absolute(),
            "{} should be absolute",
            dir.path().display()
        );
        assert!(dir.path().ends_with("rel/dir"));
    }

    #[test]
    fn an_empty_explicit_path_is_rejected() {
        let err = DataDir::resolve_from(Some(Path::new("")), None, platform)
            .expect_err("empty path must fail");
        assert_eq!(err.code(), crate::ErrorCode::InvalidInput);
    }

    #[test]
    fn no_platform_dir_and_no_override_is_a_clear_error() {
        let err = DataDir::resolve_from(None, None, || None).expect_err("must fail");
        assert_eq!(err.code(), crate::ErrorCode::DataDir);
        assert!(
            err.to_string().contains("ASSAY_DATA_DIR"),
            "message should name the fix: {err}"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_platform_dir_follows_the_tauri_rule_of_data_dir_plus_identifier() {
        // Tauri's app_data_dir() is dirs::data_dir().join(identifier); on Linux that is
        // $XDG_DATA_HOME (or ~/.local/share) joined with the identifier.
        let expected = std::env::var_os("XDG_DATA_HOME")
            .filter(|v| Path::new(v).is_absolute())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .expect("HOME is set in tests")
            .join(APP_IDENTIFIER);
        assert_eq!(platform_data_dir(), Some(expected));
    }
}
