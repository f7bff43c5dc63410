//! `assay run start|resume|retry-failed|pause|cancel|watch`: executing a run in the
//! foreground (or a detached process), and reaching a run another process executes through
//! its profile's control socket.
//!
//! With `--json`, start, resume, retry-failed and watch print one JSON object per line:
//! `{"event": "progress", …}` as the run works, then `{"run_id", "status", "progress"}`.
//! They exit 0 when the run completed and 25 (RUN_INCOMPLETE) when it ended any other way.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assay_core::Error;
use assay_core::domain::states::RunStatus;
use assay_core::engine::host::host_here;
use assay_core::engine::socket;
use assay_core::engine::{
    Launch, Mode, Request, RunOutcome, RunUpdate, StartOptions, lifecycle, start,
};
use assay_core::fs::RunHostLock;
use assay_core::paths::DataDir;
use assay_core::profile::{OpenProfile, Profiles};
use assay_core::registry::KeyMode;
use clap::Args;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::library_cmd::{ProfileArg, open_in};
use crate::output::{self, RUN_INCOMPLETE_EXIT};
use crate::passphrase::{self, Source};

/// A budget given on the command line.
#[derive(Debug, Args, Clone, Copy)]
pub struct BudgetArgs {
    /// Pause the run before a call that could take its cost past this many US dollars.
    #[arg(long, value_name = "USD")]
    pub budget_usd: Option<f64>,
    /// Pause the run before a call that could take its tokens past this many.
    #[arg(long, value_name = "N")]
    pub budget_tokens: Option<u64>,
}

/// `assay run start`.
pub fn start_run(
    data_dir: &DataDir,
    preset: &str,
    profile: &ProfileArg,
    budget: BudgetArgs,
    allow_unpriced: bool,
    detach: bool,
    json: bool,
) -> Result<u8, Error> {
    let profiles = output::open_profiles(data_dir, false)?;
    let record = profiles.show(&profile.reference)?;
    let passphrase = read_passphrase(profile, &record.name, record.key_mode)?;
    let open = profiles.open_profile(&record.id, passphrase.as_ref())?;
    let options = StartOptions {
        budget_usd: budget.budget_usd,
        budget_tokens: budget.budget_tokens,
        allow_unpriced,
    };
    if detach {
        let run = start::create_run(&open, preset, &options)?;
        drop(open);
        detach_resume(
            data_dir,
            &profiles,
            &record.id,
            &run.id,
            passphrase.as_ref(),
        )?;
        output::print(&Detached { run_id: run.id }, json)?;
        return Ok(0);
    }
    let launch = Launch::Start {
        preset,
        options: &options,
    };
    host(profiles, open, launch, json)
}

/// `assay run resume` and `assay run retry-failed`.
pub fn continue_run(
    data_dir: &DataDir,
    run: &str,
    profile: &ProfileArg,
    budget: BudgetArgs,
    mode: Mode,
    json: bool,
) -> Result<u8, Error> {
    let profiles = output::open_profiles(data_dir, false)?;
    let open = open_in(&profiles, profile)?;
    let launch = Launch::Continue {
        run_id: run,
        mode,
        budget_usd: budget.budget_usd,
        budget_tokens: budget.budget_tokens,
    };
    host(profiles, open, launch, json)
}

/// `assay run pause` and `assay run cancel`: through the process executing the run, else
/// directly.
pub fn request(
    data_dir: &DataDir,
    run: &str,
    profile: &ProfileArg,
    request: Request,
    json: bool,
) -> Result<u8, Error> {
    let profiles = output::open_profiles(data_dir, false)?;
    let record = profiles.show(&profile.reference)?;
    let status = match socket::send(&profiles.profile_dir(&record.id), run, request)? {
        Some(status) => status,
        None => {
            let open = open_in(&profiles, profile)?;
            lifecycle::request_directly(open.db(), run, request)?
        }
    };
    output::print(
        &Requested {
            run_id: run.to_owned(),
            requested: if request == Request::Pause {
                "pause"
            } else {
                "cancel"
            },
            status,
        },
        json,
    )?;
    Ok(0)
}

/// How long `watch` waits, after the run's end, for its process to let go of the profile.
const LET_GO_WITHIN: Duration = Duration::from_secs(30);

