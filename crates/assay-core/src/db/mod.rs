//! One encrypted profile database: SQLCipher keyed with a raw 256-bit key.
//!
//! [`Database::read`] and [`Database::write`] are the only ways in:
//! - `write` runs the closure in an IMMEDIATE transaction on the single writer connection and
//!   commits only if the closure returns `Ok`; an `Err` or a panic rolls it back.
//! - `read` runs the closure on a pooled reader connection that is `query_only`, so a read
//!   cannot write even by mistake.
//!
//! Both are blocking; [`Database::read_async`] and [`Database::write_async`] run them on
//! tokio's blocking pool so async callers never block the runtime.

pub mod migrations;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error::{Error, Result};
use crate::fs::DirLock;
use crate::secrets::DbKey;

/// How many reader connections a database keeps at most.
const MAX_READERS: usize = 4;
/// How long a reader waits for a lock held by another connection (rare in WAL mode: while
/// another process recovers or resets the log).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a write waits for another process's write: about a second, then `WRITE_BUSY`'s
/// clear message (`PROFILE_IN_USE`), so a person's save beside a run never hangs.
const WRITE_WAIT: Duration = Duration::from_secs(1);
/// How long the writes of the process executing runs wait: other processes' writes are short
/// (a saved preset, an added document), and a run's write must not fail because of one.
const HOST_WRITE_WAIT: Duration = Duration::from_secs(30);

/// An open, keyed, migrated profile database.
pub struct Database {
    path: PathBuf,
    key: DbKey,
    label: String,
    writer: Mutex<Connection>,
    readers: Mutex<ReaderPool>,
    reader_freed: Condvar,
    /// Declared last so it is released after every connection has closed.
    lock: Option<DirLock>,
}

