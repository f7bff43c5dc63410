//! The `assay profile` contract: output shapes, exit codes and messages.

use crate::{DataDir, assay_in, assay_with_stdin, error_code, json, stderr, stdout};

#[test]
fn create_list_show_rename_and_delete_round_trip_as_json() {
    let data = DataDir::new();
    let id = data.create("Research");

    let list = json(&assay_in(data.path(), &["--json", "profile", "list"]));
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(1),
        "one profile listed: {list}"
    );
    assert_eq!(list[0]["name"], "Research");
    assert_eq!(list[0]["key_mode"], "keyring");

    let shown = json(&assay_in(
        data.path(),
        &["--json", "profile", "show", "RESEARCH"],
    ));
    assert_eq!(
        shown["id"],
        id.as_str(),
        "names are matched case-insensitively"
    );
    let by_id = json(&assay_in(data.path(), &["--json", "profile", "show", &id]));
    assert_eq!(by_id["name"], "Research", "ids work as references too");

    let renamed = json(&assay_in(
        data.path(),
        &["--json", "profile", "rename", &id, "Deep work"],
    ));
    assert_eq!(renamed["name"], "Deep work");

    let deleted = assay_in(
        data.path(),
        &["--json", "profile", "delete", "deep work", "--yes"],
    );
    assert!(deleted.status.success(), "{}", stderr(&deleted));
    assert_eq!(json(&deleted)["deleted"]["id"], id.as_str());
    let list = json(&assay_in(data.path(), &["--json", "profile", "list"]));
    assert_eq!(list, serde_json::json!([]), "nothing left after delete");
}

#[test]
fn each_error_has_its_documented_exit_code_and_json_code() {
    let data = DataDir::new();
    data.create("Taken");
    let cases: [(&[&str], i32, &str); 5] = [
        (&["profile", "show", "nobody"], 10, "NOT_FOUND"),
        (&["profile", "create", "TAKEN"], 11, "ALREADY_EXISTS"),
        (&["profile", "create", "bad\tname"], 2, "INVALID_INPUT"),
        (&["profile", "rename", "nobody", "x"], 10, "NOT_FOUND"),
        (&["profile", "delete", "taken"], 2, "INVALID_INPUT"),
    ];
    for (args, exit, code) in cases {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let out = assay_in(data.path(), &full);
        assert_eq!(out.status.code(), Some(exit), "{args:?}: {}", stderr(&out));
        assert_eq!(error_code(&out), code, "{args:?}");
        assert!(
            stdout(&out).is_empty(),
            "{args:?}: errors print nothing on stdout"
        );
    }
}

#[test]
fn delete_without_yes_deletes_nothing() {
    let data = DataDir::new();
    let id = data.create("Keep me");
    let out = assay_in(data.path(), &["profile", "delete", "keep me"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--yes"),
        "the message says how to confirm: {}",
        stderr(&out)
    );
    assert!(
        data.profile_dir(&id).join("profile.db").exists(),
        "the profile is still there"
    );
}

#[test]
fn a_passphrase_profile_verifies_only_with_its_passphrase() {
    let data = DataDir::new();
    let out = assay_with_stdin(
        data.path(),
        &["--json", "profile", "create", "Vault", "--passphrase-stdin"],
        "a long passphrase\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["key_mode"], "passphrase");

    let ok = assay_with_stdin(
        data.path(),
        &["--json", "profile", "verify", "vault", "--passphrase-stdin"],
        "a long passphrase\n",
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert_eq!(json(&ok)["ok"], true);

    let wrong = assay_with_stdin(
        data.path(),
        &["--json", "profile", "verify", "vault", "--passphrase-stdin"],
        "not it at all\n",
    );
    assert_eq!(wrong.status.code(), Some(15), "{}", stderr(&wrong));
    assert_eq!(error_code(&wrong), "WRONG_PASSPHRASE");

    let no_tty = assay_in(data.path(), &["--json", "profile", "verify", "vault"]);
    assert_eq!(
        no_tty.status.code(),
        Some(2),
        "no prompt possible without a terminal"
    );
    assert!(stderr(&no_tty).contains("--passphrase-stdin"));
}

#[test]
fn a_short_passphrase_is_refused_and_creates_nothing() {
    let data = DataDir::new();
    let out = assay_with_stdin(
        data.path(),
        &["--json", "profile", "create", "Weak", "--passphrase-stdin"],
        "short\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(error_code(&out), "INVALID_INPUT");
    let list = json(&assay_in(data.path(), &["--json", "profile", "list"]));
    assert_eq!(list, serde_json::json!([]));
}

#[test]
fn verify_reports_every_check_and_missing_pieces_get_their_codes() {
    let data = DataDir::new();
    let id = data.create("Checked");
    let report = json(&assay_in(
        data.path(),
        &["--json", "profile", "verify", "checked"],
    ));
    let names: Vec<&str> = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    for expected in [
        "cipher_integrity_check",
        "integrity_check",
        "foreign_key_check",
        "key_consistency",
    ] {
        assert!(
            names.contains(&expected),
            "verify runs {expected}: {names:?}"
        );
    }

    std::fs::remove_file(data.profile_dir(&id).join("profile.db")).expect("remove db");
    let out = assay_in(data.path(), &["--json", "profile", "verify", "checked"]);
    assert_eq!(out.status.code(), Some(14), "{}", stderr(&out));
    assert_eq!(error_code(&out), "DATA_MISSING");
}

#[test]
fn a_missing_keyring_entry_is_exit_13_and_the_message_names_the_recovery_path() {
    use assay_core::secrets::SecretStore;
    let data = DataDir::new();
    data.create("Keyless");
    for entry in data.keyring().list().expect("list") {
        data.keyring().delete(&entry).expect("delete");
    }
    let out = assay_in(data.path(), &["--json", "profile", "verify", "keyless"]);
    assert_eq!(out.status.code(), Some(13), "{}", stderr(&out));
    assert_eq!(error_code(&out), "KEY_MISSING");
    assert!(stderr(&out).contains("bundle"), "{}", stderr(&out));
}

#[test]
fn without_a_keyring_create_fails_with_17_naming_the_passphrase_option() {
    let data = DataDir::new();
    let out = crate::assay()
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/assay-no-bus",
        )
        .arg("--data-dir")
        .arg(data.path())
        .args(["--json", "profile", "create", "Nokey"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(17), "{}", stderr(&out));
    assert_eq!(error_code(&out), "KEYRING_UNAVAILABLE");
    assert!(
        stderr(&out).contains("--passphrase-stdin"),
        "{}",
        stderr(&out)
    );
    assert!(
        !data.path().join("profiles").exists(),
        "nothing was created"
    );
}
