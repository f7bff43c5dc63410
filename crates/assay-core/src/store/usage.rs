//! `usage_daily`: tokens, calls and cost per day, provider and model. Runs add their calls
//! as they record them, so the totals stay when a run is deleted.

use rusqlite::{Connection, Transaction, params};

use super::all;
use crate::error::Result;

/// One provider and model's totals.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct UsageRow {
    /// `openai`, `anthropic`, ... (`unknown` if a call named no provider).
    pub provider: String,
    /// The model, without the provider prefix.
    pub model: String,
    /// Calls made.
    pub calls: i64,
    /// Prompt tokens.
    pub tokens_in: i64,
    /// Completion tokens.
    pub tokens_out: i64,
    /// Cost in US dollars.
    pub cost: f64,
    /// The first and last day with usage, `YYYY-MM-DD`.
    pub first_day: String,
    /// See `first_day`.
    pub last_day: String,
}

/// Adds run `run_id`'s calls (its events) to `usage_daily`, per day, provider and model,
/// inside the transaction that wrote the events.
pub fn record_run(tx: &Transaction<'_>, run_id: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO usage_daily (date, provider, model, tokens_in, tokens_out, cost, calls)
         SELECT substr(started_at, 1, 10),
                CASE WHEN instr(actor, '/') > 0
                     THEN substr(actor, 1, instr(actor, '/') - 1) ELSE 'unknown' END,
                CASE WHEN instr(actor, '/') > 0
                     THEN substr(actor, instr(actor, '/') + 1) ELSE actor END,
                sum(tokens_in), sum(tokens_out), sum(cost), count(*)
         FROM run_events
         WHERE run_id = ?1
         GROUP BY 1, 2, 3
         ON CONFLICT (date, provider, model) DO UPDATE SET
             tokens_in = tokens_in + excluded.tokens_in,
             tokens_out = tokens_out + excluded.tokens_out,
             cost = cost + excluded.cost,
             calls = calls + excluded.calls",
        params![run_id],
    )?;
    Ok(())
}

/// Totals per provider and model, most expensive first.
pub fn totals(conn: &Connection) -> Result<Vec<UsageRow>> {
    all(
        conn,
        "SELECT provider, model, sum(calls), sum(tokens_in), sum(tokens_out), sum(cost),
                min(date), max(date)
         FROM usage_daily
         GROUP BY provider, model
         ORDER BY sum(cost) DESC, provider, model",
        [],
        |r| {
            Ok(UsageRow {
                provider: r.get(0)?,
                model: r.get(1)?,
                calls: r.get(2)?,
                tokens_in: r.get(3)?,
                tokens_out: r.get(4)?,
                cost: r.get(5)?,
                first_day: r.get(6)?,
                last_day: r.get(7)?,
            })
        },
    )
}
