//! Storage benchmarks: `make bench` (release build, real Secret Service in the test env).
//!
//! - warm open: registry lookup + keyring read + keying + migration check + first query;
//! - create-to-open: a new keyring profile until its first query answers;
//! - switch: from opening seeded profile B while A is held, until B reports ready and its first
//!   page of runs is loaded, and A is closed (what the app's `profile_open` does);
//! - SQLCipher versus plain SQLite on one write workload, as a ratio measured in this run.
//!
//! Plain `main`, no framework: each figure is the median (and p95) of repeated runs.
//!
//! Experiment knobs for the workload only (profile databases always use the defaults):
//! `ASSAY_BENCH_PAGE_SIZE` (both engines) and `ASSAY_BENCH_CIPHER_PRAGMAS` (SQLCipher only,
//! e.g. `PRAGMA cipher_hmac_algorithm = HMAC_SHA256;`). docs/benchmarks.md has the results.

#![allow(
    clippy::print_stdout,
    reason = "a benchmark reports its figures on stdout"
)]

use assay_core::library::Library;
use std::sync::Arc;
use std::time::{Duration, Instant};

use assay_core::profile::{KeyProtection, Profiles};
use assay_core::secrets::{KeyringStore, SecretStore};
use rusqlite::Connection;

/// Whether this is `make test`'s smoke run (`ASSAY_BENCH_SMOKE=1`): every step once at a
/// tiny size, so a change that breaks the benchmark fails the tests.
fn smoke() -> bool {
    std::env::var_os("ASSAY_BENCH_SMOKE").is_some()
}

/// `full` normally, `tiny` in the smoke run.
fn size(full: usize, tiny: usize) -> usize {
    if smoke() { tiny } else { full }
}

fn main() {
    let (opens, creates, repeats) = (size(200, 3), size(20, 2), size(9, 1));
    let dir = tempfile::tempdir().expect("temp data dir");
    let keyring = Arc::new(KeyringStore::for_data_dir_id(
        &uuid::Uuid::new_v4().to_string(),
    ));
    let profiles = Profiles::open_with(dir.path(), keyring.clone()).expect("profiles");

    let mut create_to_open = Vec::new();
    for i in 0..creates {
        let start = Instant::now();
        let p = profiles
            .create(&format!("bench {i}"), KeyProtection::Keyring)
            .expect("create");
        let open = profiles.open_profile(&p.id, None).expect("open");
        first_query(&open);
        create_to_open.push(start.elapsed());
    }

    let mut warm = Vec::new();
    for _ in 0..opens {
        let start = Instant::now();
        let open = profiles.open_profile("bench 0", None).expect("open");
        first_query(&open);
        warm.push(start.elapsed());
        drop(open);
    }

    let mut switch = switch_between_two_seeded_profiles(&profiles);

    let (mut plain, mut cipher) = (Vec::new(), Vec::new());
    for _ in 0..repeats {
        plain.push(write_workload(&dir.path().join("plain.db"), None));
        cipher.push(write_workload(
            &dir.path().join("cipher.db"),
            Some(&[7u8; 32]),
        ));
    }

    println!(
        "Storage benchmark ({} build)",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    report(
        "warm open (keyring read + key + migration check + first query)",
        &mut warm,
    );
    report(
        "create-to-open (new keyring profile, first query answered)",
        &mut create_to_open,
    );
    report(
        "switch (open seeded B while A is held, until ready + first page of runs; close A)",
        &mut switch,
    );
    report(
        &format!(
            "plain SQLite: {} inserts in one transaction",
            size(100_000, 1_000)
        ),
        &mut plain,
    );
    report(
        &format!(
            "SQLCipher:    {} inserts in one transaction",
            size(100_000, 1_000)
        ),
        &mut cipher,
    );
    let ratio = median(&mut cipher).as_secs_f64() / median(&mut plain).as_secs_f64();
    println!("SQLCipher / plain SQLite (median): {ratio:.2}x");

    for entry in keyring.list().unwrap_or_default() {
        let _ = keyring.delete(&entry);
    }
}

/// Alternates between two seeded profiles the way the app switches: the new one is opened and
/// shown ready while the old one is still held, then the old one is dropped.
fn switch_between_two_seeded_profiles(profiles: &Profiles) -> Vec<Duration> {
    for name in ["switch a", "switch b"] {
        profiles
            .create(name, KeyProtection::Keyring)
            .expect("create");
        drop(profiles.open_profile(name, None).expect("first open seeds"));
    }
    let mut held = profiles.open_profile("switch a", None).expect("open a");
    let opens = size(200, 3);
    let mut samples = Vec::with_capacity(opens);
    for i in 0..opens {
        let target = if i % 2 == 0 { "switch b" } else { "switch a" };
        let start = Instant::now();
        let next = profiles
            .open_profile_with_progress(target, None, &mut |_| {})
            .expect("switch");
        assert!(next.status().expect("status").is_ready());
        let runs = Library::of(&next)
            .expect("ready")
            .runs(50, None)
            .expect("runs");
        assert_eq!(runs.len(), 1, "the seeded run");
        drop(std::mem::replace(&mut held, next));
        samples.push(start.elapsed());
    }
    samples
}

fn first_query(open: &assay_core::profile::OpenProfile) {
    let n: i64 = open
        .db()
        .read(|c| Ok(c.query_row("SELECT count(*) FROM profile_meta", [], |r| r.get(0))?))
        .expect("first query");
    assert_eq!(n, 1);
}

/// The same pragmas as profile databases; `key` None means plain SQLite.
fn write_workload(path: &std::path::Path, key: Option<&[u8; 32]>) -> Duration {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let mut conn = Connection::open(path).expect("open");
    let extra = std::env::var("ASSAY_BENCH_CIPHER_PRAGMAS").unwrap_or_default();
    let page = std::env::var("ASSAY_BENCH_PAGE_SIZE").unwrap_or_else(|_| "4096".into());
    if let Some(key) = key {
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        conn.execute_batch(&format!(
            "PRAGMA key = \"x'{hex}'\"; PRAGMA cipher_page_size = {page}; {extra}"
        ))
        .expect("key");
    } else {
        conn.execute_batch(&format!("PRAGMA page_size = {page};"))
            .expect("page size");
    }
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;
         CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL);",
    )
    .expect("schema");
    let body = "The quick brown fox jumps over the lazy dog. ".repeat(4);
    let start = Instant::now();
    let tx = conn.transaction().expect("tx");
    {
        let mut stmt = tx
            .prepare("INSERT INTO docs (title, body) VALUES (?1, ?2)")
            .expect("prepare");
        for i in 0..size(100_000, 1_000) {
            stmt.execute(rusqlite::params![format!("document {i}"), body])
                .expect("insert");
        }
    }
    tx.commit().expect("commit");
    let elapsed = start.elapsed();
    drop(conn);
    elapsed
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let p95 = samples[(samples.len() * 95 / 100).min(samples.len() - 1)];
    println!(
        "{what}: median {:.2} ms, p95 {:.2} ms (n={})",
        median(samples).as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3,
        samples.len()
    );
}
