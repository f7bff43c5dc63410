//! The Report tab shows the run's HTML report inside the app, and Save writes it through the
//! native save dialog: exactly the bytes core renders.

use anyhow::ensure;
use assay_core::library::Library;
use assay_core::profile::KeyProtection;
use assay_core::reports::{self, ReportFormat};

use crate::harness::{profiles_in, with_app_in};

#[tokio::test]
async fn the_report_tab_shows_the_report_and_save_writes_it_through_the_native_dialog() {
    let dir = tempfile::tempdir().expect("temp data dir");
    // Seed a profile and render its report with core before the app holds the profile.
    let (title, expected) = {
        let profiles = profiles_in(dir.path());
        profiles
            .create("Reports", KeyProtection::Keyring)
            .expect("create");
        let open = profiles.open_profile("reports", None).expect("open");
        let library = Library::of(&open).expect("seeded");
        let id = library.runs(1, None).expect("runs")[0].id.clone();
        let run = library.run(&id).expect("run");
        let html = reports::render(&run, ReportFormat::Html).expect("render");
        (run.summary.title, html)
    };
    let saved_dir = tempfile::tempdir().expect("temp dir");
    let saved = saved_dir.path().join("briefing-report.html");

    with_app_in("report", dir.path(), async |app| {
        app.click("open-profile").await?;
        app.click("open-run").await?;
        app.click("tab-report").await?;
        let shown = app.frame_text("report-frame").await?;
        ensure!(
            shown.contains(&title),
            "the report names the run: {shown:.300}"
        );
        ensure!(
            shown.contains("1031.7") && shown.contains("968.3"),
            "the report shows core's Elo ratings: {shown:.600}"
        );
        app.screenshot("report").await?;

        app.click("save-html").await?;
        app.answer_file_dialog("Save report", &saved).await?;
        // The size with thousands separators, as the app shows counts.
        let digits = expected.len().to_string();
        let grouped: Vec<String> = digits
            .as_bytes()
            .rchunks(3)
            .rev()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        let message = format!("Saved {} bytes to {}", grouped.join(","), saved.display());
        app.wait_for_text("report-saved", &message).await?;
        let on_disk = std::fs::read(&saved)?;
        ensure!(
            on_disk == expected,
            "the saved file is exactly core's report"
        );
        Ok(())
    })
    .await;
}
