//! Files only their owner can read: every directory Assay creates is 0700 and every file it
//! writes 0600, under any umask; looser permissions are tightened; a permission problem, once
//! fixed, leaves nothing broken behind.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::{DataDir, is_root, json, run_with_stdin, stderr};

const PASSPHRASE: &str = "permissions passphrase";

/// Runs `assay --data-dir DIR ARGS...` under `umask`, with `input` on stdin.
fn assay_under(umask: &str, dir: &Path, args: &[&str], input: &str) -> Output {
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_assay"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("ASSAY_DATA_DIR")
        .env_remove("ASSAY_CRASH_AT");
    run_with_stdin(cmd, input)
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .expect("stat")
        .permissions()
        .mode()
        & 0o777
}

/// Every path under `root` (and `root`) whose mode is not 0700 (directory) or 0600 (file).
fn loose(root: &Path) -> Vec<(PathBuf, u32)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).expect("stat");
        let m = meta.permissions().mode() & 0o777;
        if meta.is_dir() {
            if m != 0o700 {
                out.push((path.clone(), m));
            }
            stack.extend(
                std::fs::read_dir(&path)
                    .expect("read")
                    .map(|e| e.expect("e").path()),
            );
        } else if m != 0o600 {
            out.push((path, m));
        }
    }
    out
}

fn everything_is_private_under(umask: &str) {
    let data = DataDir::new();
    // A data dir that does not exist yet, so Assay creates it (and its parent) itself.
    let root = data.path().join("made-by-assay").join("data");
    let run = |args: &[&str], input: &str| {
        let out = assay_under(umask, &root, args, input);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        out
    };
    let keyed = run(&["--json", "profile", "create", "Keyed"], "");
    run(
        &[
            "--json",
            "profile",
            "create",
            "Sealed",
            "--passphrase-stdin",
        ],
        PASSPHRASE,
    );
    run(&["profile", "verify", "keyed"], "");
    let runs = run(&["--json", "run", "list", "--profile", "keyed"], "");
    let run_id = json(&runs)[0]["id"].as_str().expect("run").to_owned();
    let report = data.outside(&format!("report-{umask}.html"));
    let bundle = data.outside(&format!("keyed-{umask}.bundle"));
    run(
        &[
            "report",
            &run_id,
            "--profile",
            "keyed",
            "--out",
            report.to_str().expect("utf-8"),
        ],
        "",
    );
    run(
        &[
            "profile",
            "export",
            "keyed",
            "--out",
            bundle.to_str().expect("utf-8"),
            "--passphrase-stdin",
        ],
        "a long bundle passphrase\n",
    );
    run(
        &[
            "profile",
            "import",
            bundle.to_str().expect("utf-8"),
            "--name",
            "Imported",
            "--passphrase-stdin",
        ],
        "a long bundle passphrase\n",
    );

    let found = loose(&root);
    assert!(
        found.is_empty(),
        "umask {umask}: looser than 0700/0600: {found:?}"
    );
    assert_eq!(
        mode(root.parent().expect("parent")),
        0o700,
        "a parent it made"
    );
    assert_eq!(mode(&report), 0o600, "the saved report");
    assert_eq!(mode(&bundle), 0o600, "the bundle");
    // The guard cleans the keyring of the data dir it knows; this one is nested.
    assert!(json(&keyed)["id"].is_string());
    let identity = assay_core::identity::read(&root)
        .expect("read")
        .expect("identity");
    let keyring = assay_core::secrets::KeyringStore::for_data_dir_id(&identity.id);
    use assay_core::secrets::SecretStore;
    for entry in keyring.list().unwrap_or_default() {
        let _ = keyring.delete(&entry);
    }
}

#[test]
fn under_umask_000_every_dir_is_0700_and_every_file_0600() {
    everything_is_private_under("000");
}

#[test]
fn under_umask_022_every_dir_is_0700_and_every_file_0600() {
    everything_is_private_under("022");
}

#[test]
fn looser_permissions_are_tightened_on_open() {
    let data = DataDir::new();
    let id = data.create("Loose");
    let db = data.profile_dir(&id).join("profile.db");
    std::fs::set_permissions(data.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let out = assay_under("022", data.path(), &["profile", "list"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(data.path()), 0o700);
    assert_eq!(mode(&db), 0o600);
}

/// Runs `assay` as an unprivileged user (nobody, through util-linux's setpriv) when this test
/// runs as root, so that permissions bite as they do for a person; with `input` on stdin.
fn assay_unprivileged(dir: &Path, args: &[&str], input: &str) -> Output {
    let mut cmd = if is_root() {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
        c.arg(env!("CARGO_BIN_EXE_assay"));
        c
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_assay"))
    };
    cmd.arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("ASSAY_DATA_DIR")
        .env_remove("ASSAY_CRASH_AT");
    run_with_stdin(cmd, input)
}

#[test]
fn a_read_only_registry_once_made_writable_again_leaves_nothing_broken() {
    let holder = tempfile::tempdir().expect("temp");
    std::fs::set_permissions(holder.path(), std::fs::Permissions::from_mode(0o711)).expect("chmod");
    let dir = holder.path().join("data");
    std::fs::create_dir(&dir).expect("data dir");
    if is_root() {
        let status = std::process::Command::new("chown")
            .args(["65534:65534"])
            .arg(&dir)
            .status()
            .expect("chown");
        assert!(status.success());
    }
    let run = |args: &[&str], input: &str| assay_unprivileged(&dir, args, input);
    let out = run(
        &[
            "--json",
            "profile",
            "create",
            "Steady",
            "--passphrase-stdin",
        ],
        PASSPHRASE,
    );
    assert!(out.status.success(), "create: {}", stderr(&out));

    let registry = dir.join("registry.db");
    std::fs::set_permissions(&registry, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    let _ = run(&["profile", "list"], "");
    // What SQLite leaves behind when it opens a read-only database in WAL mode: side files
    // with the database's (read-only) mode. Planted if this SQLite did not make them.
    for side in ["registry.db-wal", "registry.db-shm"] {
        let path = dir.join(side);
        if !path.exists() {
            std::fs::write(&path, b"").expect("plant");
            if is_root() {
                let _ = std::process::Command::new("chown")
                    .arg("65534:65534")
                    .arg(&path)
                    .status();
            }
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    }
    // The person fixes the registry's permissions...
    std::fs::set_permissions(&registry, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    // ...and everything works again.
    let out = run(
        &["--json", "profile", "create", "After", "--passphrase-stdin"],
        PASSPHRASE,
    );
    assert!(
        out.status.success(),
        "works again once fixed: {}",
        stderr(&out)
    );
    let out = run(&["--json", "profile", "list"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let names: Vec<String> = json(&out)
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(names, ["Steady", "After"]);
}
