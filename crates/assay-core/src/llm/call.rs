//! What a call asks for and what it brings back, the same for every provider.

use std::time::Duration;

/// One call: a system text and a user text to a model.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRequest {
    /// The model's id at the endpoint.
    pub model: String,
    /// The system (instructions) text.
    pub system: String,
    /// The user text.
    pub user: String,
    /// Sampling temperature, if set.
    pub temperature: Option<f64>,
    /// The most output tokens the answer may use.
    pub max_output_tokens: u32,
    /// How long one attempt may take, queueing at the server included.
    pub timeout: Duration,
    /// A JSON schema the answer must follow, sent as the provider's structured output.
    pub schema: Option<serde_json::Value>,
}

/// Why the model stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// It finished its answer.
    Stop,
    /// It reached the output token limit; the answer is cut off (not an error).
    Length,
    /// The provider's content filter stopped it.
    ContentFilter,
    /// The model refused.
    Refusal,
    /// Something else the provider reported (kept as "other").
    Other,
}

/// The most tokens of one kind (input, output, ...) one call is taken to have used: a
/// report above it (2^40, about 1.1 trillion, some thousands of times any model's context)
/// is a server's error and is capped, so no sum of a run's or a day's calls can overflow.
pub const MAX_REPORTED_TOKENS: u64 = 1 << 40;

/// Tokens a call used, as far as the provider reported them. Input includes cached input;
/// output includes reasoning tokens (both as billed).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, specta::Type)]
pub struct Usage {
    /// Prompt tokens, cached ones included.
    pub input_tokens: Option<u64>,
    /// Output tokens, reasoning included.
    pub output_tokens: Option<u64>,
    /// Prompt tokens read from the provider's cache.
    pub cached_input_tokens: Option<u64>,
    /// Output tokens spent on reasoning.
    pub reasoning_tokens: Option<u64>,
    /// The cost the provider itself reported (OpenRouter's `usage.cost`), USD.
    pub reported_cost_usd: Option<f64>,
}

/// A successful call's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct CallResult {
    /// The answer's text (for structured output, the JSON text).
    pub text: String,
    /// Why it stopped.
    pub finish: FinishReason,
    /// Tokens used.
    pub usage: Usage,
    /// The model the server says answered (llama.cpp answers with what it has loaded).
    pub model: String,
    /// The provider's request id, if it sent one.
    pub request_id: Option<String>,
    /// Time from sending the request to reading the whole answer (the last attempt's).
    pub latency: Duration,
    /// The raw response body.
    pub raw: String,
    /// The server refused structured output with a 400, so the answer came without it.
    pub schema_dropped: bool,
    /// Attempts made (1 when the first succeeded).
    pub attempts: u32,
}

/// A model an endpoint offers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct ModelInfo {
    /// The id to put in a preset.
    pub id: String,
    /// A display name, if the provider gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}
