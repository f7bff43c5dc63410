//! Logs that reveal nothing and do not grow for ever: profiles are named by id only, no key,
//! passphrase, name or chosen path reaches `logs/`, and the log rotates at 1 MiB, keeping 4
//! old files.

use assay_core::secrets::SecretStore;

use crate::{DataDir, assay, assay_in, assay_with_stdin, json, run_with_stdin, stderr};

const NAME: &str = "Name-Marker-Zq81";
const RENAMED: &str = "Renamed-Marker-Kp27";
const SEALED: &str = "Sealed-Marker-Wt55";
const PASSPHRASE: &str = "passphrase-marker-Lg64";
const REPORT_FILE: &str = "Report-Path-Marker-Vb19.html";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every file under `logs/`, with its bytes.
fn logs(data: &DataDir) -> Vec<(String, Vec<u8>)> {
    std::fs::read_dir(data.path().join("logs"))
        .expect("logs/")
        .map(|e| {
            let path = e.expect("entry").path();
            (
                path.display().to_string(),
                std::fs::read(&path).expect("read"),
            )
        })
        .collect()
}

#[test]
fn the_logs_name_nothing_a_person_chose_and_hold_no_secret() {
    let data = DataDir::new();
    let trace = |args: &[&str], input: &str| {
        let mut cmd = assay();
        cmd.arg("--data-dir")
            .arg(data.path())
            .args(args)
            .env("ASSAY_LOG_LEVEL", "trace");
        run_with_stdin(cmd, input)
    };
    let id = data.create(NAME);
    trace(&["profile", "create", NAME], ""); // a clash, whose message names the profile
    trace(&["profile", "rename", NAME, RENAMED], "");
    trace(
        &["profile", "create", SEALED, "--passphrase-stdin"],
        PASSPHRASE,
    );
    trace(
        &["profile", "verify", SEALED, "--passphrase-stdin"],
        "wrong passphrase here",
    );
    trace(
        &["profile", "verify", SEALED, "--passphrase-stdin"],
        PASSPHRASE,
    );
    let runs = json(&assay_in(
        data.path(),
        &["--json", "run", "list", "--profile", RENAMED],
    ));
    let run = runs[0]["id"].as_str().expect("run").to_owned();
    let report = data.outside(REPORT_FILE);
    let out = trace(
        &[
            "report",
            &run,
            "--profile",
            RENAMED,
            "--out",
            report.to_str().expect("utf-8"),
        ],
        "",
    );
    assert!(out.status.success(), "report: {}", stderr(&out));
    // A setup that fails logs its error, which names the profile in the person's message.
    let failing = assay()
        .arg("--data-dir")
        .arg(data.path())
        .args(["profile", "create", "Failing-Marker-Hd33"])
        .env("ASSAY_FAIL_AT", "mid-seed")
        .env("ASSAY_LOG_LEVEL", "trace")
        .output()
        .expect("run");
    let _ = failing;
    let _ = assay_with_stdin(
        data.path(),
        &["profile", "status", "failing-marker-hd33"],
        "",
    );

    let key = data
        .keyring()
        .get(&format!("profile/{id}/db-key"))
        .expect("get")
        .expect("key");
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let found = logs(&data);
    let all: Vec<u8> = found.iter().flat_map(|(_, b)| b.clone()).collect();
    assert!(contains(&all, id.as_bytes()), "profiles are logged by id");
    for (what, needle) in [
        ("a profile name", NAME.as_bytes().to_vec()),
        (
            "a profile name (lowercase)",
            NAME.to_lowercase().into_bytes(),
        ),
        ("a new name", RENAMED.as_bytes().to_vec()),
        ("a passphrase profile's name", SEALED.as_bytes().to_vec()),
        ("a failing profile's name", b"Failing-Marker-Hd33".to_vec()),
        ("the passphrase", PASSPHRASE.as_bytes().to_vec()),
        ("the report's path", REPORT_FILE.as_bytes().to_vec()),
        ("the DB key", key.to_vec()),
        ("the DB key in hex", hex.clone().into_bytes()),
        ("the DB key in HEX", hex.to_uppercase().into_bytes()),
    ] {
        for (file, bytes) in &found {
            assert!(!contains(bytes, &needle), "{what} appears in {file}");
        }
    }
}

#[test]
fn the_log_rotates_at_one_mebibyte_and_keeps_four_old_files() {
    let data = DataDir::new();
    data.create("Rotating");
    let logs_dir = data.path().join("logs");
    let full = "filler line for the rotation test\n".repeat((1 << 20) / 34 + 1);
    std::fs::write(logs_dir.join("assay.log"), &full).expect("fill the log");
    for n in 1..=6 {
        std::fs::write(
            logs_dir.join(format!("assay.log.{n}")),
            format!("old {n}\n"),
        )
        .expect("old");
    }
    let out = assay_in(
        data.path(),
        &["--json", "profile", "create", "After rotation"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let current = std::fs::metadata(logs_dir.join("assay.log"))
        .expect("log")
        .len();
    assert!(
        current < 1 << 20,
        "the full log was rotated away: {current} bytes"
    );
    let mut files: Vec<String> = std::fs::read_dir(&logs_dir)
        .expect("logs")
        .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert!(
        files.len() <= 5,
        "at most the log and 4 old ones: {files:?}"
    );
    let total: u64 = files
        .iter()
        .map(|f| std::fs::metadata(logs_dir.join(f)).expect("stat").len())
        .sum();
    assert!(total <= 5 << 20, "the logs stay under about 5 MiB: {total}");
}
