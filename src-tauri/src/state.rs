//! State shared by the commands of one app process.
//!
//! Each window has at most one open profile. A command takes an `Arc` of its window's profile
//! when it starts, so it finishes on that profile even if the window switches meanwhile; the
//! profile closes (and its lock is released) when the last such `Arc` is dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use assay_core::paths::DataDir;
use assay_core::profile::{OpenProfile, Profiles};

/// The app's managed state.
#[derive(Debug)]
pub struct AppState {
    data_dir: DataDir,
    profiles: OnceLock<Arc<Profiles>>,
    sessions: Mutex<HashMap<String, Arc<OpenProfile>>>,
}

impl AppState {
    /// State for an app using `data_dir`.
    pub fn new(data_dir: DataDir) -> Self {
        Self {
            data_dir,
            profiles: OnceLock::new(),
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// The data directory this process uses.
    pub fn data_dir(&self) -> &DataDir {
        &self.data_dir
    }

    /// The data dir's profiles, opened (with its recovery sweep) on first use.
    pub fn profiles(&self) -> Result<Arc<Profiles>, assay_core::Error> {
        if let Some(p) = self.profiles.get() {
            return Ok(Arc::clone(p));
        }
        let opened = Arc::new(Profiles::open(&self.data_dir)?);
        Ok(Arc::clone(self.profiles.get_or_init(|| opened)))
    }

    /// The profile open in `window`, if any.
    pub fn session(&self, window: &str) -> Option<Arc<OpenProfile>> {
        self.lock().get(window).cloned()
    }

    /// Makes `profile` the one open in `window`, returning the one it replaces.
    pub fn set_session(&self, window: &str, profile: Arc<OpenProfile>) -> Option<Arc<OpenProfile>> {
        self.lock().insert(window.to_owned(), profile)
    }

    /// Closes `window`'s profile.
    pub fn clear_session(&self, window: &str) -> Option<Arc<OpenProfile>> {
        self.lock().remove(window)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<OpenProfile>>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
}
