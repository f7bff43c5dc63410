//! The endpoints a run calls: a client for each (its key read once, its retry policy the
//! run's), each one's kind (for its wire format), and the profile's prices.

use std::collections::HashMap;
use std::sync::Arc;

use crate::domain::endpoint::EndpointKind;
use crate::domain::preset::PresetConfig;
use crate::engine::updates::EndpointNow;
use crate::error::Result;
use crate::llm::price_table::Price;
use crate::llm::{EndpointClient, RetryPolicy, Usage};
use crate::profile::{OpenProfile, Profiles};
use crate::providers::{self, Pricer};

#[derive(Debug)]
pub(super) struct Endpoints {
    clients: HashMap<String, Arc<EndpointClient>>,
    kinds: HashMap<String, EndpointKind>,
    pricer: Pricer,
}

impl Endpoints {
    /// A client for every endpoint `config` calls, with the run's retries.
    pub(super) fn load(
        profiles: &Profiles,
        open: &OpenProfile,
        config: &PresetConfig,
    ) -> Result<Self> {
        let policy = RetryPolicy {
            max_retries: config.max_retries as usize,
            ..RetryPolicy::CALLS
        };
        let mut clients = HashMap::new();
        let mut kinds = HashMap::new();
        for name in config.called_endpoints() {
            let endpoint = providers::endpoint(open, name)?;
            kinds.insert(name.to_owned(), endpoint.kind);
            let client = providers::client(profiles, open, name)?.with_retry(policy);
            clients.insert(name.to_owned(), Arc::new(client));
        }
        Ok(Self {
            clients,
            kinds,
            pricer: Pricer::of(open)?,
        })
    }

    /// Endpoint `name`'s kind, if the run calls it.
    pub(super) fn kind(&self, name: &str) -> Option<EndpointKind> {
        self.kinds.get(name).copied()
    }

    /// Endpoint `name`'s client (one the run calls: [`Endpoints::kind`] says so).
    pub(super) fn client(&self, name: &str) -> Option<Arc<EndpointClient>> {
        self.clients.get(name).map(Arc::clone)
    }

    /// Each endpoint's concurrency now, by name.
    pub(super) fn now(&self) -> Vec<EndpointNow> {
        let mut now: Vec<EndpointNow> = self
            .clients
            .values()
            .map(|c| {
                let s = c.limit_state();
                EndpointNow {
                    name: c.name().to_owned(),
                    current_limit: s.current_limit,
                    max_concurrent: s.max_concurrent,
                    in_flight: s.in_flight,
                }
            })
            .collect();
        now.sort_by(|a, b| a.name.cmp(&b.name));
        now
    }

    /// The price of `model` at endpoint `name`, if known.
    pub(super) fn price(&self, name: &str, model: &str) -> Option<Price> {
        self.pricer.quote(name, model).map(|q| q.price)
    }

    /// What `usage` of `model` at endpoint `name` cost, if its price is known.
    pub(super) fn cost(&self, name: &str, model: &str, usage: &Usage) -> Option<f64> {
        self.pricer.cost(name, model, usage)
    }
}
