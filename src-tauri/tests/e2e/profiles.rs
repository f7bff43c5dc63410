//! First launch, the setup gate, unlocking, and the error screens.

use anyhow::ensure;
use assay_core::profile::KeyProtection;
use assay_core::secrets::Passphrase;
use assay_core::transfer;

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
        app.click("nav-library").await?;
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
        .create("Vault", KeyProtection::Passphrase(pass.clone()))
        .expect("create");
    let data = dir.path().to_path_buf();
    with_app_in("unlock", dir.path(), async |app| {
        app.click("open-profile").await?;
        app.type_into("unlock-passphrase", "wrong horse battery")
            .await?;
        app.click("unlock-submit").await?;
        // A wrong passphrase is asked again in place: the error says so, the prompt stays.
        let code = app.attr("unlock-error", "data-code").await?;
        ensure!(code.as_deref() == Some("WRONG_PASSPHRASE"), "got {code:?}");
        let said = app.text("unlock-error").await?;
        ensure!(
            said.contains("try again"),
            "the error says what to do: {said}"
        );
        app.screenshot("wrong-passphrase").await?;
        app.type_into("unlock-passphrase", "correct horse battery")
            .await?;
        app.click("unlock-submit").await?;
        app.wait_for_text("active-profile", "Vault").await?;
        app.click("nav-library").await?;
        app.wait_for_text("content-count", "9").await?;

        // Lock: the app lets go of the profile, and only the passphrase opens it again.
        app.click("lock-profile").await?;
        app.text("unlock-passphrase").await?;
        app.screenshot("unlock").await?;
        let shown = app
            .script("return document.querySelectorAll(\"[data-testid='content-count']\").length")
            .await?;
        ensure!(
            shown.as_u64() == Some(0),
            "nothing of the profile stays on screen"
        );
        // Released: nothing holds it, so it can be taken alone (as a delete would).
        let profiles = profiles_in(&data);
        let vault = profiles.show("vault")?;
        let alone = assay_core::fs::DirLock::try_acquire(&profiles.profile_dir(&vault.id), "Vault");
        ensure!(
            alone.is_ok(),
            "the locked profile is released: {:?}",
            alone.err()
        );
        drop(alone);
        app.type_into("unlock-passphrase", "correct horse battery")
            .await?;
        app.click("unlock-submit").await?;
        app.click("nav-library").await?;
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
    with_app_in("key-missing", dir.path(), async |app| {
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

#[tokio::test]
async fn a_registry_lost_between_launches_is_rebuilt_and_the_app_says_so() {
    let dir = tempfile::tempdir().expect("temp");
    with_app_in("registry-lost-first", dir.path(), async |app| {
        app.type_into("profile-name", "Survivor").await?;
        app.click("create-submit").await?;
        app.text("open-run").await?;
        Ok(())
    })
    .await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.path().join(format!("registry.db{suffix}")));
    }

    with_app_in("registry-lost", dir.path(), async |app| {
        let notice = app.text("registry-notice").await?;
        ensure!(
            notice.contains("1 profile(s) brought back"),
            "notice: {notice}"
        );
        let names = app.texts("profile-row").await?;
        ensure!(
            names.iter().any(|n| n.contains("Survivor")),
            "listed again: {names:?}"
        );
        app.screenshot("registry-notice").await?;
        app.click("dismiss-notice").await?;
        app.wait_gone("registry-notice").await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_folder_set_aside_in_orphans_is_brought_back_from_the_profiles_screen() {
    let dir = tempfile::tempdir().expect("temp");
    let id = {
        let profiles = profiles_in(dir.path());
        let kept = profiles
            .create("Kept", KeyProtection::Keyring)
            .expect("create");
        let stray = profiles
            .create("Stray", KeyProtection::Keyring)
            .expect("create");
        drop(kept);
        stray.id
    };
    // As an older version's crash could leave it: no manifest and no registry row, so the
    // next start sets the folder aside.
    let folder = dir.path().join("profiles").join(&id);
    std::fs::remove_file(folder.join("profile.json")).expect("no manifest");
    let registry = rusqlite::Connection::open(dir.path().join("registry.db")).expect("registry");
    registry
        .execute("DELETE FROM profiles WHERE id = ?1", [&id])
        .expect("drop the row");
    drop(registry);

    with_app_in("adopt", dir.path(), async |app| {
        let orphan = app.text("orphan-row").await?;
        ensure!(
            orphan.contains(&id),
            "the set-aside folder is offered: {orphan}"
        );
        app.click("adopt-orphan").await?;
        let rows = app.wait_for_count("profile-row", 2).await?;
        ensure!(
            rows.iter().any(|r| r.contains("Recovered")),
            "it is listed again: {rows:?}"
        );
        app.wait_gone("orphan-row").await?;
        app.screenshot("adopted").await?;
        Ok(())
    })
    .await;
    let listed = profiles_in(dir.path()).list().expect("list");
    assert!(
        listed.iter().any(|p| p.id == id),
        "adopted into the registry"
    );
}

#[tokio::test]
async fn a_database_deleted_between_launches_shows_data_missing_and_keeps_the_key() {
    let dir = tempfile::tempdir().expect("temp");
    with_app_in("data-missing-first", dir.path(), async |app| {
        app.type_into("profile-name", "Vanishing").await?;
        app.click("create-submit").await?;
        app.text("open-run").await?;
        Ok(())
    })
    .await;
    let record = profiles_in(dir.path()).list().expect("list").remove(0);
    let profile_dir = dir.path().join("profiles").join(&record.id);
    std::fs::remove_file(profile_dir.join("profile.db")).expect("lose the database");

    with_app_in("data-missing", dir.path(), async |app| {
        app.click("open-profile").await?;
        let code = app.attr("problem", "data-code").await?;
        ensure!(code.as_deref() == Some("DATA_MISSING"), "got {code:?}");
        let message = app.text("problem-message").await?;
        ensure!(
            message.contains("bundle"),
            "the message names the recovery path: {message}"
        );
        app.text("import-bundle").await?;
        app.screenshot("data-missing").await?;
        app.click("problem-back").await?;
        app.text("open-profile").await?;
        Ok(())
    })
    .await;
    let profiles = profiles_in(dir.path());
    let keys = profiles.secrets().list().expect("keys");
    assert_eq!(
        keys, record.keyring_entries,
        "the key is kept for a restore"
    );
    assert!(
        !profile_dir.join("profile.db").exists(),
        "nothing recreated an empty database in its place"
    );
}

#[tokio::test]
async fn a_profile_in_use_from_a_newer_version_or_with_a_wrong_key_shows_its_own_screen() {
    let dir = tempfile::tempdir().expect("temp");
    let profiles = profiles_in(dir.path());
    for name in ["Busy", "Future", "Scrambled"] {
        profiles
            .create(name, KeyProtection::Keyring)
            .expect("create");
    }
    // Future: its database was migrated by a newer Assay.
    let future = profiles.open_profile("future", None).expect("open");
    future
        .db()
        .write(|tx| {
            tx.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at)
                 VALUES (9999, 'from the future', 'x', '2030-01-01T00:00:00Z')",
                [],
            )?;
            Ok(())
        })
        .expect("a newer schema");
    drop(future);
    // Scrambled: the keyring holds a key that is not this database's.
    let scrambled = profiles.show("scrambled").expect("show");
    profiles
        .secrets()
        .set(&scrambled.keyring_entries[0], &[9u8; 32])
        .expect("a wrong key");
    // Busy: another process (this test) holds it alone, as a delete or an import over it
    // does (a profile merely open elsewhere opens beside it).
    let busy = profiles.show("busy").expect("show");
    let _busy = assay_core::fs::DirLock::try_acquire(&profiles.profile_dir(&busy.id), "Busy")
        .expect("hold Busy alone");

    with_app_in("problems", dir.path(), async |app| {
        let rows = app.wait_for_count("open-profile", 3).await?;
        for (name, code) in [
            ("Busy", "PROFILE_IN_USE"),
            ("Future", "NEWER_VERSION"),
            ("Scrambled", "DECRYPT_FAILED"),
        ] {
            let index = rows.iter().position(|r| r == name).expect("listed");
            app.script(&format!(
                "document.querySelectorAll(\"[data-testid='open-profile']\")[{index}].click()"
            ))
            .await?;
            let shown = app.attr("problem", "data-code").await?;
            ensure!(
                shown.as_deref() == Some(code),
                "{name}: expected {code}, got {shown:?}"
            );
            let recoverable = app
                .script(
                    "return document.querySelectorAll(\"[data-testid='import-bundle']\").length",
                )
                .await?;
            ensure!(
                recoverable.as_u64() == Some(u64::from(code == "DECRYPT_FAILED")),
                "{name}: the import action shows only where a bundle is the way back"
            );
            app.screenshot(&code.to_lowercase()).await?;
            app.click("problem-back").await?;
            app.wait_for_count("open-profile", 3).await?;
        }
        Ok(())
    })
    .await;
    // Nothing was repaired by force: the wrong key and the newer schema are still there.
    let profiles = profiles_in(dir.path());
    let err = profiles
        .open_profile("scrambled", None)
        .expect_err("still scrambled");
    assert_eq!(err.code(), assay_core::ErrorCode::DecryptFailed);
}

#[tokio::test]
async fn profiles_are_renamed_switched_without_restart_and_deleted_after_typing_the_name() {
    let dir = tempfile::tempdir().expect("temp");
    let profiles = profiles_in(dir.path());
    profiles
        .create("Alpha", KeyProtection::Keyring)
        .expect("create");
    let beta = profiles
        .create("Beta", KeyProtection::Keyring)
        .expect("create");
    drop(profiles);
    let data = dir.path().to_path_buf();
    with_app_in("manage", dir.path(), async |app| {
        app.click("rename-profile").await?;
        app.script("document.querySelector(\"[data-testid='rename-input']\").select()").await?;
        app.type_into("rename-input", "Alpha Prime").await?;
        app.click("rename-submit").await?;
        app.wait_for_text("open-profile", "Alpha Prime").await?;

        app.click("open-profile").await?;
        app.wait_for_text("active-profile", "Alpha Prime").await?;
        app.script(&format!(
            "const s = document.querySelector(\"[data-testid='profile-switcher']\"); s.value = '{}'; s.dispatchEvent(new Event('change', {{ bubbles: true }}));",
            beta.id
        ))
        .await?;
        app.wait_for_text("active-profile", "Beta").await?;
        app.click("nav-library").await?;
        app.wait_for_text("content-count", "9").await?;

        app.click("show-profiles").await?;
        let rows = app.texts("profile-row").await?;
        let beta_row = rows.iter().position(|r| r.contains("Beta")).expect("Beta listed");
        app.script(&format!("document.querySelectorAll(\"[data-testid='delete-profile']\")[{beta_row}].click()")).await?;
        app.type_into("delete-confirm", "Alpha").await?;
        let disabled = app.attr("delete-submit", "disabled").await?;
        ensure!(disabled.is_some(), "the wrong name must not enable Delete");
        app.script("const i = document.querySelector(\"[data-testid='delete-confirm']\"); i.value = ''; i.dispatchEvent(new Event('input', { bubbles: true }));").await?;
        app.type_into("delete-confirm", "beta").await?;
        app.click("delete-submit").await?;
        let left = app.wait_for_count("profile-row", 1).await?;
        ensure!(left[0].contains("Alpha Prime"), "only Alpha Prime is left: {left:?}");
        ensure!(!data.join("profiles").join(&beta.id).exists(), "Beta's directory is gone");
        let keys = profiles_in(&data).secrets().list()?;
        ensure!(keys.len() == 1 && !keys[0].contains(&beta.id), "Beta's key is gone: {keys:?}");
        app.screenshot("profiles").await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_lost_key_is_recovered_by_importing_a_bundle_from_the_recovery_screen() {
    let (_elsewhere, _carried, bundle) = bundle_from_elsewhere();
    let dir = tempfile::tempdir().expect("temp");
    let profiles = profiles_in(dir.path());
    let lost = profiles
        .create("Lost", KeyProtection::Keyring)
        .expect("create");
    profiles
        .secrets()
        .delete(&lost.keyring_entries[0])
        .expect("lose the key");
    drop(profiles);

    with_app_in("recover", dir.path(), async |app| {
        app.click("open-profile").await?;
        ensure!(app.attr("problem", "data-code").await?.as_deref() == Some("KEY_MISSING"));
        app.click("import-bundle").await?;
        app.type_into("bundle-passphrase", "the backup passphrase")
            .await?;
        app.type_into("bundle-name", "Restored").await?;
        app.click("bundle-import-submit").await?;
        app.answer_open_dialog("Import a bundle", &bundle).await?;
        let rows = app.wait_for_count("open-profile", 2).await?;
        ensure!(
            rows.iter().any(|r| r == "Restored"),
            "the import is listed: {rows:?}"
        );
        let index = rows.iter().position(|r| r == "Restored").expect("listed");
        app.script(&format!(
            "document.querySelectorAll(\"[data-testid='open-profile']\")[{index}].click()"
        ))
        .await?;
        app.wait_for_text("active-profile", "Restored").await?;
        app.click("nav-library").await?;
        app.wait_for_text("content-count", "9").await?;
        app.screenshot("recovered").await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_setup_failure_shows_its_reason_and_retry_runs_setup_again() {
    let dir = tempfile::tempdir().expect("temp");
    let app = crate::harness::App::launch_with(
        "setup-failure",
        dir.path(),
        &[("ASSAY_FAIL_AT", "mid-seed")],
    )
    .await
    .expect("launch");
    let outcome = async {
        app.type_into("profile-name", "Fragile").await?;
        app.click("create-submit").await?;
        let reason = app.text("setup-error").await?;
        let phase = app.attr("setup-phase", "data-phase").await?;
        ensure!(
            phase.as_deref() == Some("failed"),
            "the gate shows the failure: {phase:?}"
        );
        ensure!(
            reason.contains("injected failure at mid-seed"),
            "the reason is shown: {reason}"
        );
        ensure!(
            app.script("return document.querySelectorAll(\"[data-testid='run-list']\").length")
                .await?
                .as_u64()
                == Some(0),
            "nothing else renders behind the gate"
        );
        app.screenshot("setup-failed").await?;
        let log = app.data_dir().join("logs/assay.log");
        let failures = || {
            std::fs::read_to_string(&log)
                .unwrap_or_default()
                .matches("seeding failed")
                .count()
        };
        let before = failures();
        app.click("setup-retry").await?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while failures() <= before {
            ensure!(
                std::time::Instant::now() < deadline,
                "Retry did not run setup again"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        app.text("setup-error").await?;
        Ok(())
    }
    .await;
    app.finish(outcome).await;
}

#[tokio::test]
async fn a_full_disk_shows_what_to_free_and_a_way_back() {
    let dir = tempfile::tempdir().expect("temp");
    profiles_in(dir.path())
        .create("Cramped", KeyProtection::Keyring)
        .expect("create");
    // The same DISK_FULL a write on a full disk gives, through the open's fault seam.
    let app = crate::harness::App::launch_with(
        "disk-full",
        dir.path(),
        &[("ASSAY_FAIL_AT", "open-disk-full")],
    )
    .await
    .expect("launch");
    let outcome = async {
        app.click("open-profile").await?;
        let code = app.attr("problem", "data-code").await?;
        ensure!(code.as_deref() == Some("DISK_FULL"), "got {code:?}");
        let advice = app.text("disk-full-advice").await?;
        ensure!(
            advice.contains("Free space") && advice.contains("delete a profile"),
            "{advice}"
        );
        app.screenshot("disk-full").await?;
        app.click("problem-back").await?;
        app.text("profile-row").await?;
        Ok(())
    }
    .await;
    app.finish(outcome).await;
}

#[tokio::test]
async fn a_relaunch_opens_the_profile_used_last_unless_that_is_turned_off() {
    let dir = tempfile::tempdir().expect("temp");
    let profiles = profiles_in(dir.path());
    for name in ["Alpha", "Beta"] {
        profiles
            .create(name, KeyProtection::Keyring)
            .expect("create");
    }
    drop(profiles);
    // The app's default, which the harness otherwise turns off for tests.
    std::fs::write(
        dir.path().join("preferences.json"),
        br#"{"reopen_last_profile": true}"#,
    )
    .expect("preferences");
    with_app_in("relaunch-first", dir.path(), async |app| {
        app.wait_for_count("open-profile", 2).await?;
        app.script(
            "Array.from(document.querySelectorAll(\"[data-testid='open-profile']\")).find(b => b.innerText === 'Beta').click()",
        )
        .await?;
        app.wait_for_text("active-profile", "Beta").await?;
        Ok(())
    })
    .await;
    with_app_in("relaunch-second", dir.path(), async |app| {
        app.wait_for_text("active-profile", "Beta").await?;
        app.click("nav-settings").await?;
        app.click("pref-reopen").await?;
        app.text("prefs-saved").await?;
        Ok(())
    })
    .await;
    with_app_in("relaunch-third", dir.path(), async |app| {
        let listed = app.wait_for_count("open-profile", 2).await?;
        ensure!(
            listed.contains(&"Beta".to_owned()),
            "the picker, not a profile: {listed:?}"
        );
        Ok(())
    })
    .await;
}

/// A bundle of a profile from another machine (another data dir), sealed with cheap KDF
/// parameters so the tests stay quick, under passphrase "the backup passphrase". Returns
/// the dirs to keep alive and the bundle's path.
fn bundle_from_elsewhere() -> (tempfile::TempDir, tempfile::TempDir, std::path::PathBuf) {
    let elsewhere = tempfile::tempdir().expect("temp");
    let carried = tempfile::tempdir().expect("temp");
    let bundle = carried.path().join("backup.assaybundle");
    {
        let profiles = profiles_in(elsewhere.path());
        profiles
            .create("Original", KeyProtection::Keyring)
            .expect("create");
        let open = profiles.open_profile("original", None).expect("open");
        let options = transfer::ExportOptions {
            kdf: assay_core::secrets::wrapped::KdfParams {
                memory_kib: 1024,
                iterations: 1,
                parallelism: 1,
            },
            ..Default::default()
        };
        transfer::export(
            &profiles,
            &open,
            &Passphrase::new("the backup passphrase".into()),
            &bundle,
            options,
            &|_| {},
        )
        .expect("export");
    }
    (elsewhere, carried, bundle)
}

#[tokio::test]
async fn a_bundle_is_imported_from_the_welcome_screen_and_the_profiles_screen() {
    let (_elsewhere, _carried, bundle) = bundle_from_elsewhere();
    with_app("welcome-import", async |app| {
        app.text("create-profile").await?;
        app.click("welcome-import").await?;
        app.type_into("bundle-passphrase", "the backup passphrase")
            .await?;
        app.type_into("bundle-name", "Carried").await?;
        app.click("bundle-import-submit").await?;
        app.answer_open_dialog("Import a bundle", &bundle).await?;
        let rows = app.wait_for_count("open-profile", 1).await?;
        ensure!(rows == ["Carried"], "the import is listed: {rows:?}");
        app.click("open-profile").await?;
        app.wait_for_text("active-profile", "Carried").await?;
        // And from the Profiles screen.
        app.click("show-profiles").await?;
        app.click("picker-import").await?;
        app.type_into("bundle-passphrase", "the backup passphrase")
            .await?;
        app.type_into("bundle-name", "Second copy").await?;
        app.click("bundle-import-submit").await?;
        app.answer_open_dialog("Import a bundle", &bundle).await?;
        let rows = app.wait_for_count("open-profile", 2).await?;
        ensure!(rows.contains(&"Second copy".to_owned()), "{rows:?}");
        Ok(())
    })
    .await;
}
