//! Provider wire formats: how each API wants a request and how it answers.
//!
//! A [`Dialect`] only turns values into bytes and back; sending, retrying and limiting are the
//! client's. Errors are classified here because each provider words them its own way (an
//! OpenAI `insufficient_quota` 429 is out of credit, not a rate limit; Gemini says a bad key
//! with a 400).

mod anthropic;
mod chat_completions;
mod gemini;

use crate::domain::endpoint::EndpointKind;
use crate::error::FailureKind;
use crate::llm::call::{CallRequest, FinishReason, MAX_REPORTED_TOKENS, ModelInfo, Usage};

pub use anthropic::Anthropic;
pub use chat_completions::ChatCompletions;
pub use gemini::Gemini;

/// How a dialect sends its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthScheme {
    /// `Authorization: Bearer <key>` (OpenAI and the compatible servers).
    Bearer,
    /// `x-api-key: <key>` (Anthropic).
    XApiKey,
    /// `x-goog-api-key: <key>` (Gemini).
    XGoogApiKey,
}

/// An HTTP request to make, without its key (the client adds the auth header).
#[derive(Debug, Clone, PartialEq)]
pub struct WireRequest {
    /// The full URL.
    pub url: String,
    /// The JSON body for a POST; `None` for a GET.
    pub body: Option<serde_json::Value>,
    /// Headers other than auth and content type.
    pub headers: Vec<(&'static str, &'static str)>,
}

/// What a 2xx answer to a call said.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The text (for structured output, the JSON text).
    pub text: String,
    /// Why the model stopped.
    pub finish: FinishReason,
    /// Tokens used.
    pub usage: Usage,
    /// The model the server reports, if it did.
    pub model: Option<String>,
    /// The request or response id in the body, if any.
    pub body_id: Option<String>,
}

/// An error as a server put it: the kind it implies and its own message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    /// What it means.
    pub kind: FailureKind,
    /// The server's message, if any.
    pub message: Option<String>,
}

/// What a call is for, which decides what a 404 means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A model call: 404 is an unknown model.
    Generate,
    /// The model list: 404 is a wrong address.
    ListModels,
}

/// One provider API.
pub trait Dialect: Send + Sync + std::fmt::Debug {
    /// How the key is sent.
    fn auth(&self) -> AuthScheme;
    /// The header carrying the provider's request id, if it sends one.
    fn request_id_header(&self) -> Option<&'static str>;
    /// The request for `call`, with structured output when `with_schema` and the call has a
    /// schema.
    fn generate(&self, base_url: &str, call: &CallRequest, with_schema: bool) -> WireRequest;
    /// Reads a 2xx answer to a call; a 2xx whose body is an error is that error.
    fn read_answer(&self, body: &[u8]) -> Result<Answer, ServerError>;
    /// The request that lists the endpoint's models.
    fn list_models(&self, base_url: &str) -> WireRequest;
    /// Reads a 2xx answer to the model list.
    fn read_models(&self, body: &[u8]) -> Result<Vec<ModelInfo>, ServerError>;
    /// Reads a non-2xx answer.
    fn read_error(&self, status: u16, body: &[u8], had_key: bool, op: Operation) -> ServerError {
        let (message, code) = error_fields(body);
        ServerError {
            kind: classify(status, message.as_deref(), code.as_deref(), had_key, op),
            message,
        }
    }
}

/// The dialect an endpoint kind speaks.
pub fn for_kind(kind: EndpointKind) -> Box<dyn Dialect> {
    match kind {
        EndpointKind::Openai => Box::new(ChatCompletions::openai()),
        EndpointKind::Openrouter => Box::new(ChatCompletions::openrouter()),
        EndpointKind::OpenaiCompatible => Box::new(ChatCompletions::compatible()),
        EndpointKind::Anthropic => Box::new(Anthropic),
        EndpointKind::Google => Box::new(Gemini),
    }
}

/// `base` and `path` joined with exactly one slash.
pub(crate) fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim().trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// The message and code (or type, or status) of the `error` object all three APIs use:
/// `{"error": {"message", "code" | "type" | "status"}}`, or a bare `{"error": "text"}`.
/// The message is whole: the client redacts the key from it before it cuts it.
pub(crate) fn error_fields(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        let text = String::from_utf8_lossy(body).trim().to_owned();
        return ((!text.is_empty()).then_some(text), None);
    };
    let error = json.get("error").unwrap_or(&json);
    if let Some(text) = error.as_str() {
        return (Some(text.trim().to_owned()), None);
    }
    let message = error
        .get("message")
        .and_then(|m| m.as_str())
        .or_else(|| json.get("message").and_then(|m| m.as_str()))
        .map(|m| m.trim().to_owned());
    let code = ["code", "type", "status"]
        .iter()
        .filter_map(|k| error.get(*k))
        .filter_map(|v| match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" ");
    (message, (!code.is_empty()).then_some(code))
}

