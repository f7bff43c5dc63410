//! Limits counted at the server: concurrency, requests per minute, minimum delay, AIMD.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use assay_core::domain::endpoint::EndpointKind;
use assay_core::domain::provider::ProviderKey;
use assay_core::llm::EndpointClient;

use crate::raw_server::{Action, RawServer};
use crate::{KEY, call, endpoint, fast_retries};

fn shared_clients(
    ep: &assay_core::domain::endpoint::Endpoint,
    scope: &str,
) -> Vec<Arc<EndpointClient>> {
    let key = ProviderKey::new(KEY.into()).expect("key");
    // Two clients of one endpoint (two runs, say) share its limits.
    (0..2)
        .map(|_| {
            Arc::new(
                EndpointClient::new(ep, Some(&key), scope)
                    .expect("client")
                    .with_retry(fast_retries(6)),
            )
        })
        .collect()
}

async fn run_parallel(clients: &[Arc<EndpointClient>], n: usize) {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let c = Arc::clone(&clients[i % clients.len()]);
            tokio::spawn(async move { c.generate(&call("m")).await })
        })
        .collect();
    for t in tasks {
        t.await.expect("join").expect("answer");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_callers_never_exceed_max_concurrent() {
    let server = RawServer::start(|_, _| Action::ok(Duration::from_millis(60))).await;
    let ep = endpoint(
        EndpointKind::OpenaiCompatible,
        &format!("{}/v1", server.url),
        3,
    );
    let clients = shared_clients(&ep, "limits/concurrency");
    run_parallel(&clients, 16).await;
    assert_eq!(server.stats.requests.load(Ordering::SeqCst), 16);
    assert_eq!(server.stats.max_in_flight.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_per_minute_and_min_delay_space_the_starts() {
    let server = RawServer::start(|_, _| Action::ok(Duration::ZERO)).await;
    let mut ep = endpoint(
        EndpointKind::OpenaiCompatible,
        &format!("{}/v1", server.url),
        8,
    );
    ep.requests_per_minute = Some(600);
    run_parallel(&shared_clients(&ep, "limits/rpm"), 6).await;
    // 600/min is one start per 100 ms; arrivals at the server may bunch by a little
    // scheduling jitter (one request sent late, the next on time), never by a whole slot.
    assert_spaced(&server.stats.gaps(), 5, Duration::from_millis(100));

    let server = RawServer::start(|_, _| Action::ok(Duration::ZERO)).await;
    let mut ep = endpoint(
        EndpointKind::OpenaiCompatible,
        &format!("{}/v1", server.url),
        8,
    );
    ep.min_delay_ms = 150;
    run_parallel(&shared_clients(&ep, "limits/delay"), 4).await;
    assert_spaced(&server.stats.gaps(), 3, Duration::from_millis(150));
}

/// `gaps` (between arrivals at the server) number `n`, each at least `period` less a
/// scheduling tolerance, and together at least `n × period` less the same tolerance: jitter
/// can shift one arrival, not add a start.
fn assert_spaced(gaps: &[Duration], n: usize, period: Duration) {
    const JITTER: Duration = Duration::from_millis(30);
    assert_eq!(gaps.len(), n, "{gaps:?}");
    for gap in gaps {
        assert!(
            *gap + JITTER >= period,
            "{gap:?} apart, {period:?} expected: {gaps:?}"
        );
    }
    let span: Duration = gaps.iter().sum();
    assert!(
        span + JITTER >= period * n as u32,
        "{span:?} for {n} gaps of {period:?}: {gaps:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_429_halves_the_concurrency_which_recovers_with_successes() {
    let server = RawServer::start(|n, _| {
        if n < 8 {
            Action::too_many(1)
        } else {
            Action::ok(Duration::from_millis(5))
        }
    })
    .await;
    let ep = endpoint(
        EndpointKind::OpenaiCompatible,
        &format!("{}/v1", server.url),
        8,
    );
    let clients = shared_clients(&ep, "limits/aimd");
    assert_eq!(clients[0].limit_state().current_limit, 8);
    run_parallel(&clients, 8).await;
    let after = clients[0].limit_state();
    assert!(
        after.current_limit < 8 && after.current_limit >= 4,
        "backed off: {after:?}"
    );
    run_parallel(&clients, 60).await;
    assert_eq!(clients[1].limit_state().current_limit, 8, "recovered");
}
