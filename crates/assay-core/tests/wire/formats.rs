//! Each provider's request and answer, byte for byte where it matters.

use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, header_exists, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use assay_core::domain::endpoint::EndpointKind;
use assay_core::llm::FinishReason;

use crate::{KEY, call, client, endpoint, structured_call};

fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).expect("request body is JSON")
}

#[tokio::test]
async fn openai_sends_bearer_and_a_strict_json_schema_and_reads_every_usage_field() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("content-type", "application/json"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "req_abc")
                .set_body_json(json!({
                    "id": "chatcmpl-1", "object": "chat.completion",
                    "model": "gpt-4o-mini-2024-07-18",
                    "choices": [{"index": 0, "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "{\"winner\":\"A\"}",
                                    "refusal": null}}],
                    "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150,
                        "prompt_tokens_details": {"cached_tokens": 64},
                        "completion_tokens_details": {"reasoning_tokens": 12}},
                    "system_fingerprint": "fp_x"
                })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let ep = endpoint(EndpointKind::Openai, &format!("{}/v1", server.uri()), 4);
    let result = client(&ep, true)
        .generate(&structured_call("gpt-4o-mini"))
        .await
        .expect("answer");
    assert_eq!(result.text, r#"{"winner":"A"}"#);
    assert_eq!(result.finish, FinishReason::Stop);
    assert_eq!(result.request_id.as_deref(), Some("req_abc"));
    assert_eq!(result.model, "gpt-4o-mini-2024-07-18");
    assert_eq!(result.usage.input_tokens, Some(120));
    assert_eq!(result.usage.output_tokens, Some(30));
    assert_eq!(result.usage.cached_input_tokens, Some(64));
    assert_eq!(result.usage.reasoning_tokens, Some(12));
    assert!(!result.schema_dropped);
    assert!(result.raw.contains("fp_x"));
    let sent = body(&server.received_requests().await.expect("requests")[0]);
    assert_eq!(sent["model"], "gpt-4o-mini");
    assert_eq!(sent["max_completion_tokens"], 256);
    assert_eq!(
        sent["messages"][0],
        json!({"role": "system", "content": "You judge documents."})
    );
    assert_eq!(
        sent["messages"][1],
        json!({"role": "user", "content": "Score this."})
    );
    assert_eq!(sent["response_format"]["type"], "json_schema");
    assert_eq!(sent["response_format"]["json_schema"]["strict"], true);
    assert_eq!(
        sent["response_format"]["json_schema"]["schema"]["required"],
        json!(["winner"])
    );
}

#[tokio::test]
async fn anthropic_sends_x_api_key_and_version_and_forces_the_answer_tool() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", KEY))
        .and(header("anthropic-version", "2023-06-01"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("request-id", "req_011")
                .set_body_json(json!({
                    "id": "msg_01", "type": "message", "role": "assistant",
                    "model": "claude-sonnet-4-5-20250929",
                    "content": [{"type": "tool_use", "id": "toolu_1", "name": "answer",
                                 "input": {"winner": "B"}}],
                    "stop_reason": "tool_use", "stop_sequence": null,
                    "usage": {"input_tokens": 50, "cache_creation_input_tokens": 0,
                              "cache_read_input_tokens": 200, "output_tokens": 9}
                })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let ep = endpoint(EndpointKind::Anthropic, &server.uri(), 4);
    let result = client(&ep, true)
        .generate(&structured_call("claude-sonnet-4-5"))
        .await
        .expect("answer");
    assert_eq!(result.text, r#"{"winner":"B"}"#);
    assert_eq!(result.request_id.as_deref(), Some("req_011"));
    assert_eq!(result.usage.input_tokens, Some(250));
    assert_eq!(result.usage.cached_input_tokens, Some(200));
    assert_eq!(result.usage.output_tokens, Some(9));
    let requests = server.received_requests().await.expect("requests");
    assert!(requests[0].headers.get("authorization").is_none());
    let sent = body(&requests[0]);
    assert_eq!(sent["system"], "You judge documents.");
    assert_eq!(sent["max_tokens"], 256);
    assert_eq!(sent["tools"][0]["name"], "answer");
    assert_eq!(
        sent["tool_choice"],
        json!({"type": "tool", "name": "answer"})
    );
}

#[tokio::test]
async fn gemini_sends_x_goog_api_key_and_a_response_schema() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1beta/models/gemini-2.5-flash:generateContent"))
        .and(header("x-goog-api-key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "candidates": [{"content": {"parts": [{"text": "{\"winner\": \"A\"}"}],
                                        "role": "model"},
                            "finishReason": "MAX_TOKENS", "index": 0}],
            "usageMetadata": {"promptTokenCount": 40, "candidatesTokenCount": 20,
                              "thoughtsTokenCount": 5, "cachedContentTokenCount": 8,
                              "totalTokenCount": 65},
            "modelVersion": "gemini-2.5-flash", "responseId": "resp_9"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let ep = endpoint(EndpointKind::Google, &server.uri(), 4);
    let result = client(&ep, true)
        .generate(&structured_call("gemini-2.5-flash"))
        .await
        .expect("answer");
    assert_eq!(
        result.finish,
        FinishReason::Length,
        "a cut-off answer is not an error"
    );
    assert_eq!(result.usage.output_tokens, Some(25));
    assert_eq!(result.usage.cached_input_tokens, Some(8));
    assert_eq!(result.request_id.as_deref(), Some("resp_9"));
    let sent = body(&server.received_requests().await.expect("requests")[0]);
    assert_eq!(
        sent["systemInstruction"]["parts"][0]["text"],
        "You judge documents."
    );
    assert_eq!(sent["contents"][0]["parts"][0]["text"], "Score this.");
    let config = &sent["generationConfig"];
    assert_eq!(config["maxOutputTokens"], 256);
    assert_eq!(config["responseMimeType"], "application/json");
    assert_eq!(config["responseSchema"]["type"], "OBJECT");
    assert!(
        config["responseSchema"]
            .get("additionalProperties")
            .is_none()
    );
}

