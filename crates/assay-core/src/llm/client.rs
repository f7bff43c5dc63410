//! The client of one endpoint: its dialect, address, key and limits, with retries.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use zeroize::Zeroizing;

use super::call::{CallRequest, CallResult, ModelInfo};
use super::dialect::{self, AuthScheme, Dialect, Operation, WireRequest};
use super::http::{self, TransportFailure};
use super::limits::{LimitSettings, LimitState, Limiter, Permit};
use super::redact::{self, KeyRedactor};
use super::retry::{RetryPolicy, Schedule};
use crate::domain::endpoint::{Endpoint, key_may_travel_to, parse_base_url};
use crate::domain::provider::ProviderKey;
use crate::error::{Error, FailureKind, ProviderFailure, Result};

/// The largest response body read, and so the largest answer the run journal keeps whole:
/// far above any provider's output cap (a 128k-token answer is under 1 MiB). A bigger one
/// fails its call as a bad response, not an out-of-memory or a silent cut.
pub const MAX_BODY: usize = 32 * 1024 * 1024;

/// How much of a server's error text is redacted and then cut to an error line: enough
/// for any key run that reaches into the line's first 300 characters.
const ERROR_TEXT_SCANNED: usize = 16 * 1024;

/// How long a model-list request may take.
const LIST_TIMEOUT: Duration = Duration::from_secs(10);

/// Calls one endpoint. Share it behind an `Arc`: its calls share one connection pool, and
/// every client of the same endpoint shares its limits.
pub struct EndpointClient {
    name: String,
    /// The base URL as the URL library reads it; requests are built from its
    /// serialization, so the address checked is the address called.
    base_url: reqwest::Url,
    dialect: Box<dyn Dialect>,
    key: Option<Zeroizing<String>>,
    redactor: Option<KeyRedactor>,
    limiter: Arc<Limiter>,
    http: reqwest::Client,
    policy: RetryPolicy,
}

