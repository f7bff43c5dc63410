//! Servers that lie about usage, echo the key, or take too long, and inputs made to crash or
//! exhaust the engine (issue 21's reproductions): budgets hold, nothing panics or wedges,
//! and no output shows the key.

use std::time::Duration;

use serde_json::{Value, json};

use crate::fake_llm::Usage;
use crate::runs::{Bench, KEY, lines, ok};
use crate::{assay_in, error_code, stderr};

/// The preset with one generator, one judge and one trial, generating one call at a time.
fn small(bench: &Bench, name: &str, changes: Value) {
    let mut config = json!({
        "models": [{"provider": "local", "model": "fake-gen-a", "temperature": 0.5,
                    "max_tokens": 400}],
        "judges": [{"provider": "local", "model": "fake-judge-1"}],
        "iterations": 1,
        "eval_iterations": 1,
        "pairwise_enabled": false,
        "combine_models": [],
        "generation_concurrency": 1,
        "eval_concurrency": 1,
    });
    for (k, v) in changes.as_object().expect("object") {
        config[k] = v.clone();
    }
    bench.preset(name, config);
}

/// Writes run `id`'s report in `format` outside the data dir and returns its text.
fn report(bench: &Bench, id: &str, format: &str) -> String {
    let file = bench.data.outside(&format!("{id}.{format}"));
    ok(assay_in(
        bench.data.path(),
        &[
            "report",
            id,
            "--format",
            format,
            "--out",
            file.to_str().expect("utf-8"),
            "--profile",
            "work",
        ],
    ));
    std::fs::read_to_string(&file).expect("report")
}

fn run_id(out: &std::process::Output) -> String {
    lines(out).pop().expect("final line")["run_id"]
        .as_str()
        .expect("run id")
        .to_owned()
}

#[test]
fn a_server_that_reports_no_usage_is_charged_each_calls_worst_case_and_the_budget_holds() {
    let bench = Bench::new(Duration::ZERO);
    small(&bench, "Quiet", json!({}));
    bench.counts.report_usage(Usage::Omitted);
    // A generation call's worst case is about 1,000 prompt tokens at $1/M and 400 answer
    // tokens at $2/M: $0.0018; a budget of $0.005 pays for two.
    let out = bench.run(&["start", "Quiet", "--budget-usd", "0.005"]);
    assert_eq!(out.status.code(), Some(25), "paused: {}", stderr(&out));
    let id = run_id(&out);
    let run = bench.show(&id);
    assert_eq!(run["status"], "paused");
    let cost = run["total_cost"].as_f64().expect("cost");
    assert!(
        cost > 0.0 && cost <= 0.005,
        "charged, within the budget: {cost}"
    );
    let estimated = run["estimated_calls"].as_i64().expect("estimated");
    assert_eq!(
        estimated as u64,
        bench.counts.calls(),
        "every call is charged as an estimate"
    );
    assert!(
        run["pause_reason"]
            .as_str()
            .is_some_and(|r| r.contains("$0.005")),
        "the budget shown as set, not rounded to cents: {}",
        run["pause_reason"]
    );
    let events = run["events"].as_array().expect("events");
    assert!(
        events.iter().all(|e| e["usage_estimated"] == true),
        "the timeline marks them: {events:?}"
    );
    // Resuming again and again pays for nothing more.
    let calls = bench.counts.calls();
    for _ in 0..5 {
        let out = bench.run(&["resume", &id]);
        assert_eq!(out.status.code(), Some(25), "{}", stderr(&out));
    }
    assert_eq!(
        bench.counts.calls(),
        calls,
        "no resume gets past the budget"
    );

    // Negative and non-numeric counts are no usage either.
    bench.counts.report_usage(Usage::Garbage);
    let out = bench.run(&["start", "Quiet", "--budget-usd", "0.005"]);
    assert_eq!(out.status.code(), Some(25), "{}", stderr(&out));
    let run = bench.show(&run_id(&out));
    assert!(run["estimated_calls"].as_i64().expect("estimated") > 0);
    assert!(run["total_cost"].as_f64().expect("cost") <= 0.005);
}

