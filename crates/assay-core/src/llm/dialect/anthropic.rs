//! Anthropic Messages: `x-api-key` and `anthropic-version`, structured output as a forced
//! tool, usage with cache reads apart.

use serde_json::{Value, json};

use super::{Answer, AuthScheme, Dialect, ServerError, WireRequest, bad_response, count, join};
use crate::llm::call::{CallRequest, FinishReason, ModelInfo, Usage};

/// The API version every request names.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// The name of the tool a structured answer is forced through.
const ANSWER_TOOL: &str = "answer";

/// The Anthropic Messages dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anthropic;

impl Dialect for Anthropic {
    fn auth(&self) -> AuthScheme {
        AuthScheme::XApiKey
    }

    fn request_id_header(&self) -> Option<&'static str> {
        Some("request-id")
    }

    fn generate(&self, base_url: &str, call: &CallRequest, with_schema: bool) -> WireRequest {
        let mut body = json!({
            "model": call.model,
            "max_tokens": call.max_output_tokens,
            "messages": [{"role": "user", "content": call.user}],
        });
        if !call.system.is_empty() {
            body["system"] = json!(call.system);
        }
        if let Some(t) = call.temperature {
            body["temperature"] = json!(t);
        }
        if let Some(schema) = call.schema.as_ref().filter(|_| with_schema) {
            body["tools"] = json!([{
                "name": ANSWER_TOOL,
                "description": "Give your answer in this form.",
                // A tool's schema takes `enum`; string lengths are not part of what it
                // holds a model to, so `maxLength` is left to the prompt.
                "input_schema": super::without(schema, &["maxLength"]),
            }]);
            body["tool_choice"] = json!({"type": "tool", "name": ANSWER_TOOL});
        }
        WireRequest {
            url: join(base_url, "v1/messages"),
            body: Some(body),
            headers: vec![("anthropic-version", ANTHROPIC_VERSION)],
        }
    }

    fn read_answer(&self, body: &[u8]) -> Result<Answer, ServerError> {
        let json: Value =
            serde_json::from_slice(body).map_err(|_| bad_response("the answer is not JSON"))?;
        if let Some(error) = super::error_in_answer(&json, body) {
            return Err(error);
        }
        let blocks = json["content"]
            .as_array()
            .ok_or_else(|| bad_response("the answer has no content"))?;
        let tool_input = blocks
            .iter()
            .find(|b| b["type"] == "tool_use" && b["name"] == ANSWER_TOOL)
            .map(|b| b["input"].to_string());
        let text = tool_input.unwrap_or_else(|| {
            blocks
                .iter()
                .filter(|b| b["type"] == "text")
                .filter_map(|b| b["text"].as_str())
                .collect::<Vec<_>>()
                .join("")
        });
        let finish = match json["stop_reason"].as_str() {
            Some("end_turn" | "stop_sequence" | "tool_use") | None => FinishReason::Stop,
            Some("max_tokens" | "model_context_window_exceeded") => FinishReason::Length,
            Some("refusal") => FinishReason::Refusal,
            Some(_) => FinishReason::Other,
        };
        let u = &json["usage"];
        let fresh = count(u.get("input_tokens"));
        let cache_read = count(u.get("cache_read_input_tokens"));
        let cache_write = count(u.get("cache_creation_input_tokens"));
        let input = fresh.map(|n| {
            n.saturating_add(cache_read.unwrap_or(0))
                .saturating_add(cache_write.unwrap_or(0))
        });
        Ok(Answer {
            text,
            finish,
            usage: Usage {
                input_tokens: input,
                output_tokens: count(u.get("output_tokens")),
                cached_input_tokens: cache_read,
                reasoning_tokens: None,
                reported_cost_usd: None,
            },
            model: json["model"].as_str().map(str::to_owned),
            body_id: json["id"].as_str().map(str::to_owned),
        })
    }

    fn list_models(&self, base_url: &str) -> WireRequest {
        WireRequest {
            url: join(base_url, "v1/models?limit=1000"),
            body: None,
            headers: vec![("anthropic-version", ANTHROPIC_VERSION)],
        }
    }

    fn read_models(&self, body: &[u8]) -> Result<Vec<ModelInfo>, ServerError> {
        let json: Value =
            serde_json::from_slice(body).map_err(|_| bad_response("the model list is not JSON"))?;
        let data = json["data"]
            .as_array()
            .ok_or_else(|| bad_response("the model list has no `data`"))?;
        Ok(data
            .iter()
            .filter_map(|m| {
                Some(ModelInfo {
                    id: m["id"].as_str()?.to_owned(),
                    name: m["display_name"].as_str().map(str::to_owned),
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_schema_becomes_a_forced_tool_and_its_input_is_the_answer() {
        let call = CallRequest {
            model: "claude-sonnet-4-5".into(),
            system: "Judge.".into(),
            user: "Doc".into(),
            temperature: None,
            max_output_tokens: 50,
            timeout: Duration::from_secs(1),
            schema: Some(json!({"type": "object"})),
        };
        let req = Anthropic.generate("https://api.anthropic.com", &call, true);
        assert_eq!(req.url, "https://api.anthropic.com/v1/messages");
        let body = req.body.expect("body");
        assert_eq!(body["tool_choice"]["name"], "answer");
        assert_eq!(body["system"], "Judge.");
        let answer = Anthropic
            .read_answer(
                br#"{"id":"msg_1","model":"claude-sonnet-4-5","stop_reason":"tool_use",
                   "content":[{"type":"tool_use","name":"answer","input":{"winner":"A"}}],
                   "usage":{"input_tokens":10,"cache_read_input_tokens":90,"output_tokens":5}}"#,
            )
            .expect("answer");
        assert_eq!(answer.text, r#"{"winner":"A"}"#);
        assert_eq!(answer.usage.input_tokens, Some(100));
        assert_eq!(answer.usage.cached_input_tokens, Some(90));
    }
}
