//! Durable file writes: a reader sees the old file or the new one, never half of either.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically: a hidden temp file beside it, fsync, rename over the
/// target, fsync the directory. The temp file is removed if any step fails.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with(path, |file| {
        file.write_all(bytes)
            .map_err(|e| Error::io("write", path, e))
    })
}

/// Like [`write()`], but `fill` streams the contents into the temp file, so a large file never
/// has to be held in memory. If `fill` fails, the target is untouched and the temp file gone.
pub fn write_with(path: &Path, fill: impl FnOnce(&mut File) -> Result<()>) -> Result<()> {
    replace(path, |file, tmp| {
        fill(file)?;
        file.sync_all().map_err(|e| Error::io("sync", tmp, e))
    })
}

/// Like [`write_with`], and `check` reads the temp file back (by its path) while it is
/// fsynced: only a file that passes replaces the target, so a failed check leaves the old
/// file in place.
pub fn write_checked(
    path: &Path,
    fill: impl FnOnce(&mut File) -> Result<()>,
    check: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    replace(path, |file, tmp| {
        fill(file)?;
        std::thread::scope(|scope| {
            let synced = scope.spawn(|| file.sync_all());
            let checked = check(tmp);
            let synced = synced
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            checked.and(synced.map_err(|e| Error::io("sync", tmp, e)))
        })
    })
}

/// Has `make` write and fsync the temp file, then renames it over `path` and fsyncs the
/// directory; the temp file is removed if any step fails.
fn replace(path: &Path, make: impl FnOnce(&mut File, &Path) -> Result<()>) -> Result<()> {
    let tmp = temp_path(path)?;
    let written = (|| {
        let mut file = super::private::options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| Error::io("create", &tmp, e))?;
        make(&mut file, &tmp)?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io("rename into place", path, e))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // A write that found no room is DISK_FULL, and the temp file is gone.
    super::space::classified(written, dir)?;
    sync_dir(dir)
}

/// Bytes written between two background syncs of an [`EarlySync`].
const SYNC_EVERY: u64 = 32 << 20;

/// A writer to a file that, every 32 MiB (`SYNC_EVERY`), has a helper thread ask the OS to put
/// what was written so far on disk. The disk then works while the caller goes on computing,
/// and the final fsync has little left to wait for. Requests coalesce while one is running.
/// Dropping it does not wait for a sync under way: the helper ends after it, and the caller's
/// own fsync is what makes the file durable.
#[derive(Debug)]
pub struct EarlySync<'a> {
    file: &'a File,
    written: u64,
    request: Option<std::sync::mpsc::SyncSender<()>>,
}

impl<'a> EarlySync<'a> {
    /// Wraps `file`; without a second handle to it, it simply writes.
    pub fn new(file: &'a File) -> Self {
        let request = file.try_clone().ok().map(|clone| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<()>(1);
            std::thread::spawn(move || {
                // Errors are left to the final fsync, which reports them.
                while rx.recv().is_ok() {
                    let _ = clone.sync_data();
                }
            });
            tx
        });
        Self {
            file,
            written: 0,
            request,
        }
    }
}

impl Write for EarlySync<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        let before = self.written / SYNC_EVERY;
        self.written += n as u64;
        if self.written / SYNC_EVERY != before
            && let Some(request) = &self.request
        {
            let _ = request.try_send(());
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// `.<name>.<pid>.tmp` in the target's directory, so the rename stays on one file system and
/// never clobbers a file of the person's.
fn temp_path(path: &Path) -> Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| Error::InvalidInput(format!("{} is not a file path", path.display())))?;
    let mut tmp = std::ffi::OsString::from(".");
    tmp.push(name);
    tmp.push(format!(".{}.tmp", std::process::id()));
    Ok(path.with_file_name(tmp))
}

/// fsyncs a directory so a rename or create inside it survives a crash.
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("sync the directory", dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_write_replaces_the_file_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("temp");
        let target = dir.path().join("report.html");
        std::fs::write(dir.path().join("report.tmp"), b"mine").expect("a file of the person's");
        super::write(&target, b"one").expect("write");
        super::write(&target, b"two").expect("overwrite");
        assert_eq!(std::fs::read(&target).expect("read"), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .map(|e| e.expect("e").file_name())
            .collect();
        assert_eq!(
            names.len(),
            2,
            "only the target and the person's own file: {names:?}"
        );
        assert_eq!(
            std::fs::read(dir.path().join("report.tmp")).expect("kept"),
            b"mine"
        );
    }
}
