//! Rankings computed from a run's raw results; nothing here is stored.
//!
//! - score statistics per model and criterion, and per model overall;
//! - each judge's deviation from the other judges on the same document and criterion;
//! - the pairwise win/loss/tie matrix between models, Elo (K = 32, start 1000) and
//!   Bradley–Terry strengths with 95% bootstrap intervals.
//!
//! Pairwise matches are ordered by input name, model names, judge and trial, never by ids, so
//! two profiles holding the same results (e.g. after a bundle round trip) rank identically.

pub mod pairwise;
pub mod stats;

use std::collections::{BTreeMap, HashMap};

use crate::domain::run::RunDetail;
use pairwise::Match;
use stats::Summary;

/// Bootstrap resamples for Bradley–Terry intervals.
pub const BOOTSTRAP_RESAMPLES: usize = 1000;
/// Fixed bootstrap seed, so a report is the same every time it is rendered.
pub const BOOTSTRAP_SEED: u64 = 0x5EED_A55A_7000_0001;
/// Virtual wins each model gets against each other in Bradley–Terry.
pub const BT_PRIOR: f64 = 0.5;

/// Score statistics of one model on one criterion.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct ModelCriterionStats {
    /// `provider/model`.
    pub model: String,
    /// Criterion name.
    pub criterion: String,
    /// The scores' summary.
    pub stats: Summary,
}

/// Score statistics of one model over every criterion.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct ModelStats {
    /// `provider/model`.
    pub model: String,
    /// The scores' summary.
    pub stats: Summary,
}

/// How one judge's scores differ from the other judges'.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct JudgeDeviation {
    /// `provider/model`.
    pub judge: String,
    /// Scores compared.
    pub n: u32,
    /// Mean of (this judge − mean of the others): positive means more lenient.
    pub mean_deviation: f64,
    /// Mean absolute difference.
    pub mean_abs_deviation: f64,
}

/// Pairwise outcomes between models: `wins[i][j]` is how often model i beat model j.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct WinMatrix {
    /// Row and column labels.
    pub models: Vec<String>,
    /// Wins of row over column.
    pub wins: Vec<Vec<u32>>,
    /// Ties between row and column.
    pub ties: Vec<Vec<u32>>,
}

/// A model's pairwise rating.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct ModelRating {
    /// `provider/model`.
    pub model: String,
    /// Elo rating.
    pub elo: f64,
    /// Bradley–Terry strength (geometric mean of all models = 1).
    pub bt_strength: f64,
    /// 2.5th bootstrap percentile of the strength.
    pub bt_low: f64,
    /// 97.5th bootstrap percentile of the strength.
    pub bt_high: f64,
}

/// Everything ranked for one run.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct RunRankings {
    /// Per model and criterion.
    pub by_model_criterion: Vec<ModelCriterionStats>,
    /// Per model, best mean first.
    pub by_model: Vec<ModelStats>,
    /// Per judge.
    pub judges: Vec<JudgeDeviation>,
    /// Pairwise outcomes.
    pub win_matrix: WinMatrix,
    /// Pairwise ratings, best Elo first.
    pub ratings: Vec<ModelRating>,
}

/// Computes every ranking of `run` from its raw scores and verdicts.
pub fn rank(run: &RunDetail) -> RunRankings {
    let model_of: HashMap<&str, &str> = run
        .documents
        .iter()
        .map(|d| (d.id.as_str(), d.model.as_str()))
        .collect();
    let input_of: HashMap<&str, &str> = run
        .documents
        .iter()
        .map(|d| (d.id.as_str(), d.input_name.as_deref().unwrap_or("")))
        .collect();

    let mut cells: BTreeMap<(&str, &str), Vec<i64>> = BTreeMap::new();
    let mut per_model: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for s in &run.scores {
        if let Some(model) = model_of.get(s.document_id.as_str()) {
            cells
                .entry((model, &s.criterion))
                .or_default()
                .push(s.score);
            per_model.entry(model).or_default().push(s.score);
        }
    }
    let by_model_criterion = cells
        .into_iter()
        .filter_map(|((model, criterion), v)| {
            Summary::of(&v).map(|stats| ModelCriterionStats {
                model: model.into(),
                criterion: criterion.into(),
                stats,
            })
        })
        .collect();
    let mut by_model: Vec<ModelStats> = per_model
        .into_iter()
        .filter_map(|(model, v)| {
            Summary::of(&v).map(|stats| ModelStats {
                model: model.into(),
                stats,
            })
        })
        .collect();
    by_model.sort_by(|a, b| {
        b.stats
            .mean
            .total_cmp(&a.stats.mean)
            .then(a.model.cmp(&b.model))
    });

    let (win_matrix, ratings) = pairwise_ratings(run, &model_of, &input_of);
    RunRankings {
        by_model_criterion,
        by_model,
        judges: judge_deviation(run),
        win_matrix,
        ratings,
    }
}

