//! The person's app preferences, one small file per data dir (`preferences.json`, 0600,
//! written atomically). Losing it is harmless: a missing or unreadable file is the defaults.

use std::path::Path;

use crate::error::{Error, Result};

/// The app's colours.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type,
)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Light or dark as the OS is set.
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

/// App preferences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(default)]
pub struct Preferences {
    /// When Assay starts, open the profile used last (its passphrase is still asked for).
    pub reopen_last_profile: bool,
    /// Light, dark, or as the OS is set.
    pub theme: Theme,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            reopen_last_profile: true,
            theme: Theme::System,
        }
    }
}

impl Preferences {
    /// The preferences saved at `path`, or the defaults.
    pub fn load(path: &Path) -> Self {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                log::warn!("ignoring unreadable preferences: {e}");
                Self::default()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::default(),
            Err(e) => {
                log::warn!("ignoring preferences that cannot be read: {:?}", e.kind());
                Self::default()
            }
        }
    }

    /// Saves them at `path` atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::InvalidInput(format!("could not encode the preferences: {e}")))?;
        crate::fs::write_atomic(path, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_or_damaged_preferences_are_the_defaults_and_saved_ones_come_back() {
        let dir = tempfile::tempdir().expect("temp");
        let path = dir.path().join("preferences.json");
        assert_eq!(Preferences::load(&path), Preferences::default());
        std::fs::write(&path, b"{not json").expect("write");
        assert!(Preferences::load(&path).reopen_last_profile);
        Preferences {
            reopen_last_profile: false,
            theme: Theme::Dark,
        }
        .save(&path)
        .expect("save");
        assert!(!Preferences::load(&path).reopen_last_profile);
        assert_eq!(Preferences::load(&path).theme, Theme::Dark);
        // A file from before the theme existed keeps its setting and gets the default theme.
        std::fs::write(&path, br#"{"reopen_last_profile": false}"#).expect("write");
        let old = Preferences::load(&path);
        assert_eq!((old.reopen_last_profile, old.theme), (false, Theme::System));
    }
}
