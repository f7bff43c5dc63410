//! Every IPC command is listed in the four places the webview needs it: the bindings'
//! registry (`bindings.rs`, which the handler and `ui/src/lib/bindings.ts` come from),
//! `build.rs` (its permission), `capabilities/main.json` (the grant) and docs/architecture.md's
//! table. A command missing from one is callable in a test and refused in the app, or
//! undocumented; this test names it.

use std::collections::BTreeSet;
use std::path::Path;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every function marked `#[tauri::command]` under `src/commands/`.
fn defined() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/commands");
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("commands dir") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
        let mut marked = false;
        for line in text.lines().map(str::trim) {
            if line == "#[tauri::command]" {
                marked = true;
            } else if marked && let Some(rest) = line.split("fn ").nth(1) {
                let name = rest.split(['(', '<']).next().expect("a name");
                found.insert(name.to_owned());
                marked = false;
            }
        }
    }
    found
}

/// The names `commands::<group>::<name>` the bindings' registry lists.
fn registered() -> BTreeSet<String> {
    read("src/bindings.rs")
        .lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("commands::")?.strip_suffix(','))
        .filter_map(|path| path.rsplit("::").next().map(str::to_owned))
        .collect()
}

fn quoted_in(text: &str) -> BTreeSet<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_command_is_registered_permitted_granted_and_documented() {
    let defined = defined();
    assert!(defined.len() > 40, "the commands are found: {defined:?}");
    assert_eq!(registered(), defined, "bindings.rs registers every command");
    let build = quoted_in(&read("build.rs"));
    let caps = quoted_in(&read("capabilities/main.json"));
    let docs = read("../docs/architecture.md");
    let mut missing = Vec::new();
    for name in &defined {
        let permission = format!("allow-{}", name.replace('_', "-"));
        if !build.contains(name) {
            missing.push(format!("{name}: not in build.rs"));
        }
        if !caps.contains(&permission) {
            missing.push(format!(
                "{name}: {permission} not in capabilities/main.json"
            ));
        }
        if !docs.contains(&format!("| `{name}` | `{permission}` |")) {
            missing.push(format!("{name}: no row in docs/architecture.md's table"));
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
    let granted: BTreeSet<&String> = caps.iter().filter(|p| p.starts_with("allow-")).collect();
    let extra: Vec<&&String> = granted
        .iter()
        .filter(|p| {
            !defined
                .iter()
                .any(|n| format!("allow-{}", n.replace('_', "-")) == ***p)
        })
        .collect();
    assert!(extra.is_empty(), "grants for no command: {extra:?}");
}
