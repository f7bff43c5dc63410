//! Files only their owner can read: every directory Assay creates is 0700 and every file it
//! writes 0600, whatever the umask (a umask only ever removes bits, so creating with these
//! modes is enough). Looser permissions found on an existing data dir are tightened.
//!
//! SQLite creates a database's -wal, -shm and -journal files with the database file's own
//! permissions, so databases are created here, empty and 0600, before SQLite opens them.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::error::{Error, Result};

/// Mode of every directory Assay creates.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file Assay writes.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` and any missing parents, each 0700.
pub fn create_dir_all(dir: &Path) -> Result<()> {
    builder(true)
        .create(dir)
        .map_err(|e| Error::io("create the directory", dir, e))
}

/// Creates `dir` (its parent must exist), 0700; fails if it exists.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    builder(false).create(dir)
}

fn builder(recursive: bool) -> std::fs::DirBuilder {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(recursive);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    builder
}

/// Options that create files 0600.
pub fn options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    options
}

/// Creates a new, empty file at `path`, 0600; fails if it exists.
pub fn create_new(path: &Path) -> std::io::Result<File> {
    options().write(true).create_new(true).open(path)
}

/// Creates `path` empty and 0600 if it does not exist (so a database SQLite then opens there,
/// and its side files, are private); an existing file is left as it is.
pub fn ensure_file(path: &Path) -> Result<()> {
    match create_new(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::io("create", path, e)),
    }
}

/// Tightens everything under `root` (and `root` itself) that is looser than 0700 for a
/// directory or 0600 for a file, logging each change. SQLite's side files (-wal, -shm,
/// -journal) are set to exactly 0600: SQLite gives them the database's mode when it creates
/// them, so a database that was read-only for a while leaves read-only side files behind
/// that would fail every later open. Symbolic links are not followed.
#[cfg(unix)]
pub fn tighten_tree(root: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o777;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let side_file = [".db-wal", ".db-shm", ".db-journal"]
            .iter()
            .any(|suffix| name.ends_with(suffix));
        let wanted = if meta.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&path) {
                stack.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
            }
            mode & DIR_MODE
        } else if meta.is_file() && side_file {
            FILE_MODE
        } else if meta.is_file() {
            mode & FILE_MODE
        } else {
            continue;
        };
        if wanted != mode {
            let shown = path.strip_prefix(root).unwrap_or(&path).display();
            match std::fs::set_permissions(&path, std::fs::Permissions::from_mode(wanted)) {
                Ok(()) => {
                    log::warn!("tightened the permissions of {shown} from {mode:o} to {wanted:o}")
                }
                // Best effort: a file this user cannot change is reported, not fatal.
                Err(e) => {
                    log::warn!("could not tighten the permissions of {shown} ({mode:o}): {e}")
                }
            }
        }
    }
}

/// Elsewhere permissions are not Unix modes; nothing to tighten.
#[cfg(not(unix))]
pub fn tighten_tree(_root: &Path) {}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
    }

    #[test]
    fn loose_files_and_dirs_are_tightened_and_read_only_side_files_made_writable() {
        let root = tempfile::tempdir().expect("temp");
        let dir = root.path().join("d");
        std::fs::create_dir(&dir).expect("dir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let file = dir.join("registry.db");
        std::fs::write(&file, b"x").expect("write");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        let wal = dir.join("registry.db-wal");
        std::fs::write(&wal, b"x").expect("write");
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o444)).expect("chmod");
        tighten_tree(root.path());
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&wal), 0o600, "a side file is writable again");
    }
}
