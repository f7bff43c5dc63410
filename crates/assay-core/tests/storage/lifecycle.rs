//! Create, open, rename, delete, verify.

use assay_core::ErrorCode;
use assay_core::profile::KeyProtection;
use assay_core::registry::KeyMode;

use crate::{Env, passphrase};

#[test]
fn a_created_profile_opens_and_verifies() {
    let env = Env::new();
    let created = env
        .profiles
        .create("Research", KeyProtection::Keyring)
        .expect("create");
    assert_eq!(created.key_mode, KeyMode::Keyring);
    assert!(
        env.profile_dir(&created.id).join("profile.db").is_file(),
        "the DB file exists"
    );
    assert_eq!(
        env.keyring_entries(),
        created.keyring_entries,
        "exactly one key entry"
    );

    let report = env.profiles.verify("research", None).expect("verify");
    assert!(report.ok, "a fresh profile passes every check: {report:?}");
}

#[test]
fn the_directory_is_named_by_id_not_by_the_persons_name() {
    let env = Env::new();
    let created = env
        .profiles
        .create("../../etc", KeyProtection::Keyring)
        .expect("create");
    let names: Vec<_> = std::fs::read_dir(env.dir.path().join("profiles"))
        .expect("profiles dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        vec![created.id.clone()],
        "only the UUID-named dir exists"
    );
}

#[test]
fn a_passphrase_profile_keeps_no_keyring_entry_and_needs_its_passphrase() {
    let env = Env::new();
    let protection = KeyProtection::Passphrase(passphrase("correct horse battery"));
    let created = env.profiles.create("Vault", protection).expect("create");
    assert!(
        env.keyring_entries().is_empty(),
        "passphrase mode must not touch the keyring"
    );
    assert!(env.profile_dir(&created.id).join("key.wrapped").is_file());

    let missing = env
        .profiles
        .open_profile("vault", None)
        .expect_err("needs passphrase");
    assert_eq!(missing.code(), ErrorCode::PassphraseRequired);
    let wrong = env
        .profiles
        .open_profile("vault", Some(&passphrase("wrong horse")));
    assert_eq!(wrong.expect_err("wrong").code(), ErrorCode::WrongPassphrase);
    env.profiles
        .open_profile("vault", Some(&passphrase("correct horse battery")))
        .expect("opens");
}

#[test]
fn an_open_profile_opens_again_beside_itself_but_is_never_deleted_under_it() {
    let env = Env::new();
    env.profiles
        .create("Busy", KeyProtection::Keyring)
        .expect("create");
    let open = env.profiles.open_profile("busy", None).expect("first open");
    let other = env.reopen();
    let beside = other
        .open_profile("busy", None)
        .expect("a second opener shares the profile");
    beside
        .db()
        .write(|tx| {
            tx.execute("UPDATE profile_meta SET created_at = created_at", [])?;
            Ok(())
        })
        .expect("and writes to it");
    assert_eq!(
        other.delete("busy").expect_err("in use").code(),
        ErrorCode::ProfileInUse
    );
    drop(open);
    assert_eq!(
        other.delete("busy").expect_err("still open beside").code(),
        ErrorCode::ProfileInUse
    );
    drop(beside);
    other.delete("busy").expect("free once every opener closed");
}

#[test]
fn delete_removes_the_directory_the_row_and_the_keyring_entry() {
    let env = Env::new();
    let created = env
        .profiles
        .create("Gone", KeyProtection::Keyring)
        .expect("create");
    env.profiles.delete(&created.id).expect("delete");
    assert!(!env.profile_dir(&created.id).exists(), "directory removed");
    assert!(env.profiles.list().expect("list").is_empty(), "row removed");
    assert!(
        env.keyring_entries().is_empty(),
        "no keyring entry may outlive its profile"
    );
}

#[test]
fn rename_to_a_taken_name_in_another_case_is_already_exists() {
    let env = Env::new();
    env.profiles
        .create("One", KeyProtection::Keyring)
        .expect("create");
    env.profiles
        .create("Two", KeyProtection::Keyring)
        .expect("create");
    let err = env.profiles.rename("two", "ONE").expect_err("taken");
    assert_eq!(err.code(), ErrorCode::AlreadyExists);
    let renamed = env.profiles.rename("two", "Three").expect("rename");
    assert_eq!(renamed.name, "Three");
    assert_eq!(
        env.profiles.show("THREE").expect("by new name").id,
        renamed.id
    );
}

#[test]
fn creating_without_a_reachable_keyring_fails_naming_the_passphrase_option_and_leaves_nothing() {
    use std::sync::Arc;

    use assay_core::Error;
    use assay_core::profile::Profiles;
    use assay_core::secrets::SecretStore;

    /// The keyring as it looks with no Secret Service on the bus.
    #[derive(Debug)]
    struct NoKeyring;
    impl SecretStore for NoKeyring {
        fn check_available(&self) -> assay_core::error::Result<()> {
            Err(Error::KeyringUnavailable {
                detail: "no Secret Service on the bus".into(),
            })
        }
        fn get(&self, _: &str) -> assay_core::error::Result<Option<zeroize::Zeroizing<Vec<u8>>>> {
            self.check_available().map(|()| None)
        }
        fn set(&self, _: &str, _: &[u8]) -> assay_core::error::Result<()> {
            self.check_available()
        }
        fn delete(&self, _: &str) -> assay_core::error::Result<()> {
            self.check_available()
        }
        fn list(&self) -> assay_core::error::Result<Vec<String>> {
            self.check_available().map(|()| Vec::new())
        }
    }

    let dir = tempfile::tempdir().expect("temp");
    let profiles = Profiles::open_with(dir.path(), Arc::new(NoKeyring)).expect("open");
    let err = profiles
        .create("Nope", KeyProtection::Keyring)
        .expect_err("no keyring");
    assert_eq!(err.code(), ErrorCode::KeyringUnavailable);
    assert!(
        err.to_string().contains("passphrase"),
        "the message names the fix: {err}"
    );
    assert!(profiles.list().expect("list").is_empty(), "no row was left");
    assert!(
        !dir.path().join("profiles").exists(),
        "no directory was made"
    );
}

#[test]
fn a_run_left_running_by_a_dead_process_is_interrupted_when_the_profile_opens() {
    let env = Env::new();
    env.profiles
        .create("Runs", KeyProtection::Keyring)
        .expect("create");
    let open = env.profiles.open_profile("runs", None).expect("open");
    let status = |open: &assay_core::profile::OpenProfile| -> String {
        open.db()
            .read(|c| Ok(c.query_row("SELECT status FROM runs", [], |r| r.get(0))?))
            .expect("status")
    };
    open.db()
        .write(|tx| {
            tx.execute("UPDATE runs SET status = 'running'", [])?;
            Ok(())
        })
        .expect("a run in progress");
    assert_eq!(
        status(&open),
        "running",
        "while its process holds the profile"
    );
    drop(open);
    let reopened = env.profiles.open_profile("runs", None).expect("reopen");
    assert_eq!(status(&reopened), "interrupted");
}
