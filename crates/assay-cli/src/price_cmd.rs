//! What `assay provider prices|set-price|clear-price` print: an endpoint's prices, the
//! profile's own first, then the embedded table's entries for the endpoint's kind.

use assay_core::Error;
use assay_core::domain::endpoint::EndpointKind;
use assay_core::llm::prices::PriceEntry;
use assay_core::profile::OpenProfile;
use assay_core::providers::{self, PriceOverride};

use crate::output::Render;

/// An endpoint's prices.
#[derive(Debug, serde::Serialize)]
pub struct Prices {
    /// The endpoint.
    endpoint: String,
    /// The profile's own prices for it.
    overrides: Vec<PriceOverride>,
    /// The table's entries for its kind (none for an openai-compatible endpoint).
    table: Vec<PriceEntry>,
}

/// The prices of endpoint `name`.
pub fn prices(open: &OpenProfile, name: &str) -> Result<Prices, Error> {
    let endpoint = providers::endpoint(open, name)?;
    let overrides = providers::price_overrides(open)?
        .into_iter()
        .filter(|o| o.endpoint == endpoint.name)
        .collect();
    let maker = match endpoint.kind {
        EndpointKind::Openai => Some("openai"),
        EndpointKind::Anthropic => Some("anthropic"),
        EndpointKind::Google => Some("google"),
        EndpointKind::Openrouter | EndpointKind::OpenaiCompatible => None,
    };
    let table = providers::price_table()
        .iter()
        .filter(|e| {
            maker.is_none_or(|m| e.provider == m) && endpoint.kind != EndpointKind::OpenaiCompatible
        })
        .cloned()
        .collect();
    Ok(Prices {
        endpoint: endpoint.name,
        overrides,
        table,
    })
}

fn figure(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v}"))
}

impl Render for Prices {
    fn text(&self) -> String {
        let mut out = format!(
            "Prices at {} (USD per million tokens: input / output / cached input)\n",
            self.endpoint
        );
        if self.overrides.is_empty() && self.table.is_empty() {
            out.push_str("No prices: calls here cost \"unknown\" until you set one.\n");
        }
        for o in &self.overrides {
            out.push_str(&format!(
                "{:<32} {} / {} / {}  (yours, set {})\n",
                o.model,
                o.price.input,
                o.price.output,
                figure(o.price.cached_input),
                o.updated_at
            ));
        }
        for e in &self.table {
            out.push_str(&format!(
                "{:<32} {} / {} / {}  ({}, {} as of {})\n",
                format!("{}/{}", e.provider, e.model),
                e.input,
                e.output,
                figure(e.cached_input),
                "table",
                e.source,
                e.as_of
            ));
        }
        out
    }
}
