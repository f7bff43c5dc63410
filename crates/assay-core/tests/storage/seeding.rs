//! Seeding: fresh ids, a complete rewrite of references, idempotence, the gate, cascades.

use assay_core::library::Library;
use std::collections::BTreeSet;

use assay_core::ErrorCode;
use assay_core::library::ContentFilter;
use assay_core::profile::{KeyProtection, OpenProfile};
use assay_core::seed::{SeedPackage, SetupStatus};

use crate::Env;

fn open_new(env: &Env, name: &str) -> OpenProfile {
    env.profiles
        .create(name, KeyProtection::Keyring)
        .expect("create");
    env.profiles.open_profile(name, None).expect("open")
}

/// Every (table, column, value) of every TEXT column in the profile.
fn all_text(open: &OpenProfile) -> Vec<(String, String, String)> {
    open.db()
        .read(|conn| {
            let tables: Vec<String> = conn
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut out = Vec::new();
            for table in tables {
                let columns: Vec<String> = conn
                    .prepare(&format!("SELECT name FROM pragma_table_info('{table}') WHERE type = 'TEXT'"))?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                for column in columns {
                    let mut stmt = conn.prepare(&format!("SELECT {column} FROM {table} WHERE {column} IS NOT NULL"))?;
                    for value in stmt.query_map([], |r| r.get::<_, String>(0))? {
                        out.push((table.clone(), column.clone(), value?));
                    }
                }
            }
            Ok(out)
        })
        .expect("read all text")
}

fn ids_of(open: &OpenProfile) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for (_, column, value) in all_text(open) {
        if column == "id" {
            ids.insert(value);
        }
    }
    ids
}

fn strings_in(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| strings_in(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| strings_in(v, out)),
        _ => {}
    }
}

#[test]
fn a_new_profile_opens_ready_with_the_whole_package() {
    let env = Env::new();
    let mut phases = Vec::new();
    env.profiles
        .create("Fresh", KeyProtection::Keyring)
        .expect("create");
    let open = env
        .profiles
        .open_profile_with_progress("fresh", None, &mut |s| phases.push(s.label()))
        .expect("open");
    assert_eq!(phases.first(), Some(&"opening"));
    assert!(
        phases.contains(&"migrating") && phases.contains(&"seeding"),
        "{phases:?}"
    );
    assert_eq!(phases.last(), Some(&"ready"));

    let package = SeedPackage::embedded().expect("package");
    let library = Library::of(&open).expect("ready");
    assert_eq!(
        library
            .contents(&ContentFilter::default())
            .expect("contents")
            .len(),
        package.contents.len()
    );
    assert_eq!(
        library.presets().expect("presets").len(),
        package.presets.len()
    );
    let runs = library.runs(50, None).expect("runs");
    assert_eq!(runs.len(), 1);
    let run = library.run(&runs[0].id).expect("run");
    assert_eq!(run.documents.len(), 4);
    assert_eq!(run.scores.len(), 32);
    assert_eq!(run.pairwise.len(), 4);
    assert_eq!(run.events.len(), 16);
}

#[test]
fn two_profiles_seeded_from_the_same_package_share_no_ids() {
    let env = Env::new();
    let a = ids_of(&open_new(&env, "A"));
    let b = ids_of(&open_new(&env, "B"));
    assert!(a.len() > 50, "many seeded rows have ids ({})", a.len());
    let shared: Vec<_> = a.intersection(&b).collect();
    assert!(shared.is_empty(), "ids shared between profiles: {shared:?}");
}

