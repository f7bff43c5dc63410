//! Loss and mismatch: each gives its typed error, nothing is "repaired", and the files'
//! bytes are unchanged afterwards.

use assay_core::ErrorCode;
use assay_core::profile::KeyProtection;
use rusqlite::Connection;

use crate::{Env, snapshot};

fn created(env: &Env, name: &str) -> assay_core::registry::ProfileRecord {
    env.profiles
        .create(name, KeyProtection::Keyring)
        .expect("create")
}

#[test]
fn a_missing_keyring_entry_is_key_missing_and_no_new_key_is_made() {
    let env = Env::new();
    let p = created(&env, "Lost key");
    env.profiles
        .secrets()
        .delete(&p.keyring_entries[0])
        .expect("delete key");
    let before = snapshot(&env.profile_dir(&p.id));

    let err = env.profiles.open_profile(&p.id, None).expect_err("no key");
    assert_eq!(err.code(), ErrorCode::KeyMissing);
    assert!(
        err.to_string().contains("bundle"),
        "the message names the recovery path: {err}"
    );
    assert!(
        env.keyring_entries().is_empty(),
        "no replacement key was created"
    );
    assert_eq!(snapshot(&env.profile_dir(&p.id)), before, "no file changed");
}

#[test]
fn a_missing_database_file_is_data_missing_and_no_empty_database_is_made() {
    let env = Env::new();
    let p = created(&env, "Lost data");
    let db = env.profile_dir(&p.id).join("profile.db");
    std::fs::remove_file(&db).expect("remove db");

    let err = env.profiles.open_profile(&p.id, None).expect_err("no data");
    assert_eq!(err.code(), ErrorCode::DataMissing);
    assert!(!db.exists(), "the database must not be recreated");
    let err = env.profiles.verify(&p.id, None).expect_err("verify agrees");
    assert_eq!(err.code(), ErrorCode::DataMissing);
}

#[test]
fn a_key_from_another_profile_is_decrypt_failed_and_leaves_the_file_unchanged() {
    let env = Env::new();
    let a = created(&env, "A");
    let b = created(&env, "B");
    let secrets = env.profiles.secrets();
    let key_b = secrets
        .get(&b.keyring_entries[0])
        .expect("get")
        .expect("present");
    secrets
        .set(&a.keyring_entries[0], &key_b)
        .expect("swap in B's key");
    let before = snapshot(&env.profile_dir(&a.id));

    let err = env
        .profiles
        .open_profile(&a.id, None)
        .expect_err("wrong key");
    assert_eq!(err.code(), ErrorCode::DecryptFailed);
    assert_eq!(
        snapshot(&env.profile_dir(&a.id)),
        before,
        "the file's bytes are unchanged"
    );
}

/// Opens the profile's DB directly with its key, for tampering.
fn raw_connection(env: &Env, p: &assay_core::registry::ProfileRecord) -> Connection {
    let key = env
        .profiles
        .secrets()
        .get(&p.keyring_entries[0])
        .expect("get")
        .expect("key");
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let conn = Connection::open(env.profile_dir(&p.id).join("profile.db")).expect("open");
    conn.execute_batch(&format!("PRAGMA key = \"x'{hex}'\";"))
        .expect("key");
    conn
}

#[test]
fn a_database_from_a_newer_version_is_refused_and_left_untouched() {
    let env = Env::new();
    let p = created(&env, "Future");
    let conn = raw_connection(&env, &p);
    conn.execute(
        "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (9999, 'future', 'x', 'now')",
        [],
    )
    .expect("pretend a newer build migrated it");
    drop(conn);
    let before = snapshot(&env.profile_dir(&p.id));

    let err = env.profiles.open_profile(&p.id, None).expect_err("newer");
    assert_eq!(err.code(), ErrorCode::NewerVersion);
    assert_eq!(
        snapshot(&env.profile_dir(&p.id)),
        before,
        "the newer database is untouched"
    );
}

#[test]
fn an_edited_migration_is_a_schema_mismatch_and_changes_nothing() {
    let env = Env::new();
    let p = created(&env, "Edited");
    let conn = raw_connection(&env, &p);
    // The DB recorded a different text for migration 1 than this build ships, which is what
    // editing a shipped migration file looks like from the DB's side.
    conn.execute(
        "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1",
        [],
    )
    .expect("tamper");
    drop(conn);
    let before = snapshot(&env.profile_dir(&p.id));

    let err = env
        .profiles
        .open_profile(&p.id, None)
        .expect_err("mismatch");
    assert_eq!(err.code(), ErrorCode::SchemaMismatch);
    assert_eq!(snapshot(&env.profile_dir(&p.id)), before);
}
