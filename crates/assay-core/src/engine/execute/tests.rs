//! The executor alone, in this process, against [`GatedServer`]: a local server speaking
//! OpenAI's wire format whose answers wait at a gate the test opens, so calls are held in
//! flight and the test acts while they are, with no sleep. Concurrency limits, the budget's
//! reservations, pause and cancel with calls in flight, the repair path, dependent tasks, and
//! resume from a journaled answer. The process-level kill tests are in the CLI's suite.

use super::gated_server::{self, GatedServer};
use crate::domain::endpoint::EndpointKind;
use crate::domain::preset::{JudgeSpec, ModelSpec, PresetConfig};
use crate::domain::states::{JournalOutcome, RunStatus, TaskKind, TaskStatus};
use crate::engine::control::RunControl;
use crate::engine::lifecycle::{self, Mode, RunOutcome};
use crate::engine::start::{self, StartOptions};
use crate::library::{Library, PresetDraft};
use crate::store::execution as exec;
use crate::test_support::{TestProfile, seeded_profile};

fn model(name: &str) -> ModelSpec {
    ModelSpec {
        provider: "local".into(),
        model: name.into(),
        temperature: 0.5,
        max_tokens: 100,
        label: None,
    }
}

/// A profile with endpoint `local` at `server` and preset "P": the seeded preset's roles and
/// inputs (3, or the first `inputs`) with `change` applied to a generation-only config.
fn profile_with(
    server: &GatedServer,
    inputs: usize,
    change: impl FnOnce(&mut PresetConfig),
) -> TestProfile {
    let profile = seeded_profile("exec");
    crate::providers::add_endpoint(
        &profile.open,
        "local",
        EndpointKind::OpenaiCompatible,
        Some(&server.base),
    )
    .expect("endpoint");
    let wide = crate::domain::endpoint::EndpointChanges {
        base_url: None,
        max_concurrent: Some(16),
        requests_per_minute: None,
        min_delay_ms: None,
    };
    crate::providers::update_endpoint(&profile.open, "local", &wide).expect("limits");
    let library = Library::of(&profile.open).expect("ready");
    let seeded = library.presets().expect("presets").remove(0);
    let mut config = seeded.config.clone();
    config.models = vec![model("writer")];
    config.judges = Vec::new();
    config.iterations = 2;
    config.evaluation_enabled = false;
    config.pairwise_enabled = false;
    config.combine_models = Vec::new();
    config.generation_concurrency = 2;
    config.eval_concurrency = 2;
    config.max_retries = 0;
    change(&mut config);
    library
        .save_preset(&PresetDraft {
            name: "P".into(),
            config,
            roles: seeded.roles.clone(),
            inputs: seeded.inputs.iter().take(inputs).cloned().collect(),
        })
        .expect("preset");
    profile
}

/// A server whose every answer is a document.
fn writing_server() -> GatedServer {
    GatedServer::start(Box::new(|_| "A document.".into()))
}

fn unpriced() -> StartOptions {
    StartOptions {
        allow_unpriced: true,
        ..StartOptions::default()
    }
}

/// Starts preset "P" on a thread of the scope, with `control`; the outcome when joined.
fn start_in<'s>(
    scope: &'s std::thread::Scope<'s, '_>,
    profile: &'s TestProfile,
    options: StartOptions,
    control: &RunControl,
) -> std::thread::ScopedJoinHandle<'s, RunOutcome> {
    let control = control.clone();
    scope.spawn(move || {
        lifecycle::start(
            &profile._profiles,
            &profile.open,
            "P",
            &options,
            &control,
            &mut |_| {},
        )
        .expect("the run ends")
    })
}

fn task_statuses(profile: &TestProfile, run_id: &str) -> Vec<(TaskKind, TaskStatus)> {
    profile
        .open
        .db()
        .read(|c| exec::tasks(c, run_id))
        .expect("tasks")
        .into_iter()
        .map(|t| (t.kind, t.status))
        .collect()
}

#[test]
fn generation_never_passes_its_concurrency_and_every_task_is_asked_once() {
    let server = writing_server();
    let profile = profile_with(&server, 3, |_| {});
    server.hold();
    let outcome = std::thread::scope(|scope| {
        let run = start_in(scope, &profile, unpriced(), &RunControl::new());
        // Two at a time: two held, then each answer lets exactly one more in.
        server.wait_held(2);
        for asked in 3..=6 {
            server.release(1);
            server.wait_requests(asked);
            server.wait_held(2);
        }
        server.open();
        run.join().expect("run thread")
    });
    assert_eq!(outcome.status, RunStatus::Completed);
    assert_eq!(outcome.progress.generate.done, 6);
    assert_eq!(server.requests(), 6, "one call per task");
    assert_eq!(server.max_in_flight(), 2, "generation_concurrency is 2");
}