#[test]
fn usage_above_a_calls_limits_is_charged_as_reported_and_pauses_the_run_at_once() {
    let bench = Bench::new(Duration::ZERO);
    small(&bench, "Inflated", json!({}));
    bench.counts.report_usage(Usage::Inflated);
    // 50,000 + 50,000 tokens: $0.15 a call, against a budget of $0.05.
    let out = bench.run(&["start", "Inflated", "--budget-usd", "0.05"]);
    assert_eq!(out.status.code(), Some(25), "{}", stderr(&out));
    let id = run_id(&out);
    let run = bench.show(&id);
    assert_eq!(bench.counts.calls(), 1, "paused after the first answer");
    assert_eq!(run["total_tokens"], 100_000, "charged as reported");
    assert!((run["total_cost"].as_f64().expect("cost") - 0.15).abs() < 1e-9);
    let reason = run["pause_reason"].as_str().expect("reason");
    assert!(
        reason.contains("past its budget") && reason.contains("more usage"),
        "{reason}"
    );
    let out = bench.run(&["resume", &id]);
    assert_eq!(out.status.code(), Some(25));
    assert_eq!(
        bench.counts.calls(),
        1,
        "a resume past the budget makes no call"
    );

    let out = bench.run(&["start", "Inflated", "--budget-tokens", "3000"]);
    assert_eq!(out.status.code(), Some(25), "{}", stderr(&out));
    let run = bench.show(&run_id(&out));
    assert_eq!(run["total_tokens"], 100_000);
    assert_eq!(bench.counts.calls(), 2, "one call, then the pause");
}

#[test]
fn usage_numbers_that_would_overflow_neither_panic_nor_wedge_the_run() {
    let bench = Bench::new(Duration::ZERO);
    small(&bench, "Huge", json!({}));
    bench.counts.report_usage(Usage::Overflowing);
    let out = bench.run(&["start", "Huge", "--budget-usd", "1000"]);
    let text = stderr(&out);
    assert!(!text.contains("panicked"), "{text}");
    assert_eq!(
        out.status.code(),
        Some(25),
        "paused past its budget: {text}"
    );
    let id = run_id(&out);
    let run = bench.show(&id);
    let tokens = run["total_tokens"].as_i64().expect("an integer total");
    assert!(tokens > 1_000_000_000, "{tokens}");
    // The server is honest again: the run resumes and finishes.
    bench.counts.report_usage(Usage::Honest);
    let out = bench.run(&["resume", &id, "--budget-usd", "100000000"]);
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run = bench.show(&id);
    assert_eq!(run["status"], "completed");
    report(&bench, &id, "html");
}

#[test]
fn a_call_that_times_out_is_charged_its_worst_case() {
    let bench = Bench::new(Duration::from_millis(2_500));
    small(&bench, "Slow", json!({"timeout_secs": 1, "max_retries": 0}));
    let out = bench.run(&["start", "Slow"]);
    assert!(!out.status.success(), "{}", stderr(&out));
    let run = bench.show(&run_id(&out));
    let estimated = run["estimated_calls"].as_i64().expect("estimated");
    assert_eq!(estimated, 3, "each of the 3 timed-out generations: {run}");
    assert!(
        run["total_cost"].as_f64().expect("cost") > 0.0,
        "the provider may have billed them, so they are not $0"
    );
}

