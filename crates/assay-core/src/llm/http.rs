//! The HTTP client endpoints call through, and reading what a response or a transport failure
//! says about when to try again. Each endpoint client has its own reqwest client (its own
//! connection pool), because a pool's connections belong to the runtime that opened them and
//! the app, the CLI and the tests each run their own.
//!
//! TLS is rustls with ring as its crypto provider, verifying against the system's trusted
//! certificates (rustls-platform-verifier), so a company gateway's own CA works when the
//! system trusts it. Proxies come from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and
//! `NO_PROXY`, as reqwest reads them.

use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::error::FailureKind;

/// How long connecting may take, before any call's own timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The most redirects followed within one origin.
const MAX_REDIRECTS: usize = 5;

/// A new HTTP client (its own connection pool) that follows no redirect.
pub fn client() -> reqwest::Client {
    build(false)
}

/// A new HTTP client for calls to `base_url`: a server on this machine (localhost, 127.0.0.0/8,
/// ::1) is never reached through a proxy, as Go's and most tools' clients do, since a
/// company proxy cannot reach the person's own Ollama.
///
/// A redirect is followed only within the base URL's own origin (scheme, host and port):
/// every dialect sends its key in a header of its own (`x-api-key`, `x-goog-api-key`), and
/// an HTTP client strips only `Authorization`-type headers when a redirect changes host, so
/// following one elsewhere would hand the key to that host. A redirect to another origin is
/// returned as the answer, and the client reports where it pointed.
pub fn client_for(base_url: &reqwest::Url) -> reqwest::Client {
    build_with(is_loopback(base_url), same_origin_redirects())
}

/// Whether `url`'s host is this machine.
pub fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Follows a redirect only when it stays on the origin of the request it answers.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first().map(reqwest::Url::origin);
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.stop()
        } else if first.is_some_and(|o| o == attempt.url().origin()) {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

fn build(direct: bool) -> reqwest::Client {
    build_with(direct, reqwest::redirect::Policy::none())
}

fn build_with(direct: bool, redirects: reqwest::redirect::Policy) -> reqwest::Client {
    // Installing fails only when a provider is installed already, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(redirects)
        .user_agent(concat!("assay/", env!("CARGO_PKG_VERSION")));
    if direct {
        builder = builder.no_proxy();
    }
    match builder.build() {
        Ok(client) => client,
        Err(e) => {
            // The system's certificate store could not be read: say so, and fall back to a
            // client that follows no redirect and will fail each TLS call with that reason
            // rather than panic.
            log::error!("building the HTTP client failed: {e}");
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default()
        }
    }
}

/// Where a redirect answer points, as an origin only (`https://host:port`): what a person
/// needs to fix the base URL, without any path or query a server put in it.
pub fn redirect_target(headers: &HeaderMap, from: &reqwest::Url) -> Option<String> {
    let location = headers.get(reqwest::header::LOCATION)?.to_str().ok()?;
    let target = from.join(location).ok()?;
    Some(target.origin().ascii_serialization())
}

/// A transport failure, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportFailure {
    /// Timeout or unreachable.
    pub kind: FailureKind,
    /// A reused connection the server had closed: retried at once, not counted.
    pub stale_connection: bool,
    /// The connection could not be made (refused, DNS, TLS): trying again will not help.
    pub connect: bool,
    /// What happened, without the URL.
    pub detail: String,
}

/// Classifies a reqwest error.
pub fn transport_failure(error: &reqwest::Error) -> TransportFailure {
    let detail = innermost(error);
    if error.is_timeout() {
        return TransportFailure {
            kind: FailureKind::Timeout,
            stale_connection: false,
            connect: false,
            detail: "no answer within the timeout".into(),
        };
    }
    let stale = is_stale(error);
    TransportFailure {
        kind: FailureKind::Unreachable,
        stale_connection: stale,
        connect: error.is_connect() && !stale,
        detail,
    }
}

/// The deepest message in an error's source chain ("Connection refused (os error 111)").
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current: &(dyn std::error::Error + 'static) = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// Whether the error is a connection the server closed under us: reset, broken pipe, or an
/// answer cut off before it began.
fn is_stale(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::UnexpectedEof
            )
        {
            return true;
        }
        let text = e.to_string();
        if text.contains("connection closed before message completed")
            || text.contains("connection reset")
        {
            return true;
        }
        current = e.source();
    }
    false
}

/// The prefixes a wait header may carry: none, or a gateway's relaying its provider's
/// (LiteLLM's proxy sends `llm_provider-retry-after` and no plain `retry-after`).
const WAIT_PREFIXES: [&str; 2] = ["", "llm_provider-"];

