//! Rankings of small hand-made runs.

use super::*;
use crate::domain::preset::{PresetConfig, PresetRoles};
use crate::domain::run::{
    GeneratedDocument, PairwiseVerdict, RunConfigSnapshot, RunSummary, Score,
};

pub(super) fn doc(id: &str, model: &str, input: &str) -> GeneratedDocument {
    GeneratedDocument {
        id: id.into(),
        input_id: Some(input.into()),
        input_name: Some(input.into()),
        model: model.into(),
        iteration: 1,
        body: String::new(),
        tokens_in: 0,
        tokens_out: 0,
        latency_ms: 0,
        cost: Some(0.0),
        status: "succeeded".into(),
        kind: "generated".into(),
        truncated: false,
        created_at: String::new(),
    }
}

pub(super) fn score(document: &str, criterion: &str, judge: &str, score: i64) -> Score {
    Score {
        document_id: document.into(),
        criterion: criterion.into(),
        judge: judge.into(),
        trial: 1,
        score,
        reason: String::new(),
    }
}

fn verdict(a: &str, b: &str, judge: &str, winner: Option<&str>) -> PairwiseVerdict {
    PairwiseVerdict {
        doc_a: a.into(),
        doc_b: b.into(),
        judge: judge.into(),
        trial: 1,
        winner: winner.map(Into::into),
        shown_first: "A".into(),
        reason: String::new(),
    }
}

pub(crate) fn run(
    documents: Vec<GeneratedDocument>,
    scores: Vec<Score>,
    pairwise: Vec<PairwiseVerdict>,
) -> RunDetail {
    RunDetail {
        summary: RunSummary {
            id: "r".into(),
            title: "t".into(),
            status: crate::domain::states::RunStatus::Completed,
            created_at: String::new(),
            completed_at: None,
            tasks_total: 0,
            total_tokens: 0,
            total_cost: 0.0,
            unknown_cost_calls: 0,
            estimated_calls: 0,
        },
        preset_id: None,
        phase: crate::domain::states::Phase::Done,
        actions: crate::domain::states::RunActions::default(),
        error: None,
        started_at: None,
        config: RunConfigSnapshot {
            preset_name: "p".into(),
            config: PresetConfig {
                models: Vec::new(),
                judges: Vec::new(),
                iterations: 1,
                eval_iterations: 1,
                evaluation_enabled: true,
                pairwise_enabled: true,
                pairwise_top_n: None,
                generation_concurrency: 1,
                eval_concurrency: 1,
                max_retries: 0,
                timeout_secs: 1,
                combine_models: Vec::new(),
                combine_top_k: 2,
                budget_usd: None,
                budget_tokens: None,
                judge_max_tokens: None,
            },
            roles: PresetRoles::default(),
            inputs: Vec::new(),
            version: 1,
            texts: None,
        },
        documents,
        scores,
        pairwise,
        events: Vec::new(),
        progress: Default::default(),
        pause_reason: None,
        failures: Vec::new(),
        unscored: Default::default(),
    }
}

#[test]
fn score_statistics_are_per_model_and_criterion() {
    let r = rank(&run(
        vec![
            doc("d1", "m/a", "in1"),
            doc("d2", "m/a", "in2"),
            doc("d3", "m/b", "in1"),
        ],
        vec![
            score("d1", "Clarity", "j1", 2),
            score("d2", "Clarity", "j1", 4),
            score("d3", "Clarity", "j1", 5),
        ],
        vec![],
    ));
    let a = r
        .by_model_criterion
        .iter()
        .find(|s| s.model == "m/a")
        .expect("m/a");
    assert_eq!((a.stats.n, a.stats.min, a.stats.max), (2, 2, 4));
    assert!((a.stats.mean - 3.0).abs() < 1e-12);
    assert!(
        (a.stats.std_dev - 2f64.sqrt()).abs() < 1e-12,
        "sample sd of 2 and 4 is sqrt(2)"
    );
    assert_eq!(r.by_model[0].model, "m/b", "best mean first");
}