#[test]
fn preset_numbers_past_their_bounds_are_refused_on_save_with_their_maximum() {
    let bench = Bench::new(Duration::ZERO);
    let mut preset = crate::runs::full_preset("Huge");
    preset["config"]["iterations"] = json!(4_294_967_295_u64);
    preset["config"]["eval_concurrency"] = json!(1_000_000);
    let file = bench.data.outside("huge.json");
    std::fs::write(&file, preset.to_string()).expect("write");
    let out = assay_in(
        bench.data.path(),
        &[
            "preset",
            "save",
            "--file",
            file.to_str().expect("utf-8"),
            "--profile",
            "work",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(
        text.contains("iterations: at most 100") && text.contains("eval_concurrency: at most 64"),
        "{text}"
    );
    let out = assay_in(
        bench.data.path(),
        &[
            "--json",
            "preset",
            "save",
            "--file",
            "/dev/zero",
            "--profile",
            "work",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(error_code(&out), "INVALID_INPUT");
}

#[test]
fn a_key_echoed_by_the_server_is_never_shown_anywhere() {
    let bench = Bench::new(Duration::ZERO);
    small(&bench, "Echo", json!({}));
    let echo = format!("{}{KEY}", "x".repeat(255));
    bench.rt.block_on(async {
        use wiremock::matchers::any;
        use wiremock::{Mock, ResponseTemplate};
        bench.server.reset().await;
        Mock::given(any())
            .respond_with(
                ResponseTemplate::new(401)
                    .set_body_json(json!({"error": {"message": echo, "type": "auth"}})),
            )
            .mount(&bench.server)
            .await;
    });
    let mut shown = String::new();
    let mut collect = |out: &std::process::Output| {
        shown.push_str(&String::from_utf8_lossy(&out.stdout));
        shown.push_str(&String::from_utf8_lossy(&out.stderr));
    };
    let test = assay_in(
        bench.data.path(),
        &["provider", "test", "local", "--profile", "work"],
    );
    assert_eq!(test.status.code(), Some(21), "{}", stderr(&test));
    collect(&test);
    collect(&assay_in(
        bench.data.path(),
        &["--json", "provider", "test", "local", "--profile", "work"],
    ));
    let out = bench.run(&["start", "Echo"]);
    assert_eq!(
        out.status.code(),
        Some(25),
        "paused on the key: {}",
        stderr(&out)
    );
    collect(&out);
    let id = run_id(&out);
    collect(&bench.run(&["show", &id]));
    collect(&assay_in(
        bench.data.path(),
        &["run", "show", &id, "--profile", "work"],
    ));
    for format in ["html", "json", "csv"] {
        shown.push_str(&report(&bench, &id, format));
    }
    for entry in std::fs::read_dir(bench.data.path().join("logs")).expect("logs/") {
        let path = entry.expect("entry").path();
        shown.push_str(&String::from_utf8_lossy(
            &std::fs::read(&path).expect("log"),
        ));
    }
    assert!(shown.contains("[key]"), "the echo was seen, redacted");
    for start in 0..=KEY.len() - 8 {
        let run = &KEY[start..start + 8];
        assert!(!shown.contains(run), "{run:?} of the key was shown");
    }
}

#[test]
fn an_answer_over_one_mebibyte_journaled_before_a_crash_is_read_again_whole() {
    let bench = Bench::new(Duration::ZERO);
    small(
        &bench,
        "Huge answer",
        json!({
            "models": [{"provider": "local", "model": "fake-gen-huge-a", "temperature": 0.5,
                        "max_tokens": 400}],
            "evaluation_enabled": false,
            "judges": []
        }),
    );
    let out = crate::assay()
        .env("ASSAY_CRASH_AT", "after-journal")
        .arg("--data-dir")
        .arg(bench.data.path())
        .args(["--json", "run", "start", "Huge answer", "--profile", "work"])
        .output()
        .expect("run");
    assert!(
        !out.status.success(),
        "the process aborted after journaling"
    );
    let calls = bench.counts.calls();
    assert_eq!(calls, 1);
    let runs = crate::json(&bench.run(&["list"]));
    let id = runs[0]["id"].as_str().expect("the run").to_owned();
    let out = bench.run(&["resume", &id]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        bench.counts.calls(),
        3,
        "the journaled answer is not asked again"
    );
    let run = bench.show(&id);
    let longest = run["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .map(|d| d["body"].as_str().expect("body").len())
        .max()
        .expect("a document");
    assert!(longest > 1_500_000, "kept whole: {longest} bytes");
    assert!(
        run["failures"].as_array().is_none_or(Vec::is_empty),
        "{}",
        run["failures"]
    );
}

#[test]
fn a_model_name_with_terminal_escapes_is_shown_escaped_not_obeyed() {
    let bench = Bench::new(Duration::ZERO);
    let sneaky = "fake-gen\u{1b}[2J\u{1b}[31m-a";
    small(
        &bench,
        "Sneaky",
        json!({
            "models": [{"provider": "local", "model": sneaky, "temperature": 0.5,
                        "max_tokens": 400}],
        }),
    );
    let out = bench.run(&["start", "Sneaky"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let id = run_id(&out);
    let mut shown = Vec::new();
    for args in [
        vec!["run", "show", id.as_str(), "--profile", "work"],
        vec!["run", "list", "--profile", "work"],
        vec!["preset", "show", "Sneaky", "--profile", "work"],
    ] {
        let out = assay_in(bench.data.path(), &args);
        assert!(out.status.success(), "{}", stderr(&out));
        shown.extend_from_slice(&out.stdout);
    }
    let text = String::from_utf8_lossy(&shown);
    assert!(
        !text.contains('\u{1b}'),
        "no raw escape reaches the terminal: {text:?}"
    );
    assert!(text.contains("\\u{1b}[2J"), "the escape is shown: {text}");
    let html = report(&bench, &id, "html");
    assert!(!html.contains('\u{1b}'), "nor the report");
}

#[test]
fn a_score_outside_the_scale_is_a_named_problem_in_every_view_never_clamped() {
    let bench = Bench::new(Duration::ZERO);
    small(
        &bench,
        "Wild",
        json!({"judges": [{"provider": "local", "model": "fake-wild-judge"}]}),
    );
    let out = bench.run(&["start", "Wild"]);
    assert_eq!(out.status.code(), Some(25), "{}", stderr(&out));
    let id = run_id(&out);
    let run = bench.show(&id);
    assert!(
        run["scores"].as_array().expect("scores").is_empty(),
        "22 is never stored"
    );
    let problems = &run["failures"][0]["problems"];
    assert_eq!(problems[0]["code"], "OUT_OF_RANGE", "{problems}");
    assert!(
        problems[0]["message"]
            .as_str()
            .is_some_and(|m| m.ends_with("score 22 is outside 1–5")),
        "{problems}"
    );
    let html = report(&bench, &id, "html");
    assert!(
        html.contains("<h2>Failures</h2>"),
        "the report has a Failures section"
    );
    assert!(
        html.contains("3 documents unscored (3 scoring failed)"),
        "the report says why documents have no score"
    );
    assert!(html.contains("OUT_OF_RANGE"), "with the problem's code");
    let csv = report(&bench, &id, "csv");
    assert!(
        csv.lines()
            .any(|l| l.starts_with("failure,") && l.contains("OUT_OF_RANGE")),
        "{csv}"
    );
}

#[test]
fn check_judge_says_whether_a_model_answers_as_a_judge() {
    let bench = Bench::new(Duration::ZERO);
    let check = |model: &str| {
        assay_in(
            bench.data.path(),
            &[
                "--json",
                "provider",
                "check-judge",
                "local",
                model,
                "--profile",
                "work",
            ],
        )
    };
    let out = check("fake-judge-1");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = crate::json(&out);
    assert_eq!(
        (got["endpoint"].as_str(), got["model"].as_str()),
        (Some("local"), Some("fake-judge-1"))
    );
    for part in ["scoring", "comparison"] {
        assert_eq!(got[part]["valid"], true, "{got}");
        assert_eq!(got[part]["attempts"], 1, "{got}");
        assert_eq!(got[part]["problems"], json!([]), "{got}");
        assert!(got[part]["ms"].is_u64(), "{got}");
    }
    let out = check("fake-junk");
    assert_eq!(out.status.code(), Some(24), "{}", stderr(&out));
    assert_eq!(error_code(&out), "BAD_RESPONSE");
    let got = crate::json(&out);
    assert_eq!(got["scoring"]["valid"], false);
    assert_eq!(got["scoring"]["attempts"], 2, "the repair was tried");
    assert_eq!(got["scoring"]["problems"][0]["code"], "NOT_JSON", "{got}");
    assert_eq!(
        got["comparison"]["problems"][0]["code"], "NOT_JSON",
        "{got}"
    );
    let text = assay_in(
        bench.data.path(),
        &[
            "provider",
            "check-judge",
            "local",
            "fake-junk",
            "--profile",
            "work",
        ],
    );
    let shown = String::from_utf8_lossy(&text.stdout);
    assert!(
        shown.contains("not valid, even after the repair"),
        "{shown}"
    );
    assert!(shown.contains("NOT_JSON"), "{shown}");
}

#[test]
fn a_one_model_run_and_runs_without_a_shared_model_say_why_instead_of_dashes() {
    let bench = Bench::new(Duration::ZERO);
    // One generator, two iterations, compared with each other.
    small(
        &bench,
        "One model",
        json!({"iterations": 2, "pairwise_enabled": true}),
    );
    let out = bench.run(&["start", "One model"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let one = run_id(&out);
    let text = assay_in(
        bench.data.path(),
        &["run", "show", &one, "--profile", "work"],
    );
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        text.contains("Model-level ratings need two models"),
        "the one-model run says why there is no model rating: {text}"
    );
    assert!(text.contains("only local/fake-judge-1 scored"), "{text}");
    assert!(
        text.contains("compared") && text.contains("(won–lost–tied)"),
        "each document's record within the model: {text}"
    );
    assert!(text.contains("Best document per input:"), "{text}");
    let html = report(&bench, &one, "html");
    assert!(html.contains("Model-level ratings need two models"));
    assert!(!html.contains("Elo (K = 32"), "no neutral Elo chart");

    // Another generator: the two runs share no model.
    small(
        &bench,
        "Other model",
        json!({"models": [{"provider": "local", "model": "fake-gen-b", "temperature": 0.5,
                           "max_tokens": 400}]}),
    );
    let out = bench.run(&["start", "Other model"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let other = run_id(&out);
    let out = bench.run(&["compare", &one, &other]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let compared = crate::json(&out);
    assert_eq!(compared["shared_models"], 0, "{compared}");
    assert!(
        compared["rows"].as_array().is_some_and(|r| !r.is_empty()),
        "the JSON keeps its rows (with nulls)"
    );
    let text = assay_in(
        bench.data.path(),
        &["run", "compare", &one, &other, "--profile", "work"],
    );
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(text.contains("no model in common"), "{text}");
    assert!(!text.contains("—"), "no table of dashes: {text}");
}

#[test]
fn a_judge_cut_at_its_token_limit_is_told_which_limit_and_what_to_raise() {
    let bench = Bench::new(Duration::ZERO);
    small(
        &bench,
        "Cut",
        json!({"judges": [{"provider": "local", "model": "fake-cut-judge"}],
               "judge_max_tokens": 64}),
    );
    let out = bench.run(&["start", "Cut"]);
    assert_eq!(out.status.code(), Some(25), "{}", stderr(&out));
    let run = bench.show(&run_id(&out));
    let problems = &run["failures"][0]["problems"];
    assert_eq!(problems[0]["code"], "TRUNCATED", "{problems}");
    assert!(
        problems[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("64 tokens") && m.contains("judge_max_tokens")),
        "{problems}"
    );
    assert_eq!(
        problems[1]["code"], "NOT_JSON",
        "what the cut left: {problems}"
    );
}
