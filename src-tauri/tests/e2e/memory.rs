//! The app's memory, measured (`make memory`, against a release build): the proportional set
//! size (PSS) of the app and its WebKit processes together, idle on the profile picker, idle
//! on a profile's home, after opening every tab of a 1,008-document run, and after opening and
//! closing that run's views 50 times (a leak check).
//! Prints the figures; fails only if the measurement itself cannot be made.

#![allow(clippy::print_stdout, reason = "a measurement reports its figures")]

use std::time::Duration;

use anyhow::{Context, Result};

use std::path::Path;

use assay_core::domain::endpoint::EndpointKind;
use assay_core::domain::preset::{JudgeSpec, ModelSpec};
use assay_core::engine::{RunControl, StartOptions, lifecycle};
use assay_core::library::{Library, PresetDraft};
use assay_core::llm::prices::Price;
use assay_core::profile::KeyProtection;
use assay_core::providers;

use crate::fake_llm;
use crate::harness::{App, profiles_in, with_app_in};

/// PSS in MiB of the process running `binary` and every process below it.
fn pss_mib(binary: &str) -> Result<(f64, Vec<(String, f64)>)> {
    let mut procs: Vec<(u32, u32, String)> = Vec::new();
    for entry in std::fs::read_dir("/proc")?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some(rest) = stat.rsplit_once(") ").map(|(_, r)| r) else {
            continue;
        };
        let ppid: u32 = rest
            .split(' ')
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let exe = std::fs::read_link(format!("/proc/{pid}/exe"))
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        procs.push((pid, ppid, exe));
    }
    let root = procs
        .iter()
        .find(|(_, _, exe)| exe == binary)
        .map(|(pid, _, _)| *pid)
        .context("the app's process")?;
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(procs.iter().filter(|p| p.1 == parent).map(|p| p.0));
        i += 1;
    }
    let mut parts = Vec::new();
    let mut total = 0.0;
    for pid in tree {
        let rollup =
            std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        let field = |key: &str| -> f64 {
            rollup
                .lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0)
        };
        let (kib, anon) = (field("Pss:"), field("Pss_Anon:"));
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        total += kib / 1024.0;
        // The heap and stacks (anonymous) apart from mapped files such as shared libraries.
        let label = format!("{} [anon {:.0}]", name.trim(), anon / 1024.0);
        parts.push((label, kib / 1024.0));
    }
    Ok((total, parts))
}

async fn settle() {
    // Memory is read after the page is idle: the figure is what an idle app holds.
    tokio::time::sleep(Duration::from_secs(3)).await;
}

fn report(label: &str, binary: &str) -> Result<f64> {
    let (total, parts) = pss_mib(binary)?;
    let detail: Vec<String> = parts.iter().map(|(n, m)| format!("{n} {m:.0}")).collect();
    println!(
        "memory: {label}: {total:.0} MiB PSS ({})",
        detail.join(", ")
    );
    Ok(total)
}

/// The run with 1,008 documents: 3 inputs × 4 models × 84 iterations, each scored once by
/// one judge on 4 criteria (4,032 scores, 2,016 calls on the timeline), made by the real
/// engine against a local server speaking OpenAI's wire format.
const BIG_RUN: &str = "Thousand documents";

