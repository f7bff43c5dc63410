//! Scripted library changes: content add/edit/delete, preset save (create or update, from the
//! JSON `preset show` prints) and delete, run delete.

use crate::{DataDir, assay_in, error_code, json, stderr};

fn write(data: &DataDir, name: &str, text: &str) -> String {
    let path = data.outside(name);
    std::fs::write(&path, text).expect("write");
    path.to_str().expect("utf-8").to_owned()
}

#[test]
fn content_is_added_edited_and_deleted_by_id_or_name() {
    let data = DataDir::new();
    data.create("Work");
    let file = write(&data, "memo.md", "# Memo\n\nThe first version.");
    let out = assay_in(
        data.path(),
        &[
            "--json",
            "content",
            "add",
            "--kind",
            "input_document",
            "--name",
            "Scripted memo",
            "--file",
            &file,
            "--tag",
            "script",
            "--tag",
            "memo",
            "--profile",
            "work",
        ],
    );
    assert!(out.status.success(), "add: {}", stderr(&out));
    let added = json(&out);
    let id = added["id"].as_str().expect("id").to_owned();
    assert_eq!(added["tags"], serde_json::json!(["script", "memo"]));

    let file = write(&data, "memo2.md", "# Memo\n\nThe second version.");
    let out = assay_in(
        data.path(),
        &[
            "--json",
            "content",
            "edit",
            "scripted memo",
            "--name",
            "Renamed memo",
            "--file",
            &file,
            "--profile",
            "work",
        ],
    );
    assert!(out.status.success(), "edit: {}", stderr(&out));
    let edited = json(&out);
    assert_eq!(edited["id"], id.as_str(), "the same item");
    assert_eq!(edited["name"], "Renamed memo");
    assert!(
        edited["body"]
            .as_str()
            .is_some_and(|b| b.contains("second version"))
    );
    assert_eq!(
        edited["tags"],
        serde_json::json!(["script", "memo"]),
        "tags kept"
    );

    let out = assay_in(
        data.path(),
        &[
            "--json",
            "content",
            "delete",
            "renamed memo",
            "--profile",
            "work",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "--yes is needed: {}",
        stderr(&out)
    );
    let out = assay_in(
        data.path(),
        &[
            "--json",
            "content",
            "delete",
            "renamed memo",
            "--yes",
            "--profile",
            "work",
        ],
    );
    assert!(out.status.success(), "delete: {}", stderr(&out));
    assert_eq!(json(&out)["deleted"], id.as_str());
    let out = assay_in(
        data.path(),
        &["--json", "content", "show", &id, "--profile", "work"],
    );
    assert_eq!(error_code(&out), "NOT_FOUND");

    // Content a preset uses cannot go, and the refusal names the preset.
    let out = assay_in(
        data.path(),
        &[
            "--json",
            "content",
            "delete",
            "Briefing criteria",
            "--yes",
            "--profile",
            "work",
        ],
    );
    assert_eq!(error_code(&out), "IN_USE", "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Decision briefings"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_preset_saved_from_the_json_preset_show_prints_is_created_then_updated() {
    let data = DataDir::new();
    data.create("Work");
    let shown = json(&assay_in(
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
    let mut copy = shown.clone();
    copy["name"] = "Scripted preset".into();
    // Inputs by name, as a script would write them.
    copy["inputs"] =
        serde_json::json!(["Remote work survey 2026", "Card payment outage, 14 March"]);
    let file = write(&data, "preset.json", &copy.to_string());
    let out = assay_in(
        data.path(),
        &[
            "--json",
            "preset",
            "save",
            "--file",
            &file,
            "--profile",
            "work",
        ],
    );
    assert!(out.status.success(), "save: {}", stderr(&out));
    let created = json(&out);
    let id = created["id"].as_str().expect("id").to_owned();
    assert_ne!(id, shown["id"].as_str().expect("id"), "a new preset");
    assert_eq!(created["inputs"].as_array().map(Vec::len), Some(2));
    assert_ne!(
        created["inputs"][0], "Remote work survey 2026",
        "names resolved to ids"
    );

    copy["config"]["iterations"] = 3.into();
    let file = write(&data, "preset.json", &copy.to_string());
    let out = assay_in(
        data.path(),
        &[
            "--json",
            "preset",
            "save",
            "--file",
            &file,
            "--profile",
            "work",
        ],
    );
    assert!(out.status.success(), "update: {}", stderr(&out));
    let updated = json(&out);
    assert_eq!(updated["id"], id.as_str(), "updated by name");
    assert_eq!(updated["config"]["iterations"], 3);

    copy["config"]["models"][0]["temperature"] = 9.into();
    copy["config"]["iterations"] = 0.into();
    copy["inputs"] = serde_json::json!(["No such document"]);
    let file = write(&data, "preset.json", &copy.to_string());
    let out = assay_in(
        data.path(),
        &[
            "--json",
            "preset",
            "save",
            "--file",
            &file,
            "--profile",
            "work",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = stderr(&out);
    for field in ["models[0].temperature", "iterations", "inputs[0]"] {
        assert!(
            message.contains(field),
            "{field} is reported with the others: {message}"
        );
    }

    let out = assay_in(
        data.path(),
        &[
            "--json",
            "preset",
            "delete",
            "scripted preset",
            "--yes",
            "--profile",
            "work",
        ],
    );
    assert!(out.status.success(), "delete: {}", stderr(&out));
    let out = assay_in(
        data.path(),
        &["--json", "preset", "show", &id, "--profile", "work"],
    );
    assert_eq!(error_code(&out), "NOT_FOUND");
}

#[test]
fn a_run_is_deleted_with_everything_it_produced() {
    let data = DataDir::new();
    data.create("Work");
    let runs = json(&assay_in(
        data.path(),
        &["--json", "run", "list", "--profile", "work"],
    ));
    let run = runs[0]["id"].as_str().expect("run").to_owned();
    let out = assay_in(
        data.path(),
        &["--json", "run", "delete", &run, "--profile", "work"],
    );
    assert_eq!(out.status.code(), Some(2), "--yes is needed");
    let out = assay_in(
        data.path(),
        &[
            "--json",
            "run",
            "delete",
            &run,
            "--yes",
            "--profile",
            "work",
        ],
    );
    assert!(out.status.success(), "delete: {}", stderr(&out));
    let runs = json(&assay_in(
        data.path(),
        &["--json", "run", "list", "--profile", "work"],
    ));
    assert_eq!(runs.as_array().map(Vec::len), Some(0));
    let out = assay_in(
        data.path(),
        &["--json", "run", "show", &run, "--profile", "work"],
    );
    assert_eq!(error_code(&out), "NOT_FOUND");
}
