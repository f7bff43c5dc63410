//! Smaller lock-outs: a delete that cannot reach the keyring changes nothing; many first
//! creates at once all succeed; names that hide what they are are refused, and names compare
//! by full case folding without taking anything from existing profiles.

use std::process::Stdio;

use crate::{DataDir, assay, assay_in, error_code, json, stderr};

#[test]
fn a_delete_that_cannot_reach_the_keyring_changes_nothing() {
    let data = DataDir::new();
    let id = data.create("Kept");
    let out = assay()
        .arg("--data-dir")
        .arg(data.path())
        .args(["--json", "profile", "delete", "kept", "--yes"])
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/assay-test-bus",
        )
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(17), "{}", stderr(&out));
    assert_eq!(error_code(&out), "KEYRING_UNAVAILABLE");
    let shown = json(&assay_in(data.path(), &["--json", "profile", "show", &id]));
    assert_eq!(
        shown["state"], "active",
        "the profile was not marked deleting"
    );
    let out = assay_in(data.path(), &["--json", "profile", "verify", "kept"]);
    assert!(out.status.success(), "still whole: {}", stderr(&out));
}

#[test]
fn a_hundred_first_creates_at_once_all_succeed() {
    let data = DataDir::new();
    let root = data.path().join("fresh");
    let children: Vec<_> = (0..100)
        .map(|i| {
            assay()
                .arg("--data-dir")
                .arg(&root)
                .args(["--json", "profile", "create", &format!("Parallel {i}")])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let failures: Vec<String> = children
        .into_iter()
        .map(|c| c.wait_with_output().expect("wait"))
        .filter(|o| !o.status.success())
        .map(|o| stderr(&o))
        .collect();
    // Clean up the nested data dir's keys before asserting, whatever happened.
    let listed = json(&assay_in(&root, &["--json", "profile", "list"]));
    let count = listed.as_array().map_or(0, Vec::len);
    if let Ok(Some(identity)) = assay_core::identity::read(&root) {
        use assay_core::secrets::SecretStore;
        let keyring = assay_core::secrets::KeyringStore::for_data_dir_id(&identity.id);
        for entry in keyring.list().unwrap_or_default() {
            let _ = keyring.delete(&entry);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 100 failed: {failures:?}",
        failures.len()
    );
    assert_eq!(count, 100);
}

#[test]
fn names_of_invisible_characters_or_with_bidi_overrides_are_refused() {
    let data = DataDir::new();
    for name in ["\u{200B}", "\u{FEFF}", "invoice\u{202E}fdp.exe"] {
        let out = assay_in(data.path(), &["--json", "profile", "create", name]);
        assert_eq!(out.status.code(), Some(2), "{name:?}: {}", stderr(&out));
        assert_eq!(error_code(&out), "INVALID_INPUT");
    }
}

#[test]
fn names_compare_by_full_case_folding() {
    let data = DataDir::new();
    data.create("Straße");
    let out = assay_in(data.path(), &["--json", "profile", "create", "STRASSE"]);
    assert_eq!(out.status.code(), Some(11), "{}", stderr(&out));
    let out = assay_in(data.path(), &["--json", "profile", "show", "strasse"]);
    assert!(
        out.status.success(),
        "found by its folded name: {}",
        stderr(&out)
    );
    assert_eq!(json(&out)["name"], "Straße");
}

#[test]
fn existing_profiles_that_would_now_clash_keep_their_names_and_keys() {
    let data = DataDir::new();
    let first = data.create("Straße");
    let second = data.create("Other");
    // As an older version could have made them: the second renamed to a name that only
    // full case folding makes the same, with the keys of that time (lowercase) and schema v2.
    let registry = rusqlite::Connection::open(data.path().join("registry.db")).expect("registry");
    registry
        .execute_batch(&format!(
            "UPDATE profiles SET name_key = 'straße' WHERE id = '{first}';
             UPDATE profiles SET name = 'STRASSE', name_key = 'strasse' WHERE id = '{second}';
             PRAGMA user_version = 2;"
        ))
        .expect("make the old state");
    drop(registry);
    let listed = json(&assay_in(data.path(), &["--json", "profile", "list"]));
    let names: Vec<&str> = listed
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["Straße", "STRASSE"], "both kept, as named");
    for id in [&first, &second] {
        let out = assay_in(data.path(), &["--json", "profile", "verify", id]);
        assert!(
            out.status.success(),
            "{id} still opens with its key: {}",
            stderr(&out)
        );
    }
    let out = assay_in(data.path(), &["--json", "profile", "show", "STRASSE"]);
    assert!(out.status.success(), "{}", stderr(&out));
}
