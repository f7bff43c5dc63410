//! OpenAI Chat Completions, and the servers that speak its shape (OpenRouter, Ollama, LM
//! Studio, llama.cpp server, vLLM, company gateways), tolerant of what they do differently:
//! missing usage, extra fields, `usage.cost`, a 200 whose body is an error.

use serde_json::{Value, json};

use super::{Answer, AuthScheme, Dialect, ServerError, WireRequest, bad_response, count, join};
use crate::llm::call::{CallRequest, FinishReason, ModelInfo, Usage};

/// The Chat Completions dialect, in one of its three flavours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatCompletions {
    flavour: Flavour,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavour {
    /// OpenAI itself: `max_completion_tokens`, strict schemas.
    OpenAi,
    /// OpenRouter: `max_tokens`, asks for the cost in `usage`.
    OpenRouter,
    /// Anything else: `max_tokens`, nothing assumed.
    Compatible,
}

impl ChatCompletions {
    /// OpenAI's own API.
    pub fn openai() -> Self {
        Self {
            flavour: Flavour::OpenAi,
        }
    }

    /// OpenRouter.
    pub fn openrouter() -> Self {
        Self {
            flavour: Flavour::OpenRouter,
        }
    }

    /// Any OpenAI-compatible server.
    pub fn compatible() -> Self {
        Self {
            flavour: Flavour::Compatible,
        }
    }
}

impl Dialect for ChatCompletions {
    fn auth(&self) -> AuthScheme {
        AuthScheme::Bearer
    }