impl std::fmt::Debug for EndpointClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointClient")
            .field("name", &self.name)
            .field("base_url", &self.base_url.as_str())
            .field("has_key", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

/// A failed attempt that the client tries again.
#[derive(Debug, Clone, PartialEq)]
pub struct RetriedAttempt {
    /// Its number in the call, from 1.
    pub attempt: u32,
    /// When it was sent.
    pub started_at: jiff::Timestamp,
    /// When it failed.
    pub ended_at: jiff::Timestamp,
    /// How.
    pub failure: ProviderFailure,
}

/// A response as read off the wire.
struct Response {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
    latency: Duration,
}

/// What reading a response decided.
enum Step<T> {
    /// The answer.
    Done(T),
    /// Ask again at once (without structured output), not counted as a retry.
    Again,
    /// A failure.
    Fail(Failed),
}

/// One failed attempt.
struct Failed {
    failure: ProviderFailure,
    retry_after: Option<Duration>,
    retryable: bool,
}

impl EndpointClient {
    /// A client for `endpoint`, sending `key` if it has one, under the limits shared by every
    /// caller of `limit_scope` (the profile id and endpoint name). Refused with `Insecure`
    /// when a key would travel over plain http to the open internet.
    pub fn new(endpoint: &Endpoint, key: Option<&ProviderKey>, limit_scope: &str) -> Result<Self> {
        let base_url = parse_base_url(&endpoint.base_url).map_err(|problem| {
            Error::InvalidInput(format!("endpoint {}: {problem}", endpoint.name))
        })?;
        if key.is_some() && !key_may_travel_to(&base_url) {
            return Err(Error::Provider {
                endpoint: endpoint.name.clone(),
                failure: ProviderFailure {
                    kind: FailureKind::Insecure,
                    status: None,
                    detail: None,
                },
            });
        }
        let limits = LimitSettings {
            max_concurrent: endpoint.max_concurrent,
            requests_per_minute: endpoint.requests_per_minute,
            min_delay: Duration::from_millis(u64::from(endpoint.min_delay_ms)),
        };
        Ok(Self {
            name: endpoint.name.clone(),
            dialect: dialect::for_kind(endpoint.kind),
            key: key.map(|k| Zeroizing::new(k.expose().to_owned())),
            redactor: key
                .map(ProviderKey::expose)
                .filter(|k| !k.is_empty())
                .map(KeyRedactor::new),
            limiter: Limiter::shared(limit_scope, limits),
            http: http::client_for(&base_url),
            base_url,
            policy: RetryPolicy::CALLS,
        })
    }

    /// The same client with another retry policy.
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The endpoint's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the endpoint's limiter allows now.
    pub fn limit_state(&self) -> LimitState {
        self.limiter.state()
    }

    /// Makes one call, retrying what is worth retrying. A server that refuses structured
    /// output with a 400 gets the call once more without it (`schema_dropped`).
    pub async fn generate(&self, call: &CallRequest) -> Result<CallResult> {
        self.generate_observed(call, &|_| {}).await
    }

    /// [`Self::generate`], telling `on_retry` of each failed attempt that is retried (the
    /// run engine journals them, so a run's timeline shows its retries).
    pub async fn generate_observed(
        &self,
        call: &CallRequest,
        on_retry: &(dyn Fn(&RetriedAttempt) + Sync),
    ) -> Result<CallResult> {
        let with_schema = AtomicBool::new(call.schema.is_some());
        let schema_dropped = AtomicBool::new(false);
        let (mut result, attempts) = self
            .exchange(
                call.timeout,
                || {
                    self.dialect
                        .generate(self.base_url.as_str(), call, with_schema.load(Relaxed))
                },
                |resp| {
                    if let Some(failed) = self.redirected(resp) {
                        return Step::Fail(failed);
                    }
                    if !is_success(resp.status) {
                        let e = self.dialect.read_error(
                            resp.status,
                            &resp.body,
                            self.key.is_some(),
                            Operation::Generate,
                        );
                        let refused_schema = resp.status == 400
                            && with_schema.load(Relaxed)
                            && e.kind == FailureKind::BadRequest;
                        if refused_schema {
                            log::info!("an endpoint refused structured output; asking without it");
                            with_schema.store(false, Relaxed);
                            schema_dropped.store(true, Relaxed);
                            return Step::Again;
                        }
                        return Step::Fail(self.failed(e.kind, e.message, resp));
                    }
                    match self.dialect.read_answer(&resp.body) {
                        Ok(answer) => Step::Done(CallResult {
                            request_id: self
                                .dialect
                                .request_id_header()
                                .and_then(|h| resp.headers.get(h))
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_owned)
                                .or(answer.body_id),
                            text: answer.text,
                            finish: answer.finish,
                            usage: answer.usage,
                            model: answer.model.unwrap_or_else(|| call.model.clone()),
                            latency: resp.latency,
                            raw: String::from_utf8_lossy(&resp.body).into_owned(),
                            schema_dropped: schema_dropped.load(Relaxed),
                            attempts: 0,
                        }),
                        Err(e) => Step::Fail(self.failed(e.kind, e.message, resp)),
                    }
                },
                on_retry,
            )
            .await?;
        result.attempts = attempts;
        Ok(result)
    }

    /// The endpoint's models: the cheapest authenticated call, which is also the key check.
    pub async fn models(&self) -> Result<Vec<ModelInfo>> {
        let (mut models, _) = self
            .exchange(
                LIST_TIMEOUT,
                || self.dialect.list_models(self.base_url.as_str()),
                |resp| {
                    if let Some(failed) = self.redirected(resp) {
                        return Step::Fail(failed);
                    }
                    if !is_success(resp.status) {
                        let e = self.dialect.read_error(
                            resp.status,
                            &resp.body,
                            self.key.is_some(),
                            Operation::ListModels,
                        );
                        return Step::Fail(self.failed(e.kind, e.message, resp));
                    }
                    match self.dialect.read_models(&resp.body) {
                        Ok(models) => Step::Done(models),
                        Err(e) => Step::Fail(self.failed(e.kind, e.message, resp)),
                    }
                },
                &|_| {},
            )
            .await?;
        models.sort_by(|a, b| a.id.cmp(&b.id));
        models.dedup_by(|a, b| a.id == b.id);
        Ok(models)
    }

    /// Sends `wire()` under the endpoint's limits until `read` is done with an answer, a
    /// failure is not worth retrying, or the retries run out; returns the value and the
    /// attempts counted. A reused connection the server had closed is tried again at once
    /// on a new one (once a call), and not counted.
    async fn exchange<T>(
        &self,
        timeout: Duration,
        wire: impl Fn() -> WireRequest,
        read: impl Fn(&Response) -> Step<T>,
        on_retry: &(dyn Fn(&RetriedAttempt) + Sync),
    ) -> Result<(T, u32)> {
        let mut schedule = Schedule::new(self.policy);
        let mut attempts = 0;
        let mut stale_retried = false;
        loop {
            attempts += 1;
            let request = wire();
            let permit = self.limiter.acquire().await;
            let started = jiff::Timestamp::now();
            let sent = self
                .send(&request, bounded(timeout, &schedule), &permit)
                .await;
            drop(permit);
            let failed = match sent {
                Ok(resp) => match read(&resp) {
                    Step::Done(value) => {
                        self.limiter.on_success();
                        return Ok((value, attempts));
                    }
                    Step::Again => continue,
                    Step::Fail(failed) => failed,
                },
                Err(t) if t.stale_connection && !stale_retried => {
                    log::debug!("a pooled connection was closed by the server; trying a new one");
                    stale_retried = true;
                    attempts -= 1;
                    continue;
                }
                Err(t) => self.transport_failed(t),
            };
            match self.next_wait(&failed, &mut schedule) {
                Some(wait) => {
                    on_retry(&RetriedAttempt {
                        attempt: attempts,
                        started_at: started,
                        ended_at: jiff::Timestamp::now(),
                        failure: failed.failure.clone(),
                    });
                    tokio::time::sleep(wait).await;
                }
                None => return Err(self.error(failed.failure)),
            }
        }
    }

    fn next_wait(&self, failed: &Failed, schedule: &mut Schedule) -> Option<Duration> {
        if failed.failure.kind == FailureKind::RateLimited {
            self.limiter.on_rate_limited();
        }
        if !failed.retryable {
            return None;
        }
        let wait = schedule.next_wait(failed.retry_after)?;
        log::debug!(
            "an endpoint call failed ({:?}); retrying in {} ms",
            failed.failure.kind,
            wait.as_millis()
        );
        Some(wait)
    }

    async fn send(
        &self,
        wire: &WireRequest,
        timeout: Duration,
        _permit: &Permit,
    ) -> std::result::Result<Response, TransportFailure> {
        let mut request = match &wire.body {
            Some(body) => self
                .http
                .post(&wire.url)
                .header(CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(body).unwrap_or_default()),
            None => self.http.get(&wire.url),
        }
        .timeout(timeout);
        for (name, value) in &wire.headers {
            request = request.header(*name, *value);
        }
        if let Some(key) = &self.key {
            let (name, value) = match self.dialect.auth() {
                AuthScheme::Bearer => (AUTHORIZATION, format!("Bearer {}", key.as_str())),
                AuthScheme::XApiKey => (HeaderName::from_static("x-api-key"), key.to_string()),
                AuthScheme::XGoogApiKey => {
                    (HeaderName::from_static("x-goog-api-key"), key.to_string())
                }
            };
            let value = Zeroizing::new(value);
            if let Ok(mut value) = HeaderValue::from_str(&value) {
                value.set_sensitive(true);
                request = request.header(name, value);
            }
        }
        let started = Instant::now();
        let mut response = request
            .send()
            .await
            .map_err(|e| http::transport_failure(&e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| http::transport_failure(&e))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(TransportFailure {
                    kind: FailureKind::BadResponse,
                    stale_connection: false,
                    connect: false,
                    detail: "the answer is larger than 32 MiB".into(),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            status,
            headers,
            body,
            latency: started.elapsed(),
        })
    }

    fn failed(&self, kind: FailureKind, message: Option<String>, resp: &Response) -> Failed {
        Failed {
            retry_after: http::retry_after(&resp.headers, &resp.body),
            retryable: kind.is_transient(),
            failure: ProviderFailure {
                kind,
                status: Some(resp.status),
                detail: message.map(|m| self.scrub(&m)),
            },
        }
    }

    fn transport_failed(&self, t: TransportFailure) -> Failed {
        Failed {
            retry_after: None,
            // A refused connection, a failed DNS lookup or TLS handshake will not mend in
            // seconds; timeouts and resets may.
            retryable: t.kind.is_transient() && !t.connect,
            failure: ProviderFailure {
                kind: t.kind,
                status: None,
                detail: Some(self.scrub(&t.detail)),
            },
        }
    }

    /// A server's text made fit to show: the key (whole, in part, or encoded) cut out
    /// first, then cut to an error line's length, so no cut can leave part of a key.
    fn scrub(&self, text: &str) -> String {
        let mut end = text.len().min(ERROR_TEXT_SCANNED);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let text = &text[..end];
        match &self.redactor {
            Some(r) => redact::clip(&r.redact(text)),
            None => redact::clip(text),
        }
    }

    /// A redirect the HTTP client did not follow (it leads to another origin, where the
    /// key would go with it): a failure naming where it pointed, not retried.
    fn redirected(&self, resp: &Response) -> Option<Failed> {
        if !(300..400).contains(&resp.status) {
            return None;
        }
        let target = http::redirect_target(&resp.headers, &self.base_url)
            .unwrap_or_else(|| "another address".to_owned());
        let detail = format!(
            "the server redirected to {target}; Assay follows a redirect only within the \
             endpoint's own address, since the key would go with it. If the endpoint has \
             moved, set its base URL to the new address"
        );
        Some(Failed {
            retry_after: None,
            retryable: false,
            failure: ProviderFailure {
                kind: FailureKind::BadRequest,
                status: Some(resp.status),
                detail: Some(self.scrub(&detail)),
            },
        })
    }

    fn error(&self, failure: ProviderFailure) -> Error {
        Error::Provider {
            endpoint: self.name.clone(),
            failure,
        }
    }
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// An attempt's timeout, within what remains of the total deadline.
fn bounded(timeout: Duration, schedule: &Schedule) -> Duration {
    match schedule.remaining() {
        Some(left) => timeout.min(left.max(Duration::from_millis(100))),
        None => timeout,
    }
}
