//! Calling an endpoint from a profile: its client (key read now, limits shared), the key
//! check, and its model list with the cached copy.

use std::time::{Duration, Instant};

use super::{endpoint, endpoint_key, now};
use crate::error::Result;
use crate::llm::{self, EndpointClient, ModelInfo, RetryPolicy};
use crate::profile::{OpenProfile, Profiles};
use crate::store;

/// A key check's whole time, retries included.
const CHECK_WITHIN: Duration = Duration::from_secs(10);

/// A model list fetch's whole time, retries included.
const LIST_WITHIN: Duration = Duration::from_secs(30);

/// A client for endpoint `name` of `open`: its key is read now, for the batch of calls the
/// client makes; its limits are shared by every client of that endpoint in this process.
pub fn client(profiles: &Profiles, open: &OpenProfile, name: &str) -> Result<EndpointClient> {
    let found = endpoint(open, name)?;
    let key = endpoint_key(profiles, open, &found.name)?;
    EndpointClient::new(&found, key.as_ref(), &limit_scope(open, &found.name))
}

/// The key of the limiter shared by every client of endpoint `name` of `open`.
fn limit_scope(open: &OpenProfile, name: &str) -> String {
    format!("{}/{}", open.record().id, name.to_lowercase())
}

/// An endpoint's concurrency now: below its setting while it recovers from 429s.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct EndpointLoad {
    /// The endpoint.
    pub name: String,
    /// Its setting.
    pub max_concurrent: u32,
    /// What it allows now.
    pub current_limit: u32,
    /// Calls in flight in this process.
    pub in_flight: u32,
}

/// The current concurrency of every endpoint of `open` in this process (an endpoint not
/// called yet is at its setting, with nothing in flight).
pub fn endpoint_loads(open: &OpenProfile) -> Result<Vec<EndpointLoad>> {
    Ok(super::endpoints(open)?
        .into_iter()
        .map(|e| {
            let state = llm::limits::current(&limit_scope(open, &e.name));
            EndpointLoad {
                current_limit: state.map_or(e.max_concurrent, |s| s.current_limit),
                in_flight: state.map_or(0, |s| s.in_flight),
                max_concurrent: e.max_concurrent,
                name: e.name,
            }
        })
        .collect())
}

/// A key check that worked.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct EndpointCheck {
    /// The endpoint.
    pub name: String,
    /// Always true: a check that failed is an error with its typed reason.
    pub ok: bool,
    /// How many models the endpoint listed.
    pub models: u32,
    /// How long the check took, ms.
    pub latency_ms: u64,
}

/// The endpoint's models as last fetched.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct ModelList {
    /// The endpoint.
    pub endpoint: String,
    /// RFC 3339 time of the fetch; `None` when it was never fetched.
    pub fetched_at: Option<String>,
    /// The models, by id.
    pub models: Vec<ModelInfo>,
}

/// Checks endpoint `name`'s address and key with the cheapest authenticated call (its model
/// list), retrying within about 10 seconds in all; the list it gets is cached. A failure is
/// `Error::Provider` with its typed reason.
pub fn test_endpoint(profiles: &Profiles, open: &OpenProfile, name: &str) -> Result<EndpointCheck> {
    let client = client(profiles, open, name)?.with_retry(RetryPolicy::bounded(CHECK_WITHIN));
    let started = Instant::now();
    let outcome = llm::block_on(client.models())?;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let models = match outcome {
        Ok(models) => models,
        Err(e) => {
            log::info!(
                "endpoint check of profile {} failed: {}",
                open.record().id,
                e.log_line()
            );
            return Err(e);
        }
    };
    save(open, client.name(), &models)?;
    log::info!("endpoint check of profile {} passed", open.record().id);
    Ok(EndpointCheck {
        name: client.name().to_owned(),
        ok: true,
        models: u32::try_from(models.len()).unwrap_or(u32::MAX),
        latency_ms,
    })
}

/// Fetches endpoint `name`'s model list now and caches it.
pub fn refresh_models(profiles: &Profiles, open: &OpenProfile, name: &str) -> Result<ModelList> {
    let client = client(profiles, open, name)?.with_retry(RetryPolicy::bounded(LIST_WITHIN));
    let models = llm::block_on(client.models())??;
    save(open, client.name(), &models)
}

/// Endpoint `name`'s model list as last fetched (empty, with no time, if never).
pub fn cached_models(open: &OpenProfile, name: &str) -> Result<ModelList> {
    let found = endpoint(open, name)?;
    let cached = open
        .db()
        .read(|conn| store::models::cached(conn, &found.name))?;
    let (fetched_at, models) = match cached {
        Some((at, models)) => (Some(at), models),
        None => (None, Vec::new()),
    };
    Ok(ModelList {
        endpoint: found.name,
        fetched_at,
        models,
    })
}

fn save(open: &OpenProfile, name: &str, models: &[ModelInfo]) -> Result<ModelList> {
    let at = now();
    open.db()
        .write(|tx| store::models::cache(tx, name, models, &at))?;
    Ok(ModelList {
        endpoint: name.to_owned(),
        fetched_at: Some(at),
        models: models.to_vec(),
    })
}
