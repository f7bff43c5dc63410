//! `assay run start|resume|retry-failed` against a local server speaking OpenAI's wire
//! format (tests/cli/fake_llm.rs): a full run with every count, ranking, token and dollar
//! checked against what the server saw; budgets; unpriced models; a judge that answers
//! junk; an endpoint that rate-limits; one that goes down mid-run.

use std::process::Output;
use std::time::Duration;

use serde_json::{Value, json};

use crate::fake_llm::{self, Counts};
use crate::{DataDir, assay_in, assay_with_stdin, error_code, json, stderr};

pub const KEY: &str = "sk-engine-test-key-9Qw2";

/// Generators, judges and the combine model the tests' presets use.
pub const GENERATORS: [&str; 3] = ["fake-gen-a", "fake-gen-b", "fake-gen-c"];

/// A profile `work` with endpoint `local` at the fake, its key, and every `fake-…` model
/// priced at $1 / $2 per million tokens.
pub struct Bench {
    pub data: DataDir,
    pub counts: std::sync::Arc<Counts>,
    pub server: wiremock::MockServer,
    pub rt: tokio::runtime::Runtime,
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

impl Bench {
    pub fn new(delay: Duration) -> Self {
        let rt = runtime();
        let (server, counts) = fake_llm::start(&rt, delay);
        let data = DataDir::new();
        data.create("Work");
        let base = format!("{}/v1", server.uri());
        ok(assay_in(
            data.path(),
            &[
                "provider",
                "add",
                "local",
                "--kind",
                "openai-compatible",
                "--base-url",
                &base,
                "--profile",
                "work",
            ],
        ));
        ok(assay_in(
            data.path(),
            &[
                "provider",
                "set",
                "local",
                "--max-concurrent",
                "16",
                "--profile",
                "work",
            ],
        ));
        ok(assay_with_stdin(
            data.path(),
            &[
                "provider",
                "set-key",
                "local",
                "--key-stdin",
                "--profile",
                "work",
            ],
            &format!("{KEY}\n"),
        ));
        ok(assay_in(
            data.path(),
            &[
                "provider",
                "set-price",
                "local",
                "fake",
                "--input",
                "1",
                "--output",
                "2",
                "--profile",
                "work",
            ],
        ));
        Self {
            data,
            counts,
            server,
            rt,
        }
    }

    /// Saves preset `name` from the full-run preset with `changes` merged into its config.
    pub fn preset(&self, name: &str, changes: Value) -> &Self {
        let mut preset = full_preset(name);
        for (k, v) in changes.as_object().expect("object") {
            preset["config"][k] = v.clone();
        }
        let file = self.data.outside(&format!("{name}.json"));
        std::fs::write(&file, preset.to_string()).expect("write preset");
        ok(assay_in(
            self.data.path(),
            &[
                "preset",
                "save",
                "--file",
                file.to_str().expect("utf-8"),
                "--profile",
                "work",
            ],
        ));
        self
    }

    /// `assay --json run ARGS… --profile work`.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["--json", "run"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--profile", "work"]);
        assay_in(self.data.path(), &all)
    }

    /// `assay --json run show RUN`.
    pub fn show(&self, run: &str) -> Value {
        let out = self.run(&["show", run]);
        assert!(out.status.success(), "show: {}", stderr(&out));
        json(&out)
    }
}

fn model(name: &str) -> Value {
    json!({"provider": "local", "model": name, "temperature": 0.5, "max_tokens": 400})
}

/// 3 generators × 3 inputs × 2 iterations, 2 judges × 4 criteria × 2 trials, both orders,
/// combine on (K = 2).
pub fn full_preset(name: &str) -> Value {
    json!({
        "name": name,
        "config": {
            "models": GENERATORS.iter().map(|m| model(m)).collect::<Vec<_>>(),
            "judges": [
                {"provider": "local", "model": "fake-judge-1"},
                {"provider": "local", "model": "fake-judge-2"}
            ],
            "iterations": 2,
            "eval_iterations": 2,
            "evaluation_enabled": true,
            "pairwise_enabled": true,
            "pairwise_top_n": null,
            "generation_concurrency": 4,
            "eval_concurrency": 6,
            "max_retries": 2,
            "timeout_secs": 30,
            "combine_models": [model("fake-comb")],
            "combine_top_k": 2,
            "budget_usd": null,
            "budget_tokens": null,
            "judge_max_tokens": 300
        },
        "roles": {
            "generation_instructions": "Decision briefing",
            "single_eval_instructions": "Score one briefing",
            "pairwise_eval_instructions": "Compare two briefings",
            "eval_criteria": "Briefing criteria",
            "combine_instructions": "Combine the best briefings"
        },
        "inputs": [
            "Card payment outage, 14 March",
            "Harbour House heat pump proposal",
            "Remote work survey 2026"
        ]
    })
}

