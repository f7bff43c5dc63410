//! Argument definitions and dispatch.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use assay_core::paths::{DataDir, DataDirSource};
use assay_core::{Error, app_info};

use crate::library_cmd::{self, ContentCommand, PresetCommand};
use crate::output::{self, Render};
use crate::profile_cmd::{self, ProfileCommand};
use crate::run_cmd::{self, RunCommand};

/// Assay: evaluate LLM-generated documents with judge models, one encrypted profile at a time.
#[derive(Debug, Parser)]
#[command(name = "assay", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    /// Use DIR as the data directory instead of the platform default
    /// (also settable with ASSAY_DATA_DIR; this flag wins).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Print one JSON document on stdout instead of text; errors go to stderr as
    /// {"error":{"code":"…","message":"…"}}.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  any other error, and INTERNAL (a bug in Assay; the log says where)
  2  usage error (bad arguments, invalid input, passphrase required, PRICE_UNKNOWN)
  10 NOT_FOUND          11 ALREADY_EXISTS     12 PROFILE_IN_USE
  13 KEY_MISSING        14 DATA_MISSING       15 DECRYPT_FAILED or WRONG_PASSPHRASE
  16 NEWER_VERSION      17 KEYRING_UNAVAILABLE
  18 CORRUPT or SCHEMA_MISMATCH (also: verify found a problem)
  19 NOT_READY (the profile's setup has not finished or failed)
  20 DISK_FULL (no room left on the disk; nothing was half-written)
  21 PROVIDER_AUTH (a provider rejected the key, or wants one the endpoint lacks)
  22 PROVIDER_UNREACHABLE (refused, DNS, TLS, or no answer in time)
  23 PROVIDER_RATE_LIMITED (429 or overloaded after the retries)
  24 any other provider error; the JSON code names it: MODEL_NOT_FOUND, OUT_OF_CREDIT,
     PROMPT_TOO_LONG, BAD_REQUEST, SERVER_ERROR, BAD_RESPONSE
  25 RUN_INCOMPLETE (run start/resume/retry-failed/watch: the run ended other than completed)
  26 RUN_STATE (the run's state does not allow it, e.g. pausing a finished run)

Passphrases are read from stdin (--passphrase-stdin) or a terminal prompt, never from
arguments. Full reference: docs/cli.md";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the app version, the linked SQLCipher version and the data directory in use.
    Info,
    /// Create, list, show, rename, delete, verify, export and import profiles, and show their
    /// setup status.
    #[command(subcommand, after_help = EXIT_CODES)]
    Profile(ProfileCommand),
    /// The content library of a profile: instructions, input documents, criteria.
    #[command(subcommand)]
    Content(ContentCommand),
    /// The presets of a profile.
    #[command(subcommand)]
    Preset(PresetCommand),
    /// The runs of a profile: start, resume, pause, cancel, watch; list and show results.
    #[command(subcommand, after_help = EXIT_CODES)]
    Run(RunCommand),
    /// The endpoints a profile calls models at: list, add, set limits, remove, keys.
    #[command(subcommand)]
    Provider(crate::provider_cmd::ProviderCommand),
    /// Write a run's report: offline HTML with charts, or JSON or CSV of the same data.
    Report {
        /// The run id.
        run: String,
        #[command(flatten)]
        profile: library_cmd::ProfileArg,
        /// Where to write it; the file is replaced atomically.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// html (default), json or csv.
        #[arg(long, default_value = "html")]
        format: String,
    },
}

/// Runs the parsed command and returns the process exit code for a success that still
/// reports a problem (e.g. `verify` finding damage).
pub fn run(cli: Cli) -> Result<u8, Error> {
    let data_dir = DataDir::resolve(cli.data_dir.as_deref())?;
    match cli.command {
        Command::Info => output::print(&Info::gather(&data_dir)?, cli.json).map(|()| 0),
        Command::Profile(command) => profile_cmd::run(command, &data_dir, cli.json),
        Command::Content(command) => with_log(&data_dir, || {
            library_cmd::content(&data_dir, command, cli.json)
        }),
        Command::Preset(command) => with_log(&data_dir, || {
            library_cmd::preset(&data_dir, command, cli.json)
        }),
        Command::Run(command) => with_log(&data_dir, || run_cmd::run(&data_dir, command, cli.json)),
        Command::Provider(command) => with_log(&data_dir, || {
            crate::provider_cmd::run(&data_dir, command, cli.json)
        }),
        Command::Report {
            run,
            profile,
            out,
            format,
        } => with_log(&data_dir, || {
            library_cmd::report(&data_dir, &profile, &run, &out, &format, cli.json)
        }),
    }
}

/// Runs `f` with the data dir's log installed. The log is best effort: a command does not
/// fail because its log cannot be opened.
pub fn with_log(data_dir: &DataDir, f: impl FnOnce() -> Result<u8, Error>) -> Result<u8, Error> {
    let _ = assay_core::logging::init(&data_dir.logs_dir(), log::LevelFilter::Info);
    assay_core::logging::log_panics();
    f()
}

/// What `assay info` prints.
#[derive(Debug, serde::Serialize)]
struct Info {
    #[serde(flatten)]
    app: app_info::AppInfo,
    data_dir: PathBuf,
    data_dir_source: DataDirSource,
}

impl Info {
    fn gather(data_dir: &DataDir) -> Result<Self, Error> {
        Ok(Self {
            app: app_info::app_info()?,
            data_dir: data_dir.path().to_path_buf(),
            data_dir_source: data_dir.source(),
        })
    }
}

impl Render for Info {
    fn text(&self) -> String {
        let source = match self.data_dir_source {
            DataDirSource::Explicit => "--data-dir",
            DataDirSource::Environment => "ASSAY_DATA_DIR",
            DataDirSource::Platform => "platform default",
        };
        format!(
            "assay {}\nSQLCipher {} (SQLite {})\ndata dir: {} ({source})\n",
            self.app.app_version,
            self.app.sqlcipher_version,
            self.app.sqlite_version,
            self.data_dir.display(),
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        // clap checks argument names, ids and value names of every subcommand here, instead
        // of at the first run of the command that gets them wrong.
        super::Cli::command().debug_assert();
    }
}
