//! `endpoint_models` and `price_overrides` (migration 0016): each endpoint's last model list
//! and a profile's own prices.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::all;
use crate::error::{Error, Result};
use crate::llm::ModelInfo;
use crate::llm::price_table::Price;

/// The cached model list of `endpoint`: when it was fetched and the models.
pub fn cached(conn: &Connection, endpoint: &str) -> Result<Option<(String, Vec<ModelInfo>)>> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT fetched_at, models FROM endpoint_models WHERE endpoint = ?1",
            [endpoint],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    row.map(|(at, json)| {
        serde_json::from_str(&json)
            .map(|models| (at, models))
            .map_err(|e| Error::Corrupt(format!("a cached model list does not parse: {e}")))
    })
    .transpose()
}

/// Replaces the cached model list of `endpoint`.
pub fn cache(tx: &Transaction<'_>, endpoint: &str, models: &[ModelInfo], at: &str) -> Result<()> {
    let json = serde_json::to_string(models)
        .map_err(|e| Error::InvalidInput(format!("could not encode a model list: {e}")))?;
    tx.execute(
        "INSERT INTO endpoint_models (endpoint, fetched_at, models) VALUES (?1, ?2, ?3)
         ON CONFLICT (endpoint) DO UPDATE SET fetched_at = ?2, models = ?3",
        params![endpoint, at, json],
    )?;
    Ok(())
}

/// A price a profile set.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct PriceOverride {
    /// The endpoint it applies to.
    pub endpoint: String,
    /// The model id or alias prefix.
    pub model: String,
    /// The price.
    pub price: Price,
    /// RFC 3339 time it was set.
    pub updated_at: String,
}

impl crate::llm::price_table::HasModel for PriceOverride {
    fn model(&self) -> &str {
        &self.model
    }
}

/// Every price override, by endpoint and model.
pub fn overrides(conn: &Connection) -> Result<Vec<PriceOverride>> {
    all(
        conn,
        "SELECT endpoint, model, input, output, cached_input, updated_at FROM price_overrides
         ORDER BY endpoint, model",
        [],
        |r| {
            Ok(PriceOverride {
                endpoint: r.get(0)?,
                model: r.get(1)?,
                price: Price {
                    input: r.get(2)?,
                    output: r.get(3)?,
                    cached_input: r.get(4)?,
                },
                updated_at: r.get(5)?,
            })
        },
    )
}

/// Sets the price of `model` at `endpoint`.
pub fn set_override(
    tx: &Transaction<'_>,
    endpoint: &str,
    model: &str,
    price: &Price,
    at: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO price_overrides (endpoint, model, input, output, cached_input, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (endpoint, model) DO UPDATE
         SET input = ?3, output = ?4, cached_input = ?5, updated_at = ?6",
        params![
            endpoint,
            model,
            price.input,
            price.output,
            price.cached_input,
            at
        ],
    )?;
    Ok(())
}

/// Removes the price of `model` at `endpoint`; false if there was none.
pub fn clear_override(tx: &Transaction<'_>, endpoint: &str, model: &str) -> Result<bool> {
    Ok(tx.execute(
        "DELETE FROM price_overrides WHERE endpoint = ?1 AND model = ?2",
        params![endpoint, model],
    )? > 0)
}
