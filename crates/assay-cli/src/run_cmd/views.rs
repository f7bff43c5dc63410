//! How runs print as text: the list, one run with its rankings, documents and failures,
//! and a run's estimate. With `--json` each is the core type as it is.

use assay_core::display::{self, name};
use assay_core::domain::run::{RunDetail, RunSummary};
use assay_core::numbers::{cost_text, fixed};

use crate::output::Render;

/// What `assay run estimate` prints.
#[derive(serde::Serialize)]
pub struct Estimate(pub assay_core::engine::estimate::RunEstimate);

impl Render for Estimate {
    fn text(&self) -> String {
        let e = &self.0;
        let t = &e.tasks;
        let cost = match e.worst_case_usd {
            Some(usd) => format!("at most ${usd:.2}"),
            None => format!("unknown (no price for {})", e.unpriced.join(", ")),
        };
        format!(
            "calls: {} generate, {} score, {} compare, {} combine\ncost: {cost}\ntokens: at most {}\n\
             judge answers: at most {} tokens each ({})\n",
            t.generate.total,
            t.score.total,
            t.compare.total,
            t.combine.total,
            e.worst_case_tokens,
            e.judge_max_tokens,
            if e.judge_max_tokens_auto {
                "enough for every criterion's reason; set judge_max_tokens to change it"
            } else {
                "the preset's judge_max_tokens"
            }
        )
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
pub(super) struct RunList(pub(super) Vec<RunSummary>);

impl Render for RunList {
    fn text(&self) -> String {
        let mut out = String::new();
        for r in &self.0 {
            out.push_str(&format!(
                "{}  {:<22} {}  {} tasks, {} tokens, {}  {}\n",
                r.id,
                r.status,
                r.created_at,
                r.tasks_total,
                r.total_tokens,
                cost_text(r.total_cost, r.unknown_cost_calls, i64::MAX, 4),
                name(&r.title)
            ));
        }
        if out.is_empty() {
            out.push_str("No runs yet.\n");
        }
        out
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
pub(super) struct RunItem(pub(super) RunDetail);

impl Render for RunItem {
    fn text(&self) -> String {
        let r = &self.0;
        let mut out = format!(
            "{}\nid: {}\nstatus: {} ({})\ntasks: {}, tokens: {}, cost: {}\n",
            name(&r.summary.title),
            r.summary.id,
            r.summary.status,
            r.phase,
            r.summary.tasks_total,
            r.summary.total_tokens,
            cost_text(
                r.summary.total_cost,
                r.summary.unknown_cost_calls,
                r.events.len() as i64,
                4
            )
        );
        if r.summary.estimated_calls > 0 {
            out.push_str(&format!(
                "estimated: {} call(s) charged their worst case (the server reported no \
                 usable usage, or the call timed out)\n",
                r.summary.estimated_calls
            ));
        }
        out.push_str("\nRankings:\n");
        let rankings = assay_core::rankings::rank(r);
        for m in &rankings.by_model {
            let elo = rankings.ratings.iter().find(|x| x.model == m.model);
            out.push_str(&format!(
                "  {:<28} mean score {}  sd {}  Elo {}\n",
                name(&m.model),
                fixed(m.stats.mean, 2),
                fixed(m.stats.std_dev, 2),
                elo.map_or("—".into(), |x| fixed(x.elo, 1)),
            ));
        }
        for note in [&rankings.notes.pairwise, &rankings.notes.agreement]
            .into_iter()
            .flatten()
        {
            out.push_str(&format!("  {note}\n"));
        }
        out.push_str("\nDocuments:\n");
        for (d, record) in r.documents.iter().zip(&rankings.document_records) {
            out.push_str(&format!(
                "  {}  {:<28} {:<24} mean score {}{}\n",
                d.id,
                name(&d.model),
                name(d.input_name.as_deref().unwrap_or("?")),
                record
                    .mean_score
                    .map_or_else(|| "— (unscored)".to_owned(), |m| fixed(m, 2)),
                if record.wins + record.losses + record.ties > 0 {
                    format!(
                        "  compared {}–{}–{} (won–lost–tied)",
                        record.wins, record.losses, record.ties
                    )
                } else {
                    String::new()
                }
            ));
        }
        if let Some(sentence) = &r.unscored.summary {
            out.push_str(&format!("  {sentence}\n"));
        }
        if !rankings.best_documents.is_empty() {
            out.push_str("\nBest document per input:\n");
            for b in &rankings.best_documents {
                out.push_str(&format!(
                    "  {:<32} {} #{} ({})\n",
                    name(&b.input),
                    name(&b.model),
                    b.iteration,
                    b.decided_by.describe()
                ));
            }
        }
        if !r.failures.is_empty() {
            out.push_str(&format!("\nFailures ({}):\n", r.failures.len()));
            for f in &r.failures {
                out.push_str(&format!(
                    "  {} · {} · #{} · {}\n",
                    f.kind,
                    name(&f.label),
                    f.iteration,
                    name(f.input_name.as_deref().unwrap_or("?"))
                ));
                if f.problems.is_empty() {
                    let why = f.error.split("\n---\n").next().unwrap_or_default();
                    out.push_str(&format!("    {}\n", display::text(why)));
                }
                for p in &f.problems {
                    let code = p.code.as_str().to_owned();
                    out.push_str(&format!("    {code}: {}\n", display::text(&p.message)));
                }
            }
        }
        out.push_str(&format!(
            "\n{} scores, {} pairwise verdicts, {} timeline events\n",
            r.scores.len(),
            r.pairwise.len(),
            r.events.len()
        ));
        out
    }
}
