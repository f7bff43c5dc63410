//! Comparison trials from stored verdicts. A run asks each judge both orders of a pair per
//! trial, (A, B) and (B, A): two verdicts that agree are a win, two that disagree a tie (a
//! judge swayed by position). A trial with one order only (a run made before both orders
//! were asked, or one order failed) counts as that verdict.

use std::collections::BTreeMap;

use crate::domain::run::PairwiseVerdict;

/// One trial of one pair by one judge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trial<'a> {
    /// The pair's document A.
    pub doc_a: &'a str,
    /// The pair's document B.
    pub doc_b: &'a str,
    /// The judge.
    pub judge: &'a str,
    /// The trial number.
    pub trial: i64,
    /// 1 when A won, 0 when B won, 0.5 for a tie.
    pub score_a: f64,
    /// With both orders: whether they agreed. `None` with one order.
    pub consistent: Option<bool>,
    /// The first order stored (`A` when both are).
    pub shown_first: &'a str,
}

/// The trials of `verdicts`, by pair, judge and trial.
pub fn trials(verdicts: &[PairwiseVerdict]) -> Vec<Trial<'_>> {
    let mut grouped: BTreeMap<(&str, &str, &str, i64), Vec<&PairwiseVerdict>> = BTreeMap::new();
    for v in verdicts {
        grouped
            .entry((&v.doc_a, &v.doc_b, &v.judge, v.trial))
            .or_default()
            .push(v);
    }
    grouped
        .into_iter()
        .map(|((doc_a, doc_b, judge, trial), mut rows)| {
            rows.sort_by(|x, y| x.shown_first.cmp(&y.shown_first));
            let winners: Vec<Option<&str>> = rows.iter().map(|r| r.winner.as_deref()).collect();
            let (winner, consistent) = match winners.as_slice() {
                [one] => (*one, None),
                [x, y, ..] if x == y => (*x, Some(true)),
                _ => (None, Some(false)),
            };
            Trial {
                doc_a,
                doc_b,
                judge,
                trial,
                score_a: match winner {
                    Some("A") => 1.0,
                    Some("B") => 0.0,
                    _ => 0.5,
                },
                consistent,
                shown_first: rows.first().map_or("A", |r| r.shown_first.as_str()),
            }
        })
        .collect()
}

/// How often a judge's two orders of a trial agreed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct PositionConsistency {
    /// The judge.
    pub judge: String,
    /// Trials asked in both orders.
    pub trials: u32,
    /// Those whose two verdicts agreed.
    pub consistent: u32,
    /// `consistent / trials`.
    pub rate: f64,
}

/// Each judge's position consistency over the trials asked in both orders.
pub fn position_consistency(verdicts: &[PairwiseVerdict]) -> Vec<PositionConsistency> {
    let mut by_judge: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for t in trials(verdicts) {
        if let Some(agreed) = t.consistent {
            let e = by_judge.entry(t.judge).or_default();
            e.0 += 1;
            e.1 += u32::from(agreed);
        }
    }
    by_judge
        .into_iter()
        .map(|(judge, (trials, consistent))| PositionConsistency {
            judge: judge.into(),
            trials,
            consistent,
            rate: f64::from(consistent) / f64::from(trials),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(trial: i64, winner: &str, shown: &str) -> PairwiseVerdict {
        PairwiseVerdict {
            doc_a: "x".into(),
            doc_b: "y".into(),
            judge: "j".into(),
            trial,
            winner: Some(winner.into()),
            shown_first: shown.into(),
            reason: String::new(),
        }
    }

    #[test]
    fn two_orders_that_disagree_are_a_tie_and_count_against_consistency() {
        let verdicts = [
            v(1, "A", "A"),
            v(1, "B", "B"),
            v(2, "A", "B"),
            v(2, "A", "A"),
            v(3, "B", "A"),
        ];
        let t = trials(&verdicts);
        let scores: Vec<(f64, Option<bool>)> =
            t.iter().map(|t| (t.score_a, t.consistent)).collect();
        assert_eq!(scores, [(0.5, Some(false)), (1.0, Some(true)), (0.0, None)]);
        let c = position_consistency(&verdicts);
        assert_eq!((c[0].trials, c[0].consistent, c[0].rate), (2, 1, 0.5));
    }
}
