//! Each provider's errors, typed; what is retried and what is not; the key in none of them.

use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use assay_core::ErrorCode;
use assay_core::domain::endpoint::EndpointKind;
use assay_core::error::FailureKind;

use crate::raw_server::{Action, RawServer};
use crate::{KEY, call, client, endpoint, failure, structured_call};

const OK_BODY: &str =
    r#"{"model":"m","choices":[{"message":{"content":"ok"},"finish_reason":"stop"}]}"#;

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.expect("requests").len()
}

async fn openai_server() -> (MockServer, assay_core::domain::endpoint::Endpoint) {
    let server = MockServer::start().await;
    let ep = endpoint(EndpointKind::Openai, &format!("{}/v1", server.uri()), 4);
    (server, ep)
}

fn ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(OK_BODY, "application/json")
}

#[tokio::test]
async fn a_429_is_retried_no_sooner_than_retry_after_ms_or_retry_after_asks() {
    let (server, ep) = openai_server().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after-ms", "300")
                .set_body_json(json!({"error": {"message": "Rate limit reached",
                    "type": "requests", "code": "rate_limit_exceeded"}})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ok())
        .mount(&server)
        .await;
    let started = Instant::now();
    let result = client(&ep, true)
        .generate(&call("gpt-4o"))
        .await
        .expect("answer");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(result.attempts, 2);

    let (server, ep) = openai_server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ok())
        .mount(&server)
        .await;
    let started = Instant::now();
    client(&ep, true)
        .generate(&call("gpt-4o"))
        .await
        .expect("answer");
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn anthropic_529_overloaded_is_retried_and_a_lasting_one_is_rate_limited() {
    let server = MockServer::start().await;
    let overloaded = ResponseTemplate::new(529).set_body_json(json!({"type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"}}));
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(overloaded.clone())
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "msg", "model": "claude", "content": [{"type": "text", "text": "hi"}],
            "stop_reason": "end_turn", "usage": {"input_tokens": 1, "output_tokens": 1}})))
        .mount(&server)
        .await;
    let ep = endpoint(EndpointKind::Anthropic, &server.uri(), 4);
    let result = client(&ep, true)
        .generate(&call("claude"))
        .await
        .expect("answer");
    assert_eq!((result.text.as_str(), result.attempts), ("hi", 2));

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(overloaded)
        .mount(&server)
        .await;
    let ep = endpoint(EndpointKind::Anthropic, &server.uri(), 4);
    let err = client(&ep, true)
        .generate(&call("claude"))
        .await
        .expect_err("overloaded");
    assert_eq!(failure(&err).kind, FailureKind::Overloaded);
    assert_eq!(err.code(), ErrorCode::ProviderRateLimited);
    assert_eq!(
        requests(&server).await,
        4,
        "the first attempt and 3 retries"
    );
}

#[tokio::test]
async fn spend_caps_and_key_problems_are_never_retried() {
    let cases = [
        (
            EndpointKind::Openrouter,
            402,
            json!({"error": {"code": 402, "message": "Insufficient credits"}}),
            FailureKind::OutOfCredit,
        ),
        (
            EndpointKind::Anthropic,
            429,
            json!({"type": "error", "error": {"type": "rate_limit_error", "message":
                "You have reached your specified API usage limits."}}),
            FailureKind::OutOfCredit,
        ),
        (
            EndpointKind::Openai,
            429,
            json!({"error": {"message": "You exceeded your current quota, please check your plan and billing details.",
                "type": "insufficient_quota", "code": "insufficient_quota"}}),
            FailureKind::OutOfCredit,
        ),
        (
            EndpointKind::Openai,
            401,
            json!({"error": {"message": format!("Incorrect API key provided: {KEY}."),
                "type": "invalid_request_error", "code": "invalid_api_key"}}),
            FailureKind::KeyRejected,
        ),
        (
            EndpointKind::Google,
            400,
            json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                "status": "INVALID_ARGUMENT"}}),
            FailureKind::KeyRejected,
        ),
        (
            EndpointKind::Openai,
            404,
            json!({"error": {"message": "The model `gpt-9` does not exist",
                "type": "invalid_request_error", "code": "model_not_found"}}),
            FailureKind::ModelNotFound,
        ),
    ];
    for (kind, status, body, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .mount(&server)
            .await;
        let base = match kind {
            EndpointKind::Openrouter | EndpointKind::Openai => format!("{}/v1", server.uri()),
            _ => server.uri(),
        };
        let ep = endpoint(kind, &base, 4);
        let err = client(&ep, true)
            .generate(&call("m"))
            .await
            .expect_err("refused");
        assert_eq!(failure(&err).kind, expected, "{kind:?} {status}");
        assert_eq!(failure(&err).status, Some(status));
        assert_eq!(requests(&server).await, 1, "{kind:?} {status} was retried");
        let shown = format!("{err} {err:?} {}", err.log_line());
        assert!(!shown.contains(KEY), "the key leaked: {shown}");
    }
}

