//! The progress display of `profile export` and `profile import`, on stderr.
//!
//! On a terminal it is a bar redrawn in place (at most ten times a second), each phase left on
//! its own line when the next begins. With `--progress` and no terminal (a log, a pipe) it is a
//! line when each phase starts and when a counted phase ends.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use assay_core::transfer::{TransferPhase, TransferProgress};

/// Width of the bar, in characters.
const BAR: usize = 24;
/// Least time between two redraws on a terminal.
const REDRAW: Duration = Duration::from_millis(100);

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
    drawn: Option<Instant>,
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
                drawn: None,
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
            if state.phase.is_some() && self.mode == Mode::Terminal {
                show("\n");
            }
            state.phase = Some(p.phase);
            state.phase_started = now;
            state.drawn = None;
        }
        let ended = p.total > 0 && p.done >= p.total;
        let line = render(p, now - state.phase_started);
        match self.mode {
            Mode::Terminal => {
                if ended || state.drawn.is_none_or(|at| now - at >= REDRAW) {
                    show(&format!("\r\x1b[K{line}"));
                    state.drawn = Some(now);
                }
            }
            Mode::Lines => {
                if new_phase || ended {
                    show(&format!("{line}\n"));
                }
            }
            Mode::Off => {}
        }
    }

    /// Ends the display (the last line is left in place).
    pub fn finish(&self) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if self.mode == Mode::Terminal && state.phase.is_some() {
            show("\n");
        }
    }
}

/// Writes to stderr at once; a display that cannot be written is not worth failing for.
fn show(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
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

/// One line: the phase, and for a counted phase a bar, the percentage, MiB done of total and
/// the rate so far.
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
