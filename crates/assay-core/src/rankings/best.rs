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

/// The indices of `docs`, best first.
pub fn rank(docs: &[Candidate<'_>], trials: &[Trial<'_>]) -> Vec<usize> {
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
    order
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
            let best = docs[*rank(&candidates, &trials).first()?];
            Some(BestDocument {
                input: input.to_owned(),
                document_id: best.id.clone(),
                model: best.model.clone(),
                iteration: best.iteration,
                kind: best.kind.clone(),
            })
        })
        .collect()
}
