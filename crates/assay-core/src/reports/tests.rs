//! Reports of the seeded run: rendered offline and with the numbers core computes.

use super::*;
use crate::library::Library;

fn seeded_run() -> (crate::test_support::TestProfile, RunDetail) {
    let profile = crate::test_support::seeded_profile("r");
    let library = Library::of(&profile.open).expect("ready");
    let id = library.runs(1, None).expect("runs")[0].id.clone();
    let run = library.run(&id).expect("run");
    (profile, run)
}

#[test]
fn the_seeded_run_ranks_as_hand_computed() {
    let (_dir, run) = seeded_run();
    let r = rankings::rank(&run);
    let mean = |m: &str| {
        r.by_model
            .iter()
            .find(|s| s.model == m)
            .expect(m)
            .stats
            .mean
    };
    // haiku: 37 + 34 = 71 over 16 scores; mini: 23 + 35 = 58 over 16.
    assert!((mean("anthropic/claude-3-5-haiku") - 71.0 / 16.0).abs() < 1e-12);
    assert!((mean("openai/gpt-4o-mini") - 58.0 / 16.0).abs() < 1e-12);
    assert_eq!(
        r.win_matrix.models,
        vec![
            "anthropic/claude-3-5-haiku".to_owned(),
            "openai/gpt-4o-mini".to_owned()
        ]
    );
    assert_eq!(
        r.win_matrix.wins,
        vec![vec![0, 3], vec![1, 0]],
        "haiku won 3 of 4 comparisons"
    );
    assert_eq!(
        r.ratings[0].model, "anthropic/claude-3-5-haiku",
        "best Elo first"
    );
}

#[test]
fn the_html_report_is_self_contained_and_shows_every_section() {
    let (_dir, run) = seeded_run();
    let html = String::from_utf8(render(&run, ReportFormat::Html).expect("render")).expect("utf-8");
    for needle in [
        "<svg",
        "Rankings",
        "Scores",
        "Pairwise",
        "Elo",
        "Bradley–Terry",
        "Cost and time",
        "Timeline",
        "Documents",
        "Harbour House",
    ] {
        assert!(html.contains(needle), "the report has {needle:?}");
    }
    for forbidden in ["<script", "https://", "@import", "url(", "<link", "<iframe"] {
        assert!(
            !html.contains(forbidden),
            "the report must not contain {forbidden:?}"
        );
    }
    // The only http:// is the SVG namespace identifier, which is never fetched.
    assert_eq!(
        html.matches("http://").count(),
        html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
    );
    assert!(html.contains("4.44"), "haiku's mean score 4.4375 is shown");
    assert!(
        html.contains("<td class=\"num\">3.63</td>") && !html.contains(">3.62<"),
        "mini's mean score 3.625 rounds half away from zero, as in the app and the CLI"
    );
    let again = render(&run, ReportFormat::Html).expect("render");
    assert_eq!(again, html.as_bytes(), "rendering is deterministic");
}

#[test]
fn the_html_report_carries_the_apps_drill_down_views() {
    let (_dir, run) = seeded_run();
    let html = String::from_utf8(render(&run, ReportFormat::Html).expect("render")).expect("utf-8");
    // Every score with its judge's reason, under its document, closed until opened.
    let first = &run.scores[0];
    assert!(!first.reason.is_empty(), "the seeded scores have reasons");
    assert!(
        html.contains(&esc(&first.reason)),
        "a judge's reason is in the report"
    );
    assert_eq!(
        html.matches("scores with the judges' reasons</summary>")
            .count(),
        run.documents.len(),
        "each scored document opens onto its scores"
    );
    // Every verdict's reason, grouped by pair.
    let verdict = &run.pairwise[0];
    assert!(
        html.contains(&esc(&verdict.reason)),
        "a verdict's reason is in the report"
    );
    assert!(html.contains("Verdicts with reasons"));
    // Each document's record and the win matrix explained.
    assert!(
        html.contains("mean score 4.25 · won 1, lost 1, tied 0"),
        "{}",
        &html[html.find("<h2>Documents").unwrap_or(0)..][..400]
    );
    assert!(html.contains(" · won ") && html.contains("The row's losses are the column's wins"));
    // The best document says which ranking chose it; the timeline has lanes per endpoint.
    assert!(html.contains("<th>decided by</th>"));
    for endpoint in ["openai (", "anthropic (", "google ("] {
        assert!(html.contains(endpoint), "a timeline lane for {endpoint}");
    }
}