/// The full preset's task counts: (generate, score, compare, combine).
/// - generate: 3 inputs × 3 models × 2 iterations = 18;
/// - score: (18 + 3 combined) × 2 judges × 2 trials = 84;
/// - compare: per input 15 pairs × 2 judges × 2 trials × 2 orders = 120, and after combine
///   the combined document against the top 2 (2 new pairs) × 8 = 16: 3 × 136 = 408;
/// - combine: 3 inputs × 1 model = 3.
pub const FULL: (i64, i64, i64, i64) = (18, 84, 408, 3);

pub fn ok(out: Output) -> Output {
    assert!(out.status.success(), "{}", stderr(&out));
    out
}

/// The JSON lines of `out`'s stdout.
pub fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// (total, done, failed) of `kind` in a `progress` object.
pub fn phase(progress: &Value, kind: &str) -> (i64, i64, i64) {
    let p = &progress[kind];
    (
        p["total"].as_i64().expect("total"),
        p["done"].as_i64().expect("done"),
        p["failed"].as_i64().expect("failed"),
    )
}

/// The estimate plans exactly the calls the run makes.
fn assert_full_counts_planned(tasks: &Value) {
    let (g, s, c, k) = FULL;
    for (kind, n) in [
        ("generate", g),
        ("score", s),
        ("compare", c),
        ("combine", k),
    ] {
        assert_eq!(phase(tasks, kind), (n, 0, 0), "{kind}: {tasks}");
    }
}

pub fn assert_full_counts(progress: &Value) {
    let (g, s, c, k) = FULL;
    assert_eq!(phase(progress, "generate"), (g, g, 0), "{progress}");
    assert_eq!(phase(progress, "score"), (s, s, 0), "{progress}");
    assert_eq!(phase(progress, "compare"), (c, c, 0), "{progress}");
    assert_eq!(phase(progress, "combine"), (k, k, 0), "{progress}");
}

/// Checks a completed full run's stored results: documents, one score per criterion, both
/// orders of every comparison, and totals equal to the server's.
pub fn assert_full_results(bench: &Bench, run_id: &str) {
    let run = bench.show(run_id);
    assert_eq!(run["status"], "completed");
    assert_eq!(run["phase"], "done");
    assert_full_counts(&run["progress"]);
    let docs = run["documents"].as_array().expect("documents");
    assert_eq!(docs.len(), 21, "18 generated and 3 combined");
    assert_eq!(run["scores"].as_array().expect("scores").len(), 84 * 4);
    let verdicts = run["pairwise"].as_array().expect("pairwise");
    assert_eq!(verdicts.len(), 408);
    let first_a = verdicts.iter().filter(|v| v["shown_first"] == "A").count();
    assert_eq!(first_a, 204, "both orders of every trial");
}

