//! Comparing two runs whose criteria have the same names: per model label and criterion, the
//! change in mean score with a 95 % percentile bootstrap interval over documents (each run's
//! documents resampled with replacement, a fixed seed, so the same runs always give the same
//! interval), and each model's rank by mean score in each run.

use std::collections::{BTreeMap, BTreeSet};

use super::pairwise::SplitMix;
use super::{BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, rank};
use crate::domain::run::RunDetail;
use crate::error::{Error, Result};

/// One model and criterion across the two runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct ComparisonRow {
    /// The contestant's label.
    pub model: String,
    /// The criterion.
    pub criterion: String,
    /// Mean score in run A (the mean of its documents' means); `None` if A has none.
    pub mean_a: Option<f64>,
    /// The same in run B.
    pub mean_b: Option<f64>,
    /// `mean_b - mean_a`.
    pub delta: Option<f64>,
    /// 2.5th bootstrap percentile of the delta.
    pub ci_low: Option<f64>,
    /// 97.5th bootstrap percentile of the delta.
    pub ci_high: Option<f64>,
}

/// A model's rank (by mean score, 1 best) in each run.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct RankChange {
    /// The contestant's label.
    pub model: String,
    /// Its rank in run A, if it took part.
    pub rank_a: Option<u32>,
    /// Its rank in run B, if it took part.
    pub rank_b: Option<u32>,
}

/// Two runs compared.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct RunComparison {
    /// Run A's id.
    pub run_a: String,
    /// Run B's id.
    pub run_b: String,
    /// Per model and criterion, sorted by model then criterion.
    pub rows: Vec<ComparisonRow>,
    /// Per model, sorted by model.
    pub ranking: Vec<RankChange>,
    /// Models (contestant labels) that took part in both runs.
    pub shared_models: u32,
    /// Why nothing can be compared, when the runs share no model.
    pub note: Option<String>,
}

/// A run's criteria names: those it sent (a run made by the engine), else those scored.
fn criteria(run: &RunDetail) -> BTreeSet<String> {
    match &run.config.texts {
        Some(t) if !t.criteria.is_empty() => t.criteria.iter().map(|c| c.name.clone()).collect(),
        _ => run.scores.iter().map(|s| s.criterion.clone()).collect(),
    }
}

