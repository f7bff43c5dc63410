//! The comparison of two runs as a file: offline HTML (inline CSS, no scripts) or JSON, with
//! the same rounding and the same bytes for the same runs.

use std::fmt::Write;

use super::{ReportFormat, esc};
use crate::domain::run::RunDetail;
use crate::error::{Error, Result};
use crate::numbers::{fixed, signed};
use crate::rankings::compare::RunComparison;

/// Renders `c` (of runs `a` and `b`) in `format` (HTML or JSON).
pub fn render(
    c: &RunComparison,
    a: &RunDetail,
    b: &RunDetail,
    format: ReportFormat,
) -> Result<Vec<u8>> {
    match format {
        ReportFormat::Html => Ok(html(c, a, b).into_bytes()),
        ReportFormat::Json => {
            let mut out = serde_json::to_vec_pretty(c).map_err(|e| {
                Error::InvalidInput(format!("could not encode the comparison: {e}"))
            })?;
            out.push(b'\n');
            Ok(out)
        }
        ReportFormat::Csv => Err(Error::InvalidInput(
            "a comparison is written as html or json".into(),
        )),
    }
}

/// Renders and writes the comparison to `path` atomically; returns the bytes written.
pub fn write_file(
    c: &RunComparison,
    a: &RunDetail,
    b: &RunDetail,
    format: ReportFormat,
    path: &std::path::Path,
) -> Result<usize> {
    let bytes = render(c, a, b, format)?;
    crate::fs::write_atomic(path, &bytes)?;
    Ok(bytes.len())
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| "—".into(), f)
}

fn html(c: &RunComparison, a: &RunDetail, b: &RunDetail) -> String {
    let mut h = String::new();
    let title = format!("{} vs {}", a.summary.title, b.summary.title);
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>{}</title><style>{}</style></head><body>\n<h1>{}</h1>\
         <p class=\"meta\">A: {} ({}) · B: {} ({})</p>",
        esc(&title),
        super::html::STYLE,
        esc(&title),
        esc(&a.summary.title),
        esc(&a.summary.id),
        esc(&b.summary.title),
        esc(&b.summary.id)
    );
    h.push_str(
        "<h2>Mean score by model and criterion</h2><p class=\"meta\">Change = B − A, with a 95% \
         bootstrap interval over documents (fixed seed).</p><table><tr><th>model</th>\
         <th>criterion</th><th>A</th><th>B</th><th>change</th><th>95% interval</th></tr>",
    );
    for r in &c.rows {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&r.model),
            esc(&r.criterion),
            opt(r.mean_a, |v| fixed(v, 2)),
            opt(r.mean_b, |v| fixed(v, 2)),
            opt(r.delta, |v| signed(v, 2)),
            match (r.ci_low, r.ci_high) {
                (Some(l), Some(u)) => format!("{} to {}", signed(l, 2), signed(u, 2)),
                _ => "—".into(),
            }
        );
    }
    h.push_str(
        "</table><h2>Rank by mean score</h2><table><tr><th>model</th><th>A</th><th>B</th></tr>",
    );
    for r in &c.ranking {
        let rank = |v: Option<u32>| v.map_or_else(|| "—".into(), |n| n.to_string());
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&r.model),
            rank(r.rank_a),
            rank(r.rank_b)
        );
    }
    h.push_str("</table></body></html>\n");
    h
}
