//! State shared by the commands of one app process.

use assay_core::paths::DataDir;

/// The app's managed state. Later: the profile registry and each window's active profile.
#[derive(Debug)]
pub struct AppState {
    data_dir: DataDir,
}

impl AppState {
    /// State for an app using `data_dir`.
    pub fn new(data_dir: DataDir) -> Self {
        Self { data_dir }
    }

    /// The data directory this process uses.
    pub fn data_dir(&self) -> &DataDir {
        &self.data_dir
    }
}