#[test]
fn a_pause_with_calls_in_flight_keeps_their_answers_and_asks_nothing_more() {
    let server = writing_server();
    let profile = profile_with(&server, 3, |_| {});
    server.hold();
    let control = RunControl::new();
    let outcome = std::thread::scope(|scope| {
        let run = start_in(scope, &profile, unpriced(), &control);
        server.wait_held(2);
        control.pause();
        server.open();
        run.join().expect("run thread")
    });
    assert_eq!(outcome.status, RunStatus::Paused);
    assert_eq!(
        outcome.progress.generate.done, 2,
        "the calls in flight finished"
    );
    assert_eq!(server.requests(), 2, "no call after the pause");
    let statuses = task_statuses(&profile, &outcome.run_id);
    let pending = statuses
        .iter()
        .filter(|(_, s)| *s == TaskStatus::Pending)
        .count();
    assert_eq!(pending, 4, "the rest wait for a resume: {statuses:?}");

    // Resumed, it asks only what is left.
    let resumed = lifecycle::execute(
        &profile._profiles,
        &profile.open,
        &outcome.run_id,
        Mode::Resume,
        &RunControl::new(),
        &mut |_| {},
    )
    .expect("resumed");
    assert_eq!(resumed.status, RunStatus::Completed);
    assert_eq!(server.requests(), 6, "nothing asked twice");
}

#[test]
fn a_cancel_with_calls_in_flight_aborts_them_and_keeps_what_was_done() {
    let server = writing_server();
    let profile = profile_with(&server, 3, |_| {});
    server.hold();
    let control = RunControl::new();
    let outcome = std::thread::scope(|scope| {
        let run = start_in(scope, &profile, unpriced(), &control);
        server.wait_held(2);
        server.release(2);
        server.wait_requests(4);
        server.wait_held(2);
        control.cancel();
        let outcome = run.join().expect("run thread");
        server.open();
        outcome
    });
    assert_eq!(outcome.status, RunStatus::Cancelled);
    assert_eq!(
        outcome.progress.generate.done, 2,
        "the answered two are kept"
    );
    assert_eq!(server.requests(), 4, "no call after the cancel");
    let statuses = task_statuses(&profile, &outcome.run_id);
    let cancelled = statuses
        .iter()
        .filter(|(_, s)| *s == TaskStatus::Cancelled)
        .count();
    assert_eq!(
        cancelled, 4,
        "the two in flight and the two never asked: {statuses:?}"
    );
}

#[test]
fn a_budget_holds_back_calls_whose_worst_case_could_pass_it() {
    let server = writing_server();
    // One input, six iterations: six calls with the same worst case.
    let profile = profile_with(&server, 1, |c| {
        c.iterations = 6;
        c.generation_concurrency = 4;
    });
    let all = crate::engine::estimate::estimate(&profile.open, "P").expect("estimate");
    let one = all.worst_case_tokens / 6;
    assert!(one > 100, "a call's worst case: {one}");

    // Room for one call's worst case and a half: one in flight at a time, though four may
    // be; each answer reports 15 tokens, so all six fit in the end.
    let options = StartOptions {
        budget_tokens: Some((one + one / 2) as u64),
        ..unpriced()
    };
    let outcome = std::thread::scope(|scope| {
        let run = start_in(scope, &profile, options, &RunControl::new());
        run.join().expect("run thread")
    });
    let why = Library::of(&profile.open)
        .expect("ready")
        .run(&outcome.run_id)
        .expect("run")
        .pause_reason;
    assert_eq!(
        outcome.status,
        RunStatus::Completed,
        "{why:?} (one call: {one})"
    );
    assert_eq!(
        server.max_in_flight(),
        1,
        "the reservation holds the others"
    );
    assert_eq!(server.requests(), 6);

    // Room for less than one: the run pauses before its first call, saying why.
    let options = StartOptions {
        budget_tokens: Some((one - 1) as u64),
        ..unpriced()
    };
    let outcome = std::thread::scope(|scope| {
        start_in(scope, &profile, options, &RunControl::new())
            .join()
            .expect("run thread")
    });
    assert_eq!(outcome.status, RunStatus::Paused);
    assert_eq!(server.requests(), 6, "no call was made");
    let run = Library::of(&profile.open)
        .expect("ready")
        .run(&outcome.run_id)
        .expect("run");
    let reason = run.pause_reason.unwrap_or_default();
    assert!(reason.contains("budget"), "{reason}");
}

