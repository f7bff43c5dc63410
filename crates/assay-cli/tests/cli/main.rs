//! Black-box tests of the `assay` binary. Every test runs it in its own temp data dir and
//! never lets it see the real `ASSAY_DATA_DIR`.

mod basics;

use std::path::Path;
use std::process::{Command, Output};

/// An `assay` command with a clean environment for the data dir.
pub fn assay() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_assay"));
    cmd.env_remove("ASSAY_DATA_DIR");
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

/// stdout as UTF-8.
pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

/// stderr as UTF-8.
pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}
