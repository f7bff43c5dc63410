//! A lost or damaged registry never empties the app: every complete profile comes back from
//! the manifest in its folder, and a restored old copy is reconciled with the folders.

use std::path::Path;

use assay_core::secrets::SecretStore;

use crate::{DataDir, assay_in, assay_with_stdin, json, stderr};

const PASSPHRASE: &str = "registry tests passphrase";

/// A keyring profile "Keyed" and a passphrase profile "Sealed".
fn two_profiles(data: &DataDir) -> (String, String) {
    let keyed = data.create("Keyed");
    let out = assay_with_stdin(
        data.path(),
        &[
            "--json",
            "profile",
            "create",
            "Sealed",
            "--passphrase-stdin",
        ],
        PASSPHRASE,
    );
    assert!(out.status.success(), "create: {}", stderr(&out));
    (keyed, json(&out)["id"].as_str().expect("id").to_owned())
}

fn listed(dir: &Path) -> (Vec<String>, String) {
    let out = assay_in(dir, &["--json", "profile", "list"]);
    assert!(out.status.success(), "list: {}", stderr(&out));
    let mut names: Vec<String> = json(&out)
        .as_array()
        .expect("profile list --json is an array")
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    (names, stderr(&out))
}

fn verifies(dir: &Path, name: &str) {
    let out = if name == "sealed" {
        assay_with_stdin(
            dir,
            &["--json", "profile", "verify", name, "--passphrase-stdin"],
            PASSPHRASE,
        )
    } else {
        assay_in(dir, &["--json", "profile", "verify", name])
    };
    assert!(out.status.success(), "verify {name}: {}", stderr(&out));
    assert_eq!(json(&out)["ok"], true, "verify {name}");
}

fn keys(data: &DataDir) -> Vec<String> {
    let mut entries = data.keyring().list().expect("list keys");
    entries.sort();
    entries
}

fn remove_registry(dir: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.join(format!("registry.db{suffix}")));
    }
}

/// Loses the registry in `how`, then checks every profile comes back once, with a warning
/// once, and no key changed.
fn survives(how: impl FnOnce(&Path)) {
    let data = DataDir::new();
    two_profiles(&data);
    let keys_before = keys(&data);
    how(data.path());

    let (names, warning) = listed(data.path());
    assert_eq!(names, ["Keyed", "Sealed"], "every profile is listed again");
    assert!(
        warning.contains("\"warning\"") && warning.contains("2 profile(s) brought back"),
        "the rebuild is reported: {warning}"
    );
    let (again, quiet) = listed(data.path());
    assert_eq!(again, names);
    assert!(!quiet.contains("warning"), "reported once: {quiet}");
    verifies(data.path(), "keyed");
    verifies(data.path(), "sealed");
    assert_eq!(keys(&data), keys_before, "keys untouched");
    assert!(
        !data.path().join("orphans").exists(),
        "a folder with a valid manifest is never moved to orphans/"
    );
}

#[test]
fn a_deleted_registry_is_rebuilt_from_the_manifests() {
    survives(remove_registry);
}

#[test]
fn an_empty_registry_is_rebuilt_from_the_manifests() {
    survives(|dir| {
        remove_registry(dir);
        std::fs::write(dir.join("registry.db"), b"").expect("zero bytes");
    });
}

#[test]
fn a_garbage_registry_is_rebuilt_from_the_manifests() {
    survives(|dir| {
        remove_registry(dir);
        let garbage = b"this is not a database, just some bytes in the way ".repeat(100);
        std::fs::write(dir.join("registry.db"), garbage).expect("garbage");
    });
}

#[test]
fn a_garbage_registry_is_kept_beside_the_new_one() {
    let data = DataDir::new();
    data.create("Kept");
    remove_registry(data.path());
    std::fs::write(
        data.path().join("registry.db"),
        b"garbage, not a database at all",
    )
    .expect("garbage");
    let (names, _) = listed(data.path());
    assert_eq!(names, ["Kept"]);
    let aside: Vec<_> = std::fs::read_dir(data.path())
        .expect("read")
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("registry.db.damaged-")
        })
        .collect();
    assert_eq!(
        aside.len(),
        1,
        "the damaged registry was moved aside, not deleted"
    );
    assert_eq!(
        std::fs::read(aside[0].path()).expect("read"),
        b"garbage, not a database at all"
    );
}

#[test]
fn a_restored_old_registry_is_reconciled_with_the_profile_folders() {
    let data = DataDir::new();
    data.create("Stays");
    let gone = data.create("Goes");
    let backup = data.outside("registry-backup.db");
    std::fs::copy(data.path().join("registry.db"), &backup).expect("back up");

    let out = assay_in(data.path(), &["profile", "delete", "goes", "--yes"]);
    assert!(out.status.success(), "delete: {}", stderr(&out));
    data.create("Later");
    let keys_before = keys(&data);

    remove_registry(data.path());
    std::fs::copy(&backup, data.path().join("registry.db")).expect("restore the old copy");
    let (names, warning) = listed(data.path());
    assert_eq!(
        names,
        ["Later", "Stays"],
        "deleted since: dropped; made since: back"
    );
    assert!(
        warning.contains("1 profile(s) brought back") && warning.contains("1 listed profile(s)"),
        "{warning}"
    );
    verifies(data.path(), "stays");
    verifies(data.path(), "later");
    assert_eq!(keys(&data), keys_before, "keys untouched");
    assert!(!keys(&data).iter().any(|k| k.contains(&gone)));
}

#[test]
fn a_folder_in_orphans_is_adopted_back() {
    let data = DataDir::new();
    let id = data.create("Stray");
    // As a crash of an older version could leave it: a complete folder without a manifest,
    // and no registry row.
    std::fs::remove_file(data.profile_dir(&id).join("profile.json")).expect("no manifest");
    let registry = rusqlite::Connection::open(data.path().join("registry.db")).expect("registry");
    registry
        .execute("DELETE FROM profiles WHERE id = ?1", [&id])
        .expect("drop the row");
    drop(registry);
    let (names, _) = listed(data.path());
    assert!(names.is_empty(), "{names:?}");
    let orphan = data.path().join("orphans").join(&id);
    assert!(
        orphan.is_dir(),
        "the folder without a manifest went to orphans/"
    );

    let out = assay_in(
        data.path(),
        &[
            "--json",
            "profile",
            "adopt",
            orphan.to_str().expect("utf-8"),
            "--name",
            "Found again",
        ],
    );
    assert!(out.status.success(), "adopt: {}", stderr(&out));
    assert_eq!(json(&out)["id"], id.as_str());
    let (names, _) = listed(data.path());
    assert_eq!(names, ["Found again"]);
    verifies(data.path(), "found again");
    assert!(
        data.profile_dir(&id).join("profile.json").is_file(),
        "adopted with a manifest"
    );
}