fn prepare(dir: &Path, base: &str) -> Result<()> {
    let profiles = profiles_in(dir);
    let record = profiles.create("Memory", KeyProtection::Keyring)?;
    let open = profiles.open_profile(&record.id, None)?;
    providers::add_endpoint(&open, "local", EndpointKind::OpenaiCompatible, Some(base))?;
    let price = Price {
        input: 1.0,
        output: 2.0,
        cached_input: None,
    };
    providers::set_price(&open, "local", "fake", &price)?;
    let library = Library::of(&open)?;
    let seeded = library.presets()?.remove(0);
    let mut config = seeded.config.clone();
    config.models = ["a", "b", "c", "comb"]
        .map(|m| ModelSpec {
            provider: "local".into(),
            model: format!("fake-gen-{m}"),
            temperature: 0.5,
            max_tokens: 300,
            label: None,
        })
        .to_vec();
    config.judges = vec![JudgeSpec {
        provider: "local".into(),
        model: "fake-judge-1".into(),
    }];
    config.iterations = 84;
    config.eval_iterations = 1;
    config.pairwise_enabled = false;
    config.combine_models = Vec::new();
    config.generation_concurrency = 8;
    config.eval_concurrency = 8;
    library.save_preset(&PresetDraft {
        name: BIG_RUN.into(),
        config,
        roles: seeded.roles.clone(),
        inputs: seeded.inputs.clone(),
    })?;
    let outcome = lifecycle::start(
        &profiles,
        &open,
        BIG_RUN,
        &StartOptions::default(),
        &RunControl::new(),
        &mut |_| {},
    )?;
    anyhow::ensure!(outcome.status == "completed", "the big run: {outcome:?}");
    let run = library.run(&outcome.run_id)?;
    anyhow::ensure!(
        run.documents.len() == 1_008,
        "{} documents",
        run.documents.len()
    );
    Ok(())
}

/// Opens the run titled like `title`, every tab of it, and goes back to the list.
async fn cycle_run_views(app: &App, title: &str) -> Result<()> {
    app.script(&format!(
        "Array.from(document.querySelectorAll(\"[data-testid='open-run']\")).find(b => b.innerText.includes({title:?})).click()"
    ))
    .await?;
    app.text("run-title").await?;
    // `ASSAY_MEMORY_TABS=scores,report` narrows a pass to some tabs, to find what grows.
    let only = std::env::var("ASSAY_MEMORY_TABS").ok();
    for (tab, shown) in [
        ("scores", "heatmap"),
        ("pairwise", "win-matrix"),
        ("judges", "judges-table"),
        ("documents", "document-table"),
        ("timeline", "timeline-chart"),
        ("compare", "compare-with"),
        ("report", "report-frame"),
        ("overview", "overview"),
    ] {
        if only
            .as_deref()
            .is_some_and(|o| !o.split(',').any(|t| t == tab))
        {
            continue;
        }
        app.click(&format!("tab-{tab}")).await?;
        app.text(shown).await?;
    }
    app.click("back-to-runs").await?;
    app.text("run-list").await?;
    Ok(())
}

#[tokio::test]
#[ignore = "run by make memory, against a release build"]
async fn the_apps_memory_idle_and_after_50_run_views() {
    let binary = std::env::var("ASSAY_APP_BINARY").expect("make memory sets ASSAY_APP_BINARY");
    let (server, _) = fake_llm::serve(Duration::ZERO).await;
    let dir = tempfile::tempdir().expect("temp");
    let (path, base) = (dir.path().to_path_buf(), format!("{}/v1", server.uri()));
    tokio::task::spawn_blocking(move || prepare(&path, &base))
        .await
        .expect("join")
        .expect("a profile with a 1,008-document run");
    with_app_in("memory", dir.path(), async |app| {
        app.text("open-profile").await?;
        settle().await;
        report("idle on the profile picker", &binary)?;
        app.click("open-profile").await?;
        app.wait_for_count("run-item", 2).await?;
        settle().await;
        let home = report("idle on a profile's home", &binary)?;
        cycle_run_views(app, BIG_RUN).await?;
        settle().await;
        let first = report("after opening every tab of a 1,008-document run", &binary)?;
        let started = std::time::Instant::now();
        let mut at_pass_10 = first;
        for pass in 2..=50 {
            cycle_run_views(app, BIG_RUN).await?;
            if pass % 10 == 0 {
                // The trend, not one figure: a leak keeps climbing, a cache levels off.
                settle().await;
                let at = report(&format!("after {pass} passes"), &binary)?;
                println!(
                    "memory: {:+.1} MiB since the first pass, {:.0} s",
                    at - first,
                    started.elapsed().as_secs_f64()
                );
                if pass == 10 {
                    at_pass_10 = at;
                }
                if pass == 50 {
                    println!(
                        "memory: home {home:.0} MiB; warm-up over passes 1–10 {:+.1} MiB; \
                         growth from pass 10 to pass 50 {:+.1} MiB",
                        at_pass_10 - first,
                        at - at_pass_10
                    );
                }
            }
        }
        Ok(())
    })
    .await;
}
