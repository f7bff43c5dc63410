//! File-system building blocks with no knowledge of profiles: durable atomic writes, advisory
//! directory locks, and private (0700/0600) directories and files. Everything above uses
//! these instead of its own copies.

pub mod atomic;
pub mod bounded;
pub mod lock;
pub mod private;
pub mod space;

pub use atomic::{sync_dir, write as write_atomic};
pub use lock::{DirLock, RegistryLock, RunHostLock};

use std::path::Path;

use crate::error::{Error, Result};

/// Removes a directory tree; one that is already gone is fine.
pub fn remove_dir_if_present(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("remove", dir, e)),
    }
}
