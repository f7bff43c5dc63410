//! The progress display of `profile export` and `profile import`, on stderr.
//!
//! On a terminal it is an `indicatif` bar redrawn in place (at most ten times a second), each
//! phase left on its own line when the next begins. With `--progress` and no terminal (a log,
//! a pipe) it is a line when each phase starts and when a counted phase ends.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use assay_core::transfer::{TransferPhase, TransferProgress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Width of the bar, in characters.
const BAR: usize = 24;
/// Redraws a second on a terminal, at most.
const REDRAWS_PER_SECOND: u8 = 10;

/// Where progress is drawn, if anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Off,
    Terminal,
    Lines,
}

/// A progress display; [`Display::report`] is the sink core calls.
#[derive(Debug)]
pub struct Display {
    mode: Mode,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    phase: Option<TransferPhase>,
    phase_started: Instant,
    /// The current phase's bar on a terminal.
    bar: Option<ProgressBar>,
}

impl Display {
    /// A display on stderr if it is a terminal, or as lines if `forced`; otherwise silent.
    pub fn new(forced: bool) -> Self {
        let mode = if std::io::stderr().is_terminal() {
            Mode::Terminal
        } else if forced {
            Mode::Lines
        } else {
            Mode::Off
        };
        Self {
            mode,
            state: Mutex::new(State {
                phase: None,
                phase_started: Instant::now(),
                bar: None,
            }),
        }
    }

    /// Takes one report from core.
    pub fn report(&self, p: TransferProgress) {
        if self.mode == Mode::Off {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let new_phase = state.phase != Some(p.phase);
        if new_phase {
            if let Some(done) = state.bar.take() {
                done.finish();
                // Left on its own line.
                show("\n");
            }
            state.phase = Some(p.phase);
            state.phase_started = now;
        }
        match self.mode {
            Mode::Terminal => {
                let bar = state.bar.get_or_insert_with(|| bar_for(p));
                bar.set_position(p.done);
            }
            Mode::Lines => {
                let ended = p.total > 0 && p.done >= p.total;
                if new_phase || ended {
                    show(&format!("{}\n", render(p, now - state.phase_started)));
                }
            }
            Mode::Off => {}
        }
    }

    /// Ends the display (the last line is left in place).
    pub fn finish(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bar) = state.bar.take() {
            bar.finish();
            show("\n");
        }
    }
}

/// Writes to stderr at once; a display that cannot be written is not worth failing for.
fn show(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// A terminal bar for `p`'s phase: counted phases show the bar, percentage, MiB done of total
/// and the rate; the others their name and a spinner.
fn bar_for(p: TransferProgress) -> ProgressBar {
    let target = ProgressDrawTarget::stderr_with_hz(REDRAWS_PER_SECOND);
    let name = label(p.phase);
    if p.total == 0 {
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_style(
            ProgressStyle::with_template("{msg}… {spinner}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(name);
        bar.enable_steady_tick(Duration::from_millis(100));
        return bar;
    }
    let bar = ProgressBar::with_draw_target(Some(p.total), target);
    let template = format!(
        "{{msg:<9}} [{{bar:{BAR}}}] {{percent:>3}}%  {{binary_bytes}}/{{binary_total_bytes}}  {{binary_bytes_per_sec}}"
    );
    bar.set_style(
        ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("#-"),
    );
    bar.set_message(name);
    bar
}

/// What a phase is called on screen.
fn label(phase: TransferPhase) -> &'static str {
    match phase {
        TransferPhase::Key => "Deriving the key from the passphrase",
        TransferPhase::Snapshot => "Copying the database (re-encrypting it)",
        TransferPhase::Write => "Writing",
        TransferPhase::Verify => "Verifying",
        TransferPhase::Check => "Checking",
        TransferPhase::Read => "Reading",
        TransferPhase::Finish => "Setting up the new profile",
    }
}

/// One line without a terminal: the phase, and for a counted phase a bar, the percentage,
/// MiB done of total and the rate so far.
fn render(p: TransferProgress, elapsed: Duration) -> String {
    let name = label(p.phase);
    if p.total == 0 {
        return format!("{name}…");
    }
    let fraction = (p.done as f64 / p.total as f64).clamp(0.0, 1.0);
    let filled = (fraction * BAR as f64).floor() as usize;
    let mib = |b: u64| b as f64 / 1_048_576.0;
    let seconds = elapsed.as_secs_f64();
    let rate = if seconds > 0.0 {
        format!("  {:.0} MiB/s", mib(p.done) / seconds)
    } else {
        String::new()
    };
    format!(
        "{name:<9} [{}{}] {:>3}%  {:.1}/{:.1} MiB{rate}",
        "#".repeat(filled),
        "-".repeat(BAR - filled),
        (fraction * 100.0).floor() as u32,
        mib(p.done),
        mib(p.total),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(phase: TransferPhase, done: u64, total: u64) -> TransferProgress {
        TransferProgress { phase, done, total }
    }

    #[test]
    fn a_counted_phase_shows_a_bar_percent_sizes_and_rate() {
        let line = render(
            at(TransferPhase::Write, 512 << 20, 1024 << 20),
            Duration::from_secs(2),
        );
        assert_eq!(
            line,
            "Writing   [############------------]  50%  512.0/1024.0 MiB  256 MiB/s"
        );
    }

    #[test]
    fn a_finished_phase_is_full_and_an_uncounted_one_is_its_name() {
        let line = render(at(TransferPhase::Verify, 10, 10), Duration::ZERO);
        assert!(line.contains(&format!("[{}]", "#".repeat(BAR))), "{line}");
        assert!(line.contains("100%"), "{line}");
        assert_eq!(
            render(at(TransferPhase::Finish, 0, 0), Duration::ZERO),
            "Setting up the new profile…"
        );
    }

    #[test]
    fn percent_never_rounds_up_to_a_finish_it_has_not_reached() {
        let line = render(at(TransferPhase::Read, 999, 1000), Duration::ZERO);
        assert!(line.contains(" 99%"), "{line}");
    }
}
