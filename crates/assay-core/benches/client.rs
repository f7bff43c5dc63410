//! Provider client overhead: `make bench-client` (release build).
//!
//! 10,000 sequential calls against an instant local server speaking Chat Completions, through
//! `EndpointClient::generate` (request built, limits taken, sent, answer parsed, usage
//! priced), against a bare reqwest loop (the same request body posted, the body read) in the
//! same run. The difference per call is the client's overhead; the goal is at most 0.3 ms.
//! The loops alternate over 3 rounds and the median round is reported.
#![allow(
    clippy::print_stdout,
    reason = "a benchmark reports its figures on stdout"
)]

#[path = "../tests/wire/raw_server.rs"]
#[allow(dead_code, reason = "the bench uses only the instant answer")]
mod raw_server;

use std::time::{Duration, Instant};

use assay_core::domain::endpoint::{Endpoint, EndpointKind};
use assay_core::llm::price_table::{Price, cost};
use assay_core::llm::{CallRequest, EndpointClient};

use raw_server::{Action, RawServer};

fn main() {
    let calls: usize = std::env::var("ASSAY_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let server = RawServer::start(|_, _| Action::ok(Duration::ZERO)).await;
        let base = format!("{}/v1", server.url);
        let endpoint = Endpoint {
            name: "bench".into(),
            kind: EndpointKind::OpenaiCompatible,
            base_url: base.clone(),
            has_key: false,
            key_last4: None,
            key_updated_at: None,
            max_concurrent: 8,
            requests_per_minute: None,
            min_delay_ms: 0,
        };
        let client = EndpointClient::new(&endpoint, None, "bench").expect("client");
        let call = CallRequest {
            model: "bench-model".into(),
            system: "You are a careful writer.".into(),
            user: "Write one sentence about benchmarks.".into(),
            temperature: Some(0.7),
            max_output_tokens: 200,
            timeout: Duration::from_secs(10),
            schema: None,
        };
        let price = Price {
            input: 0.15,
            output: 0.6,
            cached_input: None,
        };
        let body = serde_json::json!({
            "model": call.model,
            "messages": [{"role": "system", "content": call.system},
                         {"role": "user", "content": call.user}],
            "max_tokens": call.max_output_tokens,
            "temperature": 0.7,
        });
        let bare = assay_core::llm::http::client();
        let url = format!("{base}/chat/completions");

        // Warm both connection pools.
        for _ in 0..200 {
            client.generate(&call).await.expect("warm-up");
            bare.post(&url).json(&body).send().await.expect("warm-up");
        }

        let mut rounds = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            for _ in 0..calls {
                let response = bare.post(&url).json(&body).send().await.expect("bare");
                let bytes = response.bytes().await.expect("bare body");
                assert!(!bytes.is_empty());
            }
            let bare_per = started.elapsed() / calls as u32;

            let started = Instant::now();
            let mut total = 0.0;
            for _ in 0..calls {
                let result = client.generate(&call).await.expect("call");
                total += cost(&result.usage, Some(&price)).expect("priced");
            }
            let client_per = started.elapsed() / calls as u32;
            assert!(total > 0.0);
            rounds.push((bare_per, client_per));
        }
        rounds.sort_by_key(|(bare, client)| client.saturating_sub(*bare));
        let (bare_per, client_per) = rounds[1];
        let overhead = client_per.saturating_sub(bare_per);
        println!("provider client overhead, {calls} sequential calls, median of 3 rounds");
        println!(
            "  bare reqwest round trip:      {:>8.1} µs/call",
            micros(bare_per)
        );
        println!(
            "  EndpointClient::generate:     {:>8.1} µs/call",
            micros(client_per)
        );
        println!(
            "  overhead:                     {:>8.1} µs/call (goal ≤ 300 µs: {})",
            micros(overhead),
            if overhead <= Duration::from_micros(300) {
                "met"
            } else {
                "NOT met"
            }
        );
        for (i, (b, c)) in rounds.iter().enumerate() {
            println!(
                "  round {}: bare {:.1} µs, client {:.1} µs",
                i + 1,
                micros(*b),
                micros(*c)
            );
        }
    });
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
