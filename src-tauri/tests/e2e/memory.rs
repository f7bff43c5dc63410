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
use assay_core::llm::price_table::Price;
use assay_core::profile::KeyProtection;
use assay_core::providers;

use crate::fake_llm;
use crate::harness::{App, profiles_in, with_app_in};

/// The process running `binary` and every process below it.
fn process_tree(binary: &str) -> Result<Vec<u32>> {
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
    Ok(tree)
}

/// PSS in MiB of the process running `binary` and every process below it.
fn pss_mib(binary: &str) -> Result<(f64, Vec<(String, f64)>)> {
    let mut parts = Vec::new();
    let mut total = 0.0;
    for pid in process_tree(binary)? {
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

/// `ASSAY_MEMORY_MAPS=1`: where each process's PSS lies, by mapped file (anonymous memory as
/// `[anon]`), largest first, for finding what an idle app holds.
fn report_mappings(binary: &str) -> Result<()> {
    if std::env::var_os("ASSAY_MEMORY_MAPS").is_none_or(|v| v != "1") {
        return Ok(());
    }
    for pid in process_tree(binary)? {
        let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
        let mut by_file: std::collections::BTreeMap<String, f64> = Default::default();
        let mut current = String::new();
        for line in smaps.lines() {
            let mut fields = line.split_whitespace();
            let first = fields.next().unwrap_or_default();
            if first.contains('-') && !first.ends_with(':') {
                current = fields.nth(4).unwrap_or("[anon]").to_owned();
            } else if first == "Pss:" {
                let kib: f64 = fields.next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
                *by_file.entry(current.clone()).or_default() += kib / 1024.0;
            }
        }
        let mut files: Vec<_> = by_file.into_iter().collect();
        files.sort_by(|a, b| b.1.total_cmp(&a.1));
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let (shown, rest): (Vec<_>, Vec<_>) = files.iter().partition(|(_, mib)| *mib >= 0.5);
        for (file, mib) in shown {
            println!("memory: maps {}: {mib:6.1} MiB {file}", name.trim());
        }
        let rest: f64 = rest.iter().map(|(_, mib)| mib).sum();
        println!(
            "memory: maps {}: {rest:6.1} MiB in {} smaller mappings",
            name.trim(),
            files.len()
        );
    }
    Ok(())
}

/// Each process's share, as `pss_mib` gives them: "name [anon A] total, …".
fn describe(parts: &[(String, f64)]) -> String {
    let detail: Vec<String> = parts.iter().map(|(n, m)| format!("{n} {m:.0}")).collect();
    detail.join(", ")
}

/// Reads the app's memory once it is idle and its garbage collected: WebKit collects on its own
/// timers, so one reading lands anywhere between two collections (tens of MiB apart after a
/// big view). Samples every second and reports the lowest, once five samples in a row found
/// nothing lower (at most 40 s).
async fn report(label: &str, binary: &str) -> Result<f64> {
    let mut lowest = pss_mib(binary)?;
    let (mut since_lower, mut samples) = (0, 1);
    while since_lower < 5 && samples < 40 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = pss_mib(binary)?;
        samples += 1;
        if now.0 < lowest.0 {
            (lowest, since_lower) = (now, 0);
        } else {
            since_lower += 1;
        }
    }
    let (total, parts) = lowest;
    println!(
        "memory: {label}: {total:.0} MiB PSS ({}; lowest of {samples} s)",
        describe(&parts)
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
    anyhow::ensure!(
        outcome.status == assay_core::domain::states::RunStatus::Completed,
        "the big run: {outcome:?}"
    );
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
        report("idle on the profile picker", &binary).await?;
        app.click("open-profile").await?;
        app.wait_for_count("run-item", 2).await?;
        let home = report("idle on a profile's home", &binary).await?;
        report_mappings(&binary)?;
        // `ASSAY_MEMORY_PASSES=0` stops at home, for trying WebKit settings quickly.
        let passes: u32 = std::env::var("ASSAY_MEMORY_PASSES")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(50);
        if passes == 0 {
            return Ok(());
        }
        cycle_run_views(app, BIG_RUN).await?;
        let first = report("after opening every tab of a 1,008-document run", &binary).await?;
        // GC makes any one reading land anywhere between two collections (tens of MiB apart
        // here), so the leak check reads after every pass and compares the lowest reading of
        // each ten passes: garbage comes and goes, a leak raises the floor.
        let started = std::time::Instant::now();
        let mut floors: Vec<f64> = Vec::new();
        let mut low: Option<(f64, Vec<(String, f64)>)> = None;
        let mut high = 0.0_f64;
        for pass in 2..=passes {
            cycle_run_views(app, BIG_RUN).await?;
            let now = pss_mib(&binary)?;
            high = high.max(now.0);
            if low.as_ref().is_none_or(|l| now.0 < l.0) {
                low = Some(now);
            }
            if pass % 10 == 0 || pass == passes {
                let (floor, parts) = low.take().context("a reading")?;
                println!(
                    "memory: passes {}–{pass}: lowest {floor:.0} MiB ({}), highest {high:.0} MiB, {:.0} s",
                    (floors.len() * 10 + 1).max(2),
                    describe(&parts),
                    started.elapsed().as_secs_f64()
                );
                floors.push(floor);
                high = 0.0;
            }
        }
        let last = report(&format!("idle after {passes} passes"), &binary).await?;
        if let (Some(first_floor), Some(last_floor)) = (floors.first(), floors.last()) {
            println!(
                "memory: home {home:.0} MiB; after the first pass {first:.0}, after the last \
                 {last:.0}; lowest reading of the first ten passes {first_floor:.0}, of the \
                 last ten {last_floor:.0}: {:+.1} MiB",
                last_floor - first_floor
            );
        }
        Ok(())
    })
    .await;
}
