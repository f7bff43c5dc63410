//! OS advisory locks (flock on Linux, LockFileEx on Windows) via `std::fs::File::try_lock`.
//!
//! A profile's [`DirLock`] is held *shared* by every process (and window) that has the profile
//! open, so any number of them read and write it side by side, and *exclusive* by what needs the
//! profile alone (delete, import over it, adopting a directory, an export's scratch directory),
//! which gets `PROFILE_IN_USE` while anyone has it open. A [`RunHostLock`] is held by the one
//! process that executes a profile's runs (see `engine::host`). Every lock dies with its
//! process, so a crash never leaves a directory locked.

use std::fs::{File, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The lock file inside a locked directory (a profile's, or an export's scratch directory).
pub const LOCK_FILE: &str = "profile.lock";
/// The data dir's lock file, serialising the registry-and-directory steps of create and the
/// recovery sweep.
pub const REGISTRY_LOCK_FILE: &str = "registry.lock";

/// A hold on one directory: a profile's, or an export's scratch directory.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes a shared hold on `dir` (an open profile) without waiting: any number of shared
    /// holders coexist; `PROFILE_IN_USE` only while something holds it alone.
    pub fn try_acquire_shared(dir: &Path, name: &str) -> Result<Self> {
        let path = dir.join(LOCK_FILE);
        let file = open_lock_file(&path)?;
        match file.try_lock_shared() {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => Err(Error::ProfileInUse {
                name: name.to_owned(),
            }),
            Err(TryLockError::Error(e)) => Err(Error::io("lock", &path, e)),
        }
    }

    /// Takes `dir` alone without waiting; `PROFILE_IN_USE` if anyone else holds it, naming
    /// the runs another process executes there when that is why. `name` (the profile's) is for
    /// the message.
    pub fn try_acquire(dir: &Path, name: &str) -> Result<Self> {
        match Self::try_acquire_quiet(dir)? {
            Some(lock) => Ok(lock),
            None => Err(in_use(dir, name)),
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

/// `PROFILE_IN_USE` for the profile in `dir`: the runs executing there when some are, else
/// "open elsewhere".
pub fn in_use(dir: &Path, name: &str) -> Error {
    match RunHostLock::hosted(dir) {
        Some(runs) if !runs.is_empty() => Error::RunsHosted {
            name: name.to_owned(),
            runs,
        },
        _ => Error::ProfileInUse {
            name: name.to_owned(),
        },
    }
}

/// The lock file of a profile's run host, beside the profile's own; while held, it lists the
/// ids of the runs its holder executes, one per line (ids only, nothing secret).
pub const RUN_HOST_LOCK_FILE: &str = "run-host.lock";

/// How long taking the run host's lock waits for a brief holder (a process opening the
/// profile checks whether runs left `running` have a host, in milliseconds).
const RUN_HOST_WAIT: Duration = Duration::from_secs(2);

/// Being the one process that executes a profile's runs (and serves its control socket).
#[derive(Debug)]
pub struct RunHostLock {
    file: File,
}

impl RunHostLock {
    /// Becomes the run host of the profile in `dir`, waiting up to two seconds for a process
    /// that only checks; `PROFILE_IN_USE` naming the runs when another process executes some.
    pub fn acquire(dir: &Path, name: &str) -> Result<Self> {
        let deadline = Instant::now() + RUN_HOST_WAIT;
        loop {
            if let Some(lock) = Self::try_acquire(dir)? {
                return Ok(lock);
            }
            if Instant::now() >= deadline {
                return Err(Error::RunsHosted {
                    name: name.to_owned(),
                    runs: Self::hosted(dir).unwrap_or_default(),
                });
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Takes the run host's lock if nobody holds it.
    pub fn try_acquire(dir: &Path) -> Result<Option<Self>> {
        let path = dir.join(RUN_HOST_LOCK_FILE);
        let file = open_lock_file(&path)?;
        match file.try_lock() {
            Ok(()) => {
                let lock = Self { file };
                lock.set_runs(&[])?;
                Ok(Some(lock))
            }
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => Err(Error::io("lock", &path, e)),
        }
    }

    /// Records the runs this host executes now.
    pub fn set_runs(&self, runs: &[String]) -> Result<()> {
        use std::io::{Seek, Write};
        let mut file = &self.file;
        let mut text = runs.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        file.set_len(0)
            .and_then(|()| file.seek(std::io::SeekFrom::Start(0)).map(|_| ()))
            .and_then(|()| file.write_all(text.as_bytes()))
            .map_err(|e| Error::io("record the runs executing", RUN_HOST_LOCK_FILE, e))
    }

    /// The runs executing in the profile at `dir`, or `None` when no process hosts its runs.
    /// A host's own process asks through another handle, so it sees itself as a host too.
    pub fn hosted(dir: &Path) -> Option<Vec<String>> {
        let path = dir.join(RUN_HOST_LOCK_FILE);
        let file = File::open(&path).ok()?;
        match file.try_lock_shared() {
            Ok(()) => None,
            Err(_) => {
                let text = std::fs::read_to_string(&path).ok()?;
                Some(
                    text.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(|l| crate::display::name(l).into_owned())
                        .collect(),
                )
            }
        }
    }

    /// Waits until no process executes run `run_id` in the profile at `dir` (its host ended
    /// it and let go), up to `within`; whether it did.
    pub fn wait_released(dir: &Path, run_id: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        loop {
            match Self::hosted(dir) {
                None => return true,
                Some(runs) if !runs.iter().any(|r| r == run_id) => return true,
                Some(_) => {}
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for RunHostLock {
    fn drop(&mut self) {
        // Emptied before the lock goes, so a reader never names runs nobody executes.
        let _ = self.set_runs(&[]);
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