#[derive(Default)]
struct ReaderPool {
    idle: Vec<Connection>,
    open: usize,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Creates a new database file at `path` (which must not exist), keys it and migrates it.
    pub fn create(path: &Path, key: DbKey, label: &str) -> Result<Self> {
        // Created empty and 0600 first, so the database and its -wal and -shm (which SQLite
        // gives the database's mode) are private whatever the umask.
        crate::fs::private::create_new(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => {
                Error::InvalidInput(format!("{} already exists", path.display()))
            }
            _ => Error::io("create", path, e),
        })?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        Self::open_with(path, key, label, flags, migrations::MIGRATIONS)
    }

    /// Opens the existing database at `path`. Never creates a file: a missing file is the
    /// caller's `DATA_MISSING`, not a reason to start over.
    pub fn open(path: &Path, key: DbKey, label: &str) -> Result<Self> {
        Self::open_with(
            path,
            key,
            label,
            OpenFlags::SQLITE_OPEN_READ_WRITE,
            migrations::MIGRATIONS,
        )
    }

    /// [`Database::open`] with `migrations` instead of the shipped ones: for tests of
    /// migrations to come (a rebuild of a table in a real profile, say).
    pub fn open_migrating(
        path: &Path,
        key: DbKey,
        label: &str,
        migrations: &[migrations::Migration],
    ) -> Result<Self> {
        Self::open_with(
            path,
            key,
            label,
            OpenFlags::SQLITE_OPEN_READ_WRITE,
            migrations,
        )
    }

    fn open_with(
        path: &Path,
        key: DbKey,
        label: &str,
        flags: OpenFlags,
        migrations: &[migrations::Migration],
    ) -> Result<Self> {
        let mut writer = connect(path, &key, label, flags)?;
        writer.busy_timeout(WRITE_WAIT)?;
        let what = format!("the database of profile {label:?}");
        migrations::check_and_apply(&mut writer, migrations, &what)?;
        Ok(Self {
            path: path.to_path_buf(),
            key,
            label: label.to_owned(),
            writer: Mutex::new(writer),
            readers: Mutex::new(ReaderPool::default()),
            reader_freed: Condvar::new(),
            lock: None,
        })
    }

    /// Keeps `lock` for as long as this database is open.
    pub fn holding(mut self, lock: DirLock) -> Self {
        self.lock = Some(lock);
        self
    }

    /// This process executes runs of this database: its writes wait longer for others'
    /// (see `HOST_WRITE_WAIT`); `false` sets the ordinary wait back.
    pub fn set_run_host(&self, hosting: bool) -> Result<()> {
        lock(&self.writer).busy_timeout(if hosting { HOST_WRITE_WAIT } else { WRITE_WAIT })?;
        Ok(())
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in a write transaction: committed if `f` returns `Ok`, rolled back if it
    /// returns `Err` or panics.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let written = (|| {
            let mut conn = lock(&self.writer);
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // If `f` panics, `tx` is dropped during unwinding, and dropping an uncommitted
            // rusqlite Transaction rolls it back.
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        let written = written.map_err(|e| match e {
            Error::Sqlite(rusqlite::Error::SqliteFailure(f, _))
                if f.code == rusqlite::ErrorCode::DatabaseBusy =>
            {
                Error::WriteBusy {
                    name: self.label.clone(),
                }
            }
            other => other,
        });
        // A write that found no room is DISK_FULL; it was rolled back whole.
        let dir = self.path.parent().unwrap_or(Path::new("."));
        crate::fs::space::classified(written, dir)
    }

    /// Copies the whole database into a new SQLCipher file at `path` under `key`, from one
    /// consistent snapshot (writers wait meanwhile; readers do not). No plaintext page is
    /// written anywhere: SQLCipher encrypts the copy as it goes.
    pub(crate) fn export_encrypted(&self, path: &Path, key: &DbKey) -> Result<()> {
        let target = path
            .to_str()
            .ok_or_else(|| Error::InvalidInput(format!("{} is not UTF-8", path.display())))?;
        // ATTACH opens with the main file's flags, which never create a file: an empty file is
        // an empty database that SQLCipher then keys.
        crate::fs::private::create_new(path).map_err(|e| Error::io("create", path, e))?;
        let conn = lock(&self.writer);
        conn.execute(
            "ATTACH DATABASE ?1 AS snapshot KEY ?2",
            rusqlite::params![target, key.raw_key_literal().as_str()],
        )?;
        let copied = (|| {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            let copy = conn.query_row("SELECT sqlcipher_export('snapshot')", [], |_| Ok(()));
            match copy {
                Ok(()) => conn.execute_batch("COMMIT"),
                Err(e) => {
                    let _ = conn.execute_batch("ROLLBACK");
                    Err(e)
                }
            }
        })();
        let detached = conn.execute_batch("DETACH DATABASE snapshot");
        copied?;
        detached?;
        Ok(())
    }

    /// Runs `f` on the database file while it is whole and still: the WAL is checkpointed into
    /// the file and emptied, and the writer is held until `f` returns, so nothing commits
    /// meanwhile (readers go on; they never change the file). `f` gets the file, its key, and
    /// the writer connection to read from.
    pub(crate) fn with_file_still<T>(
        &self,
        f: impl FnOnce(&Path, &DbKey, &Connection) -> Result<T>,
    ) -> Result<T> {
        let conn = lock(&self.writer);
        let wal = PathBuf::from(format!("{}-wal", self.path.display()));
        // Other processes may have the profile open: the WAL is emptied, then the write lock
        // is taken so none of them commits (or checkpoints anything into the file) until `f`
        // returns. A commit that slipped in between shows as a non-empty WAL: again.
        for _ in 0..5 {
            // TRUNCATE waits (busy timeout) for readers on older snapshots, then empties it.
            let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
            if busy != 0 {
                break;
            }
            conn.execute_batch("BEGIN IMMEDIATE")?;
            let still = std::fs::metadata(&wal).map_or(true, |m| m.len() == 0);
            if still {
                let value = f(&self.path, &self.key, &conn);
                let _ = conn.execute_batch("ROLLBACK");
                return value;
            }
            conn.execute_batch("ROLLBACK")?;
        }
        Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some(format!(
                "{}: other connections kept the database busy; try again when the current work is done",
                self.label
            )),
        )
        .into())
    }

    /// Runs `f` on a read-only connection, inside one read transaction: every query `f` makes
    /// sees the same snapshot, whatever another connection or process commits meanwhile. The
    /// connection goes back to the pool however `f` ends, a panic included, so no panic can
    /// use up the pool's slots.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let lent = Lent {
            db: self,
            conn: Some(self.take_reader()?),
        };
        let conn = lent.conn.as_ref().expect("lent until dropped");
        // Deferred: the snapshot is taken at the first read and kept until the end. Dropped
        // (rolled back) however `f` ends; a read has nothing to commit.
        let snapshot = conn.unchecked_transaction()?;
        let value = f(&snapshot)?;
        drop(snapshot);
        Ok(value)
    }

    /// [`Database::write`] on tokio's blocking pool.
    pub async fn write_async<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let db = Arc::clone(self);
        join(tokio::task::spawn_blocking(move || db.write(f)).await)
    }

    /// [`Database::read`] on tokio's blocking pool.
    pub async fn read_async<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let db = Arc::clone(self);
        join(tokio::task::spawn_blocking(move || db.read(f)).await)
    }

    fn take_reader(&self) -> Result<Connection> {
        let mut pool = lock(&self.readers);
        loop {
            if let Some(conn) = pool.idle.pop() {
                return Ok(conn);
            }
            if pool.open < MAX_READERS {
                pool.open += 1;
                drop(pool);
                let opened = connect(
                    &self.path,
                    &self.key,
                    &self.label,
                    OpenFlags::SQLITE_OPEN_READ_WRITE,
                )
                .and_then(|c| {
                    c.pragma_update(None, "query_only", true)?;
                    Ok(c)
                });
                if opened.is_err() {
                    lock(&self.readers).open -= 1;
                }
                return opened;
            }
            pool = self
                .reader_freed
                .wait(pool)
                .unwrap_or_else(|p| p.into_inner());
        }
    }

    fn return_reader(&self, conn: Connection) {
        lock(&self.readers).idle.push(conn);
        self.reader_freed.notify_one();
    }
}

