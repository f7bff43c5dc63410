//! What a call cost: the embedded price table (USD per million input, output and cached
//! input tokens, each figure dated and sourced), a profile's own overrides, and the cost of
//! one call's usage, or "unknown", never 0 for not knowing.
//!
//! A model id matches its exact entry first, then the longest entry that is a prefix of it
//! ending at a `-` ("gpt-4o-2024-08-06" is "gpt-4o"; "gpt-4o-mini-…" is "gpt-4o-mini").
//! OpenRouter's model ids name their maker ("openai/gpt-4o"), which picks the table; the
//! cost OpenRouter reports wins over any table.

use std::sync::OnceLock;

use crate::domain::endpoint::EndpointKind;
use crate::llm::call::Usage;

/// A price, USD per million tokens.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct Price {
    /// Input (prompt) tokens.
    pub input: f64,
    /// Output tokens, reasoning included.
    pub output: f64,
    /// Cached input tokens; `None` means the input price.
    pub cached_input: Option<f64>,
}

/// A price table entry, with where its figures come from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct PriceEntry {
    /// The maker's table: openai, anthropic, google.
    pub provider: String,
    /// The model id or alias prefix.
    pub model: String,
    /// USD per million input tokens.
    pub input: f64,
    /// USD per million output tokens.
    pub output: f64,
    /// USD per million cached input tokens, if the provider lists one.
    pub cached_input: Option<f64>,
    /// When the figures were read (YYYY-MM-DD).
    pub as_of: String,
    /// Where they were read.
    pub source: String,
}

impl PriceEntry {
    /// The entry's price.
    pub fn price(&self) -> Price {
        Price {
            input: self.input,
            output: self.output,
            cached_input: self.cached_input,
        }
    }
}

#[derive(serde::Deserialize)]
struct Table {
    prices: Vec<PriceEntry>,
}

/// The embedded table.
pub fn table() -> &'static [PriceEntry] {
    static TABLE: OnceLock<Vec<PriceEntry>> = OnceLock::new();
    TABLE.get_or_init(|| {
        serde_json::from_str::<Table>(include_str!("prices.json"))
            .map(|t| t.prices)
            .unwrap_or_else(|e| {
                log::error!("the embedded price table does not parse: {e}");
                Vec::new()
            })
    })
}

/// The table entry for `model` at an endpoint of `kind`, if the table has one.
pub fn lookup(kind: EndpointKind, model: &str) -> Option<&'static PriceEntry> {
    let (provider, model) = match kind {
        EndpointKind::Openai => ("openai", model),
        EndpointKind::Anthropic => ("anthropic", model),
        EndpointKind::Google => ("google", model.trim_start_matches("models/")),
        EndpointKind::Openrouter => {
            let (maker, model) = model.split_once('/')?;
            let maker = match maker {
                "openai" => "openai",
                "anthropic" => "anthropic",
                "google" => "google",
                _ => return None,
            };
            // OpenRouter spells Claude's versions with dots ("claude-sonnet-4.5").
            return best_match(
                table().iter().filter(|e| e.provider == maker),
                &model.replace('.', "-"),
            )
            .or_else(|| best_match(table().iter().filter(|e| e.provider == maker), model));
        }
        EndpointKind::OpenaiCompatible => return None,
    };
    best_match(table().iter().filter(|e| e.provider == provider), model)
}

/// The exact entry, else the longest entry that is a prefix of `model` ending at a `-`.
pub fn best_match<'a, T: HasModel + 'a>(
    entries: impl Iterator<Item = &'a T>,
    model: &str,
) -> Option<&'a T> {
    let mut best: Option<&T> = None;
    for entry in entries {
        let name = entry.model();
        if name == model {
            return Some(entry);
        }
        let is_prefix = model
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with('-'));
        if is_prefix && best.is_none_or(|b| b.model().len() < name.len()) {
            best = Some(entry);
        }
    }
    best
}

/// Anything keyed by a model id.
pub trait HasModel {
    /// The model id or alias prefix.
    fn model(&self) -> &str;
}

impl HasModel for PriceEntry {
    fn model(&self) -> &str {
        &self.model
    }
}

/// The cost of `usage` in USD: the provider's reported cost when it gave one, else the
/// price times the tokens; `None` (unknown) without a price or without token counts.
pub fn cost(usage: &Usage, price: Option<&Price>) -> Option<f64> {
    if let Some(reported) = usage.reported_cost_usd {
        return Some(reported);
    }
    let price = price?;
    let input = usage.input_tokens? as f64;
    let output = usage.output_tokens? as f64;
    let cached = (usage.cached_input_tokens.unwrap_or(0) as f64).min(input);
    let cached_price = price.cached_input.unwrap_or(price.input);
    Some(((input - cached) * price.input + cached * cached_price + output * price.output) / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_entry_is_dated_sourced_and_sane() {
        assert!(table().len() >= 20, "the table did not load");
        for e in table() {
            assert!(
                jiff::civil::Date::strptime("%Y-%m-%d", &e.as_of).is_ok(),
                "{e:?}"
            );
            assert!(e.source.starts_with("https://"), "{e:?}");
            assert!(e.input > 0.0 && e.output >= e.input, "{e:?}");
            assert!(e.cached_input.is_none_or(|c| c <= e.input), "{e:?}");
        }
    }

    #[test]
    fn a_dated_id_takes_its_exact_entry_then_the_longest_alias_prefix() {
        let model = |kind, id| lookup(kind, id).map(|e| e.model.as_str());
        assert_eq!(
            model(EndpointKind::Openai, "gpt-4o-2024-05-13"),
            Some("gpt-4o-2024-05-13")
        );
        assert_eq!(
            model(EndpointKind::Openai, "gpt-4o-2024-08-06"),
            Some("gpt-4o")
        );
        assert_eq!(
            model(EndpointKind::Openai, "gpt-4o-mini-2024-07-18"),
            Some("gpt-4o-mini")
        );
        assert_eq!(model(EndpointKind::Openai, "gpt-4oo"), None);
        assert_eq!(
            model(EndpointKind::Anthropic, "claude-sonnet-4-5-20250929"),
            Some("claude-sonnet-4-5")
        );
        assert_eq!(
            model(EndpointKind::Openrouter, "anthropic/claude-sonnet-4.5"),
            Some("claude-sonnet-4-5")
        );
        assert_eq!(model(EndpointKind::OpenaiCompatible, "gpt-4o"), None);
    }

    #[test]
    fn cost_uses_cached_prices_prefers_a_reported_cost_and_is_unknown_without_counts() {
        let price = Price {
            input: 2.0,
            output: 8.0,
            cached_input: Some(0.5),
        };
        let usage = Usage {
            input_tokens: Some(1_000_000),
            output_tokens: Some(500_000),
            cached_input_tokens: Some(400_000),
            ..Usage::default()
        };
        let c = cost(&usage, Some(&price)).expect("cost");
        assert!(
            (c - (0.6 * 2.0 + 0.4 * 0.5 + 0.5 * 8.0)).abs() < 1e-9,
            "{c}"
        );
        assert_eq!(cost(&usage, None), None);
        assert_eq!(cost(&Usage::default(), Some(&price)), None);
        let reported = Usage {
            reported_cost_usd: Some(0.0123),
            ..Usage::default()
        };
        assert_eq!(cost(&reported, None), Some(0.0123));
    }
}
