//! The HTML report: one file, inline CSS and SVG, no scripts and no external resources.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::charts::{self, Bar};
use super::judgements;
use super::{ReportData, esc};
use crate::domain::run::RunDetail;
use crate::numbers::{fixed, signed};

pub(super) const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Ubuntu,sans-serif;margin:2rem auto;max-width:70rem;color:#1c2330;line-height:1.5;padding:0 1rem}
h1{color:#1f3a5f;margin-bottom:.2rem}h2{border-bottom:1px solid #dde2ea;padding-bottom:.2rem;margin-top:2.2rem}
table{border-collapse:collapse;margin:.6rem 0}th,td{border:1px solid #dde2ea;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f3f5f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
.meta{color:#5b6577}.chart text{font-size:12px;fill:#1c2330}.chart .head{font-weight:600}.chart .cell{font-size:12px}
.chart .small{font-size:10px}.chart .bar{fill:#7fb3e6}.chart .whisker{stroke:#1f3a5f;stroke-width:1.5}
.chart .axis{stroke:#8a94a6;stroke-dasharray:3 3}.chart .empty{fill:#eef0f4}
.phase-generating{fill:#7fb3e6}.phase-single_eval,.phase-scoring{fill:#a8d08d}.phase-pairwise_eval,.phase-comparing{fill:#f2c14e}.phase-combining{fill:#c9a0dc}
.status-failed{stroke:#d7301f;stroke-width:1.5}.status-retried{fill:#b9bfc9}
article.doc{border:1px solid #dde2ea;border-radius:6px;padding:.2rem 1.2rem;margin:1rem 0}
article.doc header{color:#5b6577;font-size:.9rem;padding-top:.6rem}
";

pub(super) fn render(data: &ReportData<'_>) -> String {
    let run = data.run;
    let r = &data.rankings;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n",
        esc(&run.summary.title)
    );
    let _ = write!(
        h,
        "<h1>{}</h1><p class=\"meta\">Run {} · {} · preset “{}” · started {} · completed {}</p>",
        esc(&run.summary.title),
        esc(&run.summary.id),
        esc(run.summary.status.as_str()),
        esc(&run.config.preset_name),
        esc(run.started_at.as_deref().unwrap_or("—")),
        esc(run.summary.completed_at.as_deref().unwrap_or("—")),
    );
    let models: Vec<String> = run
        .config
        .config
        .models
        .iter()
        .map(|m| format!("{}/{}", m.provider, m.model))
        .collect();
    let judges: Vec<String> = run.config.config.judges.iter().map(|j| j.label()).collect();
    let _ = write!(
        h,
        "<p>{} documents from {} models ({}), judged by {} ({} trial{} each). {} tokens, {}.</p>",
        run.documents.len(),
        models.len(),
        esc(&models.join(", ")),
        esc(&judges.join(", ")),
        run.config.config.eval_iterations,
        if run.config.config.eval_iterations == 1 {
            ""
        } else {
            "s"
        },
        run.summary.total_tokens,
        crate::numbers::cost_text(
            run.summary.total_cost,
            run.summary.unknown_cost_calls,
            run.events.len() as i64,
            4
        )
    );

    if let Some(unscored) = &run.unscored.summary {
        let _ = write!(h, "<p data-note>{}.</p>", esc(unscored));
    }
    h.push_str("<h2>Rankings</h2><table><tr><th>model</th><th>mean score</th><th>sd</th><th>min–max</th><th>Elo</th><th>Bradley–Terry (95% CI)</th></tr>");
    for rating in &r.ratings {
        let stats = r.by_model.iter().find(|m| m.model == rating.model);
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} ({}–{})</td></tr>",
            esc(&rating.model),
            stats.map_or("—".into(), |s| fixed(s.stats.mean, 2)),
            stats.map_or("—".into(), |s| fixed(s.stats.std_dev, 2)),
            stats.map_or("—".into(), |s| format!("{}–{}", s.stats.min, s.stats.max)),
            fixed(rating.elo, 1),
            fixed(rating.bt_strength, 2),
            fixed(rating.bt_low, 2),
            fixed(rating.bt_high, 2)
        );
    }
    h.push_str("</table>");

    let criteria: Vec<String> = run
        .scores
        .iter()
        .map(|s| s.criterion.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let rows: Vec<String> = run
        .documents
        .iter()
        .map(|d| format!("{} · {}", d.input_name.as_deref().unwrap_or("?"), d.model))
        .collect();
    h.push_str("<h2>Scores</h2><h3>All judges, averaged</h3>");
    h.push_str(&charts::heatmap(
        &rows,
        &criteria,
        &cells(run, &criteria, None),
    ));
    for judge in run
        .scores
        .iter()
        .map(|s| s.judge.as_str())
        .collect::<BTreeSet<_>>()
    {
        let _ = write!(h, "<h3>{}</h3>", esc(judge));
        h.push_str(&charts::heatmap(
            &rows,
            &criteria,
            &cells(run, &criteria, Some(judge)),
        ));
    }
    h.push_str("<h3>Per model and criterion</h3><table><tr><th>model</th><th>criterion</th><th>n</th><th>mean</th><th>sd</th><th>min</th><th>max</th></tr>");
    for s in &r.by_model_criterion {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&s.model),
            esc(&s.criterion),
            s.stats.n,
            fixed(s.stats.mean, 2),
            fixed(s.stats.std_dev, 2),
            s.stats.min,
            s.stats.max
        );
    }
    h.push_str("</table><h3>Judges</h3><table><tr><th>judge</th><th>scores compared</th><th>mean deviation from the other judges</th><th>mean absolute deviation</th></tr>");
    for j in &r.judges {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&j.judge),
            j.n,
            signed(j.mean_deviation, 2),
            fixed(j.mean_abs_deviation, 2)
        );
    }
    h.push_str("</table>");
    if let Some(a) = &r.judge_agreement {
        let _ = write!(
            h,
            "<p data-agreement>Agreement between judges: Krippendorff's alpha (ordinal) {} over {} \
             document × criterion units scored by {} judges: {}.</p>",
            fixed(a.alpha, 3),
            a.units,
            a.judges,
            esc(&a.meaning)
        );
    }
    if let Some(note) = &r.notes.agreement {
        let _ = write!(h, "<p data-note>{}</p>", esc(note));
    }
    match &r.notes.pairwise {
        Some(note) => {
            let _ = write!(h, "<h2>Pairwise</h2><p data-note>{}</p>", esc(note));
        }
        None => model_ratings(&mut h, r),
    }
    if !r.position_consistency.is_empty() {
        h.push_str(
            "<h3>Position consistency</h3><p>Each trial asks a judge both orders; two verdicts \
             that disagree count as a tie.</p><table><tr><th>judge</th><th>trials in both \
             orders</th><th>agreed</th><th>rate</th></tr>",
        );
        for c in &r.position_consistency {
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}%</td></tr>",
                esc(&c.judge),
                c.trials,
                c.consistent,
                fixed(c.rate * 100.0, 1)
            );
        }
        h.push_str("</table>");
    }
    if !r.best_documents.is_empty() {
        h.push_str(
            "<h2>Best document per input</h2><p>Highest Bradley–Terry strength within the \
             input (comparisons after combining included), then the higher mean score, then \
             the earlier document.</p><table><tr><th>input</th><th>model</th><th>kind</th><th>decided by</th></tr>",
        );
        for b in &r.best_documents {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&b.input),
                esc(&b.model),
                esc(&b.kind),
                b.decided_by.describe()
            );
        }
        h.push_str("</table>");
    }

    cost_and_time(&mut h, run);
    timeline(&mut h, run);

    judgements::verdicts(&mut h, run);
    failures(&mut h, run);
    h.push_str("<h2>Documents</h2>");
    for (d, record) in run.documents.iter().zip(
        r.document_records
            .iter()
            .map(Some)
            .chain(std::iter::repeat(None)),
    ) {
        let _ = write!(
            h,
            "<article class=\"doc\"><header>{} · {}{} · {} tokens in, {} out · {} s · {}</header>",
            esc(d.input_name.as_deref().unwrap_or("?")),
            esc(&d.model),
            match (d.kind.as_str(), d.truncated) {
                ("combined", true) => " · combined · cut off at its token limit",
                ("combined", false) => " · combined",
                (_, true) => " · cut off at its token limit",
                _ => "",
            },
            d.tokens_in,
            d.tokens_out,
            fixed(d.latency_ms as f64 / 1000.0, 1),
            esc(&judgements::summary(d, record)),
        );
        judgements::scores(&mut h, run, d);
        h.push_str(&crate::markdown::to_html(&d.body));
        h.push_str("</article>");
    }
    h.push_str("</body></html>\n");
    h
}