#[test]
fn judge_deviation_is_the_difference_from_the_other_judges() {
    // On d1: j1 = 4, j2 = 2, j3 = 3. j1 vs mean(2, 3) = +1.5; j2 vs mean(4, 3) = -1.5; j3 vs 3 = 0.
    let r = rank(&run(
        vec![doc("d1", "m/a", "in")],
        vec![
            score("d1", "C", "j1", 4),
            score("d1", "C", "j2", 2),
            score("d1", "C", "j3", 3),
        ],
        vec![],
    ));
    let get = |j: &str| r.judges.iter().find(|d| d.judge == j).expect("judge");
    assert!((get("j1").mean_deviation - 1.5).abs() < 1e-12);
    assert!((get("j2").mean_deviation + 1.5).abs() < 1e-12);
    assert!(get("j3").mean_deviation.abs() < 1e-12);
    assert!((get("j2").mean_abs_deviation - 1.5).abs() < 1e-12);
}

#[test]
fn the_win_matrix_and_elo_follow_the_verdicts() {
    let r = rank(&run(
        vec![
            doc("a1", "m/a", "in1"),
            doc("b1", "m/b", "in1"),
            doc("a2", "m/a", "in2"),
            doc("b2", "m/b", "in2"),
        ],
        vec![],
        vec![
            verdict("a1", "b1", "j1", Some("A")),
            verdict("a2", "b2", "j1", None),
            verdict("b2", "a2", "j2", Some("A")),
        ],
    ));
    let m = &r.win_matrix;
    assert_eq!(m.models, vec!["m/a".to_owned(), "m/b".to_owned()]);
    assert_eq!(
        m.wins,
        vec![vec![0, 1], vec![1, 0]],
        "a beat b once (in1), b beat a once (in2, j2)"
    );
    assert_eq!(m.ties[0][1], 1);
    // Order: (in1, a, b, j1) a wins -> 1016/984; (in2, a, b, j1) tie: a expected 0.546 -> loses
    // 32 * 0.046; (in2, b, a, j2) b wins.
    let mut elo = pairwise::elo(
        2,
        &[
            Match {
                a: 0,
                b: 1,
                score_a: 1.0,
            },
            Match {
                a: 0,
                b: 1,
                score_a: 0.5,
            },
            Match {
                a: 1,
                b: 0,
                score_a: 1.0,
            },
        ],
    );
    let got: Vec<f64> = ["m/a", "m/b"]
        .iter()
        .map(|n| r.ratings.iter().find(|x| x.model == *n).expect("rated").elo)
        .collect();
    assert!(
        (got[0] - elo[0]).abs() < 1e-9 && (got[1] - elo[1]).abs() < 1e-9,
        "{got:?} vs {elo:?}"
    );
    elo.sort_by(f64::total_cmp);
    assert!(
        (elo.iter().sum::<f64>() - 2000.0).abs() < 1e-9,
        "Elo is zero-sum"
    );
}

#[test]
fn each_document_has_its_mean_score_and_pairwise_record() {
    let r = rank(&run(
        vec![
            doc("d1", "m/a", "in1"),
            doc("d2", "m/b", "in1"),
            doc("d3", "m/c", "in1"),
        ],
        vec![
            score("d1", "Clarity", "j1", 2),
            score("d1", "Depth", "j1", 5),
            score("d2", "Clarity", "j1", 4),
        ],
        vec![
            verdict("d1", "d2", "j1", Some("A")),
            verdict("d1", "d3", "j1", Some("B")),
            verdict("d2", "d3", "j1", None),
        ],
    ));
    let by_id = |id: &str| {
        let d = r
            .document_records
            .iter()
            .find(|d| d.document_id == id)
            .expect(id);
        (d.mean_score, d.scores, d.wins, d.losses, d.ties)
    };
    assert_eq!(by_id("d1"), (Some(3.5), 2, 1, 1, 0));
    assert_eq!(by_id("d2"), (Some(4.0), 1, 0, 1, 1));
    assert_eq!(
        by_id("d3"),
        (None, 0, 1, 0, 1),
        "unscored has no mean, not 0"
    );
}