#[tokio::test]
async fn openrouter_reports_its_cost_and_a_keyless_local_server_gets_no_auth_header() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/chat/completions"))
        .and(body_partial_json(json!({"usage": {"include": true}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "gen-1", "model": "openai/gpt-4o",
            "choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 2, "cost": 0.00042}
        })))
        .mount(&server)
        .await;
    let ep = endpoint(
        EndpointKind::Openrouter,
        &format!("{}/api/v1", server.uri()),
        4,
    );
    let result = client(&ep, true)
        .generate(&call("openai/gpt-4o"))
        .await
        .expect("answer");
    assert_eq!(result.usage.reported_cost_usd, Some(0.00042));
    assert_eq!(result.request_id.as_deref(), Some("gen-1"));

    // llama.cpp: no key, no request-id header, no usage, answers with the model it loaded.
    let local = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "model": "qwen2.5-7b-instruct-q4_k_m.gguf",
            "choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}],
            "timings": {"predicted_ms": 12.5}
        })))
        .mount(&local)
        .await;
    let ep = endpoint(
        EndpointKind::OpenaiCompatible,
        &format!("{}/v1", local.uri()),
        4,
    );
    let result = client(&ep, false)
        .generate(&call("llama3"))
        .await
        .expect("answer");
    assert_eq!(result.model, "qwen2.5-7b-instruct-q4_k_m.gguf");
    assert_eq!(
        result.usage.input_tokens, None,
        "missing usage is unknown, not 0"
    );
    let requests = local.received_requests().await.expect("requests");
    assert!(requests[0].headers.get("authorization").is_none());
    assert_eq!(body(&requests[0])["max_tokens"], 256);
}

#[tokio::test]
async fn each_providers_model_list_is_read() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .and(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "list",
            "data": [{"id": "gpt-4o", "object": "model"}, {"id": "gpt-4o-mini", "object": "model"}]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .and(header("x-api-key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"type": "model", "id": "claude-sonnet-4-5-20250929",
                      "display_name": "Claude Sonnet 4.5"}],
            "has_more": false
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1beta/models"))
        .and(header("x-goog-api-key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "models": [
                {"name": "models/gemini-2.5-flash", "displayName": "Gemini 2.5 Flash",
                 "supportedGenerationMethods": ["generateContent", "countTokens"]},
                {"name": "models/text-embedding-004",
                 "supportedGenerationMethods": ["embedContent"]}]
        })))
        .mount(&server)
        .await;
    let ids = |models: Vec<assay_core::llm::ModelInfo>| {
        models.into_iter().map(|m| m.id).collect::<Vec<_>>()
    };
    let openai = endpoint(EndpointKind::Openai, &format!("{}/v1", server.uri()), 4);
    assert_eq!(
        ids(client(&openai, true).models().await.expect("openai")),
        ["gpt-4o", "gpt-4o-mini"]
    );
    let anthropic = endpoint(EndpointKind::Anthropic, &server.uri(), 4);
    assert_eq!(
        ids(client(&anthropic, true).models().await.expect("anthropic")),
        ["claude-sonnet-4-5-20250929"]
    );
    let google = endpoint(EndpointKind::Google, &server.uri(), 4);
    assert_eq!(
        ids(client(&google, true).models().await.expect("google")),
        ["gemini-2.5-flash"]
    );
}
