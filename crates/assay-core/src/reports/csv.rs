//! CSV export: one row per score, one per pairwise verdict and one per problem of a failed
//! task, told apart by `kind` (a `failure` row has the task's kind in `criterion`, the
//! problem's code in `winner` and its sentence in `reason`). Rows are
//! ordered by what they are (input, model, iteration, criterion or judge, trial, order shown),
//! never by ids, so the same results give the same bytes in any profile.

use std::collections::HashMap;

use super::ReportData;

const HEADER: [&str; 13] = [
    "kind",
    "input",
    "model",
    "model_b",
    "criterion",
    "judge",
    "trial",
    "score",
    "winner",
    "shown_first",
    "reason",
    "iteration",
    "iteration_b",
];

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
    let mut out = writer();
    line(&mut out, &HEADER);
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
    finish(out)
}

/// Rows in memory, RFC 4180 through the `csv` crate, each ended by a line feed.
fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new())
}

/// Writes one row (fields with commas, quotes or line breaks quoted). A field starting with
/// = + - @ is prefixed with ' so spreadsheets do not run it as a formula.
fn line(out: &mut csv::Writer<Vec<u8>>, fields: &[&str]) {
    let defused = fields.iter().map(|f| {
        if f.starts_with(['=', '+', '-', '@']) {
            format!("'{f}")
        } else {
            (*f).to_owned()
        }
    });
    // Writing to memory cannot fail.
    let _ = out.write_record(defused);
}

/// The rows as text: every field came in as UTF-8, so the bytes are too.
fn finish(out: csv::Writer<Vec<u8>>) -> String {
    let bytes = out
        .into_inner()
        .map_err(|e| e.into_error())
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        let mut out = super::writer();
        super::line(
            &mut out,
            &["a,b", "say \"hi\"", "=SUM(A1)", "plain", "two\nlines", ""],
        );
        assert_eq!(
            super::finish(out),
            "\"a,b\",\"say \"\"hi\"\"\",'=SUM(A1),plain,\"two\nlines\",\n"
        );
    }
}
