//! Reaching a run from a second process: pause, resume, cancel, watch and `--detach`
//! through the profile's control socket, and the run left `interrupted` when its process is
//! killed, resumed to completion without paying twice (SIGKILL at random moments).

#![allow(
    clippy::print_stderr,
    reason = "the kill test reports its seed and figures"
)]

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::runs::{Bench, FULL, assert_full_results, lines, phase};
use crate::{assay, error_code, json, stderr};

/// `assay --json run ARGS… --profile work` as a child with its stdout piped.
pub(crate) fn spawn(bench: &Bench, args: &[&str]) -> Child {
    assay()
        .arg("--data-dir")
        .arg(bench.data.path())
        .args(["--json", "run"])
        .args(args)
        .args(["--profile", "work"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn assay")
}

/// Reads progress lines until one satisfies `want`; returns it.
pub(crate) fn until(out: &mut BufReader<ChildStdout>, want: impl Fn(&Value) -> bool) -> Value {
    let mut line = String::new();
    loop {
        line.clear();
        let n = out.read_line(&mut line).expect("read");
        assert!(n > 0, "the run ended before the line looked for");
        let value: Value = serde_json::from_str(&line).expect("a JSON line");
        if want(&value) {
            return value;
        }
    }
}

pub(crate) fn done(v: &Value) -> i64 {
    ["generate", "score", "compare", "combine"]
        .iter()
        .map(|k| phase(&v["progress"], k).1)
        .sum()
}

#[test]
fn pause_and_cancel_from_another_process_and_resume_continues() {
    let bench = Bench::new(Duration::from_millis(15));
    bench.preset("Full", json!({}));
    let mut child = spawn(&bench, &["start", "Full"]);
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let seen = until(&mut out, |v| done(v) >= 5);
    let run_id = seen["run_id"].as_str().expect("id").to_owned();

    // While it works, the profile is held: pause goes through the control socket.
    let paused = bench.run(&["pause", &run_id]);
    assert_eq!(paused.status.code(), Some(0), "{}", stderr(&paused));
    let last = until(&mut out, |v| v.get("event").is_none());
    assert_eq!(last["status"], "paused");
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(25), "paused is not completed");
    let calls_at_pause = bench.counts.calls();
    let run = bench.show(&run_id);
    assert_eq!(run["status"], "paused");
    assert_eq!(run["pause_reason"], "paused by request");
    // Pausing a paused run leaves it paused.
    assert_eq!(bench.run(&["pause", &run_id]).status.code(), Some(0));

    // Watching a run nobody executes reports its state.
    let watched = bench.run(&["watch", &run_id]);
    assert_eq!(watched.status.code(), Some(25));
    assert_eq!(lines(&watched).pop().expect("final")["status"], "paused");

    let resumed = bench.run(&["resume", &run_id]);
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
    assert_full_results(&bench, &run_id);
    let (g, s, c, k) = FULL;
    assert_eq!(
        bench.counts.calls(),
        (g + s + c + k) as u64,
        "pausing lost no call and repeated none (paused at {calls_at_pause})"
    );
    let again = bench.run(&["pause", &run_id]);
    assert_eq!(
        again.status.code(),
        Some(26),
        "a completed run is not paused"
    );
    assert_eq!(error_code(&again), "RUN_STATE");

    // Cancel: in-flight calls aborted, results so far kept, the rest cancelled.
    let mut child = spawn(&bench, &["start", "Full"]);
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let seen = until(&mut out, |v| done(v) >= 3);
    let run_id = seen["run_id"].as_str().expect("id").to_owned();
    let cancelled = bench.run(&["cancel", &run_id]);
    assert_eq!(cancelled.status.code(), Some(0), "{}", stderr(&cancelled));
    let last = until(&mut out, |v| v.get("event").is_none());
    assert_eq!(last["status"], "cancelled");
    assert_eq!(child.wait().expect("wait").code(), Some(25));
    let run = bench.show(&run_id);
    assert_eq!(run["status"], "cancelled");
    assert!(
        !run["documents"].as_array().expect("docs").is_empty(),
        "results kept"
    );
    let resumed = bench.run(&["resume", &run_id]);
    assert_eq!(
        resumed.status.code(),
        Some(26),
        "a cancelled run is not resumed"
    );
}

#[test]
fn a_detached_run_is_watched_from_another_process_to_the_end() {
    let bench = Bench::new(Duration::from_millis(2));
    bench.preset("Full", json!({}));
    let out = assay()
        .arg("--data-dir")
        .arg(bench.data.path())
        .args(["run", "start", "Full", "--detach", "--profile", "work"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run_id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(run_id.len(), 36, "the run id at once: {run_id:?}");
    let watched = bench.run(&["watch", &run_id]);
    assert_eq!(watched.status.code(), Some(0), "{}", stderr(&watched));
    let lines = lines(&watched);
    assert!(lines.len() > 1, "updates, then the final line");
    assert_eq!(lines.last().expect("final")["status"], "completed");
    // The detached process lets go of the profile when it ends.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = bench.run(&["show", &run_id]);
        if out.status.success() {
            assert_eq!(json(&out)["status"], "completed");
            break;
        }
        assert!(Instant::now() < deadline, "{}", stderr(&out));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_full_results(&bench, &run_id);
}

/// A small xorshift, seeded from the clock (printed, so a failure can be replayed with
/// `ASSAY_KILL_SEED`).
struct Rng(u64);

impl Rng {
    fn new() -> Self {
        let seed = std::env::var("ASSAY_KILL_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64 | 1)
            });
        eprintln!("kill seed: {seed}");
        Self(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// Starts the full run and SIGKILLs its process at random moments (resuming it after each),
/// until it completes; then checks it: every count exact, usage counted once, and the calls
/// the server saw exceed an uninterrupted run's by at most the calls in flight at each kill
/// (the preset allows 4 generation and 6 judge calls at once). Runs again until `kills`
/// kills have been made in all.
fn kill_and_resume(kills: u32) {
    let bench = Bench::new(Duration::from_millis(10));
    bench.preset("Full", json!({}));
    let mut rng = Rng::new();
    let mut total = 0;
    let mut runs = 0;
    while total < kills {
        let before = bench.counts.calls();
        let killed = kill_one_run(&bench, &mut rng, kills - total);
        check_killed_run(&bench, &killed.0, killed.1, before);
        total += killed.1;
        runs += 1;
    }
    eprintln!("{total} kills over {runs} run(s), each resumed to exact results");
}

/// Kills one run's process at most `kills` times; returns the run and the kills made. A run
/// that completes before a kill lands ends the loop.
fn kill_one_run(bench: &Bench, rng: &mut Rng, kills: u32) -> (String, u32) {
    let mut run_id: Option<String> = None;
    let mut killed = 0;
    while killed < kills {
        let mut child = match &run_id {
            None => spawn(bench, &["start", "Full"]),
            Some(id) => spawn(bench, &["resume", id]),
        };
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        // The first line names the run (and shows the profile is open and the run going).
        let mut line = String::new();
        if out.read_line(&mut line).expect("read") == 0 {
            let end = child.wait_with_output().expect("wait");
            if error_code(&end) == "RUN_STATE" {
                break; // the last kill landed after the run had completed
            }
            panic!("the run's process ended without a line: {}", stderr(&end));
        }
        let first: Value = serde_json::from_str(&line).expect("a JSON line");
        run_id = first["run_id"].as_str().map(str::to_owned);
        if first.get("event").is_none() {
            child.wait().expect("wait");
            break; // it finished before a kill: nothing left to interrupt
        }
        std::thread::sleep(Duration::from_millis(rng.below(400)));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        killed += 1;
    }
    (run_id.expect("a run"), killed)
}

/// Resumes a killed run to the end and checks it; `before` is the server's count of calls
/// when the run started.
fn check_killed_run(bench: &Bench, run_id: &str, killed: u32, before: u64) {
    let status = bench.show(run_id)["status"].clone();
    assert!(
        status == "interrupted" || status == "completed",
        "a killed run is interrupted when its profile is opened: {status}"
    );
    if status == "interrupted" {
        let out = bench.run(&["resume", run_id]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    assert_full_results(bench, run_id);
    // Usage is counted once per answer applied, however often the run was resumed.
    let run = bench.show(run_id);
    let events: i64 = run["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["tokens_in"].as_i64().unwrap_or(0) + e["tokens_out"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(
        run["total_tokens"].as_i64(),
        Some(events),
        "no usage counted twice"
    );
    let (g, s, c, k) = FULL;
    let uninterrupted = (g + s + c + k) as u64;
    let calls = bench.counts.calls() - before;
    // The promise (README, docs/cli.md, `run resume --help`): an answer received is never
    // requested again; the calls in flight at a kill are made again, at most the run's
    // concurrency (generation + judging) per kill.
    let preset = crate::runs::full_preset("Full");
    let concurrency = preset["config"]["generation_concurrency"]
        .as_u64()
        .expect("generation")
        + preset["config"]["eval_concurrency"]
            .as_u64()
            .expect("judging");
    eprintln!("{killed} kills: {calls} calls (uninterrupted: {uninterrupted})");
    assert!(
        calls <= uninterrupted + u64::from(killed) * concurrency,
        "{calls} calls after {killed} kills; at most {concurrency} were in flight at each"
    );
}

#[test]
fn killed_runs_resume_to_the_exact_results_without_paying_twice() {
    let kills = std::env::var("ASSAY_RUN_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    kill_and_resume(kills);
}
