//! `assay run …`: the command group's arguments and its dispatch. Executing a run (in the
//! foreground, detached, or followed from another process) is in [`hosting`], what a run's
//! progress looks like in [`display`], and how runs and estimates print in [`views`].
//!
//! With `--json`, start, resume, retry-failed and watch print one JSON object per line:
//! `{"event": "progress", …}` as the run works, then `{"run_id", "status", "progress"}`.
//! They exit 0 when the run completed and 25 (RUN_INCOMPLETE) when it ended any other way.

mod display;
mod hosting;
mod views;

use assay_core::Error;
use assay_core::engine::{Mode, Request};
use assay_core::library::Library;
use assay_core::paths::DataDir;
use clap::{Args, Subcommand};

use crate::library_cmd::{Deleted, ProfileArg, confirmed, open};
use crate::output;

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

/// `assay run …`
#[derive(Debug, Subcommand)]
pub enum RunCommand {
    /// List runs, newest first.
    List {
        #[command(flatten)]
        profile: ProfileArg,
        /// How many runs to show (at most 200).
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Show one run with its documents, scores, pairwise results and timeline.
    Show {
        /// The run id.
        run: String,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Make a run of a preset and execute it in the foreground until it ends (exit 0 when
    /// it completed, 25 otherwise); with --json, JSON lines: progress events, then
    /// {"run_id","status","progress"}.
    Start {
        /// The preset: id or name.
        preset: String,
        #[command(flatten)]
        profile: ProfileArg,
        #[command(flatten)]
        budget: BudgetArgs,
        /// Call models that have no known price (their cost shows as unknown).
        #[arg(long)]
        allow_unpriced: bool,
        /// Execute it in a background process of its own and print the run id at once.
        #[arg(long, conflicts_with = "wait")]
        detach: bool,
        /// Execute it in the foreground until it ends (the default).
        #[arg(long)]
        wait: bool,
    },
    /// What a run of a preset would do: calls per kind (all succeeding), the most it could
    /// cost and use, and the models without a price.
    Estimate {
        /// The preset: id or name.
        preset: String,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Continue a paused or interrupted run. Answers received are journaled before they are
    /// read and never requested again; calls in flight when a process died had no answer and
    /// are made again (at most the run's concurrency per crash).
    Resume {
        /// The run id.
        run: String,
        #[command(flatten)]
        profile: ProfileArg,
        /// Raise the run's budgets before continuing.
        #[command(flatten)]
        budget: BudgetArgs,
    },
    /// Run the failed tasks of a finished run again.
    RetryFailed {
        /// The run id.
        run: String,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Pause a run: no new calls; calls in flight finish and are kept.
    Pause {
        /// The run id.
        run: String,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Cancel a run: no new calls, calls in flight aborted, results so far kept.
    Cancel {
        /// The run id.
        run: String,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Follow a run until it ends (exit 0 when it completed, 25 otherwise).
    Watch {
        /// The run id.
        run: String,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Compare two runs judged on the same criteria: per model and criterion the change in
    /// mean score with a 95% bootstrap interval, and each model's rank in each.
    Compare {
        /// Run A.
        run_a: String,
        /// Run B.
        run_b: String,
        #[command(flatten)]
        profile: ProfileArg,
        /// Also write it to FILE (replaced atomically).
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
        /// The file's format: html (default) or json.
        #[arg(long, default_value = "html")]
        format: String,
    },
    /// Delete a run and everything it produced (its usage stays counted).
    Delete {
        /// The run id.
        run: String,
        /// Confirm the deletion.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        profile: ProfileArg,
    },
}

/// Runs `assay run …`.
pub fn run(data_dir: &DataDir, command: RunCommand, json: bool) -> Result<u8, Error> {
    match command {
        RunCommand::List { profile, limit } => {
            let open = open(data_dir, &profile)?;
            output::print(
                &views::RunList(Library::of(&open)?.runs(limit, None)?),
                json,
            )?;
        }
        RunCommand::Show { run, profile } => {
            let open = open(data_dir, &profile)?;
            output::print(&views::RunItem(Library::of(&open)?.run(&run)?), json)?;
        }
        RunCommand::Start {
            preset,
            profile,
            budget,
            allow_unpriced,
            detach,
            wait: _,
        } => {
            return hosting::start_run(
                data_dir,
                &preset,
                &profile,
                budget,
                allow_unpriced,
                detach,
                json,
            );
        }
        RunCommand::Resume {
            run,
            profile,
            budget,
        } => return hosting::continue_run(data_dir, &run, &profile, budget, Mode::Resume, json),
        RunCommand::Estimate { preset, profile } => {
            let open = open(data_dir, &profile)?;
            output::print(
                &views::Estimate(assay_core::engine::estimate::estimate(&open, &preset)?),
                json,
            )?;
        }
        RunCommand::RetryFailed { run, profile } => {
            let none = BudgetArgs {
                budget_usd: None,
                budget_tokens: None,
            };
            return hosting::continue_run(data_dir, &run, &profile, none, Mode::RetryFailed, json);
        }
        RunCommand::Pause { run, profile } => {
            return hosting::request(data_dir, &run, &profile, Request::Pause, json);
        }
        RunCommand::Cancel { run, profile } => {
            return hosting::request(data_dir, &run, &profile, Request::Cancel, json);
        }
        RunCommand::Watch { run, profile } => {
            return hosting::watch(data_dir, &run, &profile, json);
        }
        RunCommand::Compare {
            run_a,
            run_b,
            profile,
            out,
            format,
        } => {
            return crate::compare_cmd::run(
                data_dir,
                &run_a,
                &run_b,
                &profile,
                out.as_deref(),
                &format,
                json,
            );
        }
        RunCommand::Delete { run, yes, profile } => {
            confirmed(yes, "deleting a run")?;
            let open = open(data_dir, &profile)?;
            Library::of(&open)?.delete_run(&run)?;
            output::print(&Deleted { deleted: run }, json)?;
        }
    }
    Ok(0)
}