/// What an error answer means, from its status, message and code.
pub(crate) fn classify(
    status: u16,
    message: Option<&str>,
    code: Option<&str>,
    had_key: bool,
    op: Operation,
) -> FailureKind {
    let text = format!("{} {}", message.unwrap_or(""), code.unwrap_or("")).to_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| text.contains(n));
    let auth = if had_key {
        FailureKind::KeyRejected
    } else {
        FailureKind::KeyNeeded
    };
    if status == 402
        || has(&[
            "insufficient_quota",
            "credit balance",
            "insufficient credit",
            "spend limit",
            "spending limit",
            "usage limit",
            "payment required",
        ])
    {
        return FailureKind::OutOfCredit;
    }
    if matches!(status, 401 | 403)
        || has(&[
            "api key not valid",
            "api_key_invalid",
            "invalid api key",
            "invalid x-api-key",
            "incorrect api key",
        ])
    {
        return auth;
    }
    if (400..500).contains(&status)
        && has(&[
            "context_length",
            "context length",
            "context size",
            "context window",
            "prompt is too long",
            "input is too long",
            "too many tokens",
            "maximum number of tokens",
            "exceed_context",
        ])
    {
        return FailureKind::PromptTooLong;
    }
    match status {
        429 => FailureKind::RateLimited,
        503 | 529 => FailureKind::Overloaded,
        408 => FailureKind::Timeout,
        400..=499 if op == Operation::Generate && says_model_unknown(&text) => {
            FailureKind::ModelNotFound
        }
        500..=599 if has(&["overloaded"]) => FailureKind::Overloaded,
        500..=599 => FailureKind::ServerError,
        _ => FailureKind::BadRequest,
    }
}

/// Whether an error's text (message and code, lowercased) says the model is not known: a
/// gateway's 404 for a route it lacks ("Not Found") is the server's own words, not a model.
/// Each provider's wording: OpenAI `model_not_found`, Anthropic `not_found_error` with
/// "model: …", Gemini "models/… is not found", Ollama "model \"x\" not found", vLLM "The
/// model `x` does not exist", OpenRouter "is not a valid model ID".
fn says_model_unknown(text: &str) -> bool {
    text.contains("model_not_found")
        || (text.contains("model")
            && [
                "not found",
                "not_found",
                "does not exist",
                "not exist",
                "unknown",
                "no such",
                "not a valid model",
                "invalid model",
            ]
            .iter()
            .any(|n| text.contains(n)))
}

/// The error a 2xx body carries instead of an answer, if it does: OpenRouter and gateways
/// answer 200 with `{"error": {"code": <the HTTP status it means>, "message"}}`, Anthropic
/// with `{"type": "error", …}`. Without a usable status it counts as a 502.
pub(crate) fn error_in_answer(json: &serde_json::Value, body: &[u8]) -> Option<ServerError> {
    let is_error = json.get("error").is_some_and(|e| !e.is_null()) || json["type"] == "error";
    if !is_error {
        return None;
    }
    let (message, code) = error_fields(body);
    let status = json["error"]["code"]
        .as_u64()
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (400..600).contains(c))
        .unwrap_or(502);
    Some(ServerError {
        kind: classify(
            status,
            message.as_deref(),
            code.as_deref(),
            true,
            Operation::Generate,
        ),
        message,
    })
}

/// A 2xx body that is not valid JSON, or not the expected shape.
pub(crate) fn bad_response(what: &str) -> ServerError {
    ServerError {
        kind: FailureKind::BadResponse,
        message: Some(what.to_owned()),
    }
}

/// `schema` without the keywords `dropped`, at every depth (the ones a provider's structured
/// output does not take).
pub(crate) fn without(schema: &serde_json::Value, dropped: &[&str]) -> serde_json::Value {
    match schema {
        serde_json::Value::Object(fields) => fields
            .iter()
            .filter(|(k, _)| !dropped.contains(&k.as_str()))
            .map(|(k, v)| {
                // Property names are data, not keywords: only their schemas are walked.
                let v = if k == "properties" {
                    match v {
                        serde_json::Value::Object(props) => serde_json::Value::Object(
                            props
                                .iter()
                                .map(|(name, s)| (name.clone(), without(s, dropped)))
                                .collect(),
                        ),
                        other => other.clone(),
                    }
                } else {
                    without(v, dropped)
                };
                (k.clone(), v)
            })
            .collect(),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(|i| without(i, dropped)).collect())
        }
        other => other.clone(),
    }
}