#[test]
fn a_judge_answer_that_does_not_read_is_asked_again_once_then_the_task_fails() {
    let server = GatedServer::start(Box::new(|request| {
        if request["response_format"].is_object() {
            gated_server::scores_for(request)
        } else {
            "A document.".into()
        }
    }));
    let profile = profile_with(&server, 1, |c| {
        c.iterations = 1;
        c.evaluation_enabled = true;
        c.judges = vec![JudgeSpec {
            provider: "local".into(),
            model: "judge".into(),
        }];
        c.eval_iterations = 2;
        c.eval_concurrency = 1;
    });
    // The generation call, then the first judge answer twice junk (the repair fails too),
    // then the second trial's junk once (its repair reads).
    server.script(&["A document.", "not json", "still not json", "{\"nope\": 1}"]);
    let outcome = std::thread::scope(|scope| {
        start_in(scope, &profile, unpriced(), &RunControl::new())
            .join()
            .expect("run thread")
    });
    assert_eq!(outcome.status, RunStatus::CompletedWithErrors);
    assert_eq!(outcome.progress.score.done, 1, "the repaired trial");
    assert_eq!(
        outcome.progress.score.failed, 1,
        "the trial that failed its repair"
    );
    let judged = server.models().iter().filter(|m| *m == "judge").count();
    assert_eq!(judged, 4, "each trial once, and each repair once");
}

#[test]
fn combining_waits_for_the_scores_and_the_combined_document_is_scored_and_compared() {
    let server = GatedServer::start(Box::new(|request| {
        if request["response_format"]["json_schema"]["schema"]["properties"]["winner"].is_object() {
            "{\"reason\": \"A is better\", \"winner\": \"A\"}".into()
        } else if request["response_format"].is_object() {
            gated_server::scores_for(request)
        } else {
            "A document.".into()
        }
    }));
    let profile = profile_with(&server, 1, |c| {
        c.models = vec![model("writer-a"), model("writer-b")];
        c.iterations = 1;
        c.evaluation_enabled = true;
        c.pairwise_enabled = true;
        c.judges = vec![JudgeSpec {
            provider: "local".into(),
            model: "judge".into(),
        }];
        c.eval_iterations = 1;
        c.combine_models = vec![model("combiner")];
        c.combine_top_k = 2;
    });
    let outcome = std::thread::scope(|scope| {
        start_in(scope, &profile, unpriced(), &RunControl::new())
            .join()
            .expect("run thread")
    });
    assert_eq!(
        outcome.status,
        RunStatus::Completed,
        "{:?}",
        outcome.progress
    );
    let models = server.models();
    let combine_at = models
        .iter()
        .position(|m| m == "combiner")
        .expect("combined");
    // Before the combine: 2 documents, their 2 scores and their pair in both orders.
    assert_eq!(combine_at, 2 + 2 + 2, "{models:?}");
    // After: the combined document scored, and compared with the top 2 in both orders.
    assert_eq!(outcome.progress.combine.done, 1);
    assert_eq!(outcome.progress.score.done, 3);
    assert_eq!(outcome.progress.compare.done, 2 + 2 * 2);
    assert_eq!(models.len(), 6 + 1 + 1 + 4);
}

#[test]
fn an_answer_journaled_before_a_crash_is_applied_on_resume_and_never_asked_again() {
    let server = writing_server();
    let profile = profile_with(&server, 1, |c| c.iterations = 3);
    let run = start::create_run(&profile.open, "P", &unpriced()).expect("made");
    lifecycle::begin(&profile.open, &run.id, Mode::Resume).expect("begun");
    // A crash between the journal and the result: the answer is in the journal, unapplied,
    // and its task left running.
    let tasks = profile
        .open
        .db()
        .read(|c| exec::tasks(c, &run.id))
        .expect("tasks");
    let first = &tasks[0];
    let raw = gated_server::reply("writer", "Journaled.");
    profile
        .open
        .db()
        .write(|tx| {
            exec::set_task(tx, &first.id, TaskStatus::Running, None)?;
            // What the next opener of the profile finds it: interrupted, to resume.
            exec::set_run_status(
                tx,
                &run.id,
                RunStatus::Interrupted,
                None,
                "2026-12-07T00:00:02Z",
            )?;
            crate::store::tasks::journal(
                tx,
                &crate::store::tasks::JournalEntry {
                    id: "j-crash".into(),
                    run_id: run.id.clone(),
                    task_id: first.id.clone(),
                    attempt: 1,
                    started_at: "2026-12-07T00:00:00Z".into(),
                    ended_at: "2026-12-07T00:00:01Z".into(),
                    outcome: JournalOutcome::Answer,
                    http_status: Some(200),
                    error_code: None,
                    raw,
                    tokens_in: Some(10),
                    tokens_out: Some(5),
                    cost: None,
                    usage_estimated: false,
                },
            )
        })
        .expect("journaled");
    let outcome = lifecycle::execute(
        &profile._profiles,
        &profile.open,
        &run.id,
        Mode::Resume,
        &RunControl::new(),
        &mut |_| {},
    )
    .expect("resumed");
    assert_eq!(outcome.status, RunStatus::Completed);
    assert_eq!(outcome.progress.generate.done, 3);
    assert_eq!(
        server.requests(),
        2,
        "the journaled answer is not asked again"
    );
    let detail = Library::of(&profile.open)
        .expect("ready")
        .run(&run.id)
        .expect("run");
    assert!(
        detail.documents.iter().any(|d| d.body == "Journaled."),
        "the journaled answer became the document"
    );
}