#[test]
fn json_and_csv_exports_carry_the_same_data() {
    let (_dir, run) = seeded_run();
    let json: serde_json::Value =
        serde_json::from_slice(&render(&run, ReportFormat::Json).expect("json")).expect("parses");
    assert_eq!(json["run"]["scores"].as_array().map(Vec::len), Some(32));
    assert_eq!(
        json["rankings"]["ratings"].as_array().map(Vec::len),
        Some(2)
    );
    let csv = String::from_utf8(render(&run, ReportFormat::Csv).expect("csv")).expect("utf-8");
    assert_eq!(csv.lines().filter(|l| l.starts_with("score,")).count(), 32);
    assert_eq!(
        csv.lines().filter(|l| l.starts_with("pairwise,")).count(),
        4
    );
}

#[test]
fn raw_html_in_a_document_is_escaped() {
    let (_dir, mut run) = seeded_run();
    run.documents[0].body = "Hello <script>alert(1)</script> **bold**".into();
    let html = String::from_utf8(render(&run, ReportFormat::Html).expect("render")).expect("utf-8");
    assert!(!html.contains("<script>"), "raw HTML must be escaped");
    assert!(
        html.contains("<strong>bold</strong>"),
        "markdown still renders"
    );
}

#[test]
fn the_suggested_file_name_is_the_title_in_safe_words() {
    let (_dir, mut run) = seeded_run();
    run.summary.title = "Q3 briefing: ../../etc/passwd <draft> — v2".into();
    assert_eq!(
        file_name(&run, ReportFormat::Html),
        "q3-briefing-etc-passwd-draft-v2.html"
    );
    run.summary.title = "///".into();
    assert_eq!(file_name(&run, ReportFormat::Csv), "report.csv");
    run.summary.title = "word ".repeat(40);
    let long = file_name(&run, ReportFormat::Json);
    assert!(long.len() <= 65 && long.ends_with("word.json"), "{long}");
}

#[test]
fn write_file_writes_exactly_the_rendered_bytes() {
    let (dir, run) = seeded_run();
    let path = dir.dir.path().join("saved.json");
    std::fs::write(&path, b"old contents").expect("seed file");
    let written = write_file(&run, ReportFormat::Json, &path).expect("write");
    let on_disk = std::fs::read(&path).expect("read");
    assert_eq!(on_disk.len(), written);
    assert_eq!(on_disk, render(&run, ReportFormat::Json).expect("render"));
}

#[test]
fn an_unknown_cost_reads_back_as_unknown_and_the_report_never_shows_it_as_zero() {
    let profile = crate::test_support::seeded_profile("u");
    let library = Library::of(&profile.open).expect("ready");
    let id = library.runs(1, None).expect("runs")[0].id.clone();
    let before = library.run(&id).expect("run");
    assert!(
        before.documents.iter().all(|d| d.cost.is_some()),
        "the seeded costs are known and survived migration 0017"
    );
    // One call of unknown price: its document and event cost NULL, the run counts it.
    profile
        .open
        .db()
        .write(|tx| {
            tx.execute(
                "UPDATE documents SET cost = NULL WHERE id = ?1",
                [&before.documents[0].id],
            )?;
            tx.execute(
                "UPDATE run_events SET cost = NULL WHERE id IN (SELECT id FROM run_events LIMIT 1)",
                [],
            )?;
            tx.execute(
                "UPDATE runs SET unknown_cost_calls = 1 WHERE id = ?1",
                [&id],
            )?;
            Ok(())
        })
        .expect("write");
    let run = library.run(&id).expect("run");
    assert_eq!(run.documents[0].cost, None);
    assert_eq!(run.summary.unknown_cost_calls, 1);
    assert!(run.events.iter().any(|e| e.cost.is_none()));
    let html = String::from_utf8(render(&run, ReportFormat::Html).expect("render")).expect("utf-8");
    assert!(
        html.contains("+ unknown (1 call)"),
        "the total says part is unknown"
    );
    assert!(
        html.contains(" · unknown</header>"),
        "the document's cost is unknown"
    );
}
