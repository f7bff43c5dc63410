//! Executing a run in this process (core's one call, `host_here`), in a detached process
//! of its own, or reaching one another process executes through the profile's control
//! socket: `start`, `resume`, `retry-failed`, `pause`, `cancel`, `watch`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assay_core::Error;
use assay_core::domain::states::RunStatus;
use assay_core::engine::host::host_here;
use assay_core::engine::socket;
use assay_core::engine::{Launch, Mode, Request, StartOptions, lifecycle, start};
use assay_core::fs::RunHostLock;
use assay_core::paths::DataDir;
use assay_core::profile::{OpenProfile, Profiles};
use assay_core::registry::KeyMode;

use super::BudgetArgs;
use super::display::Display;
use crate::library_cmd::{ProfileArg, open_in};
use crate::output;
use crate::passphrase::{self, Source};

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
