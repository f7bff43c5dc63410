//! Ranking an input's documents for the stages that depend on it: the top N by mean score
//! for top-N comparisons, and the top K by Bradley–Terry strength within the input (then
//! mean score, then the earlier) for combine, as `rankings::best` ranks them.

use crate::domain::run::PairwiseVerdict;
use crate::rankings::best::{Candidate, rank as rank_candidates};
use crate::rankings::trials::trials;
use crate::store::execution::InputDocument;

/// Ranks `docs` (in the order they arrived) best first.
pub fn rank<'a>(docs: &'a [InputDocument], verdicts: &[PairwiseVerdict]) -> Vec<&'a InputDocument> {
    let candidates: Vec<Candidate<'_>> = docs
        .iter()
        .map(|d| Candidate {
            id: &d.id,
            mean_score: d.mean_score,
        })
        .collect();
    rank_candidates(&candidates, &trials(verdicts))
        .into_iter()
        .map(|i| &docs[i])
        .collect()
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
            kind: crate::domain::states::DocumentKind::Generated,
            mean_score: mean,
        }
    }

    fn verdict(a: &str, b: &str, winner: &str, shown: &str) -> PairwiseVerdict {
        PairwiseVerdict {
            doc_a: a.into(),
            doc_b: b.into(),
            judge: "j".into(),
            trial: 1,
            winner: Some(winner.into()),
            shown_first: shown.into(),
            reason: String::new(),
        }
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
            verdict("a", "c", "B", "A"),
            verdict("a", "c", "B", "B"),
            verdict("b", "c", "B", "A"),
            verdict("b", "c", "B", "B"),
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
        // Two orders that disagree are a tie: neither is stronger.
        let split = [verdict("a", "b", "A", "A"), verdict("a", "b", "B", "B")];
        let ids: Vec<&str> = rank(&docs[..2], &split)
            .iter()
            .map(|d| d.id.as_str())
            .collect();
        assert_eq!(ids, ["b", "a"], "a tie: the higher mean score");
        assert_eq!(top_by_score(&docs, 2), ["b", "c"]);
    }
}
