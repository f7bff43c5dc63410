//! Running a preset from the app, through the real webview: the Run dialog's estimate, the
//! live run view, and finished results in the Evaluation tabs; pause and resume; a run that
//! keeps working while the window switches profile; quitting mid-run. Models are a local
//! server speaking OpenAI's wire format (the one sanctioned stand-in).

use std::time::Duration;

use anyhow::ensure;
use assay_core::domain::endpoint::EndpointKind;
use assay_core::domain::preset::{JudgeSpec, ModelSpec};
use assay_core::library::{Library, PresetDraft};
use assay_core::llm::price_table::Price;
use assay_core::profile::KeyProtection;
use assay_core::providers;

use crate::harness::{App, profiles_in, with_app_in};

use crate::fake_llm;

fn model(name: &str) -> ModelSpec {
    ModelSpec {
        provider: "local".into(),
        model: name.into(),
        temperature: 0.5,
        max_tokens: 300,
        label: None,
    }
}

/// A profile `name` in `dir` with endpoint `local` at `base` (priced) and preset "Small run":
/// 2 generators × 3 inputs, 1 judge, both steps, no combine (18 calls).
fn prepare(dir: &std::path::Path, name: &str, base: &str) {
    prepare_judged(dir, name, base, "fake-judge-1");
}

/// [`prepare`] with `judge` as the preset's judge.
fn prepare_judged(dir: &std::path::Path, name: &str, base: &str, judge: &str) {
    prepare_with(dir, name, base, judge, None);
}

/// [`prepare_judged`], a passphrase profile when `pass` is given.
fn prepare_with(
    dir: &std::path::Path,
    name: &str,
    base: &str,
    judge: &str,
    pass: Option<&assay_core::secrets::Passphrase>,
) {
    let profiles = profiles_in(dir);
    let protection = pass.map_or(KeyProtection::Keyring, |p| {
        KeyProtection::Passphrase(p.clone())
    });
    let record = profiles.create(name, protection).expect("create");
    let open = profiles.open_profile(&record.id, pass).expect("open");
    providers::add_endpoint(&open, "local", EndpointKind::OpenaiCompatible, Some(base))
        .expect("endpoint");
    let price = Price {
        input: 1.0,
        output: 2.0,
        cached_input: None,
    };
    providers::set_price(&open, "local", "fake", &price).expect("price");
    let library = Library::of(&open).expect("ready");
    let seeded = library.presets().expect("presets").remove(0);
    let mut config = seeded.config.clone();
    config.models = vec![model("fake-gen-a"), model("fake-gen-b")];
    config.judges = vec![JudgeSpec {
        provider: "local".into(),
        model: judge.into(),
    }];
    config.iterations = 1;
    config.eval_iterations = 1;
    config.combine_models = Vec::new();
    config.generation_concurrency = 2;
    config.eval_concurrency = 2;
    library
        .save_preset(&PresetDraft {
            name: "Small run".into(),
            config,
            roles: seeded.roles.clone(),
            inputs: seeded.inputs.clone(),
        })
        .expect("preset");
}

/// Clicks Run on preset "Small run" and starts it from the dialog.
async fn start_small_run(app: &App) -> anyhow::Result<()> {
    app.text("run-list").await?;
    app.click("nav-presets").await?;
    app.wait_for_count("preset-item", 2).await?;
    app.script(
        "const item = Array.from(document.querySelectorAll(\"[data-testid='preset-item']\")).find(i => i.innerText.includes('Small run')); item.querySelector(\"[data-testid='run-preset']\").click();",
    )
    .await?;
    let estimate = app.text("run-estimate").await?;
    ensure!(
        estimate.starts_with("18 calls"),
        "the dialog says what the run will do: {estimate}"
    );
    let worst = app.text("run-worst-case").await?;
    ensure!(worst.starts_with("At most $"), "{worst}");
    app.click("run-start").await?;
    app.text("live-run").await?;
    Ok(())
}