#[test]
fn a_full_run_does_every_call_once_and_its_totals_equal_the_servers() {
    let bench = Bench::new(Duration::ZERO);
    bench.preset("Full", json!({}));
    let estimate = json(&ok(bench.run(&["estimate", "Full"])));
    assert_full_counts_planned(&estimate["tasks"]);
    assert!(
        estimate["worst_case_usd"].as_f64().is_some_and(|c| c > 0.0),
        "{estimate}"
    );
    let out = bench.run(&["start", "Full"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = lines(&out);
    let last = lines.last().expect("a final line");
    assert_eq!(
        last.as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["progress".into(), "run_id".into(), "status".into()]),
        "the final line is {{run_id, status, progress}}"
    );
    assert_eq!(last["status"], "completed");
    assert_full_counts(&last["progress"]);
    let events: Vec<&Value> = lines.iter().filter(|l| l["event"] == "progress").collect();
    assert!(events.len() > 500, "an event per call: {}", events.len());
    let e = events[events.len() / 2];
    for field in [
        "profile_id",
        "run_id",
        "phase",
        "progress",
        "in_flight",
        "endpoints",
        "tokens",
        "cost",
        "eta_secs",
        "last_error",
    ] {
        assert!(e.get(field).is_some(), "{field} in {e}");
    }
    assert_eq!(e["endpoints"][0]["name"], "local");

    let run_id = last["run_id"].as_str().expect("run id");
    let (g, s, c, k) = FULL;
    assert_eq!(
        bench.counts.calls(),
        (g + s + c + k) as u64,
        "one call per task"
    );
    assert_full_results(&bench, run_id);
    let run = bench.show(run_id);
    assert_eq!(
        run["total_tokens"].as_u64(),
        Some(bench.counts.tokens()),
        "tokens as the server counted them"
    );
    let worst = estimate["worst_case_usd"].as_f64().expect("priced");
    assert!(
        bench.counts.cost() <= worst,
        "the estimate is a bound: {} > {worst}",
        bench.counts.cost()
    );
    let cost = run["total_cost"].as_f64().expect("cost");
    assert!(
        (cost - bench.counts.cost()).abs() < 1e-9,
        "cost {cost} vs the server's {}",
        bench.counts.cost()
    );
    assert_eq!(run["unknown_cost_calls"], 0);

    // Rankings by hand: documents of -a are quality 5, the combined 4, -b 3, -c 1.
    let report = bench.data.outside("full.json");
    ok(assay_in(
        bench.data.path(),
        &[
            "report",
            run_id,
            "--out",
            report.to_str().expect("utf-8"),
            "--format",
            "json",
            "--profile",
            "work",
        ],
    ));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
    let by_model: Vec<(&str, f64)> = report["rankings"]["by_model"]
        .as_array()
        .expect("by_model")
        .iter()
        .map(|m| {
            (
                m["model"].as_str().unwrap_or(""),
                m["stats"]["mean"].as_f64().unwrap_or(0.0),
            )
        })
        .collect();
    assert_eq!(
        by_model,
        [
            ("local/fake-gen-a", 5.0),
            ("local/fake-comb", 4.0),
            ("local/fake-gen-b", 3.0),
            ("local/fake-gen-c", 1.0)
        ]
    );
    let ratings: Vec<&str> = report["rankings"]["ratings"]
        .as_array()
        .expect("ratings")
        .iter()
        .map(|r| r["model"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(ratings.first(), Some(&"local/fake-gen-a"));
    assert_eq!(ratings.last(), Some(&"local/fake-gen-c"));
    // Both orders: a judge names "A" between two documents of the same quality, so the two
    // orders of those trials disagree: per input 3 such pairs of 17 compared, × 2 trials.
    for c in report["rankings"]["position_consistency"]
        .as_array()
        .expect("consistency")
    {
        assert_eq!(
            (c["trials"].as_u64(), c["consistent"].as_u64()),
            (Some(102), Some(84)),
            "{c}"
        );
    }
    let best = report["rankings"]["best_documents"]
        .as_array()
        .expect("best");
    assert_eq!(best.len(), 3, "one per input");
    assert!(
        best.iter().all(|b| b["model"] == "local/fake-gen-a"),
        "quality 5 beats the combined 4 after combining: {best:?}"
    );
    let html = bench.data.outside("full.html");
    ok(assay_in(
        bench.data.path(),
        &[
            "report",
            run_id,
            "--out",
            html.to_str().expect("utf-8"),
            "--profile",
            "work",
        ],
    ));
    assert!(
        std::fs::read_to_string(&html)
            .expect("html")
            .contains("fake-gen-a")
    );
}

#[test]
fn a_budget_pauses_the_run_before_the_call_that_could_pass_it_and_resume_keeps_it() {
    let bench = Bench::new(Duration::ZERO);
    bench.preset("Full", json!({"generation_concurrency": 1}));
    // A generation call's worst case is its prompt (~1,000 tokens) plus 400 out.
    let out = bench.run(&["start", "Full", "--budget-tokens", "4000"]);
    assert_eq!(out.status.code(), Some(25), "{}", stderr(&out));
    let last = lines(&out).pop().expect("final line");
    assert_eq!(last["status"], "paused");
    let run_id = last["run_id"].as_str().expect("id").to_owned();
    let run = bench.show(&run_id);
    assert_eq!(run["status"], "paused");
    let tokens = run["total_tokens"].as_i64().expect("tokens");
    assert!(tokens <= 4000, "never past the budget: {tokens}");
    let calls = bench.counts.calls();
    assert!((1..18).contains(&calls), "it stopped early: {calls} calls");

    // Resuming keeps the budget: it pauses again, still within it (a call whose worst case
    // now fits may be made: calls in flight no longer hold their worst case).
    let out = bench.run(&["resume", &run_id]);
    assert_eq!(out.status.code(), Some(25), "{}", stderr(&out));
    let run = bench.show(&run_id);
    assert_eq!(run["status"], "paused");
    assert!(
        run["pause_reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("budget")),
        "{}",
        run["pause_reason"]
    );
    let tokens = run["total_tokens"].as_i64().expect("tokens");
    assert!(tokens <= 4000, "never past the budget: {tokens}");
    assert!(bench.counts.calls() < calls + 3, "it stopped again at once");
    // A higher budget lets it finish.
    let out = bench.run(&["resume", &run_id, "--budget-tokens", "100000000"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_full_results(&bench, &run_id);
}

#[test]
fn an_unpriced_model_needs_consent_or_a_token_budget_and_its_cost_stays_unknown() {
    let bench = Bench::new(Duration::ZERO);
    bench.preset(
        "Unpriced",
        json!({
            "models": [model("other-gen-a")],
            "iterations": 1,
            "evaluation_enabled": false,
            "pairwise_enabled": false,
            "combine_models": []
        }),
    );
    let out = bench.run(&["start", "Unpriced"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(error_code(&out), "PRICE_UNKNOWN");
    assert!(
        stderr(&out).contains("local/other-gen-a"),
        "{}",
        stderr(&out)
    );
    assert_eq!(bench.counts.calls(), 0);
    let listed = json(&bench.run(&["list"]));
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(1),
        "no run was made (only the seeded one is listed)"
    );

    let out = bench.run(&["start", "Unpriced", "--allow-unpriced"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run_id = lines(&out).pop().expect("final")["run_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let run = bench.show(&run_id);
    assert_eq!(run["unknown_cost_calls"], 3);
    assert_eq!(run["total_cost"], 0.0);
    assert!(run["documents"][0]["cost"].is_null(), "unknown, not zero");
}

#[test]
fn a_judge_that_answers_junk_gets_one_repair_then_its_tasks_fail_with_the_text_kept() {
    let bench = Bench::new(Duration::ZERO);
    bench.preset(
        "Junk",
        json!({
            "models": [model("fake-gen-a")],
            "judges": [{"provider": "local", "model": "fake-junk"}],
            "iterations": 1,
            "eval_iterations": 1,
            "pairwise_enabled": false,
            "combine_models": []
        }),
    );
    let out = bench.run(&["start", "Junk"]);
    assert_eq!(out.status.code(), Some(25), "{}", stderr(&out));
    let last = lines(&out).pop().expect("final");
    assert_eq!(last["status"], "completed_with_errors");
    assert_eq!(phase(&last["progress"], "score"), (3, 0, 3));
    assert_eq!(
        bench.counts.calls(),
        3 + 3 * 2,
        "each score: the answer and one repair"
    );
    let run_id = last["run_id"].as_str().expect("id").to_owned();
    let run = bench.show(&run_id);
    let failures = run["failures"].as_array().expect("failures");
    assert_eq!(failures.len(), 3);
    assert!(
        failures[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("I think the first one is better")),
        "the raw answer is shown: {}",
        failures[0]
    );
    assert_eq!(
        failures[0]["problems"][0]["code"], "NOT_JSON",
        "the problem comes first: {}",
        failures[0]
    );
    let attempts = failures[0]["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 2, "the answer and its repair: {attempts:?}");
    for a in attempts {
        assert_eq!(a["problems"][0]["code"], "NOT_JSON", "{a}");
        assert!(
            a["text"]
                .as_str()
                .is_some_and(|t| t.contains("I think the first one is better")),
            "{a}"
        );
    }
    assert_eq!(
        run["unscored"],
        json!({"documents": 3, "failed": 3, "skipped": 0, "not_reached": 0,
               "summary": "3 documents unscored (3 scoring failed); left out of means and rankings"}),
        "every document's scoring failed"
    );
    let text = assay_in(
        bench.data.path(),
        &["run", "show", &run_id, "--profile", "work"],
    );
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        !text.contains("mean score 0.00"),
        "no unscored document is a 0: {text}"
    );
    assert!(text.contains("— (unscored)"), "{text}");
    assert!(
        text.contains("3 documents unscored (3 scoring failed)"),
        "{text}"
    );
    assert!(
        text.contains("NOT_JSON: the answer holds no JSON object"),
        "{text}"
    );
    assert_eq!(
        run["unknown_cost_calls"], 0,
        "the junk was paid for, and counted"
    );
    let retried = run["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["status"] == "retried")
        .count();
    assert_eq!(
        retried, 3,
        "the unreadable first answers are on the timeline"
    );

    // retry-failed runs only the failed tasks: 3 more answers and 3 more repairs.
    let out = bench.run(&["retry-failed", &run_id]);
    assert_eq!(out.status.code(), Some(25), "{}", stderr(&out));
    assert_eq!(bench.counts.calls(), 9 + 6);
    let out = bench.run(&["resume", &run_id]);
    assert_eq!(out.status.code(), Some(26), "a finished run is not resumed");
    assert_eq!(error_code(&out), "RUN_STATE");
}

#[test]
fn an_endpoint_that_rate_limits_slows_the_run_but_loses_nothing() {
    let bench = Bench::new(Duration::ZERO);
    bench.preset(
        "Limited",
        json!({"pairwise_enabled": false, "combine_models": [], "max_retries": 6}),
    );
    bench
        .counts
        .rate_limit_next
        .store(4, std::sync::atomic::Ordering::SeqCst);
    let out = bench.run(&["start", "Limited"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let last = lines(&out).pop().expect("final");
    assert_eq!(phase(&last["progress"], "generate"), (18, 18, 0));
    assert_eq!(phase(&last["progress"], "score"), (72, 72, 0));
    assert_eq!(
        bench
            .counts
            .limited
            .load(std::sync::atomic::Ordering::SeqCst),
        4
    );
    assert_eq!(
        bench.counts.calls(),
        18 + 72 + 4,
        "each 429 retried once, nothing else"
    );
    let run = bench.show(last["run_id"].as_str().expect("id"));
    let retried = run["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["status"] == "retried")
        .count();
    assert_eq!(retried, 4, "the timeline shows each retried attempt");
}

#[test]
fn a_full_disk_stops_the_process_with_its_code_and_leaves_the_run_interrupted() {
    let bench = Bench::new(Duration::ZERO);
    bench.preset(
        "Disk",
        json!({"pairwise_enabled": false, "combine_models": []}),
    );
    let out = crate::assay()
        .env("ASSAY_FAIL_AT", "run-apply")
        .arg("--data-dir")
        .arg(bench.data.path())
        .args(["--json", "run", "start", "Disk", "--profile", "work"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(20), "{}", stderr(&out));
    assert_eq!(error_code(&out), "DISK_FULL");
    let runs = json(&bench.run(&["list"]));
    let run_id = runs[0]["id"].as_str().expect("the new run").to_owned();
    let run = bench.show(&run_id);
    assert_eq!(run["status"], "interrupted");
    assert!(
        run["error"].as_str().is_some_and(|e| e.contains("full")),
        "the reason is kept: {}",
        run["error"]
    );
    let out = bench.run(&["resume", &run_id]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        bench.show(&run_id)["error"],
        Value::Null,
        "a resumed run drops the old error"
    );
}

#[test]
fn a_document_cut_at_its_token_limit_is_kept_and_marked() {
    let bench = Bench::new(Duration::ZERO);
    bench.preset(
        "Long",
        json!({
            "models": [model("fake-gen-long")],
            "iterations": 1,
            "pairwise_enabled": false,
            "combine_models": []
        }),
    );
    let out = bench.run(&["start", "Long"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run_id = lines(&out).pop().expect("final")["run_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let run = bench.show(&run_id);
    let docs = run["documents"].as_array().expect("documents");
    assert_eq!(
        docs.len(),
        3,
        "a cut-off answer is a document, not a failure"
    );
    assert!(docs.iter().all(|d| d["truncated"] == true), "{docs:?}");
    assert_eq!(
        phase(&run["progress"], "score"),
        (12, 12, 0),
        "and it is scored (2 judges × 2 trials)"
    );
}

#[test]
fn an_endpoint_that_goes_down_pauses_the_run_and_it_resumes_when_it_is_back() {
    let bench = Bench::new(Duration::from_millis(20));
    bench.preset(
        "Down",
        json!({"pairwise_enabled": false, "combine_models": []}),
    );
    let child = crate::assay()
        .arg("--data-dir")
        .arg(bench.data.path())
        .args(["--json", "run", "start", "Down", "--profile", "work"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    while bench.counts.calls() < 10 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let Bench {
        data,
        counts,
        server,
        rt,
    } = bench;
    rt.block_on(async { drop(server) });
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(25), "{}", stderr(&out));
    let last = lines(&out).pop().expect("final");
    assert_eq!(last["status"], "paused");
    let before = counts.calls();

    // The endpoint comes back at another address; the run resumes there and finishes.
    let (server, counts) = fake_llm::start(&rt, Duration::ZERO);
    let base = format!("{}/v1", server.uri());
    ok(assay_in(
        data.path(),
        &[
            "provider",
            "set",
            "local",
            "--base-url",
            &base,
            "--profile",
            "work",
        ],
    ));
    let run_id = last["run_id"].as_str().expect("id");
    let show = json(&assay_in(
        data.path(),
        &["--json", "run", "show", run_id, "--profile", "work"],
    ));
    assert!(
        show["pause_reason"]
            .as_str()
            .is_some_and(|r| r.contains("local")),
        "the reason names the endpoint: {show}"
    );
    let out = assay_in(
        data.path(),
        &["--json", "run", "resume", run_id, "--profile", "work"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let last = lines(&out).pop().expect("final");
    assert_eq!(phase(&last["progress"], "generate"), (18, 18, 0));
    assert_eq!(phase(&last["progress"], "score"), (72, 72, 0));
    assert!(
        before + counts.calls() <= 90 + 10,
        "only calls in flight when it went down are made again ({before} + {})",
        counts.calls()
    );
}

#[test]
fn an_answer_journaled_before_a_crash_is_read_again_never_asked_again() {
    let bench = Bench::new(Duration::ZERO);
    bench.preset(
        "One at a time",
        json!({
            "pairwise_enabled": false,
            "combine_models": [],
            "generation_concurrency": 1,
            "eval_concurrency": 1
        }),
    );
    for point in ["after-journal", "after-apply"] {
        let out = crate::assay()
            .env("ASSAY_CRASH_AT", point)
            .arg("--data-dir")
            .arg(bench.data.path())
            .args([
                "--json",
                "run",
                "start",
                "One at a time",
                "--profile",
                "work",
            ])
            .output()
            .expect("run");
        assert!(!out.status.success(), "{point}: the process aborted");
        let calls = bench.counts.calls();
        let runs = json(&bench.run(&["list"]));
        let run_id = runs[0]["id"].as_str().expect("the new run").to_owned();
        assert_eq!(bench.show(&run_id)["status"], "interrupted", "{point}");
        let out = bench.run(&["resume", &run_id]);
        assert_eq!(out.status.code(), Some(0), "{point}: {}", stderr(&out));
        let last = lines(&out).pop().expect("final");
        assert_eq!(phase(&last["progress"], "generate"), (18, 18, 0));
        assert_eq!(phase(&last["progress"], "score"), (72, 72, 0));
        assert_eq!(
            bench.counts.calls() - calls,
            90 - 1,
            "{point}: the one answer in before the crash is not asked again"
        );
        bench
            .counts
            .calls
            .store(0, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn two_runs_compare_by_model_and_criterion_and_other_criteria_are_refused() {
    let bench = Bench::new(Duration::ZERO);
    let writer = |m: &str| {
        let mut w = model(m);
        w["label"] = json!("writer");
        json!({
            "models": [w],
            "pairwise_enabled": false,
            "combine_models": []
        })
    };
    bench.preset("Writer B", writer("fake-gen-b"));
    bench.preset("Writer A", writer("fake-gen-a"));
    let id = |preset: &str| {
        let out = bench.run(&["start", preset]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        lines(&out).pop().expect("final")["run_id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let (before, after) = (id("Writer B"), id("Writer A"));
    let html = bench.data.outside("compare.html");
    let out = ok(bench.run(&[
        "compare",
        &before,
        &after,
        "--out",
        html.to_str().expect("utf-8"),
    ]));
    let c = json(&out);
    assert_eq!(
        (c["run_a"].as_str(), c["run_b"].as_str()),
        (Some(before.as_str()), Some(after.as_str()))
    );
    let rows = c["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 4, "one model × 4 criteria");
    for r in rows {
        assert_eq!(r["model"], "writer");
        assert_eq!(
            (r["mean_a"].as_f64(), r["mean_b"].as_f64()),
            (Some(3.0), Some(5.0)),
            "{r}"
        );
        assert_eq!(
            (
                r["delta"].as_f64(),
                r["ci_low"].as_f64(),
                r["ci_high"].as_f64()
            ),
            (Some(2.0), Some(2.0), Some(2.0))
        );
    }
    assert_eq!(
        c["ranking"],
        json!([{"model": "writer", "rank_a": 1, "rank_b": 1}])
    );
    let page = std::fs::read_to_string(&html).expect("html");
    assert!(page.contains("Mean score by model and criterion") && !page.contains("<script"));

    // A run judged on other criteria cannot be compared: exit 2 naming the difference.
    let file = bench.data.outside("tone.md");
    std::fs::write(&file, "- **Tone**: how it sounds\n").expect("write");
    ok(assay_in(
        bench.data.path(),
        &[
            "content",
            "add",
            "--kind",
            "eval_criteria",
            "--name",
            "Tone only",
            "--file",
            file.to_str().expect("utf-8"),
            "--profile",
            "work",
        ],
    ));
    let mut tone = full_preset("Tone");
    tone["roles"]["eval_criteria"] = json!("Tone only");
    tone["config"]["pairwise_enabled"] = json!(false);
    tone["config"]["combine_models"] = json!([]);
    tone["config"]["models"] = json!([model("fake-gen-a")]);
    let path = bench.data.outside("tone.json");
    std::fs::write(&path, tone.to_string()).expect("write preset");
    ok(assay_in(
        bench.data.path(),
        &[
            "preset",
            "save",
            "--file",
            path.to_str().expect("utf-8"),
            "--profile",
            "work",
        ],
    ));
    let other = id("Tone");
    let out = bench.run(&["compare", &before, &other]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.contains("only run A has") && message.contains("only run B has Tone"),
        "{message}"
    );
}

#[test]
fn a_preset_whose_cloud_endpoints_have_no_key_makes_no_run() {
    let data = DataDir::new();
    data.create("Work");
    let out = assay_in(
        data.path(),
        &[
            "--json",
            "run",
            "start",
            "Decision briefings",
            "--allow-unpriced",
            "--profile",
            "work",
        ],
    );
    assert_eq!(out.status.code(), Some(21), "{}", stderr(&out));
    assert_eq!(error_code(&out), "PROVIDER_AUTH");
    assert!(
        stderr(&out).contains("anthropic, google, openai"),
        "{}",
        stderr(&out)
    );
    let runs = json(&assay_in(
        data.path(),
        &["--json", "run", "list", "--profile", "work"],
    ));
    assert_eq!(
        runs.as_array().map(Vec::len),
        Some(1),
        "only the seeded run"
    );
}
