//! App hygiene around the window: one app per data dir, and the window reopens where it was.

use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use assay_core::window_state::WindowState;

use crate::harness::{with_app, with_app_in};

/// Polls `check` for up to 15 s.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check() {
        if Instant::now() > deadline {
            bail!("timed out waiting until {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

fn launch(data_dir: &std::path::Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_assay-desktop"));
    cmd.env("ASSAY_DATA_DIR", data_dir)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    cmd
}

#[tokio::test]
async fn a_second_launch_on_the_same_data_dir_focuses_the_first_and_exits() {
    with_app("single-instance", async |app| {
        app.text("profile-name").await?;
        let second = tokio::time::timeout(Duration::from_secs(20), launch(app.data_dir()).status())
            .await
            .context("the second launch did not exit")??;
        ensure!(
            second.success(),
            "the second launch exits cleanly: {second}"
        );
        let log = app.data_dir().join("logs/assay.log");
        eventually("the first app logs the refused launch", || {
            std::fs::read_to_string(&log)
                .is_ok_and(|text| text.contains("a second launch was refused"))
        })
        .await?;
        ensure!(
            app.text("profile-name").await.is_ok(),
            "the first app still runs"
        );

        // Another data dir is another app: it keeps running.
        let other_dir = tempfile::tempdir()?;
        let mut other = launch(other_dir.path()).spawn()?;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let exited = other.try_wait()?;
        let _ = other.kill().await;
        ensure!(
            exited.is_none(),
            "an app on another data dir was refused: {exited:?}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_window_reopens_with_the_size_and_position_it_was_left_at() {
    let dir = tempfile::tempdir().expect("temp data dir");
    let file = dir.path().join("window-state.json");
    let moved = WindowState {
        x: 40,
        y: 30,
        width: 1000,
        height: 700,
        maximized: false,
    };
    with_app_in("window-state-first", dir.path(), async |app| {
        app.text("profile-name").await?;
        ensure!(
            app.window_rect().await? != (40, 30, 1000, 700),
            "the first launch uses the default window"
        );
        app.set_window_rect(40, 30, 1000, 700).await?;
        eventually("the moved window is remembered", || {
            WindowState::load(&file) == Some(moved)
        })
        .await
    })
    .await;
    with_app_in("window-state-second", dir.path(), async |app| {
        app.text("profile-name").await?;
        let rect = app.window_rect().await?;
        ensure!(
            rect == (40, 30, 1000, 700),
            "the window reopened at {rect:?}"
        );
        Ok(())
    })
    .await;
}

/// The value of `name` in the environment of the WebKit web process that serves the app
/// launched on `data_dir` (the launch's `ASSAY_DATA_DIR` tells it apart from other tests').
fn web_process_env(data_dir: &std::path::Path, name: &str) -> Option<Option<String>> {
    let marker = format!("ASSAY_DATA_DIR={}", data_dir.display());
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let path = entry.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if comm.trim() != "WebKitWebProces" {
            continue;
        }
        let environ = std::fs::read(path.join("environ")).unwrap_or_default();
        let vars: Vec<String> = environ
            .split(|b| *b == 0)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect();
        if vars.contains(&marker) {
            let prefix = format!("{name}=");
            return Some(
                vars.iter()
                    .find_map(|v| v.strip_prefix(&prefix).map(str::to_owned)),
            );
        }
    }
    None
}

#[tokio::test]
async fn webkit_runs_without_its_dmabuf_renderer_unless_gpu_compositing_is_asked_for() {
    const DMABUF: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";
    assert!(
        std::env::var_os(DMABUF).is_none(),
        "the test's own environment must not set {DMABUF}"
    );
    for (gpu, expected) in [("0", Some("1")), ("1", None)] {
        let dir = tempfile::tempdir().expect("temp");
        let test = format!("webkit-env-gpu-{gpu}");
        let app =
            crate::harness::App::launch_with(&test, dir.path(), &[("ASSAY_GPU_COMPOSITING", gpu)])
                .await
                .expect("launch");
        let outcome = async {
            app.text("profile-name").await?;
            let mut found = None;
            eventually("the web process is found", || {
                found = web_process_env(dir.path(), DMABUF);
                found.is_some()
            })
            .await?;
            let value = found.flatten();
            ensure!(
                value.as_deref() == expected,
                "with ASSAY_GPU_COMPOSITING={gpu} the web process has {DMABUF}={value:?}"
            );
            Ok(())
        }
        .await;
        app.finish(outcome).await;
    }
}
