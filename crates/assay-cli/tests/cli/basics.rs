//! `--version`, `--help`, global flags and the data-dir choice.

use crate::{assay, assay_in, stderr, stdout};

#[test]
fn version_prints_the_crate_version() {
    let out = assay().arg("--version").output().expect("run");
    assert!(out.status.success(), "--version should succeed");
    assert_eq!(
        stdout(&out).trim(),
        format!("assay {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_documents_the_global_flags_and_exit_codes() {
    let out = assay().arg("--help").output().expect("run");
    assert!(out.status.success());
    let help = stdout(&out);
    for needle in [
        "--data-dir <DIR>",
        "--json",
        "ASSAY_DATA_DIR",
        "Exit codes:",
        "info",
    ] {
        assert!(
            help.contains(needle),
            "--help should mention {needle:?}:\n{help}"
        );
    }
}

#[test]
fn info_as_json_reports_the_explicit_data_dir_and_sqlcipher() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = assay_in(dir.path(), &["--json", "info"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    assert_eq!(json["data_dir"], dir.path().display().to_string());
    assert_eq!(json["data_dir_source"], "explicit");
    assert!(
        json["sqlcipher_version"]
            .as_str()
            .is_some_and(|v| v.starts_with('4')),
        "SQLCipher 4.x expected: {json}"
    );
}

#[test]
fn the_environment_variable_sets_the_data_dir_when_no_flag_is_given() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = assay()
        .env("ASSAY_DATA_DIR", dir.path())
        .args(["info", "--json"])
        .output();
    let out = out.expect("run");
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["data_dir"], dir.path().display().to_string());
    assert_eq!(json["data_dir_source"], "environment");
}

#[test]
fn the_flag_wins_over_the_environment_variable() {
    let flag = tempfile::tempdir().expect("temp dir");
    let env = tempfile::tempdir().expect("temp dir");
    let out = assay()
        .env("ASSAY_DATA_DIR", env.path())
        .arg("--data-dir")
        .arg(flag.path())
        .args(["--json", "info"])
        .output()
        .expect("run");
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["data_dir"], flag.path().display().to_string());
}

#[test]
fn info_does_not_create_the_data_dir() {
    let parent = tempfile::tempdir().expect("temp dir");
    let dir = parent.path().join("not-yet");
    let out = assay_in(&dir, &["info"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert!(
        !dir.exists(),
        "a read-only command must not create {}",
        dir.display()
    );
}

#[test]
fn an_unknown_command_is_a_usage_error_with_exit_code_2() {
    let out = assay().arg("frobnicate").output().expect("run");
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
    assert!(
        stderr(&out).contains("frobnicate"),
        "the error names the bad argument"
    );
}

#[test]
fn a_usage_error_with_json_is_a_json_error_on_stderr() {
    let out = assay()
        .args(["--data-dir", "", "--json", "info"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
    assert!(stdout(&out).is_empty(), "nothing on stdout for an error");
    let json: serde_json::Value = serde_json::from_str(&stderr(&out)).expect("JSON error");
    assert_eq!(json["error"]["code"], "USAGE");
    let message = json["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("--data-dir"),
        "the message names the flag: {message:?}"
    );
}
