//! Rankings of a run with two documents per model and input (iterations = 2), ties, two
//! judges and two trials, inserted into real profile databases under fresh ids:
//! - Bradley–Terry strengths, the win matrix and mean scores equal an independent fit
//!   (`tests/fixtures/bt_reference.py`, which wrote `two-iterations-expected.json`);
//! - the same results inserted under other ids, in another order, rank identically and render
//!   the same report bytes.

use std::collections::HashMap;

use serde::Deserialize;

use super::{RunRankings, rank};
use crate::domain::content::ContentKind;
use crate::domain::preset::{JudgeSpec, ModelSpec};
use crate::domain::run::{PairwiseVerdict, RunConfigSnapshot, RunDetail, Score};
use crate::library::Library;
use crate::reports::{ReportFormat, render};
use crate::store;
use crate::store::runs::{NewDocument, NewRun, NewTask};
use crate::test_support::{TestProfile, seeded_profile};

#[derive(Deserialize)]
struct Fixture {
    documents: Vec<FixtureDocument>,
    scores: Vec<FixtureScore>,
    verdicts: Vec<FixtureVerdict>,
}

#[derive(Deserialize)]
struct FixtureDocument {
    key: String,
    input: String,
    provider: String,
    model: String,
    iteration: i64,
}

#[derive(Deserialize)]
struct FixtureScore {
    doc: String,
    criterion: String,
    judge: String,
    trial: i64,
    score: i64,
}

#[derive(Deserialize)]
struct FixtureVerdict {
    a: String,
    b: String,
    judge: String,
    trial: i64,
    winner: Option<String>,
    shown_first: String,
}

#[derive(Deserialize)]
struct Expected {
    models: Vec<String>,
    bt_strength: Vec<f64>,
    wins: Vec<Vec<u32>>,
    ties: Vec<Vec<u32>>,
    mean_score: Vec<f64>,
}

const RUN_ID: &str = "fixture-run";

fn fixture() -> Fixture {
    let text = include_str!("../../tests/fixtures/two-iterations-run.json");
    serde_json::from_str(text).expect("fixture")
}

fn expected() -> Expected {
    let text = include_str!("../../tests/fixtures/two-iterations-expected.json");
    serde_json::from_str(text).expect("expected")
}

/// How ids are made for one insertion: ascending in the fixture's order, or descending, so
/// the database's id order (which its queries fall back on) differs between the two.
#[derive(Clone, Copy)]
enum Ids {
    Ascending,
    Descending,
}

