//! `assay profile status`, `content`, `preset` and `run` on a seeded profile, the NOT_READY
//! gate, and a crash in the middle of seeding.

use crate::{DataDir, assay, assay_in, error_code, json, stderr, stdout};

fn count(data: &DataDir, args: &[&str]) -> usize {
    let out = assay_in(data.path(), args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    json(&out).as_array().map_or(0, Vec::len)
}

#[test]
fn a_new_profile_lists_the_seeded_library_preset_and_run() {
    let data = DataDir::new();
    data.create("Work");
    let status = json(&assay_in(
        data.path(),
        &["--json", "profile", "status", "work"],
    ));
    assert_eq!(status["status"]["phase"], "ready", "{status}");
    assert_eq!(status["status"]["seed_version"], 1);

    assert_eq!(
        count(&data, &["--json", "content", "list", "--profile", "work"]),
        9
    );
    assert_eq!(
        count(
            &data,
            &[
                "--json",
                "content",
                "list",
                "--profile",
                "work",
                "--kind",
                "input_document"
            ]
        ),
        3
    );
    assert_eq!(
        count(
            &data,
            &[
                "--json",
                "content",
                "list",
                "--profile",
                "work",
                "--tag",
                "evaluation"
            ]
        ),
        3
    );
    assert_eq!(
        count(
            &data,
            &[
                "--json",
                "content",
                "list",
                "--profile",
                "work",
                "--search",
                "harbour house"
            ]
        ),
        1
    );

    let presets = json(&assay_in(
        data.path(),
        &["--json", "preset", "list", "--profile", "work"],
    ));
    assert_eq!(presets[0]["name"], "Decision briefings");
    let preset = json(&assay_in(
        data.path(),
        &[
            "--json",
            "preset",
            "show",
            "decision briefings",
            "--profile",
            "work",
        ],
    ));
    assert_eq!(preset["config"]["judges"].as_array().map(Vec::len), Some(2));

    let runs = json(&assay_in(
        data.path(),
        &["--json", "run", "list", "--profile", "work"],
    ));
    let run_id = runs[0]["id"].as_str().expect("run id");
    let run = json(&assay_in(
        data.path(),
        &["--json", "run", "show", run_id, "--profile", "work"],
    ));
    assert_eq!(run["status"], "completed");
    assert_eq!(run["documents"].as_array().map(Vec::len), Some(4));
    assert_eq!(run["scores"].as_array().map(Vec::len), Some(32));
    // Progress per kind of task: the seeded run's four documents were written.
    assert_eq!(
        run["progress"]["generate"],
        serde_json::json!({"total": 4, "done": 4, "failed": 0})
    );
    for kind in ["score", "compare", "combine"] {
        assert!(
            run["progress"][kind]["total"].is_i64(),
            "{kind}: {}",
            run["progress"]
        );
    }

    // Text output rounds as the report and the app do: mini's mean 58/16 = 3.625 reads 3.63.
    let shown = stdout(&assay_in(
        data.path(),
        &["run", "show", run_id, "--profile", "work"],
    ));
    let mini = shown
        .lines()
        .find(|l| l.trim_start().starts_with("openai/gpt-4o-mini") && l.contains("mean score"))
        .unwrap_or_else(|| panic!("a rankings line for mini: {shown}"));
    assert!(
        mini.contains("mean score 3.63 "),
        "3.625 rounds half away from zero: {mini}"
    );

    let criteria = json(&assay_in(
        data.path(),
        &[
            "--json",
            "content",
            "list",
            "--profile",
            "work",
            "--kind",
            "eval_criteria",
        ],
    ));
    let id = criteria[0]["id"].as_str().expect("id");
    let shown = json(&assay_in(
        data.path(),
        &["--json", "content", "show", id, "--profile", "work"],
    ));
    assert!(
        shown["body"]
            .as_str()
            .is_some_and(|b| b.contains("**Accuracy**")),
        "{shown}"
    );
}

#[test]
fn unknown_items_and_bad_filters_have_their_exit_codes() {
    let data = DataDir::new();
    data.create("Work");
    let out = assay_in(
        data.path(),
        &["--json", "run", "show", "no-such-run", "--profile", "work"],
    );
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    assert_eq!(error_code(&out), "NOT_FOUND");
    let out = assay_in(
        data.path(),
        &[
            "--json",
            "content",
            "list",
            "--profile",
            "work",
            "--kind",
            "poem",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn a_failed_setup_gives_not_ready_with_exit_19_and_a_later_open_retries() {
    let data = DataDir::new();
    data.create("Fragile");
    let failing = |args: &[&str]| {
        assay()
            .env("ASSAY_FAIL_AT", "mid-seed")
            .arg("--data-dir")
            .arg(data.path())
            .args(args)
            .output()
            .expect("run")
    };
    let out = failing(&["--json", "content", "list", "--profile", "fragile"]);
    assert_eq!(out.status.code(), Some(19), "{}", stderr(&out));
    assert_eq!(error_code(&out), "NOT_READY");
    let status = json(&failing(&["--json", "profile", "status", "fragile"]));
    assert_eq!(status["status"]["phase"], "failed");
    assert!(
        status["status"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("injected")),
        "{status}"
    );

    assert_eq!(
        count(
            &data,
            &["--json", "content", "list", "--profile", "fragile"]
        ),
        9,
        "retried and complete"
    );
}

#[test]
fn a_crash_mid_seed_leaves_nothing_partial_and_the_next_open_seeds_once() {
    let data = DataDir::new();
    data.create("Crashy");
    let status = assay()
        .env("ASSAY_CRASH_AT", "mid-seed")
        .arg("--data-dir")
        .arg(data.path())
        .args(["profile", "status", "crashy"])
        .status()
        .expect("run");
    assert!(!status.success(), "the process died mid-seed");
    let out = assay_in(data.path(), &["--json", "profile", "status", "crashy"]);
    assert_eq!(json(&out)["status"]["phase"], "ready", "{}", stderr(&out));
    assert_eq!(
        count(&data, &["--json", "content", "list", "--profile", "crashy"]),
        9,
        "no half copy, no double copy"
    );
    assert_eq!(
        count(&data, &["--json", "run", "list", "--profile", "crashy"]),
        1
    );
    let verify = assay_in(data.path(), &["profile", "verify", "crashy"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
}

#[test]
fn report_writes_html_json_and_csv_of_the_seeded_run() {
    let data = DataDir::new();
    data.create("Reports");
    let runs = json(&assay_in(
        data.path(),
        &["--json", "run", "list", "--profile", "reports"],
    ));
    let run = runs[0]["id"].as_str().expect("run id").to_owned();
    for (format, needle) in [
        ("html", "<svg"),
        ("json", "\"rankings\""),
        ("csv", "kind,input,model"),
    ] {
        let out_file = data.path().join(format!("report.{format}"));
        let out_arg = out_file.to_str().expect("utf-8 path");
        let out = assay_in(
            data.path(),
            &[
                "--json",
                "report",
                &run,
                "--profile",
                "reports",
                "--out",
                out_arg,
                "--format",
                format,
            ],
        );
        assert!(out.status.success(), "{format}: {}", stderr(&out));
        let written = std::fs::read_to_string(&out_file).expect("report written");
        assert!(
            written.contains(needle),
            "{format} report contains {needle:?}"
        );
        assert_eq!(json(&out)["bytes"].as_u64(), Some(written.len() as u64));
    }
    let bad = assay_in(
        data.path(),
        &[
            "--json",
            "report",
            &run,
            "--profile",
            "reports",
            "--out",
            "x",
            "--format",
            "pdf",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
}
