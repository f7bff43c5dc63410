//! A run's life: start, resume and retry-failed execute it in this process until it ends;
//! pause and cancel of a run no process executes change its status directly. Each checks the
//! run's state first (`RUN_STATE` when it does not fit).

use super::control::{Request, RunControl};
use super::execute::{Executor, Stop};
use super::start::{self, StartOptions};
use super::updates::RunUpdate;
use crate::db::Database;
use crate::domain::run::RunProgress;
use crate::domain::states::RunStatus;
use crate::error::{Error, FieldProblem, Result};
use crate::llm;
use crate::profile::{OpenProfile, Profiles};
use crate::store::execution as exec;

/// How a run's execution ended: the final line of `--json` output.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct RunOutcome {
    /// The run.
    pub run_id: String,
    /// `completed`, `completed_with_errors`, `failed`, `cancelled`, `paused` or
    /// `interrupted`.
    pub status: RunStatus,
    /// Tasks per kind.
    pub progress: RunProgress,
}

impl RunOutcome {
    /// Whether the run completed (every task succeeded).
    pub fn completed(&self) -> bool {
        self.status == RunStatus::Completed
    }
}

/// How to begin executing a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Continue a pending, paused or interrupted run.
    Resume,
    /// Run the failed tasks of a finished run again.
    RetryFailed,
}

/// Makes a run of preset `reference` and executes it until it ends.
pub fn start(
    profiles: &Profiles,
    open: &OpenProfile,
    reference: &str,
    options: &StartOptions,
    control: &RunControl,
    on_update: &mut dyn FnMut(&RunUpdate),
) -> Result<RunOutcome> {
    let run = start::create_run(open, reference, options)?;
    execute(profiles, open, &run.id, Mode::Resume, control, on_update)
}

/// Executes run `run_id` in this process until it ends, pauses or is cancelled. An error
/// that stops the process (a full disk) leaves the run `interrupted`.
pub fn execute(
    profiles: &Profiles,
    open: &OpenProfile,
    run_id: &str,
    mode: Mode,
    control: &RunControl,
    on_update: &mut dyn FnMut(&RunUpdate),
) -> Result<RunOutcome> {
    begin(open, run_id, mode)?;
    execute_begun(profiles, open, run_id, control, on_update)
}

/// Executes a run [`begin`] marked `running` (the app begins a run in the command, so a
/// state that does not fit is the command's error, then works it on a thread of its own).
pub fn execute_begun(
    profiles: &Profiles,
    open: &OpenProfile,
    run_id: &str,
    control: &RunControl,
    on_update: &mut dyn FnMut(&RunUpdate),
) -> Result<RunOutcome> {
    let outcome = (|| -> Result<RunOutcome> {
        let mut executor = Executor::load(profiles, open, run_id, control.clone(), on_update)?;
        let stop = llm::block_on_workers(executor.drive())??;
        let now = jiff::Timestamp::now().to_string();
        let (status, reason) = if control.request() == Request::Cancel {
            (RunStatus::Cancelled, None)
        } else if control.request() == Request::Interrupt {
            (RunStatus::Interrupted, None)
        } else if let Some(Stop::Pause(reason)) = stop {
            (RunStatus::Paused, Some(reason))
        } else {
            (final_status(&executor.progress()), None)
        };
        open.db().write(|tx| {
            if status == RunStatus::Cancelled {
                exec::cancel_open(tx, run_id)?;
            }
            exec::set_run_status(tx, run_id, status, reason.as_deref(), &now)?;
            exec::recount_tasks(tx, run_id)
        })?;
        let progress = open
            .db()
            .read(|c| Ok(crate::store::runs::detail(c, run_id)?.map(|d| d.progress)))?
            .unwrap_or_default();
        executor.publish_final(status, reason);
        log::info!("run {run_id} ended {status}");
        Ok(RunOutcome {
            run_id: run_id.to_owned(),
            status,
            progress,
        })
    })();
    if let Err(e) = &outcome {
        log::warn!("run {run_id} stopped: {}", e.log_line());
        let now = jiff::Timestamp::now().to_string();
        let _ = open.db().write(|tx| {
            exec::set_run_status(tx, run_id, RunStatus::Interrupted, None, &now)?;
            exec::set_run_error(tx, run_id, Some(&e.to_string()))
        });
        control.close();
    }
    outcome
}