#[tokio::test]
async fn a_preset_runs_from_the_app_to_finished_results() {
    let (server, counts) = fake_llm::serve(Duration::from_millis(300)).await;
    let dir = tempfile::tempdir().expect("temp");
    prepare(dir.path(), "Runs", &format!("{}/v1", server.uri()));
    with_app_in("run-button", dir.path(), async |app| {
        app.click("open-profile").await?;
        start_small_run(app).await?;
        // Live: phase bars while it works, then the finished results.
        app.text("bar-generate").await?;
        app.screenshot("live-run").await?;
        app.wait_for_text("run-status", "completed (done)").await?;
        ensure!(
            counts.calls() == 18,
            "one call per task: {}",
            counts.calls()
        );
        let best = app.texts("best-documents").await?;
        ensure!(best[0].contains("local/fake-gen-a"), "{best:?}");
        app.click("tab-scores").await?;
        let cells = app.texts("heat-cell").await?;
        ensure!(
            cells.iter().any(|c| c == "5.00"),
            "the scores are in: {cells:?}"
        );
        app.click("tab-pairwise").await?;
        app.text("position-consistency").await?;
        app.click("tab-overview").await?;
        app.text("run-again").await?;
        app.screenshot("run-finished").await?;

        // Compare with the seeded run (the same criteria, other models): one sentence says
        // nothing pairs, instead of a table of dashes; the ranks and the two runs' documents
        // side by side stay.
        app.click("tab-compare").await?;
        app.text("compare-with").await?;
        app.script(
            "const s = document.querySelector(\"[data-testid='compare-with']\"); const o = Array.from(s.options).find(o => o.text.startsWith('Decision briefings')); s.value = o.value; s.dispatchEvent(new Event('change', { bubbles: true }));",
        )
        .await?;
        let note = app.text("compare-note").await?;
        ensure!(note.contains("no model in common"), "{note}");
        app.text("compare-ranking").await?;
        app.text("compare-documents").await?;
        app.screenshot("compare").await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_run_is_paused_and_resumed_in_the_app_and_works_on_while_the_window_switches() {
    let (server, counts) = fake_llm::serve(Duration::from_millis(500)).await;
    let dir = tempfile::tempdir().expect("temp");
    let base = format!("{}/v1", server.uri());
    prepare(dir.path(), "Runs", &base);
    prepare(dir.path(), "Other", &base);
    with_app_in("run-pause", dir.path(), async |app| {
        app.wait_for_count("open-profile", 2).await?;
        app.script(
            "Array.from(document.querySelectorAll(\"[data-testid='open-profile']\")).find(b => b.innerText === 'Runs').click()",
        )
        .await?;
        start_small_run(app).await?;
        app.text("run-pause").await?;
        app.click("run-pause").await?;
        let status = text_when(app, "run-status", |t| t.starts_with("paused")).await?;
        ensure!(status.starts_with("paused"), "{status}");
        let reason = app.text("pause-reason").await?;
        ensure!(reason.contains("paused by request"), "{reason}");
        let at_pause = counts.calls();
        ensure!(at_pause < 18, "it stopped early: {at_pause}");

        app.click("run-resume").await?;
        app.text("run-pause").await?;
        // Switch the window to the other profile: the run goes on; back again, it is live.
        app.script(
            "const s = document.querySelector(\"[data-testid='profile-switcher']\"); const o = Array.from(s.options).find(o => o.text === 'Other'); s.value = o.value; s.dispatchEvent(new Event('change', { bubbles: true }));",
        )
        .await?;
        app.wait_for_text("active-profile", "Other").await?;
        let before = counts.calls();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while counts.calls() == before && counts.calls() < 18 {
            ensure!(std::time::Instant::now() < deadline, "the run stopped when the window switched");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        app.script(
            "const s = document.querySelector(\"[data-testid='profile-switcher']\"); const o = Array.from(s.options).find(o => o.text === 'Runs'); s.value = o.value; s.dispatchEvent(new Event('change', { bubbles: true }));",
        )
        .await?;
        app.wait_for_text("active-profile", "Runs").await?;
        app.click("open-run").await?;
        app.wait_for_text("run-status", "completed (done)").await?;
        ensure!(counts.calls() == 18, "nothing asked twice: {}", counts.calls());
        Ok(())
    })
    .await;
}

/// Polls the text of `id` until `done` holds for it (20 s at most); returns it.
async fn text_when(app: &App, id: &str, done: impl Fn(&str) -> bool) -> anyhow::Result<String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let js = format!(
        "const e = document.querySelector(\"[data-testid='{id}']\"); return e ? e.innerText.trim() : ''"
    );
    loop {
        let text = app.script(&js).await?.as_str().unwrap_or("").to_owned();
        if done(&text) {
            return Ok(text);
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "{id} never matched; last {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn closing_the_window_mid_run_asks_and_quitting_leaves_the_run_interrupted() {
    let (server, counts) = fake_llm::serve(Duration::from_millis(500)).await;
    let dir = tempfile::tempdir().expect("temp");
    prepare(dir.path(), "Runs", &format!("{}/v1", server.uri()));
    let data = dir.path().to_path_buf();
    with_app_in("run-quit", dir.path(), async |app| {
        app.click("open-profile").await?;
        start_small_run(app).await?;
        app.text("run-pause").await?;
        app.request_close().await?;
        let asked = app.text("quit-dialog").await?;
        ensure!(asked.contains("still working"), "{asked}");
        app.screenshot("quit-dialog").await?;
        app.click("quit-cancel").await?;
        app.wait_gone("quit-dialog").await?;
        app.request_close().await?;
        app.click("quit-confirm").await?;
        Ok(())
    })
    .await;
    let profiles = profiles_in(&data);
    let open = profiles
        .open_profile("runs", None)
        .expect("the app let go of the profile");
    let runs = Library::of(&open)
        .expect("ready")
        .runs(5, None)
        .expect("runs");
    assert_eq!(
        runs[0].status,
        assay_core::domain::states::RunStatus::Interrupted,
        "quitting leaves the run to resume later"
    );
    assert!(counts.calls() < 18, "it stopped early: {}", counts.calls());
}

#[tokio::test]
async fn calls_a_server_reported_no_usage_for_are_shown_charged_at_their_worst_case() {
    let (server, counts) = fake_llm::serve(Duration::from_millis(50)).await;
    counts.report_usage(fake_llm::Usage::Omitted);
    let dir = tempfile::tempdir().expect("temp");
    prepare(dir.path(), "Estimates", &format!("{}/v1", server.uri()));
    with_app_in("estimated", dir.path(), async |app| {
        app.click("open-profile").await?;
        start_small_run(app).await?;
        app.wait_for_text("run-status", "completed (done)").await?;
        let note = app.text("run-estimated").await?;
        ensure!(
            note.contains("18 calls charged at their worst case"),
            "the overview says the cost is made of estimates: {note}"
        );
        for theme in ["light", "dark"] {
            app.click("nav-settings").await?;
            app.set_value("pref-theme", theme).await?;
            app.text("prefs-saved").await?;
            app.click("nav-runs").await?;
            app.text("run-list").await?;
            app.click("open-run").await?;
            app.text("run-estimated").await?;
            app.screenshot(&format!("run-estimated-{theme}")).await?;
            app.click("tab-timeline").await?;
            app.text("timeline-chart").await?;
            app.script(
                "document.querySelector(\"[data-testid='timeline-bar']\").dispatchEvent(new MouseEvent('mouseenter'));",
            )
            .await?;
            let hover = app.text("timeline-hover").await?;
            ensure!(
                hover.contains("(estimated: worst case charged)"),
                "a call's card says its charge is an estimate: {hover}"
            );
            app.screenshot(&format!("timeline-estimated-{theme}")).await?;
            app.click("back-to-runs").await?;
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_judge_whose_answers_do_not_read_shows_its_problems_and_unscored_documents() {
    let (server, _counts) = fake_llm::serve(Duration::from_millis(20)).await;
    let dir = tempfile::tempdir().expect("temp");
    prepare_judged(
        dir.path(),
        "Junk",
        &format!("{}/v1", server.uri()),
        "fake-junk",
    );
    with_app_in("junk-judge", dir.path(), async |app| {
        app.click("open-profile").await?;
        start_small_run(app).await?;
        app.wait_for_text("run-status", "completed_with_errors (done)")
            .await?;
        let unscored = app.text("run-unscored").await?;
        ensure!(
            unscored.starts_with("6 documents unscored (6 scoring failed)"),
            "the overview says why no document has a score: {unscored}"
        );
        app.script("document.querySelector(\"[data-testid='run-failures']\").open = true")
            .await?;
        let problems = app.texts("failure-problem").await?;
        ensure!(
            problems.iter().all(|p| p.starts_with("NOT_JSON")) && !problems.is_empty(),
            "each failure names its problem first: {problems:?}"
        );
        for theme in ["light", "dark"] {
            app.script(&format!(
                "document.documentElement.dataset.theme = '{theme}'"
            ))
            .await?;
            app.screenshot(&format!("judge-failures-{theme}")).await?;
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_one_model_run_says_why_it_has_no_model_ratings_and_the_dialog_gives_the_judge_limit() {
    let (server, _counts) = fake_llm::serve(Duration::from_millis(20)).await;
    let dir = tempfile::tempdir().expect("temp");
    prepare(dir.path(), "One", &format!("{}/v1", server.uri()));
    {
        // One generator, two documents per input, compared with each other.
        let profiles = profiles_in(dir.path());
        let open = profiles.open_profile("One", None).expect("open");
        let library = Library::of(&open).expect("ready");
        let mut preset = library
            .presets()
            .expect("presets")
            .into_iter()
            .find(|p| p.name == "Small run")
            .expect("the small preset");
        preset.config.models.truncate(1);
        preset.config.iterations = 2;
        library
            .save_preset(&PresetDraft {
                name: preset.name,
                config: preset.config,
                roles: preset.roles,
                inputs: preset.inputs,
            })
            .expect("saved");
    }
    with_app_in("one-model", dir.path(), async |app| {
        app.click("open-profile").await?;
        app.text("run-list").await?;
        app.click("nav-presets").await?;
        app.wait_for_count("preset-item", 2).await?;
        app.script(
            "const item = Array.from(document.querySelectorAll(\"[data-testid='preset-item']\")).find(i => i.innerText.includes('Small run')); item.querySelector(\"[data-testid='run-preset']\").click();",
        )
        .await?;
        let limit = app.text("run-judge-tokens").await?;
        ensure!(
            limit.contains("1,600 tokens") && limit.contains("every criterion"),
            "the dialog says the judges' limit: {limit}"
        );
        for theme in ["light", "dark"] {
            app.script(&format!(
                "document.documentElement.dataset.theme = '{theme}'"
            ))
            .await?;
            app.screenshot(&format!("run-dialog-{theme}")).await?;
        }
        app.click("run-start").await?;
        app.wait_for_text("run-status", "completed (done)").await?;
        app.click("tab-pairwise").await?;
        let note = app.text("pairwise-note").await?;
        ensure!(note.contains("need two models"), "{note}");
        for theme in ["light", "dark"] {
            app.script(&format!(
                "document.documentElement.dataset.theme = '{theme}'"
            ))
            .await?;
            app.screenshot(&format!("pairwise-note-{theme}")).await?;
        }
        app.click("tab-judges").await?;
        let agreement = app.text("agreement-note").await?;
        ensure!(agreement.contains("only local/fake-judge-1 scored"), "{agreement}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_app_shows_a_run_another_process_executes_live_and_pauses_it() {
    // Slow answers (18 calls, 2 at a time, 3 s each): the run is still working when the
    // app, opened after it began, pauses it, however loaded the machine is.
    let (server, counts) = fake_llm::serve(Duration::from_secs(3)).await;
    let dir = tempfile::tempdir().expect("temp");
    prepare(dir.path(), "Runs", &format!("{}/v1", server.uri()));
    // This test's process hosts the run, as `assay run start` would: the app is another
    // process that opens the same profile while it works.
    let data = dir.path().to_path_buf();
    let (started, run_started) = std::sync::mpsc::channel::<String>();
    let host = std::thread::spawn(move || {
        let profiles = std::sync::Arc::new(profiles_in(&data));
        let open = profiles.open_profile("runs", None).expect("open");
        let options = assay_core::engine::StartOptions::default();
        let mut told = false;
        assay_core::engine::host::host_here(
            profiles,
            open,
            assay_core::engine::Launch::Start {
                preset: "Small run",
                options: &options,
            },
            &mut |u| {
                if !told {
                    told = true;
                    let _ = started.send(u.run_id.clone());
                }
            },
        )
    });
    let run_id = run_started
        .recv_timeout(Duration::from_secs(60))
        .expect("the run began");
    with_app_in("run-elsewhere", dir.path(), async |app| {
        app.click("open-profile").await?;
        app.wait_for_count("open-run", 2).await?;
        app.script(&format!(
            "document.querySelector(\"[data-run-id='{run_id}'] [data-testid='open-run']\").click()"
        ))
        .await?;
        // Live through the other process's control socket: the bars, then a pause asked there.
        app.text("bar-generate").await?;
        app.text("run-pause").await?;
        for theme in ["light", "dark"] {
            app.script(&format!(
                "document.documentElement.dataset.theme = '{theme}'"
            ))
            .await?;
            app.screenshot(&format!("live-elsewhere-{theme}")).await?;
        }
        app.click("run-pause").await?;
        let status = text_when(app, "run-status", |t| t.starts_with("paused")).await?;
        ensure!(status.starts_with("paused"), "{status}");
        Ok(())
    })
    .await;
    let outcome = host
        .join()
        .expect("the host thread")
        .expect("the hosted run ended");
    assert_eq!(
        outcome.status,
        assay_core::domain::states::RunStatus::Paused,
        "the app's pause reached the host"
    );
    assert!(counts.calls() < 18, "it stopped early: {}", counts.calls());
}

#[tokio::test]
async fn locking_a_profile_whose_run_works_elsewhere_is_refused_naming_the_run() {
    // Slow answers: the run still works when the app asks to lock its profile.
    let (server, _counts) = fake_llm::serve(Duration::from_secs(3)).await;
    let dir = tempfile::tempdir().expect("temp");
    let pass = assay_core::secrets::Passphrase::new("correct horse battery".into());
    let base = format!("{}/v1", server.uri());
    prepare_with(dir.path(), "Vault", &base, "fake-judge-1", Some(&pass));
    let data = dir.path().to_path_buf();
    let (started, run_started) = std::sync::mpsc::channel::<String>();
    let control = assay_core::engine::RunControl::new();
    let steer = control.clone();
    let host_pass = pass.clone();
    let (let_go, host_gone) = std::sync::mpsc::channel::<()>();
    let host = std::thread::spawn(move || {
        let profiles = std::sync::Arc::new(profiles_in(&data));
        let open = profiles
            .open_profile("vault", Some(&host_pass))
            .expect("open");
        let options = assay_core::engine::StartOptions::default();
        let mut told = false;
        let host =
            assay_core::engine::RunHost::take(profiles, std::sync::Arc::new(open)).expect("host");
        let (run_id, _) = host
            .launch(assay_core::engine::Launch::Start {
                preset: "Small run",
                options: &options,
            })
            .expect("launched");
        let outcome = host.work(&run_id, &control, &mut |u| {
            if !told {
                told = true;
                let _ = started.send(u.run_id.clone());
            }
        });
        drop(host);
        let _ = let_go.send(());
        outcome
    });
    let run_id = run_started
        .recv_timeout(Duration::from_secs(60))
        .expect("the run began");
    with_app_in("lock-busy", dir.path(), async |app| {
        app.click("open-profile").await?;
        app.type_into("unlock-passphrase", "correct horse battery")
            .await?;
        app.click("unlock-submit").await?;
        app.wait_for_text("active-profile", "Vault").await?;
        app.click("lock-profile").await?;
        let said = app.text("lock-error").await?;
        ensure!(said.contains(&run_id), "the refusal names the run: {said}");
        app.wait_for_text("active-profile", "Vault").await?;
        for theme in ["light", "dark"] {
            app.script(&format!(
                "document.documentElement.dataset.theme = '{theme}'"
            ))
            .await?;
            app.screenshot(&format!("lock-refused-{theme}")).await?;
        }
        // Once the run's process lets go of it, the profile locks.
        steer.pause();
        tokio::task::spawn_blocking(move || host_gone.recv_timeout(Duration::from_secs(60)))
            .await??;
        app.click("lock-profile").await?;
        app.text("unlock-passphrase").await?;
        Ok(())
    })
    .await;
    let outcome = host.join().expect("host thread").expect("the run ended");
    assert_eq!(
        outcome.status,
        assay_core::domain::states::RunStatus::Paused
    );
}
