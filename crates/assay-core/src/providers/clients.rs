//! Calling an endpoint from a profile: its client (key read now, limits shared), the key
//! check, and its model list with the cached copy.

use std::time::{Duration, Instant};

use super::{endpoint, endpoint_key, now};
use crate::domain::endpoint::EndpointKind;
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

/// What a check that worked has shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CheckScope {
    /// A cloud provider listed its models for the key: address and key work.
    Key,
    /// An OpenAI-compatible server (a local server, a gateway) answered its model list; no
    /// model was called, so a gateway whose backend is down still passes.
    Server,
    /// A model answered a one-token call, too.
    Model,
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
    /// What the check has shown works.
    pub checked: CheckScope,
    /// The model called, when one was.
    pub model: Option<String>,
    /// What the check did not show, in a sentence, when there is something.
    pub note: Option<String>,
}

/// The one-token call that checks a model answers.
fn ping(model: &str) -> llm::CallRequest {
    llm::CallRequest {
        model: model.to_owned(),
        system: "Answer with one word.".into(),
        user: "Say OK.".into(),
        temperature: None,
        max_output_tokens: 1,
        timeout: CHECK_WITHIN,
        schema: None,
    }
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
/// list), retrying within about 10 seconds in all; the list it gets is cached. With `model`,
/// a one-token call to that model follows, so the check shows the model answers too. A
/// failure is `Error::Provider` with its typed reason.
pub fn test_endpoint(
    profiles: &Profiles,
    open: &OpenProfile,
    name: &str,
    model: Option<&str>,
) -> Result<EndpointCheck> {
    let kind = endpoint(open, name)?.kind;
    let client = client(profiles, open, name)?.with_retry(RetryPolicy::bounded(CHECK_WITHIN));
    let started = Instant::now();
    let outcome = llm::block_on(async {
        let models = client.models().await?;
        if let Some(model) = model {
            client.generate(&ping(model)).await?;
        }
        Ok::<_, crate::error::Error>(models)
    })?;
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
    let (checked, note) = match (model, kind) {
        (Some(_), _) => (CheckScope::Model, None),
        (None, EndpointKind::OpenaiCompatible) => (
            CheckScope::Server,
            Some(
                "this checked the server, not a model: no model was called, so a gateway \
                 whose backend is down passes; add --model (or Check as judge) to call one"
                    .to_owned(),
            ),
        ),
        (None, _) => (CheckScope::Key, None),
    };
    Ok(EndpointCheck {
        name: client.name().to_owned(),
        ok: true,
        models: u32::try_from(models.len()).unwrap_or(u32::MAX),
        latency_ms,
        checked,
        model: model.map(str::to_owned),
        note,
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
