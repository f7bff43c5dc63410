//! How `assay provider prices|set-price|clear-price` show an endpoint's prices: the
//! profile's own first, then the embedded table's.

use assay_core::display::name;
use assay_core::providers::EndpointPrices;

use crate::output::Render;

/// An endpoint's prices, as printed.
#[derive(Debug, serde::Serialize)]
#[serde(transparent)]
pub struct Prices(pub EndpointPrices);

fn figure(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v}"))
}

impl Render for Prices {
    fn text(&self) -> String {
        let p = &self.0;
        let mut out = format!(
            "Prices at {} (USD per million tokens: input / output / cached input)\n",
            p.endpoint
        );
        if p.overrides.is_empty() && p.table.is_empty() {
            out.push_str("No prices: calls here cost \"unknown\" until you set one.\n");
        }
        for o in &p.overrides {
            out.push_str(&format!(
                "{:<32} {} / {} / {}  (yours, set {})\n",
                name(&o.model),
                o.price.input,
                o.price.output,
                figure(o.price.cached_input),
                o.updated_at
            ));
        }
        for e in &p.table {
            out.push_str(&format!(
                "{:<32} {} / {} / {}  (table: {} as of {})\n",
                format!("{}/{}", e.provider, e.model),
                e.input,
                e.output,
                figure(e.cached_input),
                e.source,
                e.as_of
            ));
        }
        out
    }
}