/// The status of a run whose tasks are all finished.
fn final_status(p: &RunProgress) -> RunStatus {
    let failed = p.generate.failed + p.score.failed + p.compare.failed + p.combine.failed;
    if p.generate.done == 0 && p.generate.total > 0 {
        RunStatus::Failed
    } else if failed > 0 {
        RunStatus::CompletedWithErrors
    } else {
        RunStatus::Completed
    }
}

/// Checks that `mode` fits the run's state and marks it `running`.
pub fn begin(open: &OpenProfile, run_id: &str, mode: Mode) -> Result<()> {
    let now = jiff::Timestamp::now().to_string();
    open.db().write(|tx| {
        let state = exec::run_state(tx, run_id)?.ok_or_else(|| Error::NoSuchItem {
            what: "run",
            id: run_id.into(),
        })?;
        let fits = match mode {
            Mode::Resume => state.status.resumable(),
            Mode::RetryFailed => state.status.retryable(),
        };
        if !fits {
            return Err(Error::RunState {
                status: state.status.as_str(),
                wanted: match mode {
                    Mode::Resume => "resumed",
                    Mode::RetryFailed => "retried (only a finished run with failed tasks is)",
                },
            });
        }
        if mode == Mode::RetryFailed {
            exec::requeue_failed(tx, run_id)?;
        }
        exec::requeue_running(tx, run_id)?;
        exec::recount_tasks(tx, run_id)?;
        exec::set_run_error(tx, run_id, None)?;
        exec::set_run_status(tx, run_id, RunStatus::Running, None, &now)
    })
}

/// Raises (or sets) a run's budgets before it is resumed.
pub fn raise_budget(
    open: &OpenProfile,
    run_id: &str,
    budget_usd: Option<f64>,
    budget_tokens: Option<u64>,
) -> Result<()> {
    if budget_usd.is_none() && budget_tokens.is_none() {
        return Ok(());
    }
    if budget_usd.is_some_and(|b| !b.is_finite() || b <= 0.0) {
        return Err(Error::InvalidFields(vec![FieldProblem::new(
            "budget_usd",
            "must be more than 0",
        )]));
    }
    let tokens = match budget_tokens.map(i64::try_from) {
        Some(Ok(n)) if n > 0 => Some(n),
        Some(_) => {
            return Err(Error::InvalidFields(vec![FieldProblem::new(
                "budget_tokens",
                "must be at least 1",
            )]));
        }
        None => None,
    };
    open.db().write(|tx| {
        tx.execute(
            "UPDATE runs SET budget_usd = coalesce(?2, budget_usd),
                 budget_tokens = coalesce(?3, budget_tokens)
             WHERE id = ?1",
            rusqlite::params![run_id, budget_usd, tokens],
        )?;
        Ok(())
    })
}

