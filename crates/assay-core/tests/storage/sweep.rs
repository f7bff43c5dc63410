//! The recovery sweep on states a crash can leave.

use assay_core::profile::KeyProtection;
use assay_core::registry::ProfileState;
use rusqlite::Connection;

use crate::Env;

fn set_state(env: &Env, id: &str, state: &str) {
    let conn = Connection::open(env.dir.path().join("registry.db")).expect("registry");
    conn.execute("UPDATE profiles SET state = ?2 WHERE id = ?1", [id, state])
        .expect("update");
}

#[test]
fn an_interrupted_create_is_undone_completely() {
    let env = Env::new();
    let p = env
        .profiles
        .create("Half", KeyProtection::Keyring)
        .expect("create");
    set_state(&env, &p.id, "creating");

    let report = env.profiles.recover().expect("sweep");
    assert_eq!(report.undone_creates, vec![p.id.clone()]);
    assert!(!env.profile_dir(&p.id).exists(), "directory removed");
    assert!(env.keyring_entries().is_empty(), "key removed");
    assert!(env.profiles.list().expect("list").is_empty(), "row removed");
}

#[test]
fn an_interrupted_delete_is_finished() {
    let env = Env::new();
    let p = env
        .profiles
        .create("Going", KeyProtection::Keyring)
        .expect("create");
    set_state(&env, &p.id, "deleting");

    let report = env.profiles.recover().expect("sweep");
    assert_eq!(report.finished_deletes, vec![p.id.clone()]);
    assert!(!env.profile_dir(&p.id).exists());
    assert!(
        env.keyring_entries().is_empty(),
        "a deleted profile leaves no keyring entry"
    );
}

#[test]
fn a_create_in_progress_elsewhere_is_left_alone() {
    let env = Env::new();
    let p = env
        .profiles
        .create("Busy", KeyProtection::Keyring)
        .expect("create");
    let _held = env
        .profiles
        .open_profile(&p.id, None)
        .expect("hold the lock");
    set_state(&env, &p.id, "creating");
    let report = env.profiles.recover().expect("sweep");
    assert!(
        report.is_empty(),
        "a locked profile is someone's work in progress: {report:?}"
    );
    assert!(env.profile_dir(&p.id).exists());
}

#[test]
fn a_directory_without_a_row_is_moved_to_orphans_not_deleted() {
    let env = Env::new();
    let stray = env.dir.path().join("profiles").join("not-in-the-registry");
    std::fs::create_dir_all(&stray).expect("mkdir");
    std::fs::write(stray.join("profile.db"), b"someone's data").expect("write");

    let report = env.profiles.recover().expect("sweep");
    assert_eq!(report.orphans_moved, vec!["not-in-the-registry".to_owned()]);
    let moved = env
        .dir
        .path()
        .join("orphans/not-in-the-registry/profile.db");
    assert_eq!(
        std::fs::read(&moved).expect("kept"),
        b"someone's data",
        "moved aside intact"
    );
    assert!(!stray.exists());
}

#[test]
fn active_profiles_are_untouched_by_the_sweep() {
    let env = Env::new();
    let p = env
        .profiles
        .create("Fine", KeyProtection::Keyring)
        .expect("create");
    let report = env.profiles.recover().expect("sweep");
    assert!(report.is_empty());
    assert_eq!(
        env.profiles.show(&p.id).expect("still there").state,
        ProfileState::Active
    );
}

#[test]
fn the_scratch_of_a_dead_export_is_removed_and_a_running_ones_is_kept() {
    let env = Env::new();
    let transfers = env.dir.path().join("transfers");
    let dead = transfers.join("dead-export");
    let running = transfers.join("running-export");
    for dir in [&dead, &running] {
        std::fs::create_dir_all(dir).expect("scratch");
        std::fs::write(dir.join("snapshot.db"), b"encrypted bytes").expect("snapshot");
    }
    let _held = assay_core::fs::DirLock::try_acquire(&running, "export").expect("lock");
    let report = env.profiles.recover().expect("sweep");
    assert_eq!(report.stale_transfers, ["dead-export"]);
    assert!(!dead.exists(), "a dead export's snapshot is removed");
    assert!(
        running.join("snapshot.db").exists(),
        "a running export is left alone"
    );
}
