//! Ranking the documents of one input, and the final best document of each input: the
//! highest Bradley–Terry strength over every comparison within the input (post-combine
//! comparisons included), then the higher mean score, then the earlier document.

use std::collections::{BTreeMap, HashMap};

use super::BT_PRIOR;
use super::pairwise::{Match, bradley_terry};
use super::trials::Trial;
use crate::domain::run::RunDetail;

/// A document to rank: its id and mean score (if scored), in the order the documents
/// arrived.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its mean score over every criterion, judge and trial.
    pub mean_score: Option<f64>,
}

/// What put an input's best document first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    /// It was the input's only document.
    Only,
    /// The highest Bradley–Terry strength from the comparisons within the input.
    Pairwise,
    /// Strengths tied (or no comparisons): the higher mean score.
    MeanScore,
    /// Strengths and mean scores tied: the earlier document.
    Arrival,
}

impl DecidedBy {
    /// In words, for reports and the app.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Only => "the only document",
            Self::Pairwise => "pairwise (Bradley–Terry)",
            Self::MeanScore => "mean score (pairwise tied)",
            Self::Arrival => "the earlier (pairwise and scores tied)",
        }
    }
}

/// The indices of `docs`, best first.
pub fn rank(docs: &[Candidate<'_>], trials: &[Trial<'_>]) -> Vec<usize> {
    rank_with_reason(docs, trials).0
}

/// The indices of `docs`, best first, and what separated the first from the second.
pub fn rank_with_reason(docs: &[Candidate<'_>], trials: &[Trial<'_>]) -> (Vec<usize>, DecidedBy) {
    let index: HashMap<&str, usize> = docs.iter().enumerate().map(|(i, d)| (d.id, i)).collect();
    let matches: Vec<Match> = trials
        .iter()
        .filter_map(|t| {
            Some(Match {
                a: *index.get(t.doc_a)?,
                b: *index.get(t.doc_b)?,
                score_a: t.score_a,
            })
        })
        .collect();
    let strength = if matches.is_empty() {
        vec![1.0; docs.len()]
    } else {
        bradley_terry(docs.len(), &matches, BT_PRIOR)
    };
    let mean = |i: usize| docs[i].mean_score.unwrap_or(f64::MIN);
    let mut order: Vec<usize> = (0..docs.len()).collect();
    order.sort_by(|&x, &y| {
        strength[y]
            .total_cmp(&strength[x])
            .then(mean(y).total_cmp(&mean(x)))
            .then(x.cmp(&y))
    });
    let decided = match order.as_slice() {
        [first, second, ..] if strength[*first] != strength[*second] => DecidedBy::Pairwise,
        [first, second, ..] if mean(*first) != mean(*second) => DecidedBy::MeanScore,
        [_, _, ..] => DecidedBy::Arrival,
        _ => DecidedBy::Only,
    };
    (order, decided)
}

/// The best document of one input.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct BestDocument {
    /// The input's name (or id, if the input is gone).
    pub input: String,
    /// The document.
    pub document_id: String,
    /// Its contestant.
    pub model: String,
    /// Its iteration.
    pub iteration: i64,
    /// `generated` or `combined`.
    pub kind: String,
    /// What put it first: `pairwise` (Bradley–Terry strength within the input),
    /// `mean_score` (strengths tied), `arrival` (both tied) or `only`.
    pub decided_by: DecidedBy,
}

/// Each input's best document.
pub fn best_documents(run: &RunDetail) -> Vec<BestDocument> {
    let mut means: HashMap<&str, (f64, u32)> = HashMap::new();
    for s in &run.scores {
        let e = means.entry(&s.document_id).or_default();
        e.0 += s.score as f64;
        e.1 += 1;
    }
    let mut by_input: BTreeMap<&str, Vec<&crate::domain::run::GeneratedDocument>> = BTreeMap::new();
    for d in run.documents.iter().filter(|d| d.status == "succeeded") {
        let input = d
            .input_name
            .as_deref()
            .or(d.input_id.as_deref())
            .unwrap_or("");
        by_input.entry(input).or_default().push(d);
    }
    let trials = super::trials::trials(&run.pairwise);
    by_input
        .into_iter()
        .filter_map(|(input, mut docs)| {
            // The earlier first; documents that arrived together by what they are, never by
            // id, so the same results rank the same in any profile.
            docs.sort_by(|a, b| {
                (&a.created_at, &a.kind, &a.model, a.iteration).cmp(&(
                    &b.created_at,
                    &b.kind,
                    &b.model,
                    b.iteration,
                ))
            });
            let candidates: Vec<Candidate<'_>> = docs
                .iter()
                .map(|d| Candidate {
                    id: &d.id,
                    mean_score: means.get(d.id.as_str()).map(|(sum, n)| sum / f64::from(*n)),
                })
                .collect();
            let (order, decided_by) = rank_with_reason(&candidates, &trials);
            let best = docs[*order.first()?];
            Some(BestDocument {
                input: input.to_owned(),
                document_id: best.id.clone(),
                model: best.model.clone(),
                iteration: best.iteration,
                kind: best.kind.clone(),
                decided_by,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, mean_score: Option<f64>) -> Candidate<'_> {
        Candidate { id, mean_score }
    }

    fn beat<'a>(winner: &'a str, loser: &'a str) -> Trial<'a> {
        Trial {
            doc_a: winner,
            doc_b: loser,
            judge: "j",
            trial: 1,
            score_a: 1.0,
            consistent: Some(true),
            shown_first: "A",
        }
    }

    #[test]
    fn says_which_ranking_put_the_best_document_first() {
        let two = [doc("x", Some(4.0)), doc("y", Some(2.0))];
        // y beat x in the comparisons, though x scored higher: pairwise decides.
        assert_eq!(
            rank_with_reason(&two, &[beat("y", "x")]),
            (vec![1, 0], DecidedBy::Pairwise)
        );
        // No comparisons: the mean score decides.
        assert_eq!(
            rank_with_reason(&two, &[]),
            (vec![0, 1], DecidedBy::MeanScore)
        );
        // Nothing separates them: the earlier.
        let tied = [doc("x", Some(3.0)), doc("y", Some(3.0))];
        assert_eq!(
            rank_with_reason(&tied, &[]),
            (vec![0, 1], DecidedBy::Arrival)
        );
        assert_eq!(rank_with_reason(&two[..1], &[]), (vec![0], DecidedBy::Only));
    }
}