#[test]
fn the_same_results_rank_byte_identically_whatever_their_ids() {
    // Three models, two inputs, two iterations, verdicts that vary pair by pair.
    let models = ["m/a", "m/b", "m/c"];
    let make = |prefix: &str, flip: bool| {
        let mut docs = Vec::new();
        for input in ["in1", "in2"] {
            for (mi, m) in models.iter().enumerate() {
                for it in 1..=2 {
                    // Ids whose order differs between the two runs.
                    let n = if flip {
                        99 - (mi * 4 + it)
                    } else {
                        mi * 4 + it
                    };
                    let mut d = doc(&format!("{prefix}{input}-{n:02}"), m, input);
                    d.iteration = it as i64;
                    docs.push(d);
                }
            }
        }
        let mut verdicts = Vec::new();
        for (i, x) in docs.iter().enumerate() {
            for y in docs.iter().skip(i + 1) {
                if x.input_id != y.input_id || x.model == y.model {
                    continue;
                }
                // The preferred one depends on the pair: not a plain quality order.
                let mixed = (x.iteration * 2 + y.iteration + i as i64) % 3 != 0;
                let prefers_x = mixed ^ (x.model.as_str() > y.model.as_str());
                let (first, second, winner) = if x.id < y.id {
                    (x, y, if prefers_x { "A" } else { "B" })
                } else {
                    (y, x, if prefers_x { "B" } else { "A" })
                };
                for shown in ["A", "B"] {
                    let mut v = verdict(&first.id, &second.id, "j1", Some(winner));
                    v.shown_first = shown.into();
                    verdicts.push(v);
                }
            }
        }
        if flip {
            verdicts.reverse();
        }
        run(docs, vec![], verdicts)
    };
    let one = rank(&make("x", false));
    let two = rank(&make("y", true));
    let elo = |r: &RunRankings| -> Vec<(String, u64, u64)> {
        r.ratings
            .iter()
            .map(|x| (x.model.clone(), x.elo.to_bits(), x.bt_strength.to_bits()))
            .collect()
    };
    assert_eq!(elo(&one), elo(&two), "Elo and Bradley–Terry, bit for bit");
    assert!(
        one.ratings.iter().any(|r| (r.elo - 1000.0).abs() > 1.0),
        "the verdicts moved the ratings"
    );
}

#[test]
fn results_a_run_cannot_have_are_explained_not_shown_as_neutral_numbers() {
    // One generator: its documents compared with each other.
    let one_model = rank(&run(
        vec![doc("a1", "m/a", "in1"), doc("a2", "m/a", "in1")],
        vec![score("a1", "Accuracy", "j1", 4)],
        vec![verdict("a1", "a2", "j1", Some("A"))],
    ));
    let note = one_model.notes.pairwise.expect("a note");
    assert!(
        note.contains("need two models") && note.contains("m/a"),
        "{note}"
    );
    let agreement = one_model.notes.agreement.expect("one judge");
    assert!(agreement.contains("only j1 scored"), "{agreement}");
    // Two judges who never scored the same document and criterion.
    let apart = rank(&run(
        vec![doc("a1", "m/a", "in1"), doc("b1", "m/b", "in1")],
        vec![
            score("a1", "Accuracy", "j1", 4),
            score("b1", "Accuracy", "j2", 3),
        ],
        vec![verdict("a1", "b1", "j1", Some("A"))],
    ));
    assert_eq!(apart.notes.pairwise, None, "two models were compared");
    assert!(
        apart
            .notes
            .agreement
            .as_deref()
            .is_some_and(|n| n.contains("by two judges")),
        "{:?}",
        apart.notes
    );
}
