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
    /// Cost in US dollars of the calls whose price is known.
    pub cost: f64,
    /// Calls whose price was unknown: their cost is not in `cost` (and is not zero).
    pub unknown_cost_calls: i64,
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
             tokens_in = CASE WHEN excluded.tokens_in > 9223372036854775807 - tokens_in
                              THEN 9223372036854775807 ELSE tokens_in + excluded.tokens_in END,
             tokens_out = CASE WHEN excluded.tokens_out > 9223372036854775807 - tokens_out
                               THEN 9223372036854775807 ELSE tokens_out + excluded.tokens_out END,
             cost = cost + excluded.cost,
             calls = calls + excluded.calls",
        params![run_id],
    )?;
    Ok(())
}

/// One call's usage, to add to the day's totals.
#[derive(Debug, Clone, PartialEq)]
pub struct CallUsage<'a> {
    /// The day, `YYYY-MM-DD` (UTC).
    pub date: &'a str,
    /// The endpoint called.
    pub endpoint: &'a str,
    /// The model.
    pub model: &'a str,
    /// Prompt tokens.
    pub tokens_in: i64,
    /// Completion tokens.
    pub tokens_out: i64,
    /// USD, or `None` when the price is unknown (never taken as zero).
    pub cost: Option<f64>,
}

/// Adds one call to `usage_daily`, inside the caller's transaction (the one that stores the
/// call's result), so a result and its usage are written together or not at all.
pub fn record_call(tx: &Transaction<'_>, call: &CallUsage<'_>) -> Result<()> {
    tx.execute(
        "INSERT INTO usage_daily (date, provider, model, tokens_in, tokens_out, cost, calls,
                                  unknown_cost_calls)
         VALUES (?1, ?2, ?3, ?4, ?5, coalesce(?6, 0), 1, ?7)
         ON CONFLICT (date, provider, model) DO UPDATE SET
             tokens_in = CASE WHEN excluded.tokens_in > 9223372036854775807 - tokens_in
                              THEN 9223372036854775807 ELSE tokens_in + excluded.tokens_in END,
             tokens_out = CASE WHEN excluded.tokens_out > 9223372036854775807 - tokens_out
                               THEN 9223372036854775807 ELSE tokens_out + excluded.tokens_out END,
             cost = cost + excluded.cost,
             calls = calls + 1,
             unknown_cost_calls = unknown_cost_calls + excluded.unknown_cost_calls",
        params![
            call.date,
            call.endpoint,
            call.model,
            call.tokens_in,
            call.tokens_out,
            call.cost,
            i64::from(call.cost.is_none())
        ],
    )?;
    Ok(())
}

/// Totals per provider and model, most expensive first.
pub fn totals(conn: &Connection) -> Result<Vec<UsageRow>> {
    all(
        conn,
        // Token sums through total() (a float, exact below 2^53) capped at i64::MAX: an
        // integer sum() that overflows is an error in SQLite.
        "SELECT provider, model, sum(calls),
                CAST(min(total(tokens_in), 9223372036854775807.0) AS INTEGER),
                CAST(min(total(tokens_out), 9223372036854775807.0) AS INTEGER), sum(cost),
                min(date), max(date), sum(unknown_cost_calls)
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
                unknown_cost_calls: r.get(8)?,
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;
    use crate::db::migrations::{MIGRATIONS, check_and_apply};

    fn call(cost: Option<f64>) -> CallUsage<'static> {
        CallUsage {
            date: "2026-12-02",
            endpoint: "ollama",
            model: "llama3",
            tokens_in: 100,
            tokens_out: 50,
            cost,
        }
    }

    #[test]
    fn an_unknown_price_is_counted_apart_from_the_known_cost() {
        let mut conn = Connection::open_in_memory().expect("db");
        check_and_apply(&mut conn, MIGRATIONS, "db").expect("migrate");
        let tx = conn.transaction().expect("tx");
        record_call(&tx, &call(Some(0.25))).expect("known");
        record_call(&tx, &call(None)).expect("unknown");
        record_call(&tx, &call(None)).expect("unknown");
        tx.commit().expect("commit");
        let rows = totals(&conn).expect("totals");
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!((row.calls, row.tokens_in, row.tokens_out), (3, 300, 150));
        assert!(
            (row.cost - 0.25).abs() < 1e-12,
            "only the known price is summed"
        );
        assert_eq!(
            row.unknown_cost_calls, 2,
            "two calls cost an unknown amount, not zero"
        );
    }

    #[test]
    fn a_call_recorded_in_a_transaction_that_rolls_back_leaves_no_usage() {
        let mut conn = Connection::open_in_memory().expect("db");
        check_and_apply(&mut conn, MIGRATIONS, "db").expect("migrate");
        {
            let tx = conn.transaction().expect("tx");
            record_call(&tx, &call(Some(1.0))).expect("record");
            // dropped without commit: the caller's write failed
        }
        assert!(totals(&conn).expect("totals").is_empty());
    }
}
