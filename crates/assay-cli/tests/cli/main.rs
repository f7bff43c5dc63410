//! Black-box tests of the `assay` binary. Every test runs it in its own temp data dir and
//! never lets it see the real `ASSAY_DATA_DIR`. Profile tests need the Secret Service that
//! scripts/test-env.sh provides.

mod basics;
mod crash;
mod damage;
mod editing;
mod endpoints;
mod fake_llm;
mod full_disk;
mod hostile;
mod identity;
mod library;
mod lockouts;
mod logs;
mod permissions;
mod profile;
mod provider_calls;
mod races;
mod readers;
mod registry;
mod run_control;
mod runs;
mod secrets;
mod transfer;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use assay_core::secrets::{KeyringStore, SecretStore};

/// An `assay` command with a clean environment for the data dir.
pub fn assay() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_assay"));
    cmd.env_remove("ASSAY_DATA_DIR")
        .env_remove("ASSAY_CRASH_AT")
        .stdin(Stdio::null());
    cmd
}

/// Runs `assay --data-dir DIR ARGS...`.
pub fn assay_in(dir: &Path, args: &[&str]) -> Output {
    assay()
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("run assay")
}

/// Runs `assay --data-dir DIR ARGS...` with `input` on stdin.
pub fn assay_with_stdin(dir: &Path, args: &[&str], input: &str) -> Output {
    let mut cmd = assay();
    cmd.arg("--data-dir").arg(dir).args(args);
    run_with_stdin(cmd, input)
}

/// Runs `cmd` with `input` on stdin, capturing stdout and stderr.
pub fn run_with_stdin(mut cmd: Command, input: &str) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

/// Whether this process runs as root (to whom file modes mean nothing, and who may mount).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2))
        == Some("0")
}

/// stdout as UTF-8.
pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

/// stderr as UTF-8.
pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

/// stdout parsed as one JSON document.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            stdout(out),
            stderr(out)
        )
    })
}

/// The `code` of a `--json` error on stderr.
pub fn error_code(out: &Output) -> String {
    let v: serde_json::Value = serde_json::from_str(&stderr(out))
        .unwrap_or_else(|e| panic!("stderr is not a JSON error ({e}): {}", stderr(out)));
    v["error"]["code"].as_str().unwrap_or_default().to_owned()
}

/// A temp data dir whose keyring namespace is emptied when it is dropped.
#[derive(Debug)]
pub struct DataDir {
    pub dir: tempfile::TempDir,
}

impl Default for DataDir {
    fn default() -> Self {
        Self::new()
    }
}

impl DataDir {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp data dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path for a file the person saves, outside the data dir (beside it).
    pub fn outside(&self, name: &str) -> PathBuf {
        let files = self.dir.path().with_extension("files");
        std::fs::create_dir_all(&files).expect("files dir");
        files.join(name)
    }

    pub fn keyring(&self) -> KeyringStore {
        let identity = assay_core::identity::read(self.path())
            .expect("data-dir.json")
            .expect("the data dir has an identity once assay has run");
        KeyringStore::for_data_dir_id(&identity.id)
    }

    pub fn profile_dir(&self, id: &str) -> PathBuf {
        self.path().join("profiles").join(id)
    }

    /// Creates a keyring profile and returns its id.
    pub fn create(&self, name: &str) -> String {
        let out = assay_in(self.path(), &["--json", "profile", "create", name]);
        assert!(out.status.success(), "create {name}: {}", stderr(&out));
        json(&out)["id"].as_str().expect("id").to_owned()
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.dir.path().with_extension("files"));
        let Ok(Some(identity)) = assay_core::identity::read(self.path()) else {
            return;
        };
        let keyring = KeyringStore::for_data_dir_id(&identity.id);
        if let Ok(entries) = keyring.list() {
            for entry in entries {
                let _ = keyring.delete(&entry);
            }
        }
    }
}
