//! Calling models: one client for every endpoint, speaking each provider's wire format.
//!
//! - [`dialect`] holds the wire formats (OpenAI Chat Completions and its compatible servers,
//!   Anthropic Messages, Gemini generateContent): building a request, reading an answer or an
//!   error body. Pure functions over bytes, so each format is tested on its own.
//! - [`client::EndpointClient`] sends them: per-endpoint limits ([`limits`]), retries with
//!   exponential backoff and full jitter honouring `retry-after`, the structured-output
//!   fallback, and the rule that a key never travels over plain http to the open internet.
//! - [`price_table`] turns usage into dollars, or says the price is unknown.
//!
//! Invariants:
//! - The key lives in zeroizing memory and only in an auth header; no error, log line or
//!   result holds it (server messages are scrubbed of it in case one echoes it).
//! - Every call is bounded by its timeout; every failure is a [`crate::error::FailureKind`].

use std::future::Future;

pub mod call;
pub mod client;
pub mod dialect;
pub mod http;
pub mod limits;
pub mod price_table;
pub mod redact;
mod retry;

pub use call::{CallRequest, CallResult, FinishReason, ModelInfo, Usage};
pub use client::{EndpointClient, RetriedAttempt};
pub use limits::{LimitSettings, LimitState};
pub use retry::RetryPolicy;

/// [`block_on`] on a multi-threaded runtime when there is none: calls' network work then
/// runs on worker threads beside the caller's (the run engine's database writes).
pub fn block_on_workers<F: Future>(future: F) -> crate::error::Result<F::Output> {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => Ok(handle.block_on(future)),
        Err(_) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("assay-calls")
                .enable_all()
                .build()
                .map_err(|e| crate::error::Error::io("start the network runtime", "", e))?;
            Ok(runtime.block_on(future))
        }
    }
}

/// Runs `future` to completion from synchronous code: on the current runtime's handle when
/// called from a blocking thread of one (the app's commands run there), else on a runtime of
/// its own (the CLI). Never call it from async code.
pub fn block_on<F: Future>(future: F) -> crate::error::Result<F::Output> {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => Ok(handle.block_on(future)),
        Err(_) => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| crate::error::Error::io("start the network runtime", "", e))?;
            Ok(runtime.block_on(future))
        }
    }
}
