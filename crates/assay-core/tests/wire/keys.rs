//! A key reaches its endpoint's host and no other: redirects, URL spellings, and servers
//! that echo it in their errors.

use base64::Engine;
use serde_json::json;
use wiremock::matchers::{any, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use assay_core::domain::endpoint::EndpointKind;
use assay_core::domain::provider::ProviderKey;
use assay_core::error::FailureKind;
use assay_core::llm::EndpointClient;

use crate::{KEY, call, client, endpoint, failure};

const KINDS: [(EndpointKind, &str); 5] = [
    (EndpointKind::Openai, "/v1"),
    (EndpointKind::Anthropic, ""),
    (EndpointKind::Google, ""),
    (EndpointKind::Openrouter, "/api/v1"),
    (EndpointKind::OpenaiCompatible, "/v1"),
];

/// Whether `request` carries [`KEY`] in any header.
fn carries_key(request: &Request) -> bool {
    request
        .headers
        .values()
        .any(|v| v.to_str().is_ok_and(|v| v.contains(KEY)))
}

/// The longest run of `key` found in `text`.
fn longest_run(text: &str, key: &str) -> usize {
    (0..key.len())
        .flat_map(|s| (s + 1..=key.len()).map(move |e| (s, e)))
        .filter(|(s, e)| text.contains(&key[*s..*e]))
        .map(|(s, e)| e - s)
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn no_endpoint_kind_follows_a_redirect_to_another_host_with_its_key() {
    for (kind, prefix) in KINDS {
        let elsewhere = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
            .mount(&elsewhere)
            .await;
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(
                ResponseTemplate::new(307)
                    .insert_header("location", format!("{}/stolen", elsewhere.uri())),
            )
            .mount(&server)
            .await;
        let ep = endpoint(kind, &format!("{}{prefix}", server.uri()), 4);
        let c = client(&ep, true);
        let err = c.generate(&call("m")).await.expect_err("not followed");
        let f = failure(&err);
        assert_eq!(f.kind, FailureKind::BadRequest, "{kind:?}: {f:?}");
        assert_eq!(f.status, Some(307), "{kind:?}");
        let detail = f.detail.unwrap_or_default();
        assert!(
            detail.contains(&elsewhere.uri()) && detail.contains("base URL"),
            "{kind:?}: the failure names where it pointed and what to do: {detail}"
        );
        c.models()
            .await
            .expect_err("the key check does not follow it either");
        let got = elsewhere.received_requests().await.expect("requests");
        assert!(
            got.is_empty(),
            "{kind:?}: the other host got {} request(s), {} with the key",
            got.len(),
            got.iter().filter(|r| carries_key(r)).count()
        );
    }
}

#[tokio::test]
async fn a_redirect_within_the_endpoints_own_address_is_followed_with_the_key() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/models"))
        .respond_with(ResponseTemplate::new(308).insert_header("location", "/v2/models"))
        .mount(&server)
        .await;
    Mock::given(path("/v2/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{"id": "m"}]})))
        .mount(&server)
        .await;
    let ep = endpoint(EndpointKind::Openai, &format!("{}/v1", server.uri()), 4);
    let models = client(&ep, true).models().await.expect("followed");
    assert_eq!(models.len(), 1);
    let got = server.received_requests().await.expect("requests");
    assert!(got.iter().all(carries_key), "the same host keeps the key");
}

#[tokio::test]
async fn a_backslash_or_credentials_in_the_address_never_carry_a_key() {
    let key = ProviderKey::new(KEY.into()).expect("key");
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .mount(&server)
        .await;
    let port = server.address().port();
    for base in [
        format!("http://evil:45001\\@127.0.0.1:{port}/v1"),
        format!("http://user:pass@127.0.0.1:{port}/v1"),
    ] {
        let ep = endpoint(EndpointKind::OpenaiCompatible, &base, 4);
        let refused = EndpointClient::new(&ep, Some(&key), "test/backslash");
        assert!(refused.is_err(), "{base} is refused");
    }
    assert!(
        server
            .received_requests()
            .await
            .expect("requests")
            .is_empty()
    );
}

#[tokio::test]
async fn a_key_echoed_in_an_error_is_redacted_before_the_message_is_cut() {
    let encoded =
        percent_encoding::utf8_percent_encode(KEY, percent_encoding::NON_ALPHANUMERIC).to_string();
    let b64 = base64::engine::general_purpose::STANDARD.encode(KEY);
    for echoed in [
        format!("{}{KEY}", "x".repeat(255)),
        format!("bad key {encoded}"),
        format!("bad key {b64}"),
        format!("bad key ...{}...", &KEY[3..15]),
    ] {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(
                ResponseTemplate::new(401)
                    .set_body_json(json!({"error": {"message": echoed, "type": "auth"}})),
            )
            .mount(&server)
            .await;
        let ep = endpoint(EndpointKind::Openai, &format!("{}/v1", server.uri()), 4);
        let err = client(&ep, true)
            .generate(&call("m"))
            .await
            .expect_err("401");
        for shown in [err.to_string(), format!("{err:?}"), err.log_line()] {
            for form in [KEY, encoded.as_str(), b64.as_str()] {
                assert!(
                    longest_run(&shown, form) < 8,
                    "no 8 characters of the key's {form:?} form: {shown}"
                );
            }
        }
        assert!(err.to_string().contains("[key]"), "{err}");
    }
}

#[tokio::test]
async fn a_gateways_prefixed_wait_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("llm_provider-retry-after", "1")
                .set_body_json(json!({"error": {"message": "rate limited", "code": "429"}})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"model":"m","choices":[{"message":{"content":"ok"},"finish_reason":"stop"}]}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let ep = endpoint(
        EndpointKind::OpenaiCompatible,
        &format!("{}/v1", server.uri()),
        4,
    );
    let started = std::time::Instant::now();
    let answer = client(&ep, true)
        .generate(&call("m"))
        .await
        .expect("answer");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "waited as the gateway asked: {:?}",
        started.elapsed()
    );
    assert_eq!(answer.attempts, 2);
}

#[tokio::test]
async fn a_gateways_404_for_a_route_is_its_own_words_not_an_unknown_model() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"detail": "Not Found"})))
        .mount(&server)
        .await;
    let ep = endpoint(
        EndpointKind::OpenaiCompatible,
        &format!("{}/v1", server.uri()),
        4,
    );
    let f = failure(
        &client(&ep, true)
            .generate(&call("m"))
            .await
            .expect_err("404"),
    );
    assert_eq!(f.kind, FailureKind::BadRequest, "{f:?}");
    assert_eq!(f.status, Some(404));

    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": {
            "message": "The model `gpt-9` does not exist", "code": "model_not_found"}})))
        .mount(&server)
        .await;
    let ep = endpoint(EndpointKind::Openai, &format!("{}/v1", server.uri()), 4);
    let f = failure(
        &client(&ep, true)
            .generate(&call("gpt-9"))
            .await
            .expect_err("404"),
    );
    assert_eq!(f.kind, FailureKind::ModelNotFound);
}

#[tokio::test]
async fn huge_or_bad_usage_numbers_are_capped_or_unknown_never_a_panic() {
    for (usage, input, output) in [
        (
            json!({"prompt_tokens": 9_223_372_036_854_775_807_i64, "completion_tokens": 5e18}),
            Some(assay_core::llm::call::MAX_REPORTED_TOKENS),
            Some(assay_core::llm::call::MAX_REPORTED_TOKENS),
        ),
        (
            json!({"prompt_tokens": -4, "completion_tokens": "many"}),
            None,
            None,
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "model": "m",
                "choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}],
                "usage": usage
            })))
            .mount(&server)
            .await;
        let ep = endpoint(EndpointKind::Openai, &format!("{}/v1", server.uri()), 4);
        let answer = client(&ep, true)
            .generate(&call("m"))
            .await
            .expect("answer");
        assert_eq!(
            (answer.usage.input_tokens, answer.usage.output_tokens),
            (input, output),
            "{usage}"
        );
    }
}
