//! Each document's own record: its mean score, and its wins, losses and ties against the
//! other documents of its input (one outcome per comparison trial, as the rankings count
//! them: two orders that disagree are a tie).

use std::collections::HashMap;

use super::trials::trials;
use crate::domain::run::RunDetail;

/// One document's scores and pairwise record.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct DocumentRecord {
    /// The document.
    pub document_id: String,
    /// Its mean score over every criterion, judge and trial; `None` if unscored.
    pub mean_score: Option<f64>,
    /// Scores given to it.
    pub scores: u32,
    /// Comparison trials it won.
    pub wins: u32,
    /// Comparison trials it lost.
    pub losses: u32,
    /// Comparison trials that were a tie.
    pub ties: u32,
}

/// Every document's record, in `run.documents` order.
pub fn document_records(run: &RunDetail) -> Vec<DocumentRecord> {
    let mut sums: HashMap<&str, (i64, u32)> = HashMap::new();
    for s in &run.scores {
        let e = sums.entry(&s.document_id).or_default();
        e.0 += s.score;
        e.1 += 1;
    }
    let mut record: HashMap<&str, (u32, u32, u32)> = HashMap::new();
    for t in trials(&run.pairwise) {
        let (a_win, b_win) = match t.score_a {
            s if s > 0.5 => ((1, 0, 0), (0, 1, 0)),
            s if s < 0.5 => ((0, 1, 0), (1, 0, 0)),
            _ => ((0, 0, 1), (0, 0, 1)),
        };
        for (doc, (w, l, tie)) in [(t.doc_a, a_win), (t.doc_b, b_win)] {
            let e = record.entry(doc).or_default();
            e.0 += w;
            e.1 += l;
            e.2 += tie;
        }
    }
    run.documents
        .iter()
        .map(|d| {
            let (sum, n) = sums.get(d.id.as_str()).copied().unwrap_or_default();
            let (wins, losses, ties) = record.get(d.id.as_str()).copied().unwrap_or_default();
            DocumentRecord {
                document_id: d.id.clone(),
                mean_score: (n > 0).then(|| sum as f64 / f64::from(n)),
                scores: n,
                wins,
                losses,
                ties,
            }
        })
        .collect()
}
