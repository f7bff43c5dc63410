//! Agreement between judges: Krippendorff's alpha for ordinal data over the 1–5 scores.
//!
//! Units are (document, criterion); each judge gives one value per unit, the median of its
//! trials (the lower median for an even count, so values stay on the scale). Units with fewer
//! than two judges are left out, as alpha requires. Hand-written: no maintained Rust crate
//! computes it (docs/decisions.md); it is checked against Krippendorff's published example.

use std::collections::BTreeMap;

use crate::domain::run::RunDetail;

/// How much the judges agree.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct JudgeAgreement {
    /// Krippendorff's alpha (ordinal): 1 perfect agreement, 0 no better than chance.
    pub alpha: f64,
    /// Units (document × criterion) scored by two judges or more.
    pub units: u32,
    /// Judges that scored.
    pub judges: u32,
    /// What it means, in words (Krippendorff's thresholds: 0.8 and 0.667).
    pub meaning: String,
}

/// Ordinal alpha over `units`, each the values its coders gave (on a scale of integers).
/// `None` when there are no pairable values or every value is the same.
pub fn krippendorff_ordinal(units: &[Vec<i64>]) -> Option<f64> {
    let mut values: Vec<i64> = units.iter().flatten().copied().collect();
    values.sort_unstable();
    values.dedup();
    let index: BTreeMap<i64, usize> = values.iter().enumerate().map(|(i, v)| (*v, i)).collect();
    let k = values.len();
    let mut o = vec![vec![0.0; k]; k];
    for unit in units.iter().filter(|u| u.len() >= 2) {
        let m = unit.len() as f64;
        for (i, a) in unit.iter().enumerate() {
            for (j, b) in unit.iter().enumerate() {
                if i != j {
                    o[index[a]][index[b]] += 1.0 / (m - 1.0);
                }
            }
        }
    }
    let n_c: Vec<f64> = o.iter().map(|row| row.iter().sum()).collect();
    let n: f64 = n_c.iter().sum();
    if n <= 1.0 {
        return None;
    }
    let delta = |c: usize, d: usize| {
        let (lo, hi) = (c.min(d), c.max(d));
        let between: f64 = n_c[lo..=hi].iter().sum();
        let v = between - (n_c[lo] + n_c[hi]) / 2.0;
        v * v
    };
    let (mut observed, mut expected) = (0.0, 0.0);
    for c in 0..k {
        for d in 0..k {
            observed += o[c][d] * delta(c, d);
            expected += n_c[c] * n_c[d] * delta(c, d);
        }
    }
    (expected > 0.0).then(|| 1.0 - (n - 1.0) * observed / expected)
}

/// The judges' agreement on `run`'s scores, if two judges or more scored the same units.
pub fn judge_agreement(run: &RunDetail) -> Option<JudgeAgreement> {
    let mut by_unit: BTreeMap<(&str, &str), BTreeMap<&str, Vec<i64>>> = BTreeMap::new();
    for s in &run.scores {
        by_unit
            .entry((&s.document_id, &s.criterion))
            .or_default()
            .entry(&s.judge)
            .or_default()
            .push(s.score);
    }
    let mut judges = std::collections::BTreeSet::new();
    let units: Vec<Vec<i64>> = by_unit
        .values()
        .filter(|j| j.len() >= 2)
        .map(|j| {
            j.iter()
                .map(|(judge, scores)| {
                    judges.insert(*judge);
                    let mut s = scores.clone();
                    s.sort_unstable();
                    s[(s.len() - 1) / 2]
                })
                .collect()
        })
        .collect();
    let alpha = krippendorff_ordinal(&units)?;
    let meaning = if alpha >= 0.8 {
        "the judges agree well enough to rely on their scores"
    } else if alpha >= 0.667 {
        "the judges agree only enough for tentative conclusions"
    } else {
        "the judges disagree too much to rely on their scores; read their reasons"
    };
    Some(JudgeAgreement {
        alpha,
        units: units.len() as u32,
        judges: judges.len() as u32,
        meaning: meaning.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn krippendorffs_published_example_gives_his_ordinal_alpha() {
        // Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 observers, 12
        // units, missing values left out; ordinal alpha = 0.815 (the Python package
        // `krippendorff` gives 0.8153875 for the same data).
        let units: Vec<Vec<i64>> = vec![
            vec![1, 1, 1],
            vec![2, 2, 3, 2],
            vec![3, 3, 3, 3],
            vec![3, 3, 3, 3],
            vec![2, 2, 2, 2],
            vec![1, 2, 3, 4],
            vec![4, 4, 4, 4],
            vec![1, 1, 2, 1],
            vec![2, 2, 2, 2],
            vec![5, 5, 5],
            vec![1, 1],
            vec![3],
        ];
        let alpha = krippendorff_ordinal(&units).expect("alpha");
        assert!((alpha - 0.815_387_5).abs() < 1e-6, "{alpha}");
        assert_eq!(
            krippendorff_ordinal(&[vec![3, 3], vec![3, 3]]),
            None,
            "no variation"
        );
        let perfect = krippendorff_ordinal(&[vec![1, 1], vec![5, 5], vec![3, 3]]).expect("alpha");
        assert!((perfect - 1.0).abs() < 1e-12);
    }
}