/// A JSON number as a token count: a whole number from 0 (written as an integer or as a
/// float such as `12.0`), capped at [`MAX_REPORTED_TOKENS`]. A negative, fractional or
/// non-numeric count is no count: the call's usage is then unknown, and the run charges
/// its worst case.
pub(crate) fn count(value: Option<&serde_json::Value>) -> Option<u64> {
    let value = value?;
    let n = match value.as_u64() {
        Some(n) => n,
        None => {
            let f = value.as_f64()?;
            if !(f.is_finite() && f >= 0.0 && f.fract() == 0.0) {
                return None;
            }
            if f >= MAX_REPORTED_TOKENS as f64 {
                MAX_REPORTED_TOKENS
            } else {
                f as u64
            }
        }
    };
    Some(n.min(MAX_REPORTED_TOKENS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_classified_by_status_then_by_what_the_server_says() {
        let c = |status, message: &str, code: &str| {
            classify(status, Some(message), Some(code), true, Operation::Generate)
        };
        assert_eq!(c(401, "Incorrect API key", ""), FailureKind::KeyRejected);
        assert_eq!(
            classify(401, None, None, false, Operation::Generate),
            FailureKind::KeyNeeded
        );
        assert_eq!(
            c(429, "You exceeded your current quota", "insufficient_quota"),
            FailureKind::OutOfCredit
        );
        assert_eq!(
            c(429, "Rate limit reached", "rate_limit_exceeded"),
            FailureKind::RateLimited
        );
        assert_eq!(c(402, "Insufficient credits", ""), FailureKind::OutOfCredit);
        assert_eq!(
            c(
                400,
                "API key not valid. Please pass a valid API key.",
                "INVALID_ARGUMENT"
            ),
            FailureKind::KeyRejected
        );
        assert_eq!(
            c(
                400,
                "prompt is too long: 210000 tokens > 200000 maximum",
                "invalid_request_error"
            ),
            FailureKind::PromptTooLong
        );
        assert_eq!(
            c(404, "model: x", "not_found_error"),
            FailureKind::ModelNotFound
        );
        assert_eq!(
            classify(404, None, None, true, Operation::ListModels),
            FailureKind::BadRequest
        );
        // A gateway without the route: its words, not an unknown model.
        assert_eq!(c(404, "Not Found", ""), FailureKind::BadRequest);
        assert_eq!(
            classify(404, None, None, true, Operation::Generate),
            FailureKind::BadRequest
        );
        for unknown in [
            ("The model `gpt-9` does not exist", "model_not_found"),
            (
                "models/gemini-9 is not found for API version v1beta",
                "NOT_FOUND",
            ),
            ("model \"qwen9\" not found, try pulling it first", ""),
            ("The model `x` does not exist.", "NotFoundError 404"),
        ] {
            assert_eq!(
                c(404, unknown.0, unknown.1),
                FailureKind::ModelNotFound,
                "{unknown:?}"
            );
        }
        assert_eq!(
            c(529, "Overloaded", "overloaded_error"),
            FailureKind::Overloaded
        );
        assert_eq!(c(500, "boom", ""), FailureKind::ServerError);
        assert_eq!(c(422, "bad", ""), FailureKind::BadRequest);
    }

    #[test]
    fn error_fields_read_each_providers_error_body() {
        let (m, c) = error_fields(
            br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        );
        assert_eq!(m.as_deref(), Some("Overloaded"));
        assert_eq!(c.as_deref(), Some("overloaded_error"));
        let (m, c) = error_fields(
            br#"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}"#,
        );
        assert_eq!(m.as_deref(), Some("Quota exceeded"));
        assert_eq!(c.as_deref(), Some("429 RESOURCE_EXHAUSTED"));
        let (m, _) = error_fields(br#"{"error":"model 'x' not found"}"#);
        assert_eq!(m.as_deref(), Some("model 'x' not found"));
        let (m, c) = error_fields(b"<html>bad gateway</html>");
        assert_eq!(m.as_deref(), Some("<html>bad gateway</html>"));
        assert_eq!(c, None);
        assert_eq!(join("http://h/v1/", "/models"), "http://h/v1/models");
    }

    #[test]
    fn a_token_count_is_a_whole_number_capped_and_anything_else_is_unknown() {
        let n = |v: serde_json::Value| count(Some(&v));
        assert_eq!(n(serde_json::json!(12)), Some(12));
        assert_eq!(n(serde_json::json!(12.0)), Some(12));
        assert_eq!(n(serde_json::json!(i64::MAX)), Some(MAX_REPORTED_TOKENS));
        assert_eq!(n(serde_json::json!(u64::MAX)), Some(MAX_REPORTED_TOKENS));
        assert_eq!(n(serde_json::json!(5e18)), Some(MAX_REPORTED_TOKENS));
        for unknown in [
            serde_json::json!(-5),
            serde_json::json!(1.5),
            serde_json::json!("12"),
            serde_json::json!(null),
            serde_json::json!([1]),
        ] {
            assert_eq!(n(unknown.clone()), None, "{unknown}");
        }
    }
}
