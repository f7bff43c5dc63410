//! CSV export: one row per score, one per pairwise verdict and one per problem of a failed
//! task, told apart by `kind` (a `failure` row has the task's kind in `criterion`, the
//! problem's code in `winner` and its sentence in `reason`). Rows are
//! ordered by what they are (input, model, iteration, criterion or judge, trial, order shown),
//! never by ids, so the same results give the same bytes in any profile.

use std::collections::HashMap;
use std::fmt::Write;

use super::ReportData;

const HEADER: &str = "kind,input,model,model_b,criterion,judge,trial,score,winner,shown_first,reason,iteration,iteration_b\n";

pub(super) fn render(data: &ReportData<'_>) -> String {
    let docs: HashMap<&str, (&str, &str, i64)> = data
        .run
        .documents
        .iter()
        .map(|d| {
            (
                d.id.as_str(),
                (
                    d.input_name.as_deref().unwrap_or(""),
                    d.model.as_str(),
                    d.iteration,
                ),
            )
        })
        .collect();
    let find = |id: &str| docs.get(id).copied().unwrap_or(("", "", 0));
    let mut out = String::from(HEADER);
    let mut scores: Vec<_> = data.run.scores.iter().collect();
    scores.sort_by(|a, b| {
        (find(&a.document_id), &a.criterion, &a.judge, a.trial).cmp(&(
            find(&b.document_id),
            &b.criterion,
            &b.judge,
            b.trial,
        ))
    });
    for s in scores {
        let (input, model, iteration) = find(&s.document_id);
        let row = [
            "score",
            input,
            model,
            "",
            &s.criterion,
            &s.judge,
            &s.trial.to_string(),
            &s.score.to_string(),
            "",
            "",
            &s.reason,
            &iteration.to_string(),
            "",
        ];
        line(&mut out, &row);
    }
    let mut verdicts: Vec<_> = data.run.pairwise.iter().collect();
    verdicts.sort_by(|a, b| {
        (
            find(&a.doc_a),
            find(&a.doc_b),
            &a.judge,
            a.trial,
            &a.shown_first,
        )
            .cmp(&(
                find(&b.doc_a),
                find(&b.doc_b),
                &b.judge,
                b.trial,
                &b.shown_first,
            ))
    });
    for v in verdicts {
        let (input, model_a, iteration_a) = find(&v.doc_a);
        let (_, model_b, iteration_b) = find(&v.doc_b);
        let winner = v.winner.as_deref().unwrap_or("tie");
        let row = [
            "pairwise",
            input,
            model_a,
            model_b,
            "",
            &v.judge,
            &v.trial.to_string(),
            "",
            winner,
            &v.shown_first,
            &v.reason,
            &iteration_a.to_string(),
            &iteration_b.to_string(),
        ];
        line(&mut out, &row);
    }
    // A failed task: one row per problem of its last answer, or one row with its error.
    for f in &data.run.failures {
        let input = f.input_name.as_deref().unwrap_or("");
        let rows: Vec<(String, String)> = if f.problems.is_empty() {
            vec![(
                String::new(),
                f.error
                    .split("\n---\n")
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            )]
        } else {
            f.problems
                .iter()
                .map(|p| {
                    let code = p.code.as_str().to_owned();
                    (code, p.message.clone())
                })
                .collect()
        };
        for (code, message) in rows {
            let row = [
                "failure",
                input,
                &f.label,
                "",
                &f.kind,
                "",
                &f.iteration.to_string(),
                "",
                &code,
                "",
                &message,
                &f.iteration.to_string(),
                "",
            ];
            line(&mut out, &row);
        }
    }
    out
}

/// Writes one RFC 4180 row: fields with commas, quotes or line breaks are quoted. A field
/// starting with = + - @ is prefixed with ' so spreadsheets do not run it as a formula.
fn line(out: &mut String, fields: &[&str]) {
    let cells: Vec<String> = fields
        .iter()
        .map(|f| {
            let f = if f.starts_with(['=', '+', '-', '@']) {
                format!("'{f}")
            } else {
                (*f).to_owned()
            };
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f
            }
        })
        .collect();
    let _ = writeln!(out, "{}", cells.join(","));
}

#[cfg(test)]
mod tests {
    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        let mut out = String::new();
        super::line(&mut out, &["a,b", "say \"hi\"", "=SUM(A1)", "plain"]);
        assert_eq!(out, "\"a,b\",\"say \"\"hi\"\"\",'=SUM(A1),plain\n");
    }
}