/// Pauses or cancels run `run_id` that no process executes (the caller holds the profile,
/// so none does): an interrupted or pending run can be paused, and any unfinished run
/// cancelled. Returns the new status. A paused run asked to pause again stays paused.
pub fn request_directly(db: &Database, run_id: &str, request: Request) -> Result<RunStatus> {
    let now = jiff::Timestamp::now().to_string();
    db.write(|tx| {
        let state = exec::run_state(tx, run_id)?.ok_or_else(|| Error::NoSuchItem {
            what: "run",
            id: run_id.into(),
        })?;
        let status = state.status;
        match request {
            Request::Pause if status == RunStatus::Paused => Ok(status),
            Request::Pause if matches!(status, RunStatus::Pending | RunStatus::Interrupted) => {
                let reason = Some("paused by request");
                exec::set_run_status(tx, run_id, RunStatus::Paused, reason, &now)?;
                Ok(RunStatus::Paused)
            }
            Request::Cancel if status.resumable() => {
                exec::cancel_open(tx, run_id)?;
                exec::set_run_status(tx, run_id, RunStatus::Cancelled, None, &now)?;
                exec::recount_tasks(tx, run_id)?;
                Ok(RunStatus::Cancelled)
            }
            Request::None | Request::Interrupt => Ok(status),
            _ => Err(Error::RunState {
                status: status.as_str(),
                wanted: if request == Request::Pause {
                    "paused"
                } else {
                    "cancelled"
                },
            }),
        }
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;
    use crate::domain::endpoint::EndpointKind;
    use crate::library::{Library, PresetDraft};

    /// A profile with endpoint `local` at a server answering every call after `delay`, and
    /// preset "Gen": one model, 3 inputs, 2 iterations, generation only (6 calls).
    fn setup(
        delay: Duration,
    ) -> (
        crate::test_support::TestProfile,
        MockServer,
        tokio::runtime::Runtime,
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let server = rt.block_on(async {
            let server = MockServer::builder().start().await;
            Mock::given(method("POST"))
                .respond_with(ResponseTemplate::new(200).set_delay(delay).set_body_json(
                    serde_json::json!({
                        "model": "m",
                        "choices": [{"message": {"content": "A document."}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 10, "completion_tokens": 3}
                    }),
                ))
                .mount(&server)
                .await;
            server
        });
        let profile = crate::test_support::seeded_profile("l");
        crate::providers::add_endpoint(
            &profile.open,
            "local",
            EndpointKind::OpenaiCompatible,
            Some(&format!("{}/v1", server.uri())),
        )
        .expect("endpoint");
        let library = Library::of(&profile.open).expect("ready");
        let seeded = library.presets().expect("presets").remove(0);
        let mut config = seeded.config.clone();
        config.models = vec![crate::domain::preset::ModelSpec {
            provider: "local".into(),
            model: "m".into(),
            temperature: 0.5,
            max_tokens: 100,
            label: None,
        }];
        config.judges = Vec::new();
        config.iterations = 2;
        config.evaluation_enabled = false;
        config.pairwise_enabled = false;
        config.combine_models = Vec::new();
        config.generation_concurrency = 1;
        library
            .save_preset(&PresetDraft {
                name: "Gen".into(),
                config,
                roles: seeded.roles.clone(),
                inputs: seeded.inputs.clone(),
            })
            .expect("preset");
        (profile, server, rt)
    }

    #[test]
    fn an_interrupted_run_keeps_its_results_and_resumes_to_the_end() {
        let (profile, server, rt) = setup(Duration::from_millis(150));
        let profiles = &profile._profiles;
        let control = RunControl::new();
        let asked = control.clone();
        let options = StartOptions {
            allow_unpriced: true,
            ..StartOptions::default()
        };
        // The app quits once the first document is in.
        let outcome = start(
            profiles,
            &profile.open,
            "Gen",
            &options,
            &control,
            &mut |u| {
                if u.progress.generate.done >= 1 {
                    asked.interrupt();
                }
            },
        )
        .expect("run");
        assert_eq!(outcome.status, RunStatus::Interrupted);
        let done = outcome.progress.generate.done;
        assert!((1..6).contains(&done), "{done} documents before the quit");
        assert_eq!(
            outcome.progress.generate.failed, 0,
            "nothing is failed or cancelled"
        );

        let outcome = execute(
            profiles,
            &profile.open,
            &outcome.run_id,
            Mode::Resume,
            &RunControl::new(),
            &mut |_| {},
        )
        .expect("resumed");
        assert_eq!(outcome.status, RunStatus::Completed);
        assert_eq!(outcome.progress.generate.done, 6);
        let calls = rt
            .block_on(server.received_requests())
            .map_or(0, |r| r.len());
        assert!(
            calls <= 7,
            "at most the call in flight at the quit again: {calls}"
        );
        let again = execute(
            profiles,
            &profile.open,
            &outcome.run_id,
            Mode::Resume,
            &RunControl::new(),
            &mut |_| {},
        )
        .expect_err("a completed run is not resumed");
        assert_eq!(again.code(), crate::ErrorCode::RunState);
    }
}
