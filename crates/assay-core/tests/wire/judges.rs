//! What each dialect sends for a judge's scoring and comparison requests: the score bounded
//! as that dialect's structured output takes it, the reason bounded where it may be and asked
//! for before the score or verdict, pinned byte for byte where order matters.

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use assay_core::domain::criteria::Criterion;
use assay_core::domain::endpoint::EndpointKind;
use assay_core::engine::judging::{REASON_MAX_CHARS, comparison_schema, scoring_schema};
use assay_core::llm::CallRequest;

use crate::{call, client, endpoint};

fn criteria() -> Vec<Criterion> {
    ["Accuracy", "Clarity"]
        .iter()
        .map(|n| Criterion {
            name: (*n).into(),
            description: String::new(),
        })
        .collect()
}

/// The body `kind` sends for `request`, and where its schema sits in it.
async fn sent(kind: EndpointKind, request: &CallRequest) -> (String, Value) {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let prefix = match kind {
        EndpointKind::Openai | EndpointKind::OpenaiCompatible => "/v1",
        EndpointKind::Openrouter => "/api/v1",
        EndpointKind::Anthropic | EndpointKind::Google => "",
    };
    let ep = endpoint(kind, &format!("{}{prefix}", server.uri()), 1);
    let _ = client(&ep, true)
        .with_retry(crate::fast_retries(0))
        .generate(request)
        .await;
    let got = server.received_requests().await.expect("requests");
    let raw = String::from_utf8(got[0].body.clone()).expect("utf-8");
    let body: Value = serde_json::from_str(&raw).expect("json");
    let schema = match kind {
        EndpointKind::Anthropic => body["tools"][0]["input_schema"].clone(),
        EndpointKind::Google => body["generationConfig"]["responseSchema"].clone(),
        _ => body["response_format"]["json_schema"]["schema"].clone(),
    };
    (raw, schema)
}

fn judge_call(schema: Value) -> CallRequest {
    CallRequest {
        schema: Some(schema),
        ..call("judge")
    }
}

#[tokio::test]
async fn every_dialect_bounds_the_score_and_asks_for_the_reason_first() {
    let scoring = judge_call(scoring_schema(&criteria()));
    for kind in [
        EndpointKind::Openai,
        EndpointKind::Openrouter,
        EndpointKind::OpenaiCompatible,
        EndpointKind::Anthropic,
        EndpointKind::Google,
    ] {
        let (raw, schema) = sent(kind, &scoring).await;
        let one = &schema["properties"]["Accuracy"];
        let score = &one["properties"]["score"];
        let reason = &one["properties"]["reason"];
        match kind {
            EndpointKind::Google => {
                // Gemini enumerates strings only: an integer between its bounds.
                assert_eq!(score["type"], "INTEGER", "{kind:?}");
                assert_eq!(
                    (score["minimum"].clone(), score["maximum"].clone()),
                    (json!(1), json!(5))
                );
                assert!(score.get("enum").is_none(), "{kind:?}");
                assert_eq!(one["propertyOrdering"], json!(["reason", "score"]));
                assert_eq!(schema["propertyOrdering"], json!(["Accuracy", "Clarity"]));
                assert_eq!(reason["maxLength"], json!(REASON_MAX_CHARS));
            }
            _ => {
                assert_eq!(score["enum"], json!([1, 2, 3, 4, 5]), "{kind:?}");
                assert_eq!(score["type"], "integer", "{kind:?}");
            }
        }
        let reason_bounded = reason.get("maxLength").is_some();
        let expected = matches!(kind, EndpointKind::OpenaiCompatible | EndpointKind::Google);
        assert_eq!(
            reason_bounded, expected,
            "{kind:?}: maxLength only where the structured output takes it"
        );
        assert_eq!(one["required"], json!(["reason", "score"]), "{kind:?}");
        // As sent, byte for byte: the reason's property comes before the score's.
        let at = raw.find("\"Accuracy\"").expect("criterion");
        let tail = &raw[at..];
        assert!(
            tail.find("\"reason\"") < tail.find("\"score\""),
            "{kind:?}: {tail}"
        );
    }
}

#[tokio::test]
async fn every_dialect_sends_a_comparison_with_a_or_b_and_the_reason_first() {
    let comparing = judge_call(comparison_schema());
    for kind in [
        EndpointKind::Openai,
        EndpointKind::Openrouter,
        EndpointKind::OpenaiCompatible,
        EndpointKind::Anthropic,
        EndpointKind::Google,
    ] {
        let (raw, schema) = sent(kind, &comparing).await;
        assert_eq!(
            schema["properties"]["winner"]["enum"],
            json!(["A", "B"]),
            "{kind:?}"
        );
        let winner_at = raw.find("\"winner\"").expect("winner");
        let reason_at = raw.find("\"reason\"").expect("reason");
        assert!(reason_at < winner_at, "{kind:?}: {raw}");
        if kind == EndpointKind::Google {
            assert_eq!(schema["propertyOrdering"], json!(["reason", "winner"]));
        }
    }
}