#[tokio::test]
async fn a_server_without_a_key_that_wants_one_says_key_needed() {
    let (server, mut ep) = openai_server().await;
    ep.kind = EndpointKind::OpenaiCompatible;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "unauthorized"})))
        .mount(&server)
        .await;
    let err = client(&ep, false).models().await.expect_err("needs a key");
    assert_eq!(failure(&err).kind, FailureKind::KeyNeeded);
    assert_eq!(err.code(), ErrorCode::ProviderAuth);
    assert!(err.to_string().contains("add one in Settings"), "{err}");
}

#[tokio::test]
async fn a_400_to_structured_output_is_asked_once_more_without_it_but_not_a_too_long_prompt() {
    let (server, ep) = openai_server().await;
    Mock::given(method("POST"))
        .and(wiremock::matchers::body_string_contains("response_format"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "response_format json_schema is not supported", "type": "invalid_request_error"}})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ok())
        .mount(&server)
        .await;
    let result = client(&ep, true)
        .generate(&structured_call("local"))
        .await
        .expect("answer");
    assert!(result.schema_dropped);
    let sent = server.received_requests().await.expect("requests");
    assert_eq!(sent.len(), 2);
    assert!(!String::from_utf8_lossy(&sent[1].body).contains("response_format"));

    let (server, ep) = openai_server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "the request exceeds the available context size, try increasing it",
            "type": "exceed_context_size_error"}})))
        .mount(&server)
        .await;
    let err = client(&ep, true)
        .generate(&structured_call("local"))
        .await
        .expect_err("too long");
    assert_eq!(failure(&err).kind, FailureKind::PromptTooLong);
    assert_eq!(err.code(), ErrorCode::PromptTooLong);
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn malformed_json_and_a_200_error_body_are_typed() {
    let (server, ep) = openai_server().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("{\"choices\": [", "application/json"),
        )
        .mount(&server)
        .await;
    let err = client(&ep, true)
        .generate(&call("m"))
        .await
        .expect_err("malformed");
    assert_eq!(failure(&err).kind, FailureKind::BadResponse);
    assert_eq!(
        requests(&server).await,
        1,
        "a paid answer is not asked for again"
    );

    let (server, ep) = openai_server().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"error": {"code": 502,
            "message": "upstream provider returned an error"}})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ok())
        .mount(&server)
        .await;
    let result = client(&ep, true)
        .generate(&call("m"))
        .await
        .expect("answer");
    assert_eq!(
        result.attempts, 2,
        "the 200-with-error was a server error, retried"
    );
}

#[tokio::test]
async fn a_slow_server_times_out_after_its_retries() {
    let (server, ep) = openai_server().await;
    Mock::given(method("POST"))
        .respond_with(ok().set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let mut slow = call("m");
    slow.timeout = Duration::from_millis(200);
    let c = client(&ep, true).with_retry(crate::fast_retries(1));
    let err = c.generate(&slow).await.expect_err("timeout");
    assert_eq!(failure(&err).kind, FailureKind::Timeout);
    assert_eq!(err.code(), ErrorCode::ProviderUnreachable);
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn resets_are_retried_and_a_refused_connection_is_not() {
    let server = RawServer::start(|_, _| Action::Reset).await;
    let ep = endpoint(
        EndpointKind::OpenaiCompatible,
        &format!("{}/v1", server.url),
        4,
    );
    let err = client(&ep, false)
        .generate(&call("m"))
        .await
        .expect_err("reset");
    assert_eq!(failure(&err).kind, FailureKind::Unreachable);
    // 1 attempt + 3 retries, and one immediate retry on a fresh connection.
    assert_eq!(
        server
            .stats
            .requests
            .load(std::sync::atomic::Ordering::SeqCst),
        5
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let ep = endpoint(
        EndpointKind::OpenaiCompatible,
        &format!("http://127.0.0.1:{port}/v1"),
        4,
    );
    let err = client(&ep, false)
        .generate(&call("m"))
        .await
        .expect_err("refused");
    assert_eq!(failure(&err).kind, FailureKind::Unreachable);
    assert_eq!(err.code(), ErrorCode::ProviderUnreachable);
}

#[tokio::test]
async fn a_kept_alive_connection_the_server_closed_is_retried_at_once_and_not_counted() {
    // llama.cpp's server closes idle connections: here every connection answers its first
    // request and closes when the next one arrives on it, so each call after the first
    // finds its pooled connection dead.
    let server = RawServer::start(|_, on_connection| {
        if on_connection == 0 {
            Action::ok(Duration::ZERO)
        } else {
            Action::Close
        }
    })
    .await;
    let ep = endpoint(
        EndpointKind::OpenaiCompatible,
        &format!("{}/v1", server.url),
        4,
    );
    let c = client(&ep, false).with_retry(crate::fast_retries(0));
    for _ in 0..5 {
        let result = c.generate(&call("m")).await.expect("answer");
        assert_eq!(result.attempts, 1);
    }
}

#[tokio::test]
async fn a_key_is_not_sent_over_plain_http_to_the_open_internet() {
    let ep = endpoint(EndpointKind::OpenaiCompatible, "http://93.184.215.14/v1", 4);
    let key = assay_core::domain::provider::ProviderKey::new(KEY.into()).expect("key");
    let err =
        assay_core::llm::EndpointClient::new(&ep, Some(&key), "insecure").expect_err("refused");
    assert_eq!(failure(&err).kind, FailureKind::Insecure);
    assert!(!err.to_string().contains(KEY));
}
