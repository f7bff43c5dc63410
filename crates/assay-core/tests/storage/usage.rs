//! Usage totals: the seeded run's calls are recorded per provider and model, they outlive the
//! run, and the backfill migration rebuilds them from run events.

use assay_core::library::Library;
use assay_core::library::UsageRow;
use assay_core::profile::KeyProtection;

use crate::Env;

/// Per model of the seeded run: (provider, model, calls, tokens in, tokens out, cost), from
/// seed/runs/first-briefing-run.json summed by hand.
const SEEDED: [(&str, &str, i64, i64, i64, f64); 4] = [
    ("openai", "gpt-4o", 6, 14_549, 1_977, 0.056142),
    ("google", "gemini-1.5-pro", 6, 14_485, 1_885, 0.027532),
    ("anthropic", "claude-3-5-haiku", 2, 2_414, 643, 0.004504),
    ("openai", "gpt-4o-mini", 2, 2_280, 499, 0.000642),
];

fn check(rows: &[UsageRow]) {
    assert_eq!(rows.len(), SEEDED.len(), "{rows:?}");
    for (row, (provider, model, calls, tokens_in, tokens_out, cost)) in rows.iter().zip(SEEDED) {
        assert_eq!(
            (row.provider.as_str(), row.model.as_str(), row.calls),
            (provider, model, calls)
        );
        assert_eq!(
            (row.tokens_in, row.tokens_out),
            (tokens_in, tokens_out),
            "{model}"
        );
        assert!(
            (row.cost - cost).abs() < 1e-9,
            "{model}: {} vs {cost}",
            row.cost
        );
        assert_eq!(
            (row.first_day.as_str(), row.last_day.as_str()),
            ("2026-10-20", "2026-10-20")
        );
    }
}

#[test]
fn the_seeded_runs_usage_is_recorded_per_model_and_outlives_the_run() {
    let env = Env::new();
    env.profiles
        .create("Usage", KeyProtection::Keyring)
        .expect("create");
    let open = env.profiles.open_profile("usage", None).expect("open");
    let library = Library::of(&open).expect("ready");
    check(&library.usage().expect("usage"));

    let run = library.runs(1, None).expect("runs").remove(0);
    library.delete_run(&run.id).expect("delete the run");
    check(&library.usage().expect("usage after the run is gone"));
}

#[test]
fn the_backfill_migration_rebuilds_usage_from_run_events() {
    let env = Env::new();
    env.profiles
        .create("Backfill", KeyProtection::Keyring)
        .expect("create");
    let open = env.profiles.open_profile("backfill", None).expect("open");
    let backfill = include_str!("../../../../migrations/0013_usage_backfill.sql");
    open.db()
        .write(|tx| {
            // A profile from before usage was recorded: events, and no usage.
            tx.execute("DELETE FROM usage_daily", [])?;
            tx.execute_batch(backfill)?;
            // Run again, it adds nothing: usage is no longer empty.
            tx.execute_batch(backfill)?;
            Ok(())
        })
        .expect("backfill");
    check(&Library::of(&open).expect("ready").usage().expect("usage"));
}
