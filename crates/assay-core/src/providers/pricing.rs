//! Prices in a profile: the embedded table, overridden per endpoint and model by the
//! profile's own figures, and a [`Pricer`] that prices many calls without the database.

use std::collections::HashMap;

use super::{endpoint, endpoints, now};
use crate::domain::endpoint::EndpointKind;
use crate::error::{Error, FieldProblem, Result};
use crate::llm::Usage;
use crate::llm::price_table::{self, Price, PriceEntry, best_match};
use crate::profile::OpenProfile;
use crate::store;
pub use crate::store::models::PriceOverride;

/// Where a price comes from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum PriceOrigin {
    /// The embedded table.
    Table {
        /// The entry that matched (an exact id or an alias prefix).
        model: String,
        /// When the figures were read.
        as_of: String,
        /// Where.
        source: String,
    },
    /// The profile's own price.
    Profile {
        /// The override that matched.
        model: String,
        /// When it was set.
        updated_at: String,
    },
}

/// A price and where it comes from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct PriceQuote {
    /// USD per million tokens.
    pub price: Price,
    /// Its origin.
    pub origin: PriceOrigin,
}

/// Prices calls to a profile's endpoints: a snapshot of its overrides and endpoint kinds.
#[derive(Debug, Clone)]
pub struct Pricer {
    kinds: HashMap<String, EndpointKind>,
    overrides: Vec<PriceOverride>,
}

impl Pricer {
    /// A snapshot of `open`'s endpoints and price overrides.
    pub fn of(open: &OpenProfile) -> Result<Self> {
        let kinds = endpoints(open)?
            .into_iter()
            .map(|e| (e.name.to_lowercase(), e.kind))
            .collect();
        let overrides = open.db().read(store::models::overrides)?;
        Ok(Self { kinds, overrides })
    }

    /// The price of `model` at `endpoint`: the profile's own (exact, then longest alias
    /// prefix), else the table's; `None` when neither knows it.
    pub fn quote(&self, endpoint: &str, model: &str) -> Option<PriceQuote> {
        let mine = self
            .overrides
            .iter()
            .filter(|o| o.endpoint.eq_ignore_ascii_case(endpoint));
        if let Some(o) = best_match(mine, model) {
            return Some(PriceQuote {
                price: o.price.clone(),
                origin: PriceOrigin::Profile {
                    model: o.model.clone(),
                    updated_at: o.updated_at.clone(),
                },
            });
        }
        let kind = *self.kinds.get(&endpoint.to_lowercase())?;
        price_table::lookup(kind, model).map(table_quote)
    }

    /// The cost of one call's usage, USD: the provider's own report, else the price times
    /// the tokens; `None` when it cannot be known.
    pub fn cost(&self, endpoint: &str, model: &str, usage: &Usage) -> Option<f64> {
        if usage.reported_cost_usd.is_some() {
            return price_table::cost(usage, None);
        }
        price_table::cost(usage, self.quote(endpoint, model).map(|q| q.price).as_ref())
    }
}

fn table_quote(e: &PriceEntry) -> PriceQuote {
    PriceQuote {
        price: e.price(),
        origin: PriceOrigin::Table {
            model: e.model.clone(),
            as_of: e.as_of.clone(),
            source: e.source.clone(),
        },
    }
}

/// The embedded price table.
pub fn price_table() -> &'static [PriceEntry] {
    price_table::table()
}

/// The prices that apply at one endpoint.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct EndpointPrices {
    /// The endpoint.
    pub endpoint: String,
    /// The profile's own prices for it (they win).
    pub overrides: Vec<PriceOverride>,
    /// The table's entries for its kind: the maker's for a cloud kind, all for OpenRouter
    /// (its ids name the maker), none for an OpenAI-compatible server.
    pub table: Vec<PriceEntry>,
}