/// The win matrix and Elo/Bradley–Terry ratings between models.
fn pairwise_ratings(
    run: &RunDetail,
    model_of: &HashMap<&str, &str>,
    input_of: &HashMap<&str, &str>,
) -> (WinMatrix, Vec<ModelRating>) {
    let mut models: Vec<String> = run.documents.iter().map(|d| d.model.clone()).collect();
    models.sort();
    models.dedup();
    let index: HashMap<&str, usize> = models
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    let mut keyed = Vec::new();
    for v in &run.pairwise {
        let (Some(ma), Some(mb)) = (
            model_of.get(v.doc_a.as_str()),
            model_of.get(v.doc_b.as_str()),
        ) else {
            continue;
        };
        let score_a = match v.winner.as_deref() {
            Some("A") => 1.0,
            Some("B") => 0.0,
            _ => 0.5,
        };
        let input = input_of.get(v.doc_a.as_str()).copied().unwrap_or("");
        keyed.push((
            (input, *ma, *mb, v.judge.as_str(), v.trial),
            Match {
                a: index[ma],
                b: index[mb],
                score_a,
            },
        ));
    }
    keyed.sort_by(|x, y| x.0.cmp(&y.0));
    let matches: Vec<Match> = keyed.into_iter().map(|(_, m)| m).collect();

    let n = models.len();
    let mut wins = vec![vec![0u32; n]; n];
    let mut ties = vec![vec![0u32; n]; n];
    for m in &matches {
        match m.score_a {
            s if s > 0.5 => wins[m.a][m.b] += 1,
            s if s < 0.5 => wins[m.b][m.a] += 1,
            _ => {
                ties[m.a][m.b] += 1;
                ties[m.b][m.a] += 1;
            }
        }
    }
    let elo = pairwise::elo(n, &matches);
    let bt = pairwise::bradley_terry_bootstrap(
        n,
        &matches,
        BT_PRIOR,
        BOOTSTRAP_RESAMPLES,
        BOOTSTRAP_SEED,
    );
    let mut ratings: Vec<ModelRating> = models
        .iter()
        .enumerate()
        .map(|(i, model)| ModelRating {
            model: model.clone(),
            elo: elo[i],
            bt_strength: bt[i].value,
            bt_low: bt[i].low,
            bt_high: bt[i].high,
        })
        .collect();
    ratings.sort_by(|a, b| b.elo.total_cmp(&a.elo).then(a.model.cmp(&b.model)));
    (WinMatrix { models, wins, ties }, ratings)
}

fn judge_deviation(run: &RunDetail) -> Vec<JudgeDeviation> {
    // (document, criterion) -> judge -> scores over trials
    let mut by_cell: BTreeMap<(&str, &str), BTreeMap<&str, Vec<i64>>> = BTreeMap::new();
    for s in &run.scores {
        by_cell
            .entry((&s.document_id, &s.criterion))
            .or_default()
            .entry(&s.judge)
            .or_default()
            .push(s.score);
    }
    let mut acc: BTreeMap<&str, (u32, f64, f64)> = BTreeMap::new();
    for judges in by_cell.values() {
        let means: Vec<(&str, f64)> = judges
            .iter()
            .map(|(j, v)| (*j, v.iter().sum::<i64>() as f64 / v.len() as f64))
            .collect();
        for (judge, mine) in &means {
            let others: Vec<f64> = means
                .iter()
                .filter(|(j, _)| j != judge)
                .map(|(_, m)| *m)
                .collect();
            if others.is_empty() {
                continue;
            }
            let diff = mine - others.iter().sum::<f64>() / others.len() as f64;
            let entry = acc.entry(judge).or_default();
            entry.0 += 1;
            entry.1 += diff;
            entry.2 += diff.abs();
        }
    }
    acc.into_iter()
        .map(|(judge, (n, sum, abs))| JudgeDeviation {
            judge: judge.into(),
            n,
            mean_deviation: sum / f64::from(n),
            mean_abs_deviation: abs / f64::from(n),
        })
        .collect()
}

#[cfg(test)]
mod tests;