/// How long the server asks us to wait: `retry-after-ms`, `retry-after` (seconds or an HTTP
/// date), OpenAI's `x-ratelimit-reset-*` ("6m0s", or a bare number of seconds or an epoch
/// time), each also under a gateway's `llm_provider-` prefix; Anthropic's
/// `anthropic-ratelimit-*-reset` (RFC 3339), or Gemini's `RetryInfo.retryDelay` in the body.
pub fn retry_after(headers: &HeaderMap, body: &[u8]) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    for prefix in WAIT_PREFIXES {
        let named = |n: &str| header(&format!("{prefix}{n}"));
        if let Some(ms) = named("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok()) {
            return finite(ms / 1000.0);
        }
        if let Some(value) = named("retry-after") {
            let value = value.trim();
            if let Ok(secs) = value.parse::<f64>() {
                return finite(secs);
            }
            if let Ok(at) = jiff::fmt::rfc2822::parse(value) {
                return until(at.timestamp());
            }
        }
    }
    let openai = WAIT_PREFIXES
        .iter()
        .flat_map(|p| {
            [
                "x-ratelimit-reset-requests",
                "x-ratelimit-reset-tokens",
                "x-ratelimit-reset",
            ]
            .map(|n| format!("{p}{n}"))
        })
        .filter_map(|n| header(&n).and_then(reset_value))
        .max();
    if openai.is_some() {
        return openai;
    }
    let anthropic = [
        "anthropic-ratelimit-requests-reset",
        "anthropic-ratelimit-tokens-reset",
        "anthropic-ratelimit-input-tokens-reset",
        "anthropic-ratelimit-output-tokens-reset",
    ]
    .iter()
    .filter_map(|n| header(n).and_then(|v| v.parse::<jiff::Timestamp>().ok()))
    .filter_map(until)
    .max();
    if anthropic.is_some() {
        return anthropic;
    }
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    json.pointer("/error/details")?
        .as_array()?
        .iter()
        .filter_map(|d| d["retryDelay"].as_str())
        .find_map(go_duration)
}

/// An `x-ratelimit-reset*` value: a Go-style duration ("6m0s"), or a bare number: seconds
/// to wait, or past 10^9 an epoch time in seconds, past 10^12 in milliseconds.
fn reset_value(text: &str) -> Option<Duration> {
    if let Some(d) = go_duration(text) {
        return Some(d);
    }
    let n = text.trim().parse::<f64>().ok()?;
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    if n >= 1e12 {
        return until(jiff::Timestamp::from_millisecond(n as i64).ok()?);
    }
    if n >= 1e9 {
        return until(jiff::Timestamp::from_second(n as i64).ok()?);
    }
    finite(n)
}

fn finite(secs: f64) -> Option<Duration> {
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

fn until(at: jiff::Timestamp) -> Option<Duration> {
    let ms = at.as_millisecond() - jiff::Timestamp::now().as_millisecond();
    Some(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
}

/// A Go-style duration as OpenAI and Gemini write them: "1s", "6m0s", "20ms", "1.5s", "30s".
fn go_duration(text: &str) -> Option<Duration> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0_f64;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            "us" | "µs" => 0.000_001,
            _ => return None,
        };
        total += number * scale;
        rest = &rest[unit_len..];
    }
    finite(total)
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(
                HeaderName::from_static(k),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        map
    }

    #[test]
    fn only_this_machine_is_loopback() {
        let url = |u: &str| reqwest::Url::parse(u).expect("url");
        for yes in [
            "http://localhost:11434/v1",
            "http://127.0.0.2:8080",
            "http://[::1]:1/v1",
        ] {
            assert!(is_loopback(&url(yes)), "{yes}");
        }
        for no in [
            "http://10.0.0.5/v1",
            "https://api.openai.com/v1",
            "http://localhost.evil/",
            "http://evil\\@127.0.0.1/",
        ] {
            assert!(!is_loopback(&url(no)), "{no}");
        }
    }

    #[test]
    fn every_way_a_provider_says_when_to_retry_is_read() {
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "1500")]), b""),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "3")]), b""),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after(&headers(&[("x-ratelimit-reset-requests", "6m0s")]), b""),
            Some(Duration::from_secs(360))
        );
        let body = br#"{"error":{"code":429,"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"30s"}]}}"#;
        assert_eq!(
            retry_after(&HeaderMap::new(), body),
            Some(Duration::from_secs(30))
        );
        let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(20);
        let got = retry_after(
            &headers(&[("anthropic-ratelimit-requests-reset", &soon.to_string())]),
            b"",
        )
        .expect("reset");
        assert!(got > Duration::from_secs(18) && got <= Duration::from_secs(20));
        assert_eq!(retry_after(&HeaderMap::new(), b"{}"), None);
        // A gateway (LiteLLM's proxy) relays the provider's wait under its own prefix.
        assert_eq!(
            retry_after(&headers(&[("llm_provider-retry-after", "7")]), b""),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&headers(&[("llm_provider-retry-after-ms", "2500")]), b""),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(
            retry_after(
                &headers(&[("llm_provider-x-ratelimit-reset-requests", "1m30s")]),
                b""
            ),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            retry_after(&headers(&[("x-ratelimit-reset-tokens", "12")]), b""),
            Some(Duration::from_secs(12))
        );
        assert_eq!(go_duration("20ms"), Some(Duration::from_millis(20)));
        assert_eq!(go_duration("soon"), None);
    }
}
