//! The tasks that depend on results: an input's comparisons (all its documents, or the top
//! N by mean score) once its documents are in, its combine tasks once they are ranked, and
//! the post-combine comparisons once the combined documents are in. Also the ranking of an
//! input's documents these use, and the final best document of an input.

use std::collections::{BTreeMap, HashMap};

use super::judging::{Side, trial_outcome};
use crate::rankings::BT_PRIOR;
use crate::rankings::pairwise::{Match, bradley_terry};
use crate::store::execution::{InputDocument, Verdict};

/// The outcome of each (pair, judge, trial) from its stored verdicts: both orders agree, a
/// win; they disagree, a tie; one order only (an older run, or the other failed), that one.
/// Returns (doc_a, doc_b, score of doc_a).
pub fn trial_results(verdicts: &[Verdict]) -> Vec<(String, String, f64)> {
    let mut trials: BTreeMap<(&str, &str, &str, i64), Vec<Option<Side>>> = BTreeMap::new();
    for (a, b, judge, trial, winner, _shown) in verdicts {
        let side = match winner.as_deref() {
            Some("A") => Some(Side::A),
            Some("B") => Some(Side::B),
            _ => None,
        };
        trials
            .entry((a.as_str(), b.as_str(), judge.as_str(), *trial))
            .or_default()
            .push(side);
    }
    trials
        .into_iter()
        .map(|((a, b, _, _), sides)| {
            let outcome = match sides.as_slice() {
                [Some(x), Some(y)] => trial_outcome(*x, *y),
                [one] => *one,
                _ => None,
            };
            let score = match outcome {
                Some(Side::A) => 1.0,
                Some(Side::B) => 0.0,
                None => 0.5,
            };
            (a.to_owned(), b.to_owned(), score)
        })
        .collect()
}

/// Ranks `docs` best first: by Bradley–Terry strength over `verdicts` when there are any,
/// then by mean score, then the earlier document (their given order).
pub fn rank<'a>(docs: &'a [InputDocument], verdicts: &[Verdict]) -> Vec<&'a InputDocument> {
    let index: HashMap<&str, usize> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let matches: Vec<Match> = trial_results(verdicts)
        .iter()
        .filter_map(|(a, b, score_a)| {
            Some(Match {
                a: *index.get(a.as_str())?,
                b: *index.get(b.as_str())?,
                score_a: *score_a,
            })
        })
        .collect();
    let strength = if matches.is_empty() {
        vec![1.0; docs.len()]
    } else {
        bradley_terry(docs.len(), &matches, BT_PRIOR)
    };
    let mut order: Vec<usize> = (0..docs.len()).collect();
    order.sort_by(|&x, &y| {
        strength[y]
            .total_cmp(&strength[x])
            .then(
                docs[y]
                    .mean_score
                    .unwrap_or(f64::MIN)
                    .total_cmp(&docs[x].mean_score.unwrap_or(f64::MIN)),
            )
            .then(x.cmp(&y))
    });
    order.into_iter().map(|i| &docs[i]).collect()
}

/// The top `n` of `docs` by mean score (then the earlier), for top-N comparisons.
pub fn top_by_score(docs: &[InputDocument], n: usize) -> Vec<String> {
    let mut order: Vec<usize> = (0..docs.len()).collect();
    order.sort_by(|&x, &y| {
        docs[y]
            .mean_score
            .unwrap_or(f64::MIN)
            .total_cmp(&docs[x].mean_score.unwrap_or(f64::MIN))
            .then(x.cmp(&y))
    });
    order
        .into_iter()
        .take(n)
        .map(|i| docs[i].id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, mean: Option<f64>) -> InputDocument {
        InputDocument {
            id: id.into(),
            kind: "generated".into(),
            mean_score: mean,
        }
    }

    fn verdict(a: &str, b: &str, trial: i64, winner: &str, shown: &str) -> Verdict {
        (
            a.into(),
            b.into(),
            "j".into(),
            trial,
            Some(winner.into()),
            shown.into(),
        )
    }

    #[test]
    fn two_orders_that_disagree_are_a_tie_and_agreeing_ones_a_win() {
        let results = trial_results(&[
            verdict("x", "y", 1, "A", "A"),
            verdict("x", "y", 1, "B", "B"),
            verdict("x", "y", 2, "A", "A"),
            verdict("x", "y", 2, "A", "B"),
        ]);
        assert_eq!(
            results,
            [("x".into(), "y".into(), 0.5), ("x".into(), "y".into(), 1.0)]
        );
    }

    #[test]
    fn strength_ranks_first_then_mean_score_then_the_earlier_document() {
        let docs = [
            doc("a", Some(3.0)),
            doc("b", Some(4.0)),
            doc("c", Some(4.0)),
        ];
        // c beats a and b in both orders; a and b never meet.
        let verdicts = [
            verdict("a", "c", 1, "B", "A"),
            verdict("a", "c", 1, "B", "B"),
            verdict("b", "c", 1, "B", "A"),
            verdict("b", "c", 1, "B", "B"),
        ];
        let ids: Vec<&str> = rank(&docs, &verdicts)
            .iter()
            .map(|d| d.id.as_str())
            .collect();
        assert_eq!(
            ids,
            ["c", "b", "a"],
            "a and b are equally strong; b scores higher"
        );
        let ids: Vec<&str> = rank(&docs, &[]).iter().map(|d| d.id.as_str()).collect();
        assert_eq!(
            ids,
            ["b", "c", "a"],
            "no comparisons: mean score, then the earlier"
        );
        assert_eq!(top_by_score(&docs, 2), ["b", "c"]);
    }
}
