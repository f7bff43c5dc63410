//! The provider clients against local HTTP servers that speak each provider's wire format
//! (wiremock, and a raw socket server where wiremock cannot misbehave enough): request
//! bodies and auth headers, usage, structured output, errors, retries and limits.

mod errors;
mod formats;
mod judges;
mod keys;
mod limits;
mod raw_server;

use std::time::Duration;

use assay_core::domain::endpoint::{Endpoint, EndpointKind};
use assay_core::domain::provider::ProviderKey;
use assay_core::llm::{CallRequest, EndpointClient, RetryPolicy};

/// The key every test sends; no error may show it.
pub const KEY: &str = "sk-test-0123456789abcdef";

/// An endpoint of `kind` at `base_url` with `max_concurrent` slots.
pub fn endpoint(kind: EndpointKind, base_url: &str, max_concurrent: u32) -> Endpoint {
    Endpoint {
        name: "test".into(),
        kind,
        base_url: base_url.into(),
        has_key: true,
        key_last4: None,
        key_updated_at: None,
        max_concurrent,
        requests_per_minute: None,
        min_delay_ms: 0,
    }
}

/// A client for `endpoint` with [`KEY`] (or none), fast retries, and limits of its own.
pub fn client(endpoint: &Endpoint, with_key: bool) -> EndpointClient {
    let key = ProviderKey::new(KEY.into()).expect("key");
    let scope = format!("test/{}", uuid_like());
    EndpointClient::new(endpoint, with_key.then_some(&key), &scope)
        .expect("client")
        .with_retry(fast_retries(3))
}

/// Retries with tiny steps, so tests do not wait.
pub fn fast_retries(max_retries: usize) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        first_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(2),
        total: None,
    }
}

/// A plain call.
pub fn call(model: &str) -> CallRequest {
    CallRequest {
        model: model.into(),
        system: "You judge documents.".into(),
        user: "Score this.".into(),
        temperature: Some(0.0),
        max_output_tokens: 256,
        timeout: Duration::from_secs(10),
        schema: None,
    }
}

/// A call whose answer must follow a schema.
pub fn structured_call(model: &str) -> CallRequest {
    CallRequest {
        schema: Some(serde_json::json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {"winner": {"type": "string", "enum": ["A", "B"]}},
            "required": ["winner"]
        })),
        ..call(model)
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The provider failure inside a core error.
pub fn failure(err: &assay_core::Error) -> assay_core::error::ProviderFailure {
    match err {
        assay_core::Error::Provider { failure, .. } => failure.clone(),
        other => panic!("not a provider error: {other:?}"),
    }
}
