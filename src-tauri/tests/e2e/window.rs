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