/// The prices that apply at endpoint `name`.
pub fn endpoint_prices(open: &OpenProfile, name: &str) -> Result<EndpointPrices> {
    let found = endpoint(open, name)?;
    let overrides = price_overrides(open)?
        .into_iter()
        .filter(|o| o.endpoint == found.name)
        .collect();
    let maker = match found.kind {
        EndpointKind::Openai => Some("openai"),
        EndpointKind::Anthropic => Some("anthropic"),
        EndpointKind::Google => Some("google"),
        EndpointKind::Openrouter | EndpointKind::OpenaiCompatible => None,
    };
    let table = match found.kind {
        EndpointKind::OpenaiCompatible => Vec::new(),
        _ => price_table::table()
            .iter()
            .filter(|e| maker.is_none_or(|m| e.provider == m))
            .cloned()
            .collect(),
    };
    Ok(EndpointPrices {
        endpoint: found.name,
        overrides,
        table,
    })
}

/// The profile's own prices.
pub fn price_overrides(open: &OpenProfile) -> Result<Vec<PriceOverride>> {
    open.ensure_ready()?;
    open.db().read(store::models::overrides)
}

/// Sets the profile's price of `model` (an id or alias prefix) at endpoint `name`.
pub fn set_price(open: &OpenProfile, name: &str, model: &str, price: &Price) -> Result<()> {
    let found = endpoint(open, name)?;
    let model = model.trim();
    let mut problems = Vec::new();
    if model.is_empty() || model.chars().count() > 200 {
        problems.push(FieldProblem::new(
            "model",
            "give the model id (1–200 characters)",
        ));
    }
    for (field, value) in [
        ("input", Some(price.input)),
        ("output", Some(price.output)),
        ("cached_input", price.cached_input),
    ] {
        if value.is_some_and(|v| !v.is_finite() || !(0.0..=100_000.0).contains(&v)) {
            problems.push(FieldProblem::new(
                field,
                "give USD per million tokens, from 0 to 100000",
            ));
        }
    }
    if !problems.is_empty() {
        return Err(Error::InvalidFields(problems));
    }
    open.db()
        .write(|tx| store::models::set_override(tx, &found.name, model, price, &now()))
}

/// Removes the profile's price of `model` at endpoint `name`.
pub fn clear_price(open: &OpenProfile, name: &str, model: &str) -> Result<()> {
    let found = endpoint(open, name)?;
    if !open
        .db()
        .write(|tx| store::models::clear_override(tx, &found.name, model.trim()))?
    {
        return Err(Error::NoSuchItem {
            what: "price",
            id: format!("{}/{}", found.name, model.trim()),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profiles_own_price_wins_over_the_table_and_unknown_stays_unknown() {
        let profile = crate::test_support::seeded_profile("p");
        let usage = Usage {
            input_tokens: Some(1_000_000),
            output_tokens: Some(1_000_000),
            ..Usage::default()
        };
        let pricer = Pricer::of(&profile.open).expect("pricer");
        let quote = pricer
            .quote("openai", "gpt-4o-2024-08-06")
            .expect("in the table");
        assert!(matches!(quote.origin, PriceOrigin::Table { ref model, .. } if model == "gpt-4o"));
        assert_eq!(pricer.quote("openai", "no-such-model"), None);
        assert_eq!(
            pricer.cost("openai", "no-such-model", &usage),
            None,
            "unknown, not 0"
        );

        let mine = Price {
            input: 1.0,
            output: 2.0,
            cached_input: None,
        };
        set_price(&profile.open, "OpenAI", "gpt-4o", &mine).expect("set");
        let pricer = Pricer::of(&profile.open).expect("pricer");
        let quote = pricer.quote("openai", "gpt-4o-2024-08-06").expect("mine");
        assert!(matches!(quote.origin, PriceOrigin::Profile { .. }));
        assert_eq!(
            pricer.cost("openai", "gpt-4o-2024-08-06", &usage),
            Some(3.0)
        );
        let reported = Usage {
            reported_cost_usd: Some(0.5),
            ..usage
        };
        assert_eq!(
            pricer.cost("openai", "gpt-4o", &reported),
            Some(0.5),
            "a reported cost wins"
        );
        let bad = Price {
            input: -1.0,
            output: f64::NAN,
            cached_input: None,
        };
        let err = set_price(&profile.open, "openai", " ", &bad).expect_err("refused");
        assert_eq!(err.to_string().lines().count(), 3, "{err}");
    }
}
