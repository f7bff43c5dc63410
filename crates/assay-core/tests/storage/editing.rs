//! Creating and editing content and presets: validated before anything is written.

use assay_core::ErrorCode;
use assay_core::domain::content::ContentKind;
use assay_core::library::Library;
use assay_core::library::{ContentDraft, ContentFilter, PresetDraft};
use assay_core::profile::{KeyProtection, OpenProfile};

use crate::Env;

fn open_new(env: &Env) -> OpenProfile {
    env.profiles
        .create("Edit", KeyProtection::Keyring)
        .expect("create");
    env.profiles.open_profile("edit", None).expect("open")
}

fn draft(name: &str, kind: ContentKind) -> ContentDraft {
    ContentDraft {
        name: name.into(),
        kind,
        body: "text".into(),
        variables: Default::default(),
        tags: vec!["t".into()],
    }
}

#[test]
fn content_round_trips_and_bad_bindings_are_refused_before_writing() {
    let env = Env::new();
    let open = open_new(&env);
    let library = Library::of(&open).expect("ready");
    let before = library
        .contents(&ContentFilter::default())
        .expect("list")
        .len();

    let created = library
        .create_content(&draft("Notes", ContentKind::InputDocument))
        .expect("create");
    assert_eq!(library.content(&created.id).expect("read back"), created);

    let mut bad = draft("Bad", ContentKind::TemplateFragment);
    bad.variables.insert("X".into(), "not-an-id".into());
    let err = library.create_content(&bad).expect_err("dangling binding");
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().starts_with("variables.X"), "{err}");
    let mut bad = draft("Bad", ContentKind::TemplateFragment);
    bad.variables
        .insert("lower case".into(), created.id.clone());
    assert!(
        library.create_content(&bad).is_err(),
        "variable names are validated"
    );
    assert!(
        library
            .create_content(&draft("  ", ContentKind::TemplateFragment))
            .is_err(),
        "empty name"
    );
    assert_eq!(
        library
            .contents(&ContentFilter::default())
            .expect("list")
            .len(),
        before + 1,
        "nothing else stored"
    );
}

#[test]
fn presets_are_validated_field_by_field_and_names_are_unique() {
    let env = Env::new();
    let open = open_new(&env);
    let library = Library::of(&open).expect("ready");
    let seeded = library.presets().expect("presets").remove(0);
    let mut d = PresetDraft {
        name: "Mine".into(),
        config: seeded.config.clone(),
        roles: seeded.roles.clone(),
        inputs: seeded.inputs[..1].to_vec(),
    };
    let created = library.create_preset(&d).expect("create");
    assert_eq!((created.name.as_str(), created.inputs.len()), ("Mine", 1));

    d.name = "decision BRIEFINGS".into();
    let err = library.create_preset(&d).expect_err("taken name");
    assert!(err.to_string().starts_with("name:"), "{err}");

    d.name = "Other".into();
    d.roles.eval_criteria = d.inputs.first().cloned();
    let err = library.create_preset(&d).expect_err("wrong kind");
    assert!(err.to_string().starts_with("roles.eval_criteria"), "{err}");

    d.roles = seeded.roles.clone();
    d.config.models[0].temperature = 9.0;
    let err = library.create_preset(&d).expect_err("bad config");
    assert!(
        err.to_string().starts_with("models[0].temperature"),
        "{err}"
    );

    d.config = seeded.config.clone();
    d.name = "Renamed".into();
    let updated = library.update_preset(&created.id, &d).expect("update");
    assert_eq!(updated.name, "Renamed");
    assert_eq!(
        library.presets().expect("presets").len(),
        2,
        "no failed draft was stored"
    );
}

#[test]
fn every_problem_of_a_preset_draft_is_reported_at_once() {
    let env = Env::new();
    let open = open_new(&env);
    let library = Library::of(&open).expect("ready");
    let seeded = library.presets().expect("presets").remove(0);
    let mut config = seeded.config.clone();
    config.models[0].temperature = 9.0;
    config.iterations = 0;
    let mut roles = seeded.roles.clone();
    roles.eval_criteria = seeded.inputs.first().cloned();
    let draft = PresetDraft {
        name: "  ".into(),
        config,
        roles,
        inputs: vec!["no-such-id".into()],
    };
    let err = library.create_preset(&draft).expect_err("invalid");
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    let message = err.to_string();
    let fields: Vec<&str> = message
        .lines()
        .filter_map(|l| l.split_once(": ").map(|(f, _)| f))
        .collect();
    assert_eq!(
        fields,
        [
            "name",
            "models[0].temperature",
            "iterations",
            "roles.eval_criteria",
            "inputs[0]"
        ],
        "every problem, one per line, own fields before references: {message}"
    );
    assert_eq!(
        library.presets().expect("presets").len(),
        1,
        "nothing was stored"
    );
}

#[test]
fn the_type_of_content_a_preset_relies_on_cannot_change() {
    let env = Env::new();
    let open = open_new(&env);
    let library = Library::of(&open).expect("ready");
    let criteria_id = library.presets().expect("presets")[0]
        .roles
        .eval_criteria
        .clone()
        .expect("criteria");
    let current = library.content(&criteria_id).expect("content");
    let as_draft = |kind| ContentDraft {
        name: current.name.clone(),
        kind,
        body: "- **Only**: one criterion".into(),
        variables: current.variables.clone(),
        tags: current.tags.clone(),
    };
    let err = library
        .update_content(&criteria_id, &as_draft(ContentKind::TemplateFragment))
        .expect_err("in use");
    assert_eq!(err.code(), ErrorCode::InUse);
    let edited = library
        .update_content(&criteria_id, &as_draft(ContentKind::EvalCriteria))
        .expect("same kind");
    assert_eq!(edited.body, "- **Only**: one criterion");
}
