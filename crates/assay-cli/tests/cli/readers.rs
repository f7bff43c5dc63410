//! A profile stays readable (and writable) while another process executes a run of it: every
//! read command from a second process, a write beside the run, what needs the profile alone
//! naming the run, `watch` returning only once the run's process let go, progress lines
//! without a terminal, and a panic reported as `INTERNAL`.

use std::io::BufReader;
use std::time::Duration;

use serde_json::{Value, json};

use crate::run_control::{done, spawn, until};
use crate::runs::{Bench, assert_full_results, lines, phase};
use crate::{assay, assay_in, error_code, json, stderr};

/// `assay --json ARGS…` in the bench's data dir, which must exit 0; its JSON.
fn read(bench: &Bench, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = assay_in(bench.data.path(), &all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?} beside a run: {}",
        stderr(&out)
    );
    json(&out)
}

#[test]
fn every_read_command_and_a_write_succeed_from_another_process_while_a_run_works() {
    let bench = Bench::new(Duration::from_millis(20));
    bench.preset("Full", json!({}));
    let mut child = spawn(&bench, &["start", "Full"]);
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let seen = until(&mut out, |v| done(v) >= 3);
    let run_id = seen["run_id"].as_str().expect("id").to_owned();
    let report = bench.data.outside("beside.json");
    let note = bench.data.outside("note.md");
    std::fs::write(&note, "A note written while a run works.").expect("write");
    for round in 0..3 {
        let runs = read(&bench, &["run", "list", "--profile", "work"]);
        assert!(
            runs.as_array()
                .expect("runs")
                .iter()
                .any(|r| r["id"] == run_id.as_str() && r["status"] == "running"),
            "the working run is listed as running: {runs}"
        );
        // One snapshot: the documents listed are the documents the progress counts.
        let shown = read(&bench, &["run", "show", &run_id, "--profile", "work"]);
        let docs = shown["documents"].as_array().expect("documents").len() as i64;
        let (_, generated, _) = phase(&shown["progress"], "generate");
        let (_, combined, _) = phase(&shown["progress"], "combine");
        assert_eq!(docs, generated + combined, "{}", shown["progress"]);
        read(
            &bench,
            &[
                "report",
                &run_id,
                "--out",
                report.to_str().expect("utf-8"),
                "--format",
                "json",
                "--profile",
                "work",
            ],
        );
        read(&bench, &["content", "list", "--profile", "work"]);
        read(&bench, &["preset", "list", "--profile", "work"]);
        read(&bench, &["preset", "show", "Full", "--profile", "work"]);
        read(&bench, &["profile", "status", "work"]);
        read(
            &bench,
            &["run", "compare", &run_id, &run_id, "--profile", "work"],
        );
        // A write beside the run: it lands, and the run goes on.
        read(
            &bench,
            &[
                "content",
                "add",
                "--kind",
                "input_document",
                "--name",
                &format!("Beside the run {round}"),
                "--file",
                note.to_str().expect("utf-8"),
                "--profile",
                "work",
            ],
        );
    }
    let last = until(&mut out, |v| v.get("event").is_none());
    assert_eq!(last["status"], "completed");
    assert_eq!(child.wait().expect("wait").code(), Some(0));
    assert_full_results(&bench, &run_id);
    let items = read(&bench, &["content", "list", "--profile", "work"]);
    let added = items
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| {
            i["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("Beside the run"))
        })
        .count();
    assert_eq!(added, 3, "every write beside the run was kept");
}

#[test]
fn what_needs_the_profile_alone_names_the_run_that_holds_it() {
    let bench = Bench::new(Duration::from_millis(40));
    bench.preset("Full", json!({}));
    let mut child = spawn(&bench, &["start", "Full"]);
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let seen = until(&mut out, |v| done(v) >= 1);
    let run_id = seen["run_id"].as_str().expect("id").to_owned();
    let bundle = bench.data.outside("busy.assay");
    let attempts: [&[&str]; 4] = [
        &["--json", "profile", "delete", "work", "--yes"],
        &["--json", "profile", "rename", "work", "Elsewhere"],
        &[
            "--json",
            "profile",
            "export",
            "work",
            "--out",
            bundle.to_str().expect("utf-8"),
            "--passphrase-stdin",
        ],
        &["--json", "run", "start", "Full", "--profile", "work"],
    ];
    for args in attempts {
        let out = crate::assay_with_stdin(bench.data.path(), args, "a bundle passphrase 42\n");
        assert_eq!(out.status.code(), Some(12), "{args:?}: {}", stderr(&out));
        assert_eq!(error_code(&out), "PROFILE_IN_USE");
        assert!(
            stderr(&out).contains(&run_id),
            "{args:?} names the run: {}",
            stderr(&out)
        );
    }
    bench.run(&["cancel", &run_id]);
    let _ = until(&mut out, |v| v.get("event").is_none());
    assert_eq!(child.wait().expect("wait").code(), Some(25));
    // The run's process let go: the profile is the person's alone again.
    let renamed = assay_in(
        bench.data.path(),
        &["profile", "rename", "work", "Work again"],
    );
    assert_eq!(renamed.status.code(), Some(0), "{}", stderr(&renamed));
}