/// A reader connection lent to one `read`, returned to the pool when dropped, during a panic's
/// unwinding too.
struct Lent<'a> {
    db: &'a Database,
    conn: Option<Connection>,
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.db.return_reader(conn);
        }
    }
}

/// Locks a mutex, recovering from poisoning: a panic inside `write` already rolled its
/// transaction back, so the connection is consistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn join<T>(joined: std::result::Result<Result<T>, tokio::task::JoinError>) -> Result<T> {
    match joined {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(Error::Internal {
            what: "a database task was cancelled".into(),
        }),
    }
}

/// Opens one connection, keys it, proves the key by a first query, then sets the pragmas.
fn connect(path: &Path, key: &DbKey, label: &str, flags: OpenFlags) -> Result<Connection> {
    let conn = open_keyed(path, key, label, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Corrupt(format!(
            "{label}: could not switch to WAL mode (got {mode})"
        )));
    }
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")?;
    Ok(conn)
}

/// Opens one connection to the SQLCipher file at `path` and keys it, proving the key by a
/// first query (a wrong key is `DECRYPT_FAILED`). Temp tables and sorts stay in memory; the
/// journal mode is left as the file has it. Profile databases add WAL and their pragmas in
/// [`connect`]; the copies bundles carry use this as it is.
pub(crate) fn open_keyed(
    path: &Path,
    key: &DbKey,
    label: &str,
    flags: OpenFlags,
) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    // Without this SQLCipher prints "hmac check failed" to stderr on a wrong key.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    conn.execute_batch(&key.pragma_key_sql())?;
    // The key is only checked when a page is read: a wrong key (or a file that is not an
    // SQLCipher database) fails here with SQLITE_NOTADB.
    let probe = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    });
    match probe {
        Ok(_) => {}
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            return Err(Error::DecryptFailed {
                name: label.to_owned(),
            });
        }
        Err(e) => return Err(e.into()),
    }
    conn.execute_batch("PRAGMA temp_store = MEMORY;")?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::MAX_READERS;

    #[test]
    fn reads_that_panic_give_their_connection_back() {
        let profile = crate::test_support::seeded_profile("panicky");
        let db = std::sync::Arc::clone(profile.open.db());
        for _ in 0..MAX_READERS * 2 {
            let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _: crate::error::Result<()> = db.read(|_| panic!("a bug in a read"));
            }));
            assert!(panicked.is_err());
        }
        let (sent, received) = mpsc::channel();
        let reader = std::sync::Arc::clone(&db);
        std::thread::spawn(move || {
            let n = reader.read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?));
            let _ = sent.send(n.ok());
        });
        // Bounded: a pool that lost its slots would block this read for ever.
        let answer = received
            .recv_timeout(Duration::from_secs(30))
            .expect("a read after more panics than slots still gets a connection");
        assert_eq!(answer, Some(1));
    }
}
