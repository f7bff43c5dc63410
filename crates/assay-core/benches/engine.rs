//! Run engine overhead: `make bench-engine` (release build, inside the test env for the
//! keyring).
//!
//! A 10,200-task run (3 inputs × 10 models × 34 iterations = 1,020 documents, each scored
//! by one judge × 9 trials) against an instant local server speaking Chat Completions, in a
//! real SQLCipher profile: every task planned, called, journaled, applied with its usage and
//! event. Reports the wall time per task end to end (8 generation + 8 judge calls at once)
//! and the process's resident memory at task 1,000 and at the last task.
//! Goals (issue 14): ≤ 2 ms per task; RSS growth under 20 MB from task 1,000 to 10,000.
#![allow(
    clippy::print_stdout,
    reason = "a benchmark reports its figures on stdout"
)]

#[path = "../tests/wire/raw_server.rs"]
#[allow(dead_code, reason = "the bench uses only one canned answer")]
mod raw_server;

use std::sync::Arc;
use std::time::{Duration, Instant};

use assay_core::domain::preset::{JudgeSpec, ModelSpec};
use assay_core::engine::{RunControl, StartOptions, lifecycle};
use assay_core::library::{Library, PresetDraft};
use assay_core::llm::price_table::Price;
use assay_core::profile::{KeyProtection, Profiles};
use assay_core::providers;
use assay_core::secrets::KeyringStore;

use raw_server::{Action, RawServer};

/// One answer for every call: a scoring answer over the seeded criteria, which is also a
/// fine document.
fn answer() -> String {
    let scores = serde_json::json!({
        "Accuracy": {"score": 4, "reason": "r"},
        "Completeness": {"score": 3, "reason": "r"},
        "Clarity": {"score": 5, "reason": "r"},
        "Actionability": {"score": 4, "reason": "r"}
    });
    serde_json::json!({
        "model": "m",
        "choices": [{"message": {"content": scores.to_string()}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 900, "completion_tokens": 60}
    })
    .to_string()
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let body = answer();
    let server = server_rt.block_on(RawServer::start(move |_, _| Action::Respond {
        status: 200,
        headers: Vec::new(),
        body: body.clone(),
        delay: Duration::ZERO,
        close: false,
    }));

    let dir = tempfile::tempdir().expect("temp data dir");
    let keyring = Arc::new(KeyringStore::for_data_dir_id(
        &uuid::Uuid::new_v4().to_string(),
    ));
    let profiles = Profiles::open_with(dir.path(), keyring).expect("profiles");
    profiles
        .create("bench", KeyProtection::Keyring)
        .expect("create");
    let open = profiles.open_profile("bench", None).expect("open");
    providers::add_endpoint(
        &open,
        "bench",
        assay_core::domain::endpoint::EndpointKind::OpenaiCompatible,
        Some(&format!("{}/v1", server.url)),
    )
    .expect("endpoint");
    providers::update_endpoint(
        &open,
        "bench",
        &assay_core::domain::endpoint::EndpointChanges {
            base_url: None,
            max_concurrent: Some(16),
            requests_per_minute: None,
            min_delay_ms: None,
        },
    )
    .expect("limits");
    providers::set_price(
        &open,
        "bench",
        "bench",
        &Price {
            input: 0.15,
            output: 0.6,
            cached_input: None,
        },
    )
    .expect("price");

    let library = Library::of(&open).expect("ready");
    let seeded = library.presets().expect("presets").remove(0);
    let mut config = seeded.config.clone();
    config.models = (0..10)
        .map(|i| ModelSpec {
            provider: "bench".into(),
            model: format!("bench-m{i}"),
            temperature: 0.7,
            max_tokens: 200,
            label: None,
        })
        .collect();
    config.judges = vec![JudgeSpec {
        provider: "bench".into(),
        model: "bench-judge".into(),
    }];
    // `make test`'s smoke run (ASSAY_BENCH_SMOKE=1): 120 tasks, so a change that breaks the
    // benchmark fails the tests.
    let smoke = std::env::var_os("ASSAY_BENCH_SMOKE").is_some();
    config.iterations = if smoke { 2 } else { 34 };
    config.eval_iterations = if smoke { 1 } else { 9 };
    config.evaluation_enabled = true;
    config.pairwise_enabled = false;
    config.combine_models = Vec::new();
    config.generation_concurrency = 8;
    config.eval_concurrency = 8;
    library
        .save_preset(&PresetDraft {
            name: "Engine bench".into(),
            config,
            roles: seeded.roles.clone(),
            inputs: seeded.inputs.clone(),
        })
        .expect("preset");

    let mut rss_at_1k = None;
    let mut finished = 0;
    let started = Instant::now();
    let outcome = lifecycle::start(
        &profiles,
        &open,
        "Engine bench",
        &StartOptions::default(),
        &RunControl::new(),
        &mut |u| {
            let (_, done) = u.counts();
            finished = done;
            if rss_at_1k.is_none() && done >= 1_000 {
                rss_at_1k = Some(rss_mib());
            }
        },
    )
    .expect("run");
    let wall = started.elapsed();
    let rss_end = rss_mib();
    let p = outcome.progress;
    let tasks = p.generate.total + p.score.total;
    assert_eq!(
        outcome.status,
        assay_core::domain::states::RunStatus::Completed
    );
    assert_eq!(finished, tasks);
    let requests = server
        .stats
        .requests
        .load(std::sync::atomic::Ordering::SeqCst);
    println!(
        "engine: {tasks} tasks, {requests} calls at the server, status {}",
        outcome.status
    );
    println!(
        "engine: {:.1} s wall, {:.3} ms per task end to end (goal <= 2 ms)",
        wall.as_secs_f64(),
        wall.as_secs_f64() * 1000.0 / tasks as f64
    );
    let at_1k = rss_at_1k.unwrap_or(0.0);
    println!(
        "engine: RSS {at_1k:.1} MiB at task 1,000, {rss_end:.1} MiB at task {tasks}: growth {:.1} MiB (goal < 20 MiB)",
        rss_end - at_1k
    );
}