#[test]
fn watch_returns_only_once_the_runs_process_let_go_so_the_next_command_finds_it_free() {
    let bench = Bench::new(Duration::ZERO);
    bench.preset(
        "One call",
        json!({
            "models": [crate::runs::full_preset("x")["config"]["models"][0].clone()],
            "judges": [],
            "iterations": 1,
            "evaluation_enabled": false,
            "pairwise_enabled": false,
            "combine_models": []
        }),
    );
    let report = bench.data.outside("at-once.json");
    for i in 0..100 {
        let started = assay_in(
            bench.data.path(),
            &["run", "start", "One call", "--detach", "--profile", "work"],
        );
        assert_eq!(started.status.code(), Some(0), "{}", stderr(&started));
        let run_id = String::from_utf8_lossy(&started.stdout).trim().to_owned();
        let watched = bench.run(&["watch", &run_id]);
        assert_eq!(
            watched.status.code(),
            Some(0),
            "round {i}: {:?} {}",
            lines(&watched).last(),
            stderr(&watched)
        );
        assert_eq!(
            lines(&watched).last().expect("final")["status"],
            "completed"
        );
        let reported = assay_in(
            bench.data.path(),
            &[
                "report",
                &run_id,
                "--out",
                report.to_str().expect("utf-8"),
                "--format",
                "json",
                "--profile",
                "work",
            ],
        );
        assert_eq!(
            reported.status.code(),
            Some(0),
            "round {i}: {}",
            stderr(&reported)
        );
        // And what needs the profile alone: the run's process is gone.
        for (from, to) in [("work", "Work B"), ("work b", "Work")] {
            let renamed = assay_in(bench.data.path(), &["profile", "rename", from, to]);
            assert_eq!(
                renamed.status.code(),
                Some(0),
                "round {i}: {}",
                stderr(&renamed)
            );
        }
    }
}

#[test]
fn without_a_terminal_a_foreground_run_tells_its_progress_on_stderr_by_phase() {
    let bench = Bench::new(Duration::from_millis(2));
    bench.preset("Full", json!({}));
    let out = assay_in(
        bench.data.path(),
        &["run", "start", "Full", "--profile", "work"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    let told: Vec<&str> = err.lines().filter(|l| l.starts_with("run ")).collect();
    // Judging scores and compares at once, so the phases told are these (the run's phase is
    // its earliest unfinished step).
    for phase in ["generating", "scoring", "combining", "completed"] {
        assert!(
            told.iter().any(|l| l.contains(&format!(": {phase} · "))),
            "a line when {phase} begins: {err}"
        );
    }
    // One per change of phase, not one per call: the run makes 513 calls in a second or two,
    // far under the 10 s between lines of one phase.
    let phases: Vec<&str> = told
        .iter()
        .filter_map(|l| l.split(": ").nth(1)?.split(" · ").next())
        .collect();
    assert!(
        phases.windows(2).all(|w| w[0] != w[1]),
        "a line per change: {phases:?}"
    );
    assert!(
        told[0].contains("documents 0/18"),
        "each kind's tasks, done of planned: {}",
        told[0]
    );
    // With --json the events stay on stdout and stderr stays quiet.
    let quiet = bench.run(&["start", "Full"]);
    assert_eq!(quiet.status.code(), Some(0));
    assert!(stderr(&quiet).trim().is_empty(), "{}", stderr(&quiet));
}

#[test]
fn a_panic_inside_a_call_is_internal_with_the_logs_place_and_leaves_the_run_interrupted() {
    let bench = Bench::new(Duration::ZERO);
    bench.preset("Full", json!({}));
    let out = assay()
        .env("ASSAY_PANIC_AT", "call")
        .arg("--data-dir")
        .arg(bench.data.path())
        .args(["--json", "run", "start", "Full", "--profile", "work"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(error_code(&out), "INTERNAL");
    let message = stderr(&out);
    assert!(message.contains("bug"), "{message}");
    assert!(message.contains("assay.log"), "where to look: {message}");
    let log = std::fs::read_to_string(bench.data.path().join("logs/assay.log")).expect("log");
    assert!(
        log.contains("panic at"),
        "the panic is in the log with its place"
    );
    let runs = read(&bench, &["run", "list", "--profile", "work"]);
    assert_eq!(runs[0]["status"], "interrupted", "{runs}");
}
