//! A full disk leaves the person able to act. The data dir keeps a small reserve file; when
//! the file system is nearly full it is released first, so reading, exporting elsewhere and
//! deleting (which frees space) still find the few pages SQLite needs to open a database
//! (its -wal and -shm). It is made again once there is room. A write that fails for lack of
//! space is `DISK_FULL`, naming the directory.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// The reserve file inside the data dir.
pub const RESERVE_FILE: &str = "reserve";
/// Its size.
pub const RESERVE_BYTES: u64 = 4 << 20;
/// Below this much free space the reserve is released.
pub const LOW_BYTES: u64 = 2 << 20;

/// Bytes free for this user on `dir`'s file system, if the system says.
pub fn available(dir: &Path) -> Option<u64> {
    fs4::available_space(dir).ok()
}

/// Whether `dir`'s file system is (nearly) out of space.
pub fn is_low(dir: &Path) -> bool {
    available(dir).is_some_and(|free| free < LOW_BYTES)
}

/// Releases the reserve if the data dir's file system is low on space; makes it if there is
/// room to spare and it is missing. Best effort: logged, never fatal.
pub fn balance_reserve(data_dir: &Path) {
    let reserve = data_dir.join(RESERVE_FILE);
    let Some(free) = available(data_dir) else {
        return;
    };
    if free < LOW_BYTES {
        if reserve.exists() {
            match std::fs::remove_file(&reserve) {
                Ok(()) => log::warn!(
                    "the disk is nearly full; released the reserve of {RESERVE_BYTES} bytes"
                ),
                Err(e) => log::warn!("could not release the reserve: {:?}", e.kind()),
            }
        }
    } else if free > RESERVE_BYTES * 4 && !reserve.exists() && make_reserve(&reserve).is_err() {
        let _ = std::fs::remove_file(&reserve);
    }
}

fn make_reserve(path: &Path) -> std::io::Result<()> {
    let mut file = super::private::create_new(path)?;
    let block = vec![0u8; 64 << 10];
    for _ in 0..RESERVE_BYTES / block.len() as u64 {
        file.write_all(&block)?;
    }
    file.sync_all()
}

/// `err`, or `DISK_FULL` naming `dir` when `err` is a failed write and `dir`'s file system has
/// no room left (SQLite reports a full disk as `SQLITE_FULL`, or as an I/O error when it
/// cannot grow its shared-memory file).
pub fn classify(err: Error, dir: &Path) -> Error {
    let maybe_space = match &err {
        Error::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
            e.code,
            rusqlite::ErrorCode::DiskFull | rusqlite::ErrorCode::SystemIoFailure
        ),
        Error::Io { source, .. } => {
            source.kind() == std::io::ErrorKind::StorageFull || source.raw_os_error() == Some(28)
        }
        _ => false,
    };
    if maybe_space && available(dir).is_none_or(|free| free < LOW_BYTES) {
        Error::DiskFull {
            dir: dir.to_path_buf(),
        }
    } else {
        err
    }
}

/// [`classify`] over a result.
pub fn classified<T>(result: Result<T>, dir: &Path) -> Result<T> {
    result.map_err(|e| classify(e, dir))
}
