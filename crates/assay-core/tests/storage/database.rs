//! `read` and `write`: transactions, rollback, read-only readers, async use.

use std::sync::Arc;

use assay_core::Error;
use assay_core::profile::KeyProtection;

use crate::Env;

fn open_with_table(env: &Env) -> assay_core::profile::OpenProfile {
    env.profiles
        .create("Db", KeyProtection::Keyring)
        .expect("create");
    let open = env.profiles.open_profile("db", None).expect("open");
    open.db()
        .write(|tx| Ok(tx.execute_batch("CREATE TABLE notes (body TEXT NOT NULL)")?))
        .expect("create table");
    open
}

fn count(open: &assay_core::profile::OpenProfile) -> i64 {
    open.db()
        .read(|c| Ok(c.query_row("SELECT count(*) FROM notes", [], |r| r.get(0))?))
        .expect("count")
}

#[test]
fn a_write_that_returns_an_error_is_rolled_back() {
    let env = Env::new();
    let open = open_with_table(&env);
    let result: Result<(), Error> = open.db().write(|tx| {
        tx.execute("INSERT INTO notes (body) VALUES ('kept?')", [])?;
        Err(Error::InvalidInput("second step failed".into()))
    });
    assert!(result.is_err());
    assert_eq!(
        count(&open),
        0,
        "the first insert must be rolled back with the failed step"
    );
}

#[test]
fn a_write_that_panics_is_rolled_back_and_the_database_stays_usable() {
    let env = Env::new();
    let open = open_with_table(&env);
    let db = Arc::clone(open.db());
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = db.write(|tx| -> assay_core::error::Result<()> {
            tx.execute("INSERT INTO notes (body) VALUES ('half')", [])?;
            panic!("crash in the middle of a write");
        });
    }));
    assert!(panicked.is_err(), "the panic propagates");
    assert_eq!(
        count(&open),
        0,
        "nothing from the panicking write is visible"
    );
    open.db()
        .write(|tx| {
            Ok(tx
                .execute("INSERT INTO notes (body) VALUES ('after')", [])
                .map(drop)?)
        })
        .expect("the writer still works after a panic");
    assert_eq!(count(&open), 1);
}

#[test]
fn a_read_cannot_write() {
    let env = Env::new();
    let open = open_with_table(&env);
    let err = open
        .db()
        .read(|c| Ok(c.execute("INSERT INTO notes (body) VALUES ('sneaky')", [])?))
        .expect_err("readers are query_only");
    assert_eq!(err.code(), assay_core::ErrorCode::Storage);
    assert_eq!(count(&open), 0);
}

#[tokio::test(flavor = "current_thread")]
async fn async_reads_and_writes_run_off_the_runtime_thread() {
    let env = Env::new();
    let open = open_with_table(&env);
    let db = Arc::clone(open.db());
    let runtime_thread = std::thread::current().id();
    let writer_thread = db
        .write_async(|tx| {
            tx.execute("INSERT INTO notes (body) VALUES ('async')", [])?;
            Ok(std::thread::current().id())
        })
        .await
        .expect("async write");
    assert_ne!(
        writer_thread, runtime_thread,
        "the write ran on the blocking pool"
    );
    let n: i64 = db
        .read_async(|c| Ok(c.query_row("SELECT count(*) FROM notes", [], |r| r.get(0))?))
        .await
        .expect("async read");
    assert_eq!(n, 1);
}

#[test]
fn many_threads_can_read_while_one_writes() {
    let env = Env::new();
    let open = open_with_table(&env);
    let db = Arc::clone(open.db());
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            for i in 0..200 {
                db.write(|tx| {
                    Ok(tx
                        .execute("INSERT INTO notes (body) VALUES (?1)", [i])
                        .map(drop)?)
                })
                .expect("write");
            }
        });
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..50 {
                    let n: i64 = db
                        .read(|c| Ok(c.query_row("SELECT count(*) FROM notes", [], |r| r.get(0))?))
                        .expect("read");
                    assert!((0..=200).contains(&n));
                }
            });
        }
        writer.join().expect("writer");
    });
    assert_eq!(count(&open), 200);
}
