//! The report's drill-down, the same as the app's: under each document its mean score,
//! pairwise record and cost, then each judge's score and reason per criterion and trial; and
//! per pair of documents the judges' verdicts with their reasons. Closed `<details>`, so the
//! report reads short and opens without a script.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::esc;
use crate::domain::run::{GeneratedDocument, RunDetail};
use crate::numbers::{fixed, one_cost};
use crate::rankings::records::DocumentRecord;

/// A document's one-line summary: mean score, record and cost.
pub(super) fn summary(d: &GeneratedDocument, record: Option<&DocumentRecord>) -> String {
    let mean = record.and_then(|r| r.mean_score).map_or_else(
        || "not scored".to_owned(),
        |m| format!("mean score {}", fixed(m, 2)),
    );
    let played = record.map_or(0, |r| r.wins + r.losses + r.ties);
    let pairwise = match record {
        Some(r) if played > 0 => format!(" · won {}, lost {}, tied {}", r.wins, r.losses, r.ties),
        _ => String::new(),
    };
    format!("{mean}{pairwise} · {}", one_cost(d.cost, 6))
}

/// Each judge's scores of document `d`, with reasons.
pub(super) fn scores(h: &mut String, run: &RunDetail, d: &GeneratedDocument) {
    let mut rows: Vec<_> = run
        .scores
        .iter()
        .filter(|s| s.document_id == d.id)
        .collect();
    if rows.is_empty() {
        return;
    }
    rows.sort_by(|a, b| (&a.judge, a.trial, &a.criterion).cmp(&(&b.judge, b.trial, &b.criterion)));
    let _ = write!(
        h,
        "<details><summary>{} scores with the judges' reasons</summary><table><tr><th>judge</th>\
         <th>trial</th><th>criterion</th><th>score</th><th>reason</th></tr>",
        rows.len()
    );
    for s in rows {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&s.judge),
            s.trial,
            esc(&s.criterion),
            s.score,
            esc(&s.reason)
        );
    }
    h.push_str("</table></details>");
}

/// Every pair's verdicts with the judges' reasons, grouped by pair.
pub(super) fn verdicts(h: &mut String, run: &RunDetail) {
    if run.pairwise.is_empty() {
        return;
    }
    let name = |id: &str| {
        run.documents.iter().find(|d| d.id == id).map_or_else(
            || id.to_owned(),
            |d| format!("{} #{}", d.model, d.iteration),
        )
    };
    let input = |id: &str| {
        run.documents
            .iter()
            .find(|d| d.id == id)
            .and_then(|d| d.input_name.clone())
            .unwrap_or_default()
    };
    let mut pairs: BTreeMap<(String, String, String), Vec<_>> = BTreeMap::new();
    for v in &run.pairwise {
        // By what the documents are, never by id, so the same results render the same bytes.
        let (a, b) = (name(&v.doc_a), name(&v.doc_b));
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        pairs.entry((input(&v.doc_a), a, b)).or_default().push(v);
    }
    h.push_str(
        "<h3>Verdicts with reasons</h3><p class=\"meta\">Every comparison a judge made, by pair; \
         “shown first” is the document the judge read as A.</p>",
    );
    for ((input, a, b), mut verdicts) in pairs {
        verdicts.sort_by(|x, y| {
            (&x.judge, x.trial, &x.shown_first).cmp(&(&y.judge, y.trial, &y.shown_first))
        });
        let _ = write!(
            h,
            "<details><summary>{} · {} vs {} ({} verdicts)</summary><table><tr><th>judge</th>\
             <th>trial</th><th>shown first</th><th>winner</th><th>reason</th></tr>",
            esc(&input),
            esc(&a),
            esc(&b),
            verdicts.len()
        );
        for v in verdicts {
            let winner = match v.winner.as_deref() {
                Some("A") => name(&v.doc_a),
                Some("B") => name(&v.doc_b),
                _ => "tie".to_owned(),
            };
            let first = if v.shown_first == "B" {
                &v.doc_b
            } else {
                &v.doc_a
            };
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&v.judge),
                v.trial,
                esc(&name(first)),
                esc(&winner),
                esc(&v.reason)
            );
        }
        h.push_str("</table></details>");
    }
}