#[test]
fn every_reference_is_rewritten_in_columns_json_and_text() {
    let env = Env::new();
    let open = open_new(&env, "Rewritten");
    let ids = ids_of(&open);
    let text = all_text(&open);
    for (table, column, value) in &text {
        assert!(
            !value.contains("seed:"),
            "{table}.{column} still holds a seed id: {value}"
        );
    }
    let json_columns = [
        ("contents", "variables"),
        ("contents", "tags"),
        ("presets", "config"),
        ("runs", "config_snapshot"),
    ];
    let mut checked = 0;
    for (table, column, value) in &text {
        if !json_columns.contains(&(table.as_str(), column.as_str())) {
            continue;
        }
        let parsed: serde_json::Value = serde_json::from_str(value).expect("JSON column parses");
        let mut strings = Vec::new();
        strings_in(&parsed, &mut strings);
        for s in strings.iter().filter(|s| uuid::Uuid::parse_str(s).is_ok()) {
            assert!(
                ids.contains(s),
                "{table}.{column} refers to {s}, which is not a row here"
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 10,
        "the JSON columns hold references to check ({checked})"
    );
    for (table, column, value) in &text {
        if table == "run_events" && column == "target" {
            for word in value
                .split(' ')
                .filter(|w| uuid::Uuid::parse_str(w).is_ok())
            {
                assert!(ids.contains(word), "event target refers to missing {word}");
            }
        }
    }
    let fk: i64 = open
        .db()
        .read(|c| {
            Ok(
                c.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .expect("fk check");
    assert_eq!(fk, 0, "every foreign key resolves");
}

#[test]
fn a_seeded_profile_is_never_seeded_again_and_edits_survive() {
    let env = Env::new();
    let open = open_new(&env, "Edited");
    let library = Library::of(&open).expect("ready");
    let input = library
        .contents(&ContentFilter {
            search: Some("Harbour House".into()),
            ..Default::default()
        })
        .expect("search")
        .into_iter()
        .next()
        .expect("the heat pump proposal");
    open.db()
        .write(|tx| {
            Ok(tx
                .execute(
                    "UPDATE contents SET body = 'my edit' WHERE id = ?1",
                    [&input.id],
                )
                .map(drop)?)
        })
        .expect("edit");
    let before = library
        .contents(&ContentFilter::default())
        .expect("contents")
        .len();
    drop(open);

    let again = env.reopen().open_profile("edited", None).expect("reopen");
    let library = Library::of(&again).expect("ready");
    assert_eq!(
        library
            .contents(&ContentFilter::default())
            .expect("contents")
            .len(),
        before,
        "no second copy"
    );
    assert_eq!(
        library.content(&input.id).expect("content").body,
        "my edit",
        "the edit is kept"
    );
}

#[test]
fn domain_operations_on_a_profile_that_is_not_ready_give_not_ready() {
    let env = Env::new();
    let open = open_new(&env, "Gate");
    open.db()
        .write(|tx| {
            Ok(tx
                .execute(
                    "UPDATE profile_meta SET seed_status = 'failed', seed_error = 'boom'",
                    [],
                )
                .map(drop)?)
        })
        .expect("simulate a failed setup");
    assert_eq!(
        open.status().expect("status"),
        SetupStatus::Failed {
            reason: "boom".into()
        }
    );
    let err = Library::of(&open).expect_err("gated");
    assert_eq!(err.code(), ErrorCode::NotReady);
    assert!(
        err.to_string().contains("failed"),
        "the status is in the message: {err}"
    );
}

#[test]
fn deleting_a_run_removes_everything_it_produced() {
    let env = Env::new();
    let open = open_new(&env, "Cascade");
    let library = Library::of(&open).expect("ready");
    let run = library.runs(10, None).expect("runs").remove(0);
    library.delete_run(&run.id).expect("delete");
    for table in [
        "tasks",
        "documents",
        "eval_scores",
        "pairwise_results",
        "run_events",
    ] {
        let n: i64 = open
            .db()
            .read(|c| Ok(c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?))
            .expect("count");
        assert_eq!(n, 0, "{table} rows must go with their run");
    }
}

#[test]
fn deleting_content_a_preset_uses_is_refused_and_names_the_preset() {
    let env = Env::new();
    let open = open_new(&env, "In use");
    let library = Library::of(&open).expect("ready");
    let preset = library.presets().expect("presets").remove(0);
    let criteria = preset.roles.eval_criteria.clone().expect("criteria");
    let err = library.delete_content(&criteria).expect_err("in use");
    assert_eq!(err.code(), ErrorCode::InUse);
    assert!(err.to_string().contains(&preset.name), "{err}");
    library.content(&criteria).expect("still there");

    let fragment = library
        .contents(&ContentFilter {
            kind: Some(assay_core::domain::content::ContentKind::TemplateFragment),
            ..Default::default()
        })
        .expect("fragments")
        .remove(0);
    let err = library
        .delete_content(&fragment.id)
        .expect_err("bound by {{STYLE}}");
    assert_eq!(err.code(), ErrorCode::InUse);
    assert!(
        err.to_string().contains("Decision briefing"),
        "names the item that binds it: {err}"
    );
}

#[test]
fn unused_content_can_be_deleted() {
    let env = Env::new();
    let open = open_new(&env, "Unused");
    let id = uuid::Uuid::new_v4().to_string();
    open.db()
        .write(|tx| {
            tx.execute(
                "INSERT INTO contents (id, name, kind, body, created_at, updated_at)
                 VALUES (?1, 'scratch', 'template_fragment', 'x', 'now', 'now')",
                [&id],
            )?;
            Ok(())
        })
        .expect("insert");
    let library = Library::of(&open).expect("ready");
    library.delete_content(&id).expect("nothing uses it");
    assert_eq!(
        library.content(&id).expect_err("gone").code(),
        ErrorCode::NotFound
    );
}

#[test]
fn raw_json_that_does_not_parse_is_refused_by_the_schema() {
    let env = Env::new();
    let open = open_new(&env, "Bad json");
    let err = open
        .db()
        .write(|tx| {
            Ok(tx
                .execute("UPDATE presets SET config = '{not json'", [])
                .map(drop)?)
        })
        .expect_err("CHECK(json_valid)");
    assert_eq!(err.code(), ErrorCode::Storage);
}

#[test]
fn run_pages_cover_every_run_once_even_when_timestamps_tie() {
    let env = Env::new();
    let open = open_new(&env, "Pages");
    let snapshot: String = open
        .db()
        .read(|c| Ok(c.query_row("SELECT config_snapshot FROM runs", [], |r| r.get(0))?))
        .expect("snapshot");
    open.db()
        .write(|tx| {
            for i in 0..125 {
                // Groups of five runs share one timestamp, so the id must break ties.
                let created = format!("2026-01-01T00:{:02}:00Z", i / 5);
                tx.execute(
                    "INSERT INTO runs (id, title, config_snapshot, phase, status, created_at)
                     VALUES (?1, ?2, ?3, 'done', 'completed', ?4)",
                    rusqlite::params![
                        uuid::Uuid::new_v4().to_string(),
                        format!("r{i}"),
                        snapshot,
                        created
                    ],
                )?;
            }
            Ok(())
        })
        .expect("insert runs");
    let library = Library::of(&open).expect("ready");
    let mut seen = Vec::new();
    let mut page = library.runs(7, None).expect("first page");
    while !page.is_empty() {
        seen.extend(page.iter().map(|r| (r.created_at.clone(), r.id.clone())));
        page = library.runs(7, page.last()).expect("next page");
    }
    assert_eq!(
        seen.len(),
        126,
        "125 synthetic runs plus the seeded one, each once"
    );
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "newest first, ties broken by id");
    sorted.dedup();
    assert_eq!(sorted.len(), 126, "no run appears twice");
}
