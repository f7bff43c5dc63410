//! A run's calls laid out for a timeline chart: one lane per endpoint, and within a lane
//! one row per call in flight at once (so the rows a lane needs are its peak concurrency).
//! The app and the HTML report draw the same layout.

use std::collections::{BTreeMap, HashMap};

use crate::domain::run::{RunDetail, RunEvent};

/// One call on the chart.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct TimelineCall {
    /// Its row within the lane, from 0.
    pub row: u32,
    /// Seconds from the run's start.
    pub start: f64,
    /// Seconds from the run's start.
    pub end: f64,
    /// `generating`, `single_eval`, `pairwise_eval`.
    pub phase: String,
    /// `succeeded`, `failed`, or `retried` (an attempt the client retried).
    pub status: String,
    /// The contestant or judge called.
    pub actor: String,
    /// What it worked on.
    pub target: String,
    /// Prompt and completion tokens.
    pub tokens: i64,
    /// USD; `None` when unknown.
    pub cost: Option<f64>,
    /// The tokens and cost are the call's worst case, not a report.
    pub estimated: bool,
}

/// One endpoint's calls.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct TimelineLane {
    /// The endpoint's name.
    pub endpoint: String,
    /// Rows the lane needs: the most calls in flight on it at once.
    pub rows: u32,
    /// Its calls, by start time.
    pub calls: Vec<TimelineCall>,
}

/// The whole chart.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct Timeline {
    /// Seconds from the run's start to its last call's end (at least 1).
    pub total: f64,
    /// Lanes by endpoint name.
    pub lanes: Vec<TimelineLane>,
    /// Attempts the client retried (429s, timeouts), over every lane.
    pub retried: u32,
}

/// The endpoint an event's actor was called at: from the run's frozen configuration (a
/// contestant's label or a judge's `endpoint/model`), else the actor's `endpoint/` prefix.
fn endpoints(run: &RunDetail) -> HashMap<String, String> {
    let c = &run.config.config;
    let models = c.models.iter().chain(&c.combine_models);
    let mut by_actor: HashMap<String, String> = models
        .map(|m| (m.contestant(), m.provider.clone()))
        .collect();
    by_actor.extend(c.judges.iter().map(|j| (j.label(), j.provider.clone())));
    by_actor
}

fn seconds(from: &str, to: &str) -> f64 {
    let parse = |t: &str| t.parse::<jiff::Timestamp>().ok();
    match (parse(from), parse(to)) {
        (Some(a), Some(b)) => (b.as_millisecond() - a.as_millisecond()) as f64 / 1000.0,
        _ => 0.0,
    }
}

/// Lays out `run`'s timeline.
pub fn layout(run: &RunDetail) -> Timeline {
    let start = run
        .started_at
        .as_deref()
        .or_else(|| run.events.iter().map(|e| e.started_at.as_str()).min())
        .unwrap_or_default();
    let by_actor = endpoints(run);
    let endpoint_of = |e: &RunEvent| {
        by_actor.get(&e.actor).cloned().unwrap_or_else(|| {
            e.actor
                .split_once('/')
                .map_or(e.actor.as_str(), |(p, _)| p)
                .to_owned()
        })
    };
    let mut lanes: BTreeMap<String, Vec<TimelineCall>> = BTreeMap::new();
    for e in &run.events {
        lanes.entry(endpoint_of(e)).or_default().push(TimelineCall {
            row: 0,
            start: seconds(start, &e.started_at).max(0.0),
            end: seconds(start, &e.ended_at).max(0.0),
            phase: e.phase.clone(),
            status: e.status.clone(),
            actor: e.actor.clone(),
            target: e.target.clone(),
            tokens: e.tokens_in.saturating_add(e.tokens_out),
            cost: e.cost,
            estimated: e.usage_estimated,
        });
    }
    let mut total: f64 = 1.0;
    let lanes = lanes
        .into_iter()
        .map(|(endpoint, mut calls)| {
            calls.sort_by(|a, b| a.start.total_cmp(&b.start).then(a.end.total_cmp(&b.end)));
            // Each call takes the first row free at its start: as many rows as calls at once.
            let mut row_ends: Vec<f64> = Vec::new();
            for call in &mut calls {
                total = total.max(call.end);
                let row = match row_ends.iter().position(|&end| end <= call.start) {
                    Some(r) => r,
                    None => {
                        row_ends.push(0.0);
                        row_ends.len() - 1
                    }
                };
                row_ends[row] = call.end.max(call.start);
                call.row = row as u32;
            }
            TimelineLane {
                endpoint,
                rows: row_ends.len() as u32,
                calls,
            }
        })
        .collect();
    Timeline {
        total,
        lanes,
        retried: run.events.iter().filter(|e| e.status == "retried").count() as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rankings::tests::run;

    fn event(actor: &str, from: u32, to: u32, status: &str) -> RunEvent {
        RunEvent {
            phase: "generating".into(),
            actor: actor.into(),
            target: "t".into(),
            started_at: format!("2026-01-01T00:00:{from:02}Z"),
            ended_at: format!("2026-01-01T00:00:{to:02}Z"),
            tokens_in: 1,
            tokens_out: 2,
            cost: None,
            status: status.into(),
            usage_estimated: false,
        }
    }

    #[test]
    fn calls_go_on_lanes_per_endpoint_with_a_row_per_call_in_flight() {
        let mut r = run(vec![], vec![], vec![]);
        r.config
            .config
            .models
            .push(crate::domain::preset::ModelSpec {
                provider: "local".into(),
                model: "m".into(),
                temperature: 0.0,
                max_tokens: 1,
                label: Some("Writer".into()),
            });
        r.started_at = Some("2026-01-01T00:00:00Z".into());
        r.events = vec![
            event("Writer", 0, 10, "succeeded"),
            event("Writer", 2, 4, "retried"),
            event("Writer", 5, 8, "succeeded"),
            event("Writer", 11, 12, "succeeded"),
            event("openai/gpt", 1, 30, "failed"),
        ];
        let t = layout(&r);
        assert_eq!(t.total, 30.0);
        assert_eq!(t.retried, 1);
        let lanes: Vec<(&str, u32)> = t
            .lanes
            .iter()
            .map(|l| (l.endpoint.as_str(), l.rows))
            .collect();
        assert_eq!(
            lanes,
            [("local", 2), ("openai", 1)],
            "the label maps to its endpoint"
        );
        let rows: Vec<u32> = t.lanes[0].calls.iter().map(|c| c.row).collect();
        assert_eq!(
            rows,
            [0, 1, 1, 0],
            "a call takes the first row free at its start"
        );
        assert_eq!(t.lanes[0].calls[1].status, "retried");
        assert_eq!(t.lanes[0].calls[0].tokens, 3);
    }
}
