//! The storage engine against real components: SQLCipher files on disk and the real Secret
//! Service keyring (run inside scripts/test-env.sh, which provides a throwaway one).

mod at_rest;
mod database;
mod editing;
mod keyring;
mod lifecycle;
mod loss;
mod migrations;
mod providers;
mod seeding;
mod sweep;
mod transfer;
mod usage;

use std::path::{Path, PathBuf};

use assay_core::profile::Profiles;
use assay_core::secrets::Passphrase;
use assay_core::secrets::wrapped::KdfParams;
use tempfile::TempDir;

/// Cheap Argon2 parameters so passphrase tests stay fast; the format is the same.
pub const FAST_KDF: KdfParams = KdfParams {
    memory_kib: 256,
    iterations: 1,
    parallelism: 1,
};

/// A temp data dir with its own keyring namespace. Dropping it removes the dir and every
/// keyring entry the test left.
#[derive(Debug)]
pub struct Env {
    pub dir: TempDir,
    pub profiles: Profiles,
    /// A directory outside the data dir, for files a person saves (bundles).
    pub files: TempDir,
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

impl Env {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp data dir");
        let profiles = Self::profiles_in(dir.path());
        let files = tempfile::tempdir().expect("temp files dir");
        Self {
            dir,
            profiles,
            files,
        }
    }

    /// A second `Profiles` on the same data dir, as another process would have.
    pub fn reopen(&self) -> Profiles {
        Self::profiles_in(self.dir.path())
    }

    fn profiles_in(dir: &Path) -> Profiles {
        Profiles::open_at(dir)
            .expect("open profiles")
            .with_kdf_params(FAST_KDF)
    }

    pub fn profile_dir(&self, id: &str) -> PathBuf {
        self.dir.path().join("profiles").join(id)
    }

    pub fn keyring_entries(&self) -> Vec<String> {
        let mut entries = self
            .profiles
            .secrets()
            .list()
            .expect("list keyring entries");
        entries.sort();
        entries
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Ok(entries) = self.profiles.secrets().list() {
            for entry in entries {
                let _ = self.profiles.secrets().delete(&entry);
            }
        }
    }
}

pub fn passphrase(text: &str) -> Passphrase {
    Passphrase::new(text.to_owned())
}

/// Every file under `dir` with its bytes.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read file");
                files.push((path, bytes));
            }
        }
    }
    files.sort();
    files
}
