//! Crash safety: `assay profile create` and `delete` are killed at fixed and random points;
//! after each kill, the next start's sweep must leave every profile complete and verifiable
//! or fully gone, with no stray directories, rows or keyring entries.
//!
//! `make test` runs 200 random kill points (ASSAY_CRASH_ITERATIONS overrides; `make soak`
//! runs thousands). The seed is printed so a failure can be replayed with ASSAY_CRASH_SEED.

use std::collections::BTreeSet;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use assay_core::secrets::SecretStore;

use crate::{DataDir, assay, assay_in, json, stderr};

/// Every named step of create and delete where a crash is injected deterministically.
const CREATE_POINTS: [&str; 4] = ["after-row", "after-lock", "after-key", "after-db"];
const DELETE_POINTS: [&str; 3] = [
    "after-mark-deleting",
    "after-keys-removed",
    "after-dir-removed",
];

fn spawn(data: &DataDir, args: &[&str], crash_at: Option<&str>) -> Child {
    let mut cmd = assay();
    cmd.arg("--data-dir")
        .arg(data.path())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(point) = crash_at {
        cmd.env("ASSAY_CRASH_AT", point);
    }
    cmd.spawn().expect("spawn assay")
}

/// The last lines of the data dir's log, for failure messages.
fn log_tail(data: &DataDir) -> String {
    let log = std::fs::read_to_string(data.path().join("logs/assay.log")).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// After a crash: run a command (which sweeps) and check every invariant. Returns the ids of
/// the active profiles.
fn check_invariants(data: &DataDir, context: &str) -> BTreeSet<String> {
    let out = assay_in(data.path(), &["--json", "profile", "list"]);
    assert!(
        out.status.success(),
        "{context}: list failed: {}",
        stderr(&out)
    );
    let listed = json(&out);
    let active: BTreeSet<String> = listed
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|p| p["id"].as_str().map(str::to_owned))
        .collect();

    let registry = rusqlite::Connection::open(data.path().join("registry.db")).expect("registry");
    let states: Vec<String> = registry
        .prepare("SELECT state FROM profiles")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("states");
    assert!(
        states.iter().all(|s| s == "active"),
        "{context}: half-made rows remain: {states:?}; the log ends:\n{}",
        log_tail(data)
    );

    let dirs: BTreeSet<String> = match std::fs::read_dir(data.path().join("profiles")) {
        Ok(entries) => entries
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => BTreeSet::new(),
    };
    assert_eq!(
        dirs, active,
        "{context}: directories and active rows disagree"
    );
    assert!(
        !data.path().join("orphans").exists(),
        "{context}: a crash produced an orphan dir"
    );

    let expected_entries: BTreeSet<String> = active
        .iter()
        .map(|id| format!("profile/{id}/db-key"))
        .collect();
    let entries: BTreeSet<String> = data
        .keyring()
        .list()
        .expect("keyring")
        .into_iter()
        .collect();
    assert_eq!(
        entries, expected_entries,
        "{context}: keyring entries and profiles disagree"
    );
    active
}

fn verify(data: &DataDir, id: &str, context: &str) {
    let out = assay_in(data.path(), &["--json", "profile", "verify", id]);
    assert!(
        out.status.success(),
        "{context}: profile {id} does not verify: {}",
        stderr(&out)
    );
}

#[test]
fn a_crash_at_every_named_step_of_create_or_delete_leaves_no_half_profile() {
    let data = DataDir::new();
    for point in CREATE_POINTS {
        let status = spawn(&data, &["profile", "create", point], Some(point))
            .wait()
            .expect("wait");
        assert!(!status.success(), "the crash point {point} was reached");
        let active = check_invariants(&data, point);
        assert!(
            active.is_empty(),
            "{point}: an interrupted create must be undone"
        );
    }
    for point in DELETE_POINTS {
        let id = data.create(point);
        let status = spawn(&data, &["profile", "delete", &id, "--yes"], Some(point))
            .wait()
            .expect("wait");
        assert!(!status.success(), "the crash point {point} was reached");
        let active = check_invariants(&data, point);
        assert!(
            !active.contains(&id),
            "{point}: an interrupted delete must be finished"
        );
    }
}

