//! The keyring connection survives the keyring daemon dying and being restarted.
//!
//! gnome-keyring-daemon aborts now and then when a client vanishes mid-call (an upstream race),
//! and the desktop restarts it. This test kills the sandbox's daemon for real, so it refuses to
//! run outside scripts/test-env.sh.

use std::process::Command;
use std::time::{Duration, Instant};

use assay_core::secrets::{KeyringStore, SecretStore};

fn bus(args: &[&str]) -> Option<String> {
    let out = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply=literal",
            "--dest=org.freedesktop.DBus",
        ])
        .args(["/org/freedesktop/DBus"])
        .args(args)
        .output()
        .expect("run dbus-send");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn keyring_daemon_pid() -> Option<u32> {
    bus(&[
        "org.freedesktop.DBus.GetConnectionUnixProcessID",
        "string:org.freedesktop.secrets",
    ])
    .and_then(|reply| reply.split_whitespace().last()?.parse().ok())
}

#[test]
fn a_keyring_daemon_that_dies_between_calls_is_reconnected_to() {
    assert_eq!(
        std::env::var("ASSAY_TEST_ENV").as_deref(),
        Ok("1"),
        "this test kills the keyring daemon: run it inside scripts/test-env.sh"
    );
    let store = KeyringStore::for_data_dir_id(&uuid::Uuid::new_v4().to_string());
    store.set("survivor", b"still here").expect("set");
    assert_eq!(
        store
            .get("survivor")
            .expect("get")
            .as_deref()
            .map(Vec::as_slice),
        Some(&b"still here"[..])
    );

    let before = keyring_daemon_pid().expect("the keyring daemon runs");
    let killed = Command::new("kill")
        .args(["-KILL", &before.to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success(), "kill the keyring daemon");
    let deadline = Instant::now() + Duration::from_secs(10);
    while keyring_daemon_pid() == Some(before) {
        assert!(
            Instant::now() < deadline,
            "the killed daemon still owns its name"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // The connection this store holds belongs to the dead daemon; the call must reconnect.
    let after = store
        .get("survivor")
        .expect("get after the daemon restarted");
    assert_eq!(
        after.as_deref().map(Vec::as_slice),
        Some(&b"still here"[..])
    );
    assert_ne!(keyring_daemon_pid(), Some(before), "a new daemon answered");
    store.delete("survivor").expect("delete");
    assert_eq!(store.list().expect("list"), Vec::<String>::new());
}
