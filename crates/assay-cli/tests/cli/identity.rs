//! One data dir, however its path is spelled and wherever it moves: keyring entries are named
//! from the data dir's id (`data-dir.json`), never from the path as typed.

use std::path::{Path, PathBuf};

use assay_core::secrets::{KeyringStore, SecretStore};

use assay_core::profile::Profiles;
use assay_core::providers::{self, ProviderKey};

use crate::{DataDir, assay, assay_in, json, stderr};

fn verify(dir: &Path, name: &str) -> std::process::Output {
    assay_in(dir, &["--json", "profile", "verify", name])
}

fn id_of(dir: &Path) -> String {
    assay_core::identity::read(dir)
        .expect("read")
        .expect("an identity")
        .id
}

/// Spellings of `data`'s path that name the same directory.
fn spellings(data: &DataDir) -> Vec<PathBuf> {
    let path = data.path();
    let link = data.outside("link-to-data");
    std::os::unix::fs::symlink(path, &link).expect("symlink");
    let name = path.file_name().expect("name");
    vec![
        PathBuf::from(format!("{}/", path.display())),
        link,
        path.join("..").join(name),
        path.join(".").join("profiles").join(".."),
    ]
}

#[test]
fn every_spelling_of_the_data_dirs_path_opens_its_keyring_profiles() {
    let data = DataDir::new();
    data.create("Spelled");
    let id = id_of(data.path());
    for spelling in spellings(&data) {
        let out = verify(&spelling, "spelled");
        assert!(
            out.status.success(),
            "verify through {}: {}",
            spelling.display(),
            stderr(&out)
        );
        assert_eq!(json(&out)["ok"], true);
        assert_eq!(id_of(data.path()), id, "the same data dir, the same id");
    }
}

#[test]
fn deleting_through_any_spelling_removes_the_key() {
    let data = DataDir::new();
    for (n, spelling) in spellings(&data).into_iter().enumerate() {
        let name = format!("Doomed {n}");
        let pid = data.create(&name);
        let entry = format!("profile/{pid}/db-key");
        assert!(data.keyring().get(&entry).expect("get").is_some());
        let out = assay_in(&spelling, &["profile", "delete", &name, "--yes"]);
        assert!(
            out.status.success(),
            "delete through {}: {}",
            spelling.display(),
            stderr(&out)
        );
        assert!(
            data.keyring().get(&entry).expect("get").is_none(),
            "the database key went with the profile, through {}",
            spelling.display()
        );
    }
}

#[test]
fn a_moved_data_dir_keeps_its_identity_and_opens_its_profiles() {
    let data = DataDir::new();
    data.create("Traveller");
    let id = id_of(data.path());
    let moved = data.outside("moved-data");
    std::fs::rename(data.path(), &moved).expect("move");
    let out = verify(&moved, "traveller");
    // Put it back so the DataDir guard cleans the keyring up.
    std::fs::rename(&moved, data.path()).expect("move back");
    assert!(
        out.status.success(),
        "verify after a move: {}",
        stderr(&out)
    );
    assert_eq!(id_of(data.path()), id, "a move keeps the id");
}

#[test]
fn a_copied_data_dir_gets_its_own_keys_so_deleting_in_the_copy_spares_the_original() {
    let data = DataDir::new();
    let pid = data.create("Twin");
    let copy = data.outside("copied-data");
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(data.path())
        .arg(&copy)
        .status()
        .expect("cp");
    assert!(status.success());

    let out = verify(&copy, "twin");
    assert!(out.status.success(), "the copy opens: {}", stderr(&out));
    let copy_id = id_of(&copy);
    assert_ne!(copy_id, id_of(data.path()), "the copy has its own id");
    let copy_keys = KeyringStore::for_data_dir_id(&copy_id);
    let entry = format!("profile/{pid}/db-key");
    assert!(
        copy_keys.get(&entry).expect("get").is_some(),
        "the copy has its own key"
    );

    let out = assay_in(&copy, &["profile", "delete", "twin", "--yes"]);
    assert!(out.status.success(), "delete in the copy: {}", stderr(&out));
    assert!(copy_keys.get(&entry).expect("get").is_none());
    let out = verify(data.path(), "twin");
    assert!(
        out.status.success(),
        "the original still opens after the copy's delete: {}",
        stderr(&out)
    );
}

/// Turns `data` into a data dir as an older version left it: no identity, a v1 registry, and
/// keys named from a hash of the path as typed.
fn make_legacy(data: &DataDir) -> KeyringStore {
    let current = data.keyring();
    let legacy = KeyringStore::legacy_for_path(data.path());
    for entry in current.list().expect("list") {
        let secret = current.get(&entry).expect("get").expect("secret");
        legacy.set(&entry, &secret).expect("set legacy");
        current.delete(&entry).expect("delete");
    }
    std::fs::remove_file(data.path().join("data-dir.json")).expect("remove identity");
    let registry =
        rusqlite::Connection::open(data.path().join("registry.db")).expect("open registry");
    registry
        .execute_batch("DROP TABLE data_dir; PRAGMA user_version = 1;")
        .expect("downgrade");
    legacy
}

#[test]
fn an_old_data_dirs_keys_move_to_id_names_and_a_kill_midway_loses_none() {
    let data = DataDir::new();
    let pid = data.create("Veteran");
    {
        let profiles = Profiles::open_at(data.path()).expect("profiles");
        let open = profiles.open_profile("veteran", None).expect("open");
        let key = ProviderKey::new("sk-legacy-provider-key-0001".into()).expect("key");
        providers::set_endpoint_key(&profiles, &open, "openai", &key).expect("provider key");
    }
    let legacy = make_legacy(&data);
    let mut entries = legacy.list().expect("list");
    entries.sort();
    assert_eq!(entries.len(), 2, "db key and provider key: {entries:?}");

    // Killed after copying, before deleting the old names.
    let out = assay()
        .arg("--data-dir")
        .arg(data.path())
        .args(["profile", "list"])
        .env("ASSAY_CRASH_AT", "legacy-keys-copied")
        .output()
        .expect("run");
    assert!(!out.status.success(), "the run was killed");
    let out = verify(data.path(), "veteran");
    assert!(
        out.status.success(),
        "opens after the kill: {}",
        stderr(&out)
    );
    let mut moved = data.keyring().list().expect("list");
    moved.sort();
    assert_eq!(moved, entries, "every key is under its id-based name");
    assert!(
        legacy.list().expect("list").is_empty(),
        "the old names are gone once the move finished"
    );
    assert!(
        !assay_core::identity::read(data.path())
            .expect("read")
            .expect("identity")
            .legacy_keys_pending,
        "the move is recorded as done"
    );
    assert!(
        moved.contains(&format!("profile/{pid}/db-key")),
        "the database key moved: {moved:?}"
    );
}