/// `assay run watch`: follows the run through the process executing it, and returns once
/// that process has let go of it; when none executes it, reports its stored state.
pub fn watch(data_dir: &DataDir, run: &str, profile: &ProfileArg, json: bool) -> Result<u8, Error> {
    let profiles = output::open_profiles(data_dir, false)?;
    let record = profiles.show(&profile.reference)?;
    let dir = profiles.profile_dir(&record.id);
    let mut display = Display::new(json);
    let followed = socket::watch(&dir, run, &mut |u| {
        display.update(u);
    })?;
    let outcome = match followed {
        Some(outcome) => {
            if !RunHostLock::wait_released(&dir, run, LET_GO_WITHIN) {
                log::warn!("the process of run {run} had not let go after the run's end");
            }
            outcome
        }
        None => {
            let open = open_in(&profiles, profile)?;
            socket::outcome_of(open.db(), run)?
        }
    };
    display.finish(&outcome)
}

/// Hosts the run in this process (core's one call), showing its progress; returns once the
/// profile is let go.
fn host(
    profiles: Profiles,
    open: OpenProfile,
    launch: Launch<'_>,
    json: bool,
) -> Result<u8, Error> {
    let mut display = Display::new(json);
    let outcome = host_here(std::sync::Arc::new(profiles), open, launch, &mut |u| {
        display.update(u);
    })?;
    display.finish(&outcome)
}

fn read_passphrase(
    profile: &ProfileArg,
    name: &str,
    mode: KeyMode,
) -> Result<Option<assay_core::secrets::Passphrase>, Error> {
    Ok(match mode {
        KeyMode::Passphrase => Some(passphrase::read_for_unlock(
            if profile.passphrase_stdin {
                Source::Stdin
            } else {
                Source::Prompt
            },
            name,
        )?),
        KeyMode::Keyring => None,
    })
}

/// Starts `assay run resume RUN` as a process of its own (its own session, no terminal),
/// the passphrase through its stdin, and waits until it listens on the control socket, so a
/// `watch` right after finds it.
fn detach_resume(
    data_dir: &DataDir,
    profiles: &Profiles,
    profile_id: &str,
    run: &str,
    passphrase: Option<&assay_core::secrets::Passphrase>,
) -> Result<(), Error> {
    let exe = std::env::current_exe().map_err(|e| Error::io("find this program", "", e))?;
    let mut cmd = Command::new(exe);
    cmd.arg("--data-dir")
        .arg(data_dir.path())
        .args(["run", "resume", run, "--profile", profile_id])
        .stdin(if passphrase.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if passphrase.is_some() {
        cmd.arg("--passphrase-stdin");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::io("start the run's process", PathBuf::new(), e))?;
    if let (Some(p), Some(mut stdin)) = (passphrase, child.stdin.take()) {
        let mut line = zeroize::Zeroizing::new(p.as_bytes().to_vec());
        line.push(b'\n');
        stdin
            .write_all(&line)
            .map_err(|e| Error::io("hand the passphrase to the run's process", "", e))?;
    }
    let socket = socket::socket_path(&profiles.profile_dir(profile_id));
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::os::unix::net::UnixStream::connect(&socket).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(Error::InvalidInput(format!(
                "the run's process ended at once ({status}); run `assay run resume {run}` to see why"
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// What `assay run estimate` prints.
#[derive(serde::Serialize)]
pub struct Estimate(pub assay_core::engine::estimate::RunEstimate);

impl output::Render for Estimate {
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
struct Detached {
    run_id: String,
}

impl output::Render for Detached {
    fn text(&self) -> String {
        format!("{}\n", self.run_id)
    }
}

#[derive(serde::Serialize)]
struct Requested {
    run_id: String,
    requested: &'static str,
    status: RunStatus,
}

impl output::Render for Requested {
    fn text(&self) -> String {
        format!(
            "run {}: {} asked; it is {}\n",
            self.run_id, self.requested, self.status
        )
    }
}

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
enum Display {
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
    fn new(json: bool) -> Self {
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

    fn update(&mut self, u: &RunUpdate) {
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

    fn finish(self, outcome: &RunOutcome) -> Result<u8, Error> {
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
