//! Library benchmarks: `make bench` (release build, real Secret Service in the test env).
//!
//! - first launch: create a profile, open it (migrate + seed) until it is ready;
//! - listing one page of runs (50) in a profile filled with 100,000 synthetic runs and
//!   1,000,000 documents, first page and a deep page (keyset pagination).
//!
//! The filler is deterministic (same rows every time) and sized by ASSAY_BENCH_RUNS and
//! ASSAY_BENCH_DOCS_PER_RUN (defaults 100000 and 10).
#![allow(
    clippy::print_stdout,
    reason = "a benchmark reports its figures on stdout"
)]

use assay_core::library::Library;
use std::sync::Arc;
use std::time::{Duration, Instant};

use assay_core::profile::{KeyProtection, Profiles};
use assay_core::secrets::{KeyringStore, SecretStore};

fn main() {
    let dir = tempfile::tempdir().expect("temp data dir");
    let keyring = Arc::new(KeyringStore::for_data_dir_id(
        &uuid::Uuid::new_v4().to_string(),
    ));
    let profiles = Profiles::open_with(dir.path(), keyring.clone()).expect("profiles");

    let mut first_launch = Vec::new();
    for i in 0..20 {
        let start = Instant::now();
        let p = profiles
            .create(&format!("launch {i}"), KeyProtection::Keyring)
            .expect("create");
        let open = profiles.open_profile(&p.id, None).expect("open");
        assert!(open.status().expect("status").is_ready());
        first_launch.push(start.elapsed());
    }

    let runs: usize = env("ASSAY_BENCH_RUNS", 100_000);
    let per_run: usize = env("ASSAY_BENCH_DOCS_PER_RUN", 10);
    let open = profiles.open_profile("launch 0", None).expect("open");
    let start = Instant::now();
    fill(&open, runs, per_run);
    let fill_time = start.elapsed();

    let library = Library::of(&open).expect("ready");
    let mut first_page = Vec::new();
    let mut deep_page = Vec::new();
    // 51 pages of 200 deep (10,200 runs) at the default size; as deep as a smaller
    // history allows (ASSAY_BENCH_RUNS), so a quick run at a tiny size works too.
    let depth = (runs / 200).saturating_sub(2).min(50);
    let deep_anchor = {
        let mut page = library.runs(200, None).expect("page");
        for _ in 0..depth {
            let next = library.runs(200, page.last()).expect("page");
            page = next;
        }
        page.last().cloned().expect("deep anchor")
    };
    for _ in 0..200 {
        let start = Instant::now();
        let page = library.runs(50, None).expect("page");
        first_page.push(start.elapsed());
        assert_eq!(page.len(), 50);
        let start = Instant::now();
        let page = library.runs(50, Some(&deep_anchor)).expect("page");
        deep_page.push(start.elapsed());
        assert!(!page.is_empty(), "a page after the anchor");
    }

    println!(
        "Library benchmark ({} build)",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    report(
        "first launch: create + migrate + seed -> ready",
        &mut first_launch,
    );
    println!(
        "filler: {runs} runs and {} documents written in {:.1} s",
        runs * per_run,
        fill_time.as_secs_f64()
    );
    report("list 50 runs, first page", &mut first_page);
    report(
        &format!("list 50 runs after {} (keyset page)", (depth + 1) * 200),
        &mut deep_page,
    );

    for entry in keyring.list().unwrap_or_default() {
        let _ = keyring.delete(&entry);
    }
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Deterministic synthetic history: runs spread over time, each with `per_run` tasks and
/// documents of realistic size.
fn fill(open: &assay_core::profile::OpenProfile, runs: usize, per_run: usize) {
    let body = "A synthetic briefing paragraph that stands in for a generated document. ".repeat(6);
    let snapshot = open
        .db()
        .read(|c| {
            Ok(
                c.query_row("SELECT config_snapshot FROM runs LIMIT 1", [], |r| {
                    r.get::<_, String>(0)
                })?,
            )
        })
        .expect("a seeded snapshot to copy");
    let base = jiff::Timestamp::from_second(1_700_000_000).expect("base time");
    for chunk in 0..runs.div_ceil(10_000) {
        open.db()
            .write(|tx| {
                let mut run = tx.prepare_cached(
                    "INSERT INTO runs (id, title, config_snapshot, phase, status, created_at, tasks_total, tasks_done, total_tokens, total_cost)
                     VALUES (?1, ?2, ?3, 'done', 'completed', ?4, ?5, ?5, ?6, ?7)",
                )?;
                let mut task = tx.prepare_cached(
                    "INSERT INTO tasks (id, run_id, kind, task_key, provider, model, label, iteration, status, attempts)
                     VALUES (?1, ?2, 'generate', ?1, 'openai', ?3, 'openai/' || ?3, ?4, 'succeeded', 1)",
                )?;
                let mut doc = tx.prepare_cached(
                    "INSERT INTO documents (id, run_id, task_id, body, tokens_in, tokens_out, status, created_at)
                     VALUES (?1, ?2, ?3, ?4, 1000, 300, 'succeeded', ?5)",
                )?;
                for i in chunk * 10_000..((chunk + 1) * 10_000).min(runs) {
                    let run_id = format!("00000000-0000-4000-8000-{i:012}");
                    let created = (base + Duration::from_secs(i as u64 * 60)).to_string();
                    run.execute(rusqlite::params![run_id, format!("Synthetic run {i}"), snapshot, created, per_run as i64, (per_run * 1300) as i64, 0.01])?;
                    for d in 0..per_run {
                        let task_id = format!("10000000-0000-4000-8000-{:012}", i * per_run + d);
                        task.execute(rusqlite::params![task_id, run_id, format!("model-{}", d % 4), (d / 4 + 1) as i64])?;
                        let doc_id = format!("20000000-0000-4000-8000-{:012}", i * per_run + d);
                        doc.execute(rusqlite::params![doc_id, run_id, task_id, body, created])?;
                    }
                }
                Ok(())
            })
            .expect("fill");
    }
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let median = samples[samples.len() / 2];
    let p95 = samples[(samples.len() * 95 / 100).min(samples.len() - 1)];
    println!(
        "{what}: median {:.2} ms, p95 {:.2} ms (n={})",
        median.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3,
        samples.len()
    );
}
