//! `assay profile export` and `import`, black-box: a round trip keeps everything a person can
//! see (the `--json` outputs and the report bytes), and bad bundles create nothing.

use crate::{DataDir, assay_in, assay_with_stdin, error_code, json, stderr, stdout};

const BUNDLE_PASS: &str = "a long bundle passphrase";

/// Every `--json` view of `profile`, and its run's HTML report.
fn views(data: &DataDir, profile: &str) -> (Vec<serde_json::Value>, Vec<u8>) {
    let run = |args: &[&str]| {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--profile", profile]);
        let out = assay_in(data.path(), &all);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        json(&out)
    };
    let contents = run(&["content", "list"]);
    let presets = run(&["preset", "list"]);
    let runs = run(&["run", "list"]);
    let id = runs[0]["id"].as_str().expect("run id").to_owned();
    let shown = run(&["run", "show", &id]);
    let report = data.path().join(format!("{profile}.html"));
    let out = assay_in(
        data.path(),
        &[
            "report",
            &id,
            "--profile",
            profile,
            "--out",
            report.to_str().expect("utf-8"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    (
        vec![contents, presets, runs, shown],
        std::fs::read(report).expect("report"),
    )
}

#[test]
fn a_bundle_round_trip_keeps_every_view_and_the_report_bytes() {
    let source = DataDir::new();
    source.create("Trip");
    let bundle = source.outside("trip.bundle");
    let out = assay_with_stdin(
        source.path(),
        &[
            "--json",
            "profile",
            "export",
            "trip",
            "--out",
            bundle.to_str().expect("utf-8"),
            "--passphrase-stdin",
            "--progress",
        ],
        &format!("{BUNDLE_PASS}\n"),
    );
    assert!(out.status.success(), "export: {}", stderr(&out));
    let written = json(&out);
    assert_eq!(written["verified"], true);
    assert_eq!(written["manifest"]["includes_provider_keys"], false);
    assert!(!stdout(&out).contains(BUNDLE_PASS) && !stderr(&out).contains(BUNDLE_PASS));
    // --progress without a terminal: a line as each phase starts and as a counted one ends.
    let progress: Vec<String> = stderr(&out).lines().map(str::to_owned).collect();
    let starts = |prefix: &str| progress.iter().filter(|l| l.starts_with(prefix)).count();
    // The key is derived while the database is written; a line says so only if the export
    // then waits for it, which comes after writing.
    let deriving = progress
        .iter()
        .position(|l| l.starts_with("Deriving the key"));
    let wrote = progress.iter().rposition(|l| l.starts_with("Writing"));
    assert!(
        starts("Deriving the key") <= 1 && deriving.is_none_or(|at| Some(at) > wrote),
        "{progress:?}"
    );
    for phase in ["Writing", "Verifying"] {
        assert_eq!(starts(phase), 2, "{phase} starts and ends: {progress:?}");
        assert!(
            progress
                .iter()
                .any(|l| l.starts_with(phase) && l.contains("100%")),
            "{phase} reaches 100%: {progress:?}"
        );
    }

    let target = DataDir::new();
    let out = assay_with_stdin(
        target.path(),
        &[
            "--json",
            "profile",
            "import",
            bundle.to_str().expect("utf-8"),
            "--passphrase-stdin",
        ],
        &format!("{BUNDLE_PASS}\n"),
    );
    assert!(out.status.success(), "import: {}", stderr(&out));
    assert!(
        !stderr(&out).contains("Reading"),
        "no progress without --progress or a terminal: {}",
        stderr(&out)
    );
    assert_eq!(json(&out)["name"], "Trip");
    assert_eq!(views(&target, "trip"), views(&source, "trip"));
    let verify = assay_in(target.path(), &["profile", "verify", "trip"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    for data in [&source, &target] {
        let log = std::fs::read_to_string(data.path().join("logs/assay.log")).unwrap_or_default();
        assert!(!log.contains(BUNDLE_PASS), "the passphrase reached a log");
    }
}

#[test]
fn bad_bundles_fail_with_typed_exits_and_create_nothing() {
    let source = DataDir::new();
    source.create("Trip");
    let bundle = source.outside("trip.bundle");
    let path = bundle.to_str().expect("utf-8");
    let out = assay_with_stdin(
        source.path(),
        &[
            "profile",
            "export",
            "trip",
            "--out",
            path,
            "--passphrase-stdin",
        ],
        &format!("{BUNDLE_PASS}\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));

    let target = DataDir::new();
    let import = |file: &str, pass: &str| {
        assay_with_stdin(
            target.path(),
            &["--json", "profile", "import", file, "--passphrase-stdin"],
            &format!("{pass}\n"),
        )
    };
    let wrong = import(path, "not the passphrase");
    assert_eq!(
        (wrong.status.code(), error_code(&wrong).as_str()),
        (Some(15), "WRONG_PASSPHRASE")
    );

    let mut bytes = std::fs::read(&bundle).expect("read");
    let at = bytes.len() / 2;
    bytes[at] ^= 0x10;
    let tampered = source.outside("tampered.bundle");
    std::fs::write(&tampered, &bytes).expect("write");
    let out = import(tampered.to_str().expect("utf-8"), BUNDLE_PASS);
    assert_eq!(
        (out.status.code(), error_code(&out).as_str()),
        (Some(18), "CORRUPT")
    );

    bytes[at] ^= 0x10;
    bytes.truncate(bytes.len() - 1);
    std::fs::write(&tampered, &bytes).expect("write");
    let out = import(tampered.to_str().expect("utf-8"), BUNDLE_PASS);
    assert_eq!(
        (out.status.code(), error_code(&out).as_str()),
        (Some(18), "CORRUPT")
    );

    let listed = json(&assay_in(target.path(), &["--json", "profile", "list"]));
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(0),
        "nothing was created: {listed}"
    );
    assert!(
        std::fs::read_dir(target.path().join("profiles")).map_or(true, |mut d| d.next().is_none()),
        "no directory was left behind"
    );

    // The same name again is ALREADY_EXISTS unless renamed.
    let first = import(path, BUNDLE_PASS);
    assert!(first.status.success(), "{}", stderr(&first));
    let again = import(path, BUNDLE_PASS);
    assert_eq!(error_code(&again), "ALREADY_EXISTS");
    let renamed = assay_with_stdin(
        target.path(),
        &[
            "profile",
            "import",
            path,
            "--name",
            "Trip copy",
            "--passphrase-stdin",
        ],
        &format!("{BUNDLE_PASS}\n"),
    );
    assert!(renamed.status.success(), "{}", stderr(&renamed));
}

#[test]
fn on_a_terminal_export_draws_a_progress_bar_in_place() {
    let source = DataDir::new();
    source.create("Trip");
    let bundle = source.outside("tty.bundle");
    // `script` gives the command a terminal for stdout and stderr; the passphrase still comes
    // through a pipe.
    let command = format!(
        "printf '%s\\n' '{BUNDLE_PASS}' | '{}' --data-dir '{}' profile export trip --out '{}' --passphrase-stdin",
        env!("CARGO_BIN_EXE_assay"),
        source.path().display(),
        bundle.display()
    );
    let out = std::process::Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .env_remove("ASSAY_DATA_DIR")
        .output()
        .expect("run script (bsdutils)");
    assert!(out.status.success(), "{}", stderr(&out));
    let screen = String::from_utf8_lossy(&out.stdout);
    // indicatif redraws a bar in place: back to the line's start, clear it, draw.
    assert!(
        screen.contains("\r\x1b[2KWriting") && screen.contains("\r\x1b[2KVerifying"),
        "each phase is redrawn in place: {screen:?}"
    );
    assert!(
        screen.contains("KiB/s") || screen.contains("MiB/s"),
        "the rate is shown: {screen:?}"
    );
    assert!(
        screen.contains(&format!("[{}] 100%", "#".repeat(24))),
        "the bar fills: {screen:?}"
    );
    assert!(screen.contains("Exported profile \"Trip\""), "{screen:?}");
    assert!(
        !screen.contains(BUNDLE_PASS),
        "the passphrase never reaches the terminal"
    );
    assert!(bundle.exists());
}