/// The win matrix between models and their Elo and Bradley–Terry ratings.
fn model_ratings(h: &mut String, r: &crate::rankings::RunRankings) {
    h.push_str(
        "<h2>Pairwise</h2><h3>Wins (row beat column), ties in brackets</h3><p class=\"meta\">\
         Each cell counts comparison trials between a document of the row's model and one of \
         the column's, over every input and judge: how many the row's document won, and in \
         brackets how many were a tie (a judge that picked differently in the two orders of a \
         trial counts as a tie). The row's losses are the column's wins.</p><table><tr><th></th>",
    );
    for m in &r.win_matrix.models {
        let _ = write!(h, "<th>{}</th>", esc(m));
    }
    h.push_str("</tr>");
    for (i, m) in r.win_matrix.models.iter().enumerate() {
        let _ = write!(h, "<tr><th>{}</th>", esc(m));
        for j in 0..r.win_matrix.models.len() {
            if i == j {
                h.push_str("<td class=\"num\">—</td>");
            } else {
                let _ = write!(
                    h,
                    "<td class=\"num\">{} ({})</td>",
                    r.win_matrix.wins[i][j], r.win_matrix.ties[i][j]
                );
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</table><h3>Elo (K = 32, start 1000)</h3>");
    let elo: Vec<Bar> = r
        .ratings
        .iter()
        .map(|x| Bar {
            label: x.model.clone(),
            value: x.elo,
            interval: None,
            text: fixed(x.elo, 1),
        })
        .collect();
    h.push_str(&charts::bars(&elo, 1000.0, 1000.0));
    h.push_str("<h3>Bradley–Terry strength, 95% bootstrap interval</h3>");
    let bt: Vec<Bar> = r
        .ratings
        .iter()
        .map(|x| Bar {
            label: x.model.clone(),
            value: x.bt_strength,
            interval: Some((x.bt_low, x.bt_high)),
            text: fixed(x.bt_strength, 2),
        })
        .collect();
    h.push_str(&charts::bars(&bt, 0.0, 1.0));
}

/// Each failed task: what was wrong first, then every attempt's text folded under it.
fn failures(h: &mut String, run: &RunDetail) {
    if run.failures.is_empty() {
        return;
    }
    let _ = write!(
        h,
        "<h2>Failures</h2><p>{} task{} failed.</p>",
        run.failures.len(),
        if run.failures.len() == 1 { "" } else { "s" }
    );
    for f in &run.failures {
        let _ = write!(
            h,
            "<section class=\"failure\"><h3>{} · {} · {} {} · {}</h3>",
            esc(&f.kind),
            esc(&f.label),
            if f.kind == "score" || f.kind == "compare" {
                "trial"
            } else {
                "iteration"
            },
            f.iteration,
            esc(f.input_name.as_deref().unwrap_or("?"))
        );
        if f.problems.is_empty() {
            let why = f.error.split("\n---\n").next().unwrap_or_default();
            let _ = write!(h, "<p>{}</p>", esc(why));
        } else {
            h.push_str("<ul>");
            for p in &f.problems {
                let code = p.code.as_str().to_owned();
                let _ = write!(
                    h,
                    "<li><code>{}</code> {}</li>",
                    esc(&code),
                    esc(&p.message)
                );
            }
            h.push_str("</ul>");
        }
        for a in &f.attempts {
            let _ = write!(
                h,
                "<details><summary>attempt {} ({}{})</summary><pre>{}</pre></details>",
                a.attempt,
                esc(&a.outcome),
                if a.problems.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", {} problem{}",
                        a.problems.len(),
                        if a.problems.len() == 1 { "" } else { "s" }
                    )
                },
                esc(&a.text)
            );
        }
        h.push_str("</section>");
    }
}

fn cells(run: &RunDetail, criteria: &[String], judge: Option<&str>) -> Vec<Vec<Option<f64>>> {
    run.documents
        .iter()
        .map(|d| {
            criteria
                .iter()
                .map(|c| {
                    let v: Vec<i64> = run
                        .scores
                        .iter()
                        .filter(|s| {
                            s.document_id == d.id
                                && &s.criterion == c
                                && judge.is_none_or(|j| s.judge == j)
                        })
                        .map(|s| s.score)
                        .collect();
                    (!v.is_empty()).then(|| v.iter().sum::<i64>() as f64 / v.len() as f64)
                })
                .collect()
        })
        .collect()
}

fn seconds(from: &str, to: &str) -> Option<f64> {
    let a: jiff::Timestamp = from.parse().ok()?;
    let b: jiff::Timestamp = to.parse().ok()?;
    Some((b.as_millisecond() - a.as_millisecond()) as f64 / 1000.0)
}

/// (calls, tokens in, tokens out, known cost, calls of unknown cost, call seconds) of one
/// actor in one phase.
type Usage = (i64, i64, i64, f64, i64, f64);

fn cost_and_time(h: &mut String, run: &RunDetail) {
    let mut by: BTreeMap<(&str, &str), Usage> = BTreeMap::new();
    for e in &run.events {
        let entry = by.entry((e.actor.as_str(), e.phase.as_str())).or_default();
        entry.0 += 1;
        entry.1 += e.tokens_in;
        entry.2 += e.tokens_out;
        match e.cost {
            Some(cost) => entry.3 += cost,
            None => entry.4 += 1,
        }
        entry.5 += seconds(&e.started_at, &e.ended_at).unwrap_or(0.0);
    }
    h.push_str("<h2>Cost and time by model</h2><table><tr><th>model</th><th>role</th><th>calls</th><th>tokens in</th><th>tokens out</th><th>cost (USD)</th><th>call time (s)</th></tr>");
    for ((actor, phase), (calls, tin, tout, cost, unknown, secs)) in &by {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{calls}</td><td class=\"num\">{tin}</td><td class=\"num\">{tout}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(actor),
            esc(phase),
            crate::numbers::cost_text(*cost, *unknown, *calls, 6),
            fixed(*secs, 1)
        );
    }
    h.push_str("</table>");
    let mut per_actor: BTreeMap<&str, f64> = BTreeMap::new();
    for ((actor, _), v) in &by {
        *per_actor.entry(actor).or_default() += v.3;
    }
    let bars: Vec<Bar> = per_actor
        .into_iter()
        .map(|(a, c)| Bar {
            label: a.to_owned(),
            value: c,
            interval: None,
            text: format!("${}", fixed(c, 4)),
        })
        .collect();
    h.push_str(&charts::bars(&bars, 0.0, 0.0));
}

fn timeline(h: &mut String, run: &RunDetail) {
    if run.events.is_empty() {
        return;
    }
    let t = super::timeline::layout(run);
    let _ = write!(
        h,
        "<h2>Timeline</h2><p class=\"meta\">Each bar is one call, on its endpoint's lane; a \
         lane has a row for each call in flight at once. Colour is the phase (generating blue, \
         scoring green, comparing amber); failed calls are outlined red, retried attempts \
         ({} in all) grey.</p>",
        t.retried
    );
    h.push_str(&charts::timeline(&t));
}
