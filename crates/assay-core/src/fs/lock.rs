//! OS advisory locks (flock on Linux, LockFileEx on Windows) via `std::fs::File::try_lock`.
//!
//! A [`DirLock`] is held for as long as a profile is open (or an export's scratch directory is
//! in use), so a second process, or a second window of the same process, gets
//! `PROFILE_IN_USE`. The lock dies with the process, so a crash never leaves a directory locked.

use std::fs::{File, TryLockError};
use std::path::Path;

use crate::error::{Error, Result};

/// The lock file inside a locked directory (a profile's, or an export's scratch directory).
pub const LOCK_FILE: &str = "profile.lock";
/// The data dir's lock file, serialising the registry-and-directory steps of create and the
/// recovery sweep.
pub const REGISTRY_LOCK_FILE: &str = "registry.lock";

/// Exclusive ownership of one directory: a profile's, or an export's scratch directory.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock of `dir` without waiting; `PROFILE_IN_USE` if another holder has it.
    /// `name` (the profile's) is for the message.
    pub fn try_acquire(dir: &Path, name: &str) -> Result<Self> {
        match Self::try_acquire_quiet(dir)? {
            Some(lock) => Ok(lock),
            None => Err(Error::ProfileInUse {
                name: name.to_owned(),
            }),
        }
    }

    /// Like [`DirLock::try_acquire`], but `None` when held elsewhere.
    pub fn try_acquire_quiet(dir: &Path) -> Result<Option<Self>> {
        let path = dir.join(LOCK_FILE);
        let file = open_lock_file(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Self { _file: file })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => Err(Error::io("lock", &path, e)),
        }
    }
}

/// Held briefly around the steps that must not interleave with the recovery sweep: creating a
/// profile directory and its registry row, and the sweep itself.
#[derive(Debug)]
pub struct RegistryLock {
    _file: File,
}

impl RegistryLock {
    /// Waits for and takes the data dir's registry lock.
    pub fn acquire(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join(REGISTRY_LOCK_FILE);
        let file = open_lock_file(&path)?;
        file.lock().map_err(|e| Error::io("lock", &path, e))?;
        Ok(Self { _file: file })
    }
}

/// Opens (creating if needed) a lock file. Its contents are never read or written.
fn open_lock_file(path: &Path) -> Result<File> {
    super::private::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| Error::io("open the lock file", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_in_the_same_process_gets_profile_in_use() {
        let dir = tempfile::tempdir().expect("temp");
        let first = DirLock::try_acquire(dir.path(), "p").expect("first lock");
        let err = DirLock::try_acquire(dir.path(), "p").expect_err("second must fail");
        assert_eq!(err.code(), crate::ErrorCode::ProfileInUse);
        drop(first);
        DirLock::try_acquire(dir.path(), "p").expect("free again after drop");
    }
}