/// Each model's documents' mean score per criterion: model -> criterion -> document means.
fn document_means(run: &RunDetail) -> BTreeMap<String, BTreeMap<String, Vec<f64>>> {
    let label: BTreeMap<&str, &str> = run
        .documents
        .iter()
        .map(|d| (d.id.as_str(), d.model.as_str()))
        .collect();
    let mut per_doc: BTreeMap<(&str, &str, &str), (f64, u32)> = BTreeMap::new();
    for s in &run.scores {
        let Some(model) = label.get(s.document_id.as_str()) else {
            continue;
        };
        let e = per_doc
            .entry((model, s.criterion.as_str(), s.document_id.as_str()))
            .or_default();
        e.0 += s.score as f64;
        e.1 += 1;
    }
    let mut out: BTreeMap<String, BTreeMap<String, Vec<f64>>> = BTreeMap::new();
    for ((model, criterion, _), (sum, n)) in per_doc {
        out.entry(model.to_owned())
            .or_default()
            .entry(criterion.to_owned())
            .or_default()
            .push(sum / f64::from(n));
    }
    out
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// The 95 % percentile interval of `mean(b) - mean(a)`, resampling each side's documents.
fn delta_interval(a: &[f64], b: &[f64], rng: &mut SplitMix) -> (f64, f64) {
    let mut deltas = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
    let draw = |v: &[f64], rng: &mut SplitMix| {
        (0..v.len())
            .map(|_| v[(rng.next() % v.len() as u64) as usize])
            .sum::<f64>()
            / v.len() as f64
    };
    for _ in 0..BOOTSTRAP_RESAMPLES {
        let ma = draw(a, rng);
        let mb = draw(b, rng);
        deltas.push(mb - ma);
    }
    deltas.sort_by(f64::total_cmp);
    let at = |q: f64| deltas[((deltas.len() - 1) as f64 * q).round() as usize];
    (at(0.025), at(0.975))
}

/// Compares run `a` with run `b`. Runs whose criteria differ are refused with
/// `INVALID_INPUT` naming the difference.
pub fn compare(a: &RunDetail, b: &RunDetail) -> Result<RunComparison> {
    let (ca, cb) = (criteria(a), criteria(b));
    if ca != cb {
        let only = |x: &BTreeSet<String>, y: &BTreeSet<String>| {
            x.difference(y).cloned().collect::<Vec<_>>().join(", ")
        };
        let mut parts = Vec::new();
        let (in_a, in_b) = (only(&ca, &cb), only(&cb, &ca));
        if !in_a.is_empty() {
            parts.push(format!("only run A has {in_a}"));
        }
        if !in_b.is_empty() {
            parts.push(format!("only run B has {in_b}"));
        }
        return Err(Error::InvalidInput(format!(
            "the runs' criteria differ: {}; compare runs judged on the same criteria",
            parts.join("; ")
        )));
    }
    let (ma, mb) = (document_means(a), document_means(b));
    let models: BTreeSet<&String> = ma.keys().chain(mb.keys()).collect();
    let mut rng = SplitMix(BOOTSTRAP_SEED);
    let empty = BTreeMap::new();
    let mut rows = Vec::new();
    for model in &models {
        let (by_a, by_b) = (
            ma.get(*model).unwrap_or(&empty),
            mb.get(*model).unwrap_or(&empty),
        );
        for criterion in &ca {
            let da = by_a.get(criterion).map_or(&[][..], Vec::as_slice);
            let db = by_b.get(criterion).map_or(&[][..], Vec::as_slice);
            let (mean_a, mean_b) = (mean(da), mean(db));
            let (delta, ci) = match (mean_a, mean_b) {
                (Some(x), Some(y)) => (Some(y - x), Some(delta_interval(da, db, &mut rng))),
                _ => (None, None),
            };
            rows.push(ComparisonRow {
                model: (*model).clone(),
                criterion: criterion.clone(),
                mean_a,
                mean_b,
                delta,
                ci_low: ci.map(|c| c.0),
                ci_high: ci.map(|c| c.1),
            });
        }
    }
    let ranks = |run: &RunDetail| -> BTreeMap<String, u32> {
        rank(run)
            .by_model
            .iter()
            .enumerate()
            .map(|(i, m)| (m.model.clone(), i as u32 + 1))
            .collect()
    };
    let (ra, rb) = (ranks(a), ranks(b));
    let ranking = ra
        .keys()
        .chain(rb.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|m| RankChange {
            model: m.clone(),
            rank_a: ra.get(m).copied(),
            rank_b: rb.get(m).copied(),
        })
        .collect();
    let in_a: BTreeSet<&str> = a.documents.iter().map(|d| d.model.as_str()).collect();
    let shared = b
        .documents
        .iter()
        .map(|d| d.model.as_str())
        .collect::<BTreeSet<_>>()
        .intersection(&in_a)
        .count();
    let note = (shared == 0).then(|| {
        "The two runs have no model in common, so no model's scores can be compared; each \
         run's own rankings are in its report."
            .to_owned()
    });
    Ok(RunComparison {
        run_a: a.summary.id.clone(),
        run_b: b.summary.id.clone(),
        rows,
        ranking,
        shared_models: u32::try_from(shared).unwrap_or(u32::MAX),
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rankings::tests::{doc, run, score};

    /// Model `m1` scores `a` on Clarity in every document of run A and `b` in run B.
    fn pair(a: &[i64], b: &[i64]) -> (RunDetail, RunDetail) {
        let make = |id: &str, scores: &[i64]| {
            let docs: Vec<_> = (0..scores.len())
                .map(|i| doc(&format!("{id}{i}"), "m1", "in"))
                .chain([doc(&format!("{id}x"), "m2", "in")])
                .collect();
            let mut all: Vec<_> = scores
                .iter()
                .enumerate()
                .map(|(i, s)| score(&format!("{id}{i}"), "Clarity", "j", *s))
                .collect();
            all.push(score(&format!("{id}x"), "Clarity", "j", 3));
            let mut r = run(docs, all, Vec::new());
            r.summary.id = id.into();
            r
        };
        (make("a", a), make("b", b))
    }

    #[test]
    fn the_change_in_mean_has_a_reproducible_interval_and_ranks_move() {
        let (a, b) = pair(&[2, 2, 3, 3], &[4, 4, 5, 5]);
        let c = compare(&a, &b).expect("compare");
        let row = c.rows.iter().find(|r| r.model == "m1").expect("m1");
        assert_eq!(
            (row.mean_a, row.mean_b, row.delta),
            (Some(2.5), Some(4.5), Some(2.0))
        );
        let (low, high) = (row.ci_low.expect("low"), row.ci_high.expect("high"));
        assert!(
            low <= 2.0 && 2.0 <= high && low >= 1.0 && high <= 3.0,
            "{low}..{high}"
        );
        assert_eq!(
            compare(&a, &b).expect("again"),
            c,
            "a fixed seed: the same interval"
        );
        let m1 = c.ranking.iter().find(|r| r.model == "m1").expect("m1");
        assert_eq!(
            (m1.rank_a, m1.rank_b),
            (Some(2), Some(1)),
            "below m2's 3, then above"
        );
        let flat = compare(&a, &a).expect("same run");
        let row = flat.rows.iter().find(|r| r.model == "m2").expect("m2");
        assert_eq!(
            (row.delta, row.ci_low, row.ci_high),
            (Some(0.0), Some(0.0), Some(0.0))
        );
    }

    #[test]
    fn runs_judged_on_other_criteria_are_refused_naming_the_difference() {
        let (a, mut b) = pair(&[3], &[3]);
        for s in &mut b.scores {
            s.criterion = "Tone".into();
        }
        let err = compare(&a, &b).expect_err("different criteria");
        assert_eq!(err.code(), crate::ErrorCode::InvalidInput);
        let text = err.to_string();
        assert!(
            text.contains("only run A has Clarity") && text.contains("only run B has Tone"),
            "{text}"
        );
    }
}