/// A small deterministic generator, so failures can be replayed from the printed seed.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// Where in a command a kill lands: a random point in `[0, window]`. The window starts at 1.5x
/// one uninterrupted run and then adapts, shrinking when a command finished before the kill and
/// growing when it did not, so kills keep landing inside commands even when the machine's speed
/// changes under load (about two in three do at equilibrium).
struct KillWindow {
    micros: u64,
}

impl KillWindow {
    fn calibrated(uninterrupted: Duration) -> Self {
        Self {
            micros: (uninterrupted.as_micros() as u64 * 3 / 2).max(1_000),
        }
    }

    fn pick(&self, rng: &mut XorShift) -> Duration {
        Duration::from_micros(rng.below(self.micros))
    }

    fn record(&mut self, interrupted: bool) {
        self.micros = if interrupted {
            self.micros + self.micros / 20
        } else {
            (self.micros - self.micros / 10).max(1_000)
        };
    }
}

#[test]
fn random_sigkills_during_create_and_delete_never_leave_a_half_profile() {
    let iterations: usize = std::env::var("ASSAY_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let seed = std::env::var("ASSAY_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    println!("crash harness: {iterations} kill points, ASSAY_CRASH_SEED={seed}");
    let mut rng = XorShift(seed);
    let data = DataDir::new();

    let started = Instant::now();
    let calibration = data.create("calibration");
    let mut window = KillWindow::calibrated(started.elapsed());
    let mut active = check_invariants(&data, "calibration");
    assert!(active.contains(&calibration));

    let (mut completed, mut interrupted) = (0, 0);
    for i in 0..iterations {
        let deleting = i % 2 == 1 && !active.is_empty();
        let (args, target): (Vec<String>, Option<String>) = if deleting {
            let pick = active
                .iter()
                .nth(rng.below(active.len() as u64) as usize)
                .cloned();
            let id = pick.expect("non-empty");
            (
                vec![
                    "profile".into(),
                    "delete".into(),
                    id.clone(),
                    "--yes".into(),
                ],
                Some(id),
            )
        } else {
            (
                vec!["profile".into(), "create".into(), format!("p{i}")],
                None,
            )
        };
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = spawn(&data, &argv, None);
        std::thread::sleep(window.pick(&mut rng));
        let _ = child.kill();
        let status = child.wait().expect("wait");
        window.record(!status.success());
        if status.success() {
            completed += 1
        } else {
            interrupted += 1
        }

        let context = format!("iteration {i} ({}), seed {seed}", argv.join(" "));
        let before = active.clone();
        active = check_invariants(&data, &context);
        for new in active.difference(&before) {
            verify(&data, new, &context);
        }
        if let Some(id) = target
            && active.contains(&id)
        {
            verify(&data, &id, &context);
        }
    }
    println!("crash harness: {completed} commands completed, {interrupted} were killed");
    assert!(
        interrupted >= iterations / 4,
        "most kill points should interrupt a command ({interrupted} of {iterations})"
    );
    for id in &active {
        verify(&data, id, "final");
    }
}

#[test]
fn random_sigkills_during_first_open_seeding_never_leave_a_partial_seed() {
    let iterations: usize = std::env::var("ASSAY_SEED_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    println!("seed crash harness: {iterations} kill points, seed {seed}");
    let mut rng = XorShift(seed);
    let data = DataDir::new();
    // Calibrate on one uninterrupted first open.
    data.create("calibration");
    let started = Instant::now();
    let out = assay_in(data.path(), &["--json", "profile", "status", "calibration"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut window = KillWindow::calibrated(started.elapsed());
    let expected = json(&assay_in(
        data.path(),
        &["--json", "content", "list", "--profile", "calibration"],
    ));

    let mut interrupted = 0;
    for i in 0..iterations {
        let name = format!("s{i}");
        data.create(&name);
        let mut child = spawn(&data, &["profile", "status", &name], None);
        std::thread::sleep(window.pick(&mut rng));
        let _ = child.kill();
        let killed = !child.wait().expect("wait").success();
        window.record(killed);
        if killed {
            interrupted += 1;
        }
        let listed = json(&assay_in(
            data.path(),
            &["--json", "content", "list", "--profile", &name],
        ));
        let names = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .expect("array")
                .iter()
                .filter_map(|c| c["name"].as_str().map(str::to_owned))
                .collect()
        };
        assert_eq!(
            names(&listed),
            names(&expected),
            "iteration {i}, seed {seed}: the library is exactly the package"
        );
        let runs = json(&assay_in(
            data.path(),
            &["--json", "run", "list", "--profile", &name],
        ));
        assert_eq!(
            runs.as_array().map(Vec::len),
            Some(1),
            "iteration {i}, seed {seed}: exactly one seeded run"
        );
        assay_in(data.path(), &["profile", "delete", &name, "--yes"]);
    }
    println!("seed crash harness: {interrupted} of {iterations} first opens were killed");
    assert!(
        interrupted >= iterations / 4,
        "most kill points should interrupt ({interrupted} of {iterations})"
    );
}

/// Named points inside an import, after create's own (`after-row` … `after-key`).
const IMPORT_POINTS: [&str; 5] = [
    "after-row",
    "after-lock",
    "after-key",
    "import-after-copy",
    "import-after-rekey",
];

fn spawn_import(
    data: &DataDir,
    bundle: &std::path::Path,
    name: &str,
    crash_at: Option<&str>,
) -> Child {
    let mut cmd = assay();
    cmd.arg("--data-dir")
        .arg(data.path())
        .args(["profile", "import"])
        .arg(bundle)
        .args(["--name", name, "--passphrase-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(point) = crash_at {
        cmd.env("ASSAY_CRASH_AT", point);
    }
    let mut child = cmd.spawn().expect("spawn assay");
    use std::io::Write;
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"crash test bundle passphrase\n");
    child
}

fn exported_bundle(data: &DataDir) -> std::path::PathBuf {
    data.create("Source");
    let bundle = data.outside("source.bundle");
    let out = crate::assay_with_stdin(
        data.path(),
        &[
            "profile",
            "export",
            "source",
            "--out",
            bundle.to_str().expect("utf-8"),
            "--passphrase-stdin",
        ],
        "crash test bundle passphrase\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    bundle
}

#[test]
fn an_import_killed_at_any_point_leaves_nothing_behind() {
    let data = DataDir::new();
    let bundle = exported_bundle(&data);
    let source: BTreeSet<String> = check_invariants(&data, "before");

    for point in IMPORT_POINTS {
        let status = spawn_import(&data, &bundle, point, Some(point))
            .wait()
            .expect("wait");
        assert!(!status.success(), "the crash point {point} was reached");
        let active = check_invariants(&data, point);
        assert_eq!(
            active, source,
            "{point}: an interrupted import must be undone"
        );
    }

    let iterations: usize = std::env::var("ASSAY_IMPORT_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    println!("import crash harness: {iterations} kill points, seed {seed}");
    let mut rng = XorShift(seed);
    let started = Instant::now();
    let status = spawn_import(&data, &bundle, "calibration", None)
        .wait()
        .expect("wait");
    assert!(status.success(), "an uninterrupted import works");
    let mut window = KillWindow::calibrated(started.elapsed());
    let mut interrupted = 0;
    for i in 0..iterations {
        let name = format!("i{i}");
        let mut child = spawn_import(&data, &bundle, &name, None);
        std::thread::sleep(window.pick(&mut rng));
        let _ = child.kill();
        let killed = !child.wait().expect("wait").success();
        window.record(killed);
        interrupted += usize::from(killed);
        let context = format!("import {i}, seed {seed}");
        let before = check_invariants(&data, &context);
        for id in before.difference(&source) {
            verify(&data, id, &context);
        }
        for id in before.difference(&source) {
            assay_in(data.path(), &["profile", "delete", id, "--yes"]);
        }
    }
    println!("import crash harness: {interrupted} of {iterations} imports were killed");
    assert!(
        interrupted >= iterations / 4,
        "kills should land inside imports ({interrupted})"
    );
}
