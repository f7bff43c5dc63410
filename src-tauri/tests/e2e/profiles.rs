//! First launch, the setup gate, unlocking, and the error screens.

use anyhow::ensure;
use assay_core::profile::KeyProtection;
use assay_core::secrets::Passphrase;

use crate::harness::{profiles_in, with_app, with_app_in};

#[tokio::test]
async fn first_launch_creates_a_profile_passes_the_setup_gate_and_shows_the_seeded_run() {
    with_app("first-launch", async |app| {
        app.text("create-profile").await?;
        app.type_into("profile-name", "My work").await?;
        app.click("create-submit").await?;
        app.wait_for_text("active-profile", "My work").await?;
        let runs = app.texts("run-item").await?;
        ensure!(runs.len() == 1, "one seeded run, got {runs:?}");
        ensure!(
            runs[0].contains("Decision briefings: first comparison"),
            "{runs:?}"
        );
        app.wait_for_text("content-count", "9").await?;
        app.screenshot("home").await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_passphrase_profile_opens_only_with_its_passphrase() {
    let dir = tempfile::tempdir().expect("temp");
    let pass = Passphrase::new("correct horse battery".into());
    profiles_in(dir.path())
        .create("Vault", KeyProtection::Passphrase(pass))
        .expect("create");
    with_app_in("unlock", dir, async |app| {
        app.click("open-profile").await?;
        app.type_into("unlock-passphrase", "wrong horse battery")
            .await?;
        app.click("unlock-submit").await?;
        let code = app.attr("problem", "data-code").await?;
        ensure!(code.as_deref() == Some("WRONG_PASSPHRASE"), "got {code:?}");
        app.click("problem-back").await?;
        app.click("open-profile").await?;
        app.type_into("unlock-passphrase", "correct horse battery")
            .await?;
        app.click("unlock-submit").await?;
        app.wait_for_text("active-profile", "Vault").await?;
        app.wait_for_text("content-count", "9").await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_missing_key_shows_the_recovery_screen_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("temp");
    let profiles = profiles_in(dir.path());
    let record = profiles
        .create("Lost", KeyProtection::Keyring)
        .expect("create");
    profiles
        .secrets()
        .delete(&record.keyring_entries[0])
        .expect("lose the key");
    drop(profiles);
    let data = dir.path().to_path_buf();
    with_app_in("key-missing", dir, async |app| {
        app.click("open-profile").await?;
        let code = app.attr("problem", "data-code").await?;
        ensure!(code.as_deref() == Some("KEY_MISSING"), "got {code:?}");
        let message = app.text("problem-message").await?;
        ensure!(
            message.contains("bundle"),
            "the message names the recovery path: {message}"
        );
        app.text("import-bundle").await?;
        app.screenshot("key-missing").await?;
        let keys = profiles_in(&data).secrets().list()?;
        ensure!(keys.is_empty(), "no new key may be made: {keys:?}");
        Ok(())
    })
    .await;
}
