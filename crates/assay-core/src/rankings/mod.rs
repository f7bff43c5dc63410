//! Rankings computed from a run's raw results; nothing here is stored.
//!
//! - score statistics per model and criterion, and per model overall;
//! - each judge's deviation from the other judges on the same document and criterion;
//! - the pairwise win/loss/tie matrix between models, Elo (K = 32, start 1000) and
//!   Bradley–Terry strengths with 95% bootstrap intervals.
//!
//! Pairwise matches are ordered by input name, model names, iterations, judge, trial and the
//! order shown, never by ids, so two profiles holding the same results (e.g. after a bundle
//! round trip) rank identically. Model-level ratings and the win matrix leave out comparisons
//! between two documents of the same model.

pub mod agreement;
pub mod best;
pub mod compare;
pub mod pairwise;
pub mod records;
pub mod stats;
pub mod trials;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::domain::run::{GeneratedDocument, RunDetail};
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
    /// How often each judge's two orders of a trial agreed.
    pub position_consistency: Vec<trials::PositionConsistency>,
    /// Each input's best document.
    pub best_documents: Vec<best::BestDocument>,
    /// How much the judges agree (Krippendorff's alpha), when two or more scored.
    pub judge_agreement: Option<agreement::JudgeAgreement>,
    /// Each document's mean score and pairwise record, in `run.documents` order.
    pub document_records: Vec<records::DocumentRecord>,
    /// Why a number that cannot mean anything here is not shown, in a sentence each.
    pub notes: RankingNotes,
}

/// Sentences that explain results a run cannot have: shown instead of `—` and neutral
/// ratings.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, specta::Type)]
pub struct RankingNotes {
    /// Why there are no model-level pairwise ratings although documents were compared.
    pub pairwise: Option<String>,
    /// Why the judges' agreement cannot be measured although documents were scored.
    pub agreement: Option<String>,
}

/// The notes of `run`, given the rankings computed so far.
fn notes(run: &RunDetail, matrix: &WinMatrix, agreement_measured: bool) -> RankingNotes {
    let between_models = matrix
        .wins
        .iter()
        .flatten()
        .chain(matrix.ties.iter().flatten())
        .any(|n| *n > 0);
    let pairwise = (!run.pairwise.is_empty() && !between_models).then(|| {
        let models: BTreeSet<&str> = run.documents.iter().map(|d| d.model.as_str()).collect();
        let which = models.iter().copied().collect::<Vec<_>>().join(", ");
        format!(
            "Model-level ratings need two models compared with each other; this run compared \
             documents of {which} only with each other, so it has no win matrix, Elo or \
             Bradley–Terry between models. What the verdicts decided is each input's best \
             document and each document's won–lost–tied record."
        )
    });
    let judges: BTreeSet<&str> = run.scores.iter().map(|s| s.judge.as_str()).collect();
    let agreement = match judges.len() {
        0 => None,
        _ if agreement_measured => None,
        1 => Some(format!(
            "Judges' agreement needs two judges scoring the same documents; only {} scored.",
            judges.iter().next().copied().unwrap_or_default()
        )),
        _ => Some(
            "No document was scored on the same criterion by two judges, so their agreement \
             cannot be measured."
                .to_owned(),
        ),
    };
    RankingNotes {
        pairwise,
        agreement,
    }
}

/// Computes every ranking of `run` from its raw scores and verdicts.
pub fn rank(run: &RunDetail) -> RunRankings {
    let docs: HashMap<&str, &GeneratedDocument> =
        run.documents.iter().map(|d| (d.id.as_str(), d)).collect();

    let mut cells: BTreeMap<(&str, &str), Vec<i64>> = BTreeMap::new();
    let mut per_model: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for s in &run.scores {
        if let Some(doc) = docs.get(s.document_id.as_str()) {
            let model = doc.model.as_str();
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

    let (win_matrix, ratings) = pairwise_ratings(run, &docs);
    let judge_agreement = agreement::judge_agreement(run);
    let notes = notes(run, &win_matrix, judge_agreement.is_some());
    RunRankings {
        by_model_criterion,
        by_model,
        judges: judge_deviation(run, &docs),
        win_matrix,
        ratings,
        position_consistency: trials::position_consistency(&run.pairwise),
        best_documents: best::best_documents(run),
        judge_agreement,
        document_records: records::document_records(run),
        notes,
    }
}

/// Where a verdict stands in the order Elo plays matches: input, the two documents' models
/// and iterations (the pair oriented by model, then iteration), judge, trial and which was
/// shown first. Every field is a result's own
/// content, never an id, so the same results rank the same in any profile; and two verdicts
/// of one run never share a key (a run has one document per input, model and iteration, and
/// one verdict per pair, judge and trial), so the order is total.
type MatchKey<'a> = (&'a str, &'a str, &'a str, i64, i64, &'a str, i64, &'a str);

/// The win matrix and Elo/Bradley–Terry ratings between models. A comparison of two
/// documents of the same model says nothing about the model against the others, so it is
/// left out here (it stays in the run's verdicts, at document level).
fn pairwise_ratings(
    run: &RunDetail,
    docs: &HashMap<&str, &GeneratedDocument>,
) -> (WinMatrix, Vec<ModelRating>) {
    let mut models: Vec<String> = run.documents.iter().map(|d| d.model.clone()).collect();
    models.sort();
    models.dedup();
    let index: HashMap<&str, usize> = models
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    let mut keyed: Vec<(MatchKey<'_>, Match)> = Vec::new();
    // One match per trial: its two orders, when both were asked, make one outcome.
    for v in trials::trials(&run.pairwise) {
        let (Some(a), Some(b)) = (docs.get(v.doc_a), docs.get(v.doc_b)) else {
            continue;
        };
        if a.model == b.model {
            continue;
        }
        // The pair as stored is in id order (the smaller id is `doc_a`); put it in an order
        // of its content instead (model label, then iteration), so the same results play
        // their matches in the same order whatever ids they were given.
        let swap = (a.model.as_str(), a.iteration) > (b.model.as_str(), b.iteration);
        let (a, b, score_a, shown_first) = if swap {
            let shown = if v.shown_first == "A" { "B" } else { "A" };
            (b, a, 1.0 - v.score_a, shown)
        } else {
            (a, b, v.score_a, v.shown_first)
        };
        let key = (
            a.input_name.as_deref().unwrap_or(""),
            a.model.as_str(),
            b.model.as_str(),
            a.iteration,
            b.iteration,
            v.judge,
            v.trial,
            shown_first,
        );
        let m = Match {
            a: index[a.model.as_str()],
            b: index[b.model.as_str()],
            score_a,
        };
        keyed.push((key, m));
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

fn judge_deviation(
    run: &RunDetail,
    docs: &HashMap<&str, &GeneratedDocument>,
) -> Vec<JudgeDeviation> {
    // (document, criterion) -> judge -> scores over trials; documents are keyed by what they
    // are (input, model, iteration), not by id, so the sums run in the same order anywhere.
    type Cell<'a> = (&'a str, &'a str, i64, &'a str);
    let mut by_cell: BTreeMap<Cell<'_>, BTreeMap<&str, Vec<i64>>> = BTreeMap::new();
    for s in &run.scores {
        let Some(doc) = docs.get(s.document_id.as_str()) else {
            continue;
        };
        let input = doc.input_name.as_deref().unwrap_or("");
        by_cell
            .entry((input, &doc.model, doc.iteration, &s.criterion))
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
pub(crate) mod tests;

#[cfg(test)]
mod fixture_tests;