/// Inserts the fixture as run `RUN_ID` into a new seeded profile, with ids made by `ids` and
/// the rows in the fixture's order or its reverse.
fn insert(fixture: &Fixture, ids: Ids) -> (TestProfile, RunDetail) {
    let profile = seeded_profile("fixture");
    let db = profile.open.db();
    let inputs: HashMap<String, String> = db
        .read(|c| store::contents::list(c, Some(ContentKind::InputDocument), None, None))
        .expect("inputs")
        .into_iter()
        .map(|c| (c.name, c.id))
        .collect();
    let preset = Library::of(&profile.open)
        .expect("ready")
        .presets()
        .expect("presets")[0]
        .clone();
    let mut config = preset.config.clone();
    config.iterations = 2;
    config.eval_iterations = 2;
    config.models = vec![];
    for d in &fixture.documents {
        if !config.models.iter().any(|m| m.model == d.model) {
            config.models.push(ModelSpec {
                provider: d.provider.clone(),
                model: d.model.clone(),
                temperature: 0.7,
                max_tokens: 1000,
                label: None,
            });
        }
    }
    config.judges = ["openai/gpt-4o", "anthropic/claude-sonnet"]
        .iter()
        .map(|j| {
            let (provider, model) = j.split_once('/').expect("provider/model");
            JudgeSpec {
                provider: provider.into(),
                model: model.into(),
            }
        })
        .collect();
    let snapshot = RunConfigSnapshot {
        preset_name: preset.name.clone(),
        config,
        roles: preset.roles.clone(),
        inputs: preset.inputs.clone(),
        version: 1,
        texts: None,
    };
    let n = fixture.documents.len();
    let id = |i: usize, what: &str| match ids {
        Ids::Ascending => format!("{i:04}-{what}-{}", uuid::Uuid::new_v4()),
        Ids::Descending => format!("{:04}-{what}-{}", n - i, uuid::Uuid::new_v4()),
    };
    let doc_ids: HashMap<&str, String> = fixture
        .documents
        .iter()
        .enumerate()
        .map(|(i, d)| (d.key.as_str(), id(i, "doc")))
        .collect();
    let reversed = matches!(ids, Ids::Descending);
    fn ordered<T>(items: &[T], reversed: bool) -> Vec<&T> {
        let mut v: Vec<&T> = items.iter().collect();
        if reversed {
            v.reverse();
        }
        v
    }
    db.write(|tx| {
        store::runs::insert_run(
            tx,
            &NewRun {
                id: RUN_ID,
                title: "Two iterations",
                preset_id: Some(&preset.id),
                config_snapshot: &serde_json::to_string(&snapshot).expect("json"),
                phase: crate::domain::states::Phase::Done,
                status: crate::domain::states::RunStatus::Completed,
                created_at: "2026-12-01T10:00:00Z",
                started_at: Some("2026-12-01T10:00:00Z"),
                completed_at: Some("2026-12-01T10:05:00Z"),
                tasks: (n as i64, n as i64, 0),
                total_tokens: 0,
                total_cost: 0.0,
                unknown_cost_calls: 0,
            },
        )?;
        for (i, d) in fixture.documents.iter().enumerate() {
            let task = id(i, "task");
            store::runs::insert_task(
                tx,
                &NewTask {
                    id: &task,
                    run_id: RUN_ID,
                    input_content_id: &inputs[&d.input],
                    provider: &d.provider,
                    model: &d.model,
                    iteration: d.iteration,
                    status: "succeeded",
                },
            )?;
            store::runs::insert_document(
                tx,
                &NewDocument {
                    id: &doc_ids[d.key.as_str()],
                    run_id: RUN_ID,
                    task_id: &task,
                    body: &format!("Document {}", d.key),
                    tokens: (100, 200),
                    latency_ms: 1000,
                    cost: Some(0.001),
                    status: "succeeded",
                    created_at: "2026-12-01T10:01:00Z",
                },
            )?;
        }
        for s in ordered(&fixture.scores, reversed) {
            let score = Score {
                document_id: doc_ids[s.doc.as_str()].clone(),
                criterion: s.criterion.clone(),
                judge: s.judge.clone(),
                trial: s.trial,
                score: s.score,
                reason: String::new(),
            };
            store::runs::insert_score(tx, RUN_ID, &score)?;
        }
        for v in ordered(&fixture.verdicts, reversed) {
            let verdict = PairwiseVerdict {
                doc_a: doc_ids[v.a.as_str()].clone(),
                doc_b: doc_ids[v.b.as_str()].clone(),
                judge: v.judge.clone(),
                trial: v.trial,
                winner: v.winner.clone(),
                shown_first: v.shown_first.clone(),
                reason: String::new(),
            };
            store::runs::insert_verdict(tx, RUN_ID, &verdict)?;
        }
        Ok(())
    })
    .expect("insert the fixture");
    let run = Library::of(&profile.open)
        .expect("ready")
        .run(RUN_ID)
        .expect("run");
    (profile, run)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * b.abs().max(1.0)
}

#[test]
fn bradley_terry_and_the_win_matrix_equal_an_independent_fit() {
    let (_profile, run) = insert(&fixture(), Ids::Ascending);
    let expected = expected();
    let r: RunRankings = rank(&run);
    assert_eq!(
        r.win_matrix.models, expected.models,
        "models in label order"
    );
    assert_eq!(
        r.win_matrix.wins, expected.wins,
        "wins exclude same-model comparisons"
    );
    assert_eq!(
        r.win_matrix.ties, expected.ties,
        "ties exclude same-model comparisons, counted once per pair"
    );
    for (i, model) in expected.models.iter().enumerate() {
        let rating = r.ratings.iter().find(|x| &x.model == model).expect("rated");
        assert!(
            close(rating.bt_strength, expected.bt_strength[i]),
            "{model}: Bradley–Terry {} but the reference fit says {}",
            rating.bt_strength,
            expected.bt_strength[i]
        );
        assert!(
            rating.bt_low <= rating.bt_strength && rating.bt_strength <= rating.bt_high,
            "{model}: the interval holds the estimate"
        );
        let mean = r
            .by_model
            .iter()
            .find(|x| &x.model == model)
            .expect("scored")
            .stats
            .mean;
        assert!(close(mean, expected.mean_score[i]), "{model}: mean {mean}");
    }
}

#[test]
fn the_same_results_under_other_ids_rank_and_report_identically() {
    let fixture = fixture();
    let (_a, first) = insert(&fixture, Ids::Ascending);
    let (_b, second) = insert(&fixture, Ids::Descending);
    assert_ne!(
        first.documents[0].id, second.documents[0].id,
        "the two insertions have different ids"
    );
    // The best documents name their ids, which differ; the rest is what they are.
    let without_ids = |run: &RunDetail| {
        let mut r = rank(run);
        for b in &mut r.best_documents {
            b.document_id.clear();
        }
        for d in &mut r.document_records {
            d.document_id.clear();
        }
        r
    };
    assert_eq!(
        without_ids(&first),
        without_ids(&second),
        "rankings, Elo and best documents included, do not depend on ids or insertion order"
    );
    for format in [ReportFormat::Html, ReportFormat::Csv] {
        assert_eq!(
            render(&first, format).expect("render"),
            render(&second, format).expect("render"),
            "{format:?} report bytes are identical"
        );
    }
}
