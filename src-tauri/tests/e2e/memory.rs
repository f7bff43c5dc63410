//! The app's memory, measured (`make memory`, against a release build): the proportional set
//! size (PSS) of the app and its WebKit processes together, idle on the profile picker, idle
//! on a profile's home, and after opening and closing a run's views 50 times (a leak check).
//! Prints the figures; fails only if the measurement itself cannot be made.

#![allow(clippy::print_stdout, reason = "a measurement reports its figures")]

use std::time::Duration;

use anyhow::{Context, Result};

use crate::harness::{App, with_app};

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
        let kib: f64 = rollup
            .lines()
            .find(|l| l.starts_with("Pss:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        total += kib / 1024.0;
        parts.push((name.trim().to_owned(), kib / 1024.0));
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

async fn cycle_run_views(app: &App) -> Result<()> {
    app.click("open-run").await?;
    for tab in [
        "scores",
        "pairwise",
        "judges",
        "documents",
        "timeline",
        "report",
        "overview",
    ] {
        app.click(&format!("tab-{tab}")).await?;
    }
    app.script("document.querySelector(\"[data-testid='run-view'] button.link\").click()")
        .await?;
    app.text("run-list").await?;
    Ok(())
}

#[tokio::test]
#[ignore = "run by make memory, against a release build"]
async fn the_apps_memory_idle_and_after_50_run_views() {
    let binary = std::env::var("ASSAY_APP_BINARY").expect("make memory sets ASSAY_APP_BINARY");
    with_app("memory", async |app| {
        app.text("create-profile").await?;
        settle().await;
        report("idle on the profile picker (first launch)", &binary)?;
        app.type_into("profile-name", "Memory").await?;
        app.click("create-submit").await?;
        app.text("run-list").await?;
        settle().await;
        let home = report("idle on a profile's home", &binary)?;
        cycle_run_views(app).await?;
        settle().await;
        let first = report("after one pass over the run's tabs", &binary)?;
        for _ in 1..50 {
            cycle_run_views(app).await?;
        }
        settle().await;
        let last = report("after 50 passes over the run's tabs", &binary)?;
        println!(
            "memory: home {home:.0} MiB; growth over 49 more passes {:+.1} MiB",
            last - first
        );
        Ok(())
    })
    .await;
}
