//! What a run's progress looks like: JSON lines on stdout with `--json`, bars on a
//! terminal, and without one a line on stderr per change of phase (at most one every 10 s);
//! then the final line.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use assay_core::Error;
use assay_core::domain::states::RunStatus;
use assay_core::engine::{RunOutcome, RunUpdate};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::output::RUN_INCOMPLETE_EXIT;

/// One progress line without a terminal: the run, its phase, each kind's tasks done of
/// planned, tokens and cost so far.
fn progress_line(u: &RunUpdate) -> String {
    let p = &u.progress;
    let kinds = [
        ("documents", p.generate),
        ("scores", p.score),
        ("comparisons", p.compare),
        ("combined", p.combine),
    ]
    .iter()
    .filter(|(_, k)| k.total > 0)
    .map(|(name, k)| {
        let failed = if k.failed > 0 {
            format!(" ({} failed)", k.failed)
        } else {
            String::new()
        };
        format!("{name} {}/{}{failed}", k.done, k.total)
    })
    .collect::<Vec<_>>()
    .join(", ");
    let phase = if u.status == RunStatus::Running {
        u.phase.as_str()
    } else {
        u.status.as_str()
    };
    format!(
        "run {}: {phase} · {} · {} tokens · {}",
        u.run_id,
        if kinds.is_empty() {
            "no tasks yet".into()
        } else {
            kinds
        },
        u.tokens,
        assay_core::numbers::cost_text(u.cost, u.unknown_cost_calls, i64::MAX, 4)
    )
}

/// Writes one line on stderr; a closed stderr is not worth a panic.
fn err_line(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
    let _ = err.flush();
}

/// Writes one line on stdout; a closed stdout (`| head`) is not worth a panic.
fn out_line(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// How often, at most, a run's progress is told without a terminal (besides each change of
/// phase or status).
const LINE_EVERY: Duration = Duration::from_secs(10);

/// Where a run's progress goes: JSON lines on stdout, bars on a terminal, or without one a
/// line on stderr per change of phase and at most every [`LINE_EVERY`].
pub(super) enum Display {
    Json,
    Bars {
        _multi: MultiProgress,
        bars: [ProgressBar; 4],
        status: ProgressBar,
    },
    Lines {
        told: Option<(String, Instant)>,
    },
}

impl Display {
    pub(super) fn new(json: bool) -> Self {
        if json {
            return Self::Json;
        }
        if !std::io::stderr().is_terminal() {
            return Self::Lines { told: None };
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10));
        let style = ProgressStyle::with_template("{prefix:>9} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bars = ["generate", "score", "compare", "combine"].map(|name| {
            let bar = multi.add(ProgressBar::new(0));
            bar.set_style(style.clone());
            bar.set_prefix(name);
            bar
        });
        let status = multi.add(ProgressBar::new_spinner());
        Self::Bars {
            _multi: multi,
            bars,
            status,
        }
    }

    pub(super) fn update(&mut self, u: &RunUpdate) {
        match self {
            Self::Json => {
                let mut line = serde_json::to_value(u).unwrap_or_default();
                if let Some(map) = line.as_object_mut() {
                    map.insert("event".into(), "progress".into());
                }
                out_line(&line.to_string());
            }
            Self::Bars { bars, status, .. } => {
                let p = &u.progress;
                for (bar, phase) in bars.iter().zip([p.generate, p.score, p.compare, p.combine]) {
                    bar.set_length(phase.total.max(0) as u64);
                    bar.set_position((phase.done + phase.failed).max(0) as u64);
                    bar.set_message(if phase.failed > 0 {
                        format!("({} failed)", phase.failed)
                    } else {
                        String::new()
                    });
                }
                let limits: Vec<String> = u
                    .endpoints
                    .iter()
                    .map(|e| format!("{} {}/{}", e.name, e.in_flight, e.current_limit))
                    .collect();
                status.set_message(format!(
                    "{} · {} in flight · {} tokens · {}{}{}",
                    u.phase,
                    u.in_flight,
                    u.tokens,
                    assay_core::numbers::cost_text(u.cost, u.unknown_cost_calls, i64::MAX, 4),
                    u.eta_secs
                        .map(|s| format!(" · about {s} s left"))
                        .unwrap_or_default(),
                    if limits.is_empty() {
                        String::new()
                    } else {
                        format!(" · {}", limits.join(", "))
                    }
                ));
            }
            Self::Lines { told } => {
                let state = format!("{} {}", u.status, u.phase);
                let due = match told {
                    None => true,
                    Some((last, at)) => *last != state || at.elapsed() >= LINE_EVERY,
                };
                if due {
                    err_line(&progress_line(u));
                    *told = Some((state, Instant::now()));
                }
            }
        }
    }

    pub(super) fn finish(self, outcome: &RunOutcome) -> Result<u8, Error> {
        if let Self::Bars { bars, status, .. } = &self {
            for bar in bars {
                bar.finish();
            }
            status.finish_and_clear();
        }
        match self {
            Self::Json => {
                let line = serde_json::to_string(outcome)
                    .map_err(|e| Error::InvalidInput(format!("could not encode: {e}")))?;
                out_line(&line);
            }
            _ => {
                let p = &outcome.progress;
                out_line(&format!(
                    "run {}: {} (documents {}/{}, scores {}/{}, comparisons {}/{}, combined {}/{})",
                    outcome.run_id,
                    outcome.status,
                    p.generate.done,
                    p.generate.total,
                    p.score.done,
                    p.score.total,
                    p.compare.done,
                    p.compare.total,
                    p.combine.done,
                    p.combine.total
                ));
            }
        }
        let _ = std::io::stdout().flush();
        Ok(if outcome.completed() {
            0
        } else {
            RUN_INCOMPLETE_EXIT
        })
    }
}