    fn request_id_header(&self) -> Option<&'static str> {
        Some("x-request-id")
    }

    fn generate(&self, base_url: &str, call: &CallRequest, with_schema: bool) -> WireRequest {
        let mut messages = Vec::new();
        if !call.system.is_empty() {
            messages.push(json!({"role": "system", "content": call.system}));
        }
        messages.push(json!({"role": "user", "content": call.user}));
        let mut body = json!({"model": call.model, "messages": messages});
        let tokens_field = match self.flavour {
            Flavour::OpenAi => "max_completion_tokens",
            Flavour::OpenRouter | Flavour::Compatible => "max_tokens",
        };
        body[tokens_field] = json!(call.max_output_tokens);
        if let Some(t) = call.temperature {
            body["temperature"] = json!(t);
        }
        if let Some(schema) = call.schema.as_ref().filter(|_| with_schema) {
            // OpenAI's strict mode (and so OpenRouter, which passes it on) takes `enum` but
            // not `maxLength`; a compatible server (llama.cpp, vLLM, Ollama) turns the whole
            // schema into a grammar, bounds included.
            let schema = match self.flavour {
                Flavour::Compatible => schema.clone(),
                Flavour::OpenAi | Flavour::OpenRouter => super::without(schema, &["maxLength"]),
            };
            let mut format = json!({"name": "answer", "schema": schema});
            if self.flavour != Flavour::Compatible {
                format["strict"] = json!(true);
            }
            body["response_format"] = json!({"type": "json_schema", "json_schema": format});
        }
        if self.flavour == Flavour::OpenRouter {
            body["usage"] = json!({"include": true});
        }
        WireRequest {
            url: join(base_url, "chat/completions"),
            body: Some(body),
            headers: Vec::new(),
        }
    }

    fn read_answer(&self, body: &[u8]) -> Result<Answer, ServerError> {
        let json: Value =
            serde_json::from_slice(body).map_err(|_| bad_response("the answer is not JSON"))?;
        if let Some(error) = super::error_in_answer(&json, body) {
            return Err(error);
        }
        let choice = json["choices"]
            .get(0)
            .ok_or_else(|| bad_response("the answer has no choices"))?;
        let message = &choice["message"];
        let refusal = message["refusal"].as_str().filter(|r| !r.is_empty());
        let text = match (&message["content"], refusal) {
            (Value::String(s), _) => s.clone(),
            (Value::Array(parts), _) => parts
                .iter()
                .filter_map(|p| p["text"].as_str())
                .collect::<Vec<_>>()
                .join(""),
            (_, Some(r)) => r.to_owned(),
            (Value::Null, None) => String::new(),
            _ => return Err(bad_response("the answer's content is not text")),
        };
        let finish = match (choice["finish_reason"].as_str(), refusal) {
            (_, Some(_)) => FinishReason::Refusal,
            (Some("stop" | "tool_calls" | "function_call" | "eos") | None, _) => FinishReason::Stop,
            (Some("length" | "max_tokens"), _) => FinishReason::Length,
            (Some("content_filter"), _) => FinishReason::ContentFilter,
            (Some(_), _) => FinishReason::Other,
        };
        let u = &json["usage"];
        let usage = Usage {
            input_tokens: count(u.get("prompt_tokens")),
            output_tokens: count(u.get("completion_tokens")),
            cached_input_tokens: count(u.pointer("/prompt_tokens_details/cached_tokens")),
            reasoning_tokens: count(u.pointer("/completion_tokens_details/reasoning_tokens")),
            reported_cost_usd: u.get("cost").and_then(Value::as_f64).filter(|c| *c >= 0.0),
        };
        Ok(Answer {
            text,
            finish,
            usage,
            model: json["model"].as_str().map(str::to_owned),
            body_id: json["id"].as_str().map(str::to_owned),
        })
    }

    fn list_models(&self, base_url: &str) -> WireRequest {
        WireRequest {
            url: join(base_url, "models"),
            body: None,
            headers: Vec::new(),
        }
    }

    fn read_models(&self, body: &[u8]) -> Result<Vec<ModelInfo>, ServerError> {
        let json: Value =
            serde_json::from_slice(body).map_err(|_| bad_response("the model list is not JSON"))?;
        let data = json["data"]
            .as_array()
            .or_else(|| json["models"].as_array())
            .ok_or_else(|| bad_response("the model list has no `data`"))?;
        Ok(data
            .iter()
            .filter_map(|m| {
                let id = m["id"].as_str().or_else(|| m["model"].as_str())?;
                Some(ModelInfo {
                    id: id.to_owned(),
                    name: m["name"].as_str().map(str::to_owned),
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::error::FailureKind;

    fn call(schema: Option<Value>) -> CallRequest {
        CallRequest {
            model: "gpt-4o-mini".into(),
            system: "Be brief.".into(),
            user: "Hi".into(),
            temperature: Some(0.2),
            max_output_tokens: 100,
            timeout: Duration::from_secs(5),
            schema,
        }
    }

    #[test]
    fn openai_gets_max_completion_tokens_and_a_strict_schema_others_get_max_tokens() {
        let schema = json!({"type": "object"});
        let req = ChatCompletions::openai().generate(
            "https://api.openai.com/v1/",
            &call(Some(schema.clone())),
            true,
        );
        assert_eq!(req.url, "https://api.openai.com/v1/chat/completions");
        let body = req.body.expect("body");
        assert_eq!(body["max_completion_tokens"], 100);
        assert_eq!(body["response_format"]["json_schema"]["strict"], true);
        assert_eq!(body["messages"][0]["role"], "system");
        let body = ChatCompletions::compatible()
            .generate("http://h/v1", &call(Some(schema)), false)
            .body
            .expect("body");
        assert_eq!(body["max_tokens"], 100);
        assert!(body.get("response_format").is_none());
    }

    #[test]
    fn an_answer_without_usage_has_unknown_usage_and_a_200_error_is_an_error() {
        let answer = ChatCompletions::compatible()
            .read_answer(
                br#"{"model":"loaded.gguf","choices":[{"message":{"content":"ok"},"finish_reason":"length"}]}"#,
            )
            .expect("answer");
        assert_eq!(answer.text, "ok");
        assert_eq!(answer.finish, FinishReason::Length);
        assert_eq!(answer.usage, Usage::default());
        assert_eq!(answer.model.as_deref(), Some("loaded.gguf"));
        let err = ChatCompletions::openrouter()
            .read_answer(br#"{"error":{"code":429,"message":"Rate limited upstream"}}"#)
            .expect_err("error");
        assert_eq!(err.kind, FailureKind::RateLimited);
        let err = ChatCompletions::openai()
            .read_answer(b"{not json")
            .expect_err("error");
        assert_eq!(err.kind, FailureKind::BadResponse);
    }
}
