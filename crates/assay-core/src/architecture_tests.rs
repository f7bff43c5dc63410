//! The core's layering, checked: docs/architecture.md lists the layers bottom to top, and
//! these tests fail when a core module imports from a module in a layer above it, when two
//! core modules import each other (directly or through others), or when a module is missing
//! from the list.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module → the other top-level modules it names (`crate::x`, `use crate::{x, y}`).
type Graph = BTreeMap<String, BTreeSet<String>>;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The layers listed in docs/architecture.md under "## Layers": each numbered line's
/// backticked names, bottom layer first.
fn documented_layers() -> Vec<Vec<String>> {
    let doc = std::fs::read_to_string(manifest_dir().join("../../docs/architecture.md"))
        .expect("docs/architecture.md");
    let section = doc
        .split("\n## Layers")
        .nth(1)
        .expect("docs/architecture.md has a \"## Layers\" section");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter(|l| {
            l.split_once(". ")
                .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(|l| l.split('`').skip(1).step_by(2).map(str::to_owned).collect())
        .collect()
}

/// Top-level modules declared in lib.rs: (every module, those that exist only in tests).
fn declared_modules() -> (BTreeSet<String>, BTreeSet<String>) {
    let lib = std::fs::read_to_string(manifest_dir().join("src/lib.rs")).expect("lib.rs");
    let (mut all, mut test_only) = (BTreeSet::new(), BTreeSet::new());
    let mut cfg_test = false;
    for line in lib.lines().map(str::trim) {
        let name = line
            .strip_prefix("pub mod ")
            .or_else(|| line.strip_prefix("pub(crate) mod "))
            .or_else(|| line.strip_prefix("mod "))
            .map(|rest| rest.trim_end_matches(';').to_owned());
        if let Some(name) = name {
            if cfg_test {
                test_only.insert(name.clone());
            }
            all.insert(name);
        }
        cfg_test = line == "#[cfg(test)]";
    }
    (all, test_only)
}

/// Source text without comments (line, doc and block comments) and string literals.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |i| &after[i..]);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |i| &after[i + 2..]);
        } else if rest.starts_with('"') {
            // Drop string literals: `"//"` inside one starts no comment, and text is no import.
            let end = rest[1..]
                .char_indices()
                .scan(false, |escaped, (i, c)| {
                    let stop = c == '"' && !*escaped;
                    *escaped = c == '\\' && !*escaped;
                    Some((i, stop))
                })
                .find(|&(_, stop)| stop)
                .map_or(rest.len(), |(i, _)| i + 2);
            out.push(' ');
            rest = &rest[end..];
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// The top-level modules that `source` names through `crate::`.
fn imports(source: &str) -> BTreeSet<String> {
    let source = strip_comments(source);
    let mut found = BTreeSet::new();
    for (at, _) in source.match_indices("crate::") {
        let before = source[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // e.g. `assay_core::` is not ours
        }
        let rest = &source[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item = String::new();
            let mut items = Vec::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 1 => items.push(std::mem::take(&mut item)),
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                if depth == 1 && c != ',' {
                    item.push(c);
                }
            }
            items.push(item);
            found.extend(items.iter().filter_map(|i| first_ident(i.trim())));
        } else if let Some(name) = first_ident(rest) {
            found.insert(name);
        }
    }
    found
}

fn first_ident(text: &str) -> Option<String> {
    let name: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty() && name.chars().next().is_some_and(|c| c.is_lowercase())).then_some(name)
}

/// The import graph of the core's source tree.
/// Modules that exist only in tests (`#[cfg(test)]` in lib.rs) and test files are left out.
fn core_graph() -> Graph {
    let (_, test_only) = declared_modules();
    let src = manifest_dir().join("src");
    let mut graph = Graph::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            // Test files (`tests.rs`, `*_tests.rs`) may use any module to set up their case.
            let stem = path.file_stem().unwrap_or_default().to_string_lossy();
            if stem == "tests" || stem.ends_with("_tests") {
                continue;
            }
            let module = module_of(&src, &path);
            if module == "lib" || test_only.contains(&module) {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read source");
            let deps = graph.entry(module.clone()).or_default();
            deps.extend(imports(&text).into_iter().filter(|d| *d != module));
        }
    }
    graph
}

fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel.components().next().expect("a component");
    let first = first.as_os_str().to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

/// Every way `graph` breaks `layers`: an import from a higher layer, an unlisted module,
/// and every import cycle.
fn violations(graph: &Graph, layers: &[Vec<String>]) -> Vec<String> {
    let layer_of: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .flat_map(|(i, names)| names.iter().map(move |n| (n.as_str(), i + 1)))
        .collect();
    let mut out = Vec::new();
    for (module, deps) in graph {
        let Some(&mine) = layer_of.get(module.as_str()) else {
            out.push(format!("{module} is in no layer of docs/architecture.md"));
            continue;
        };
        for dep in deps {
            match layer_of.get(dep.as_str()) {
                Some(&theirs) if theirs > mine => out.push(format!(
                    "{module} (layer {mine}) imports {dep} (layer {theirs}), a layer above it"
                )),
                Some(_) => {}
                None if graph.contains_key(dep) => {
                    out.push(format!("{dep} is in no layer of docs/architecture.md"))
                }
                None => {} // an item of the crate root, e.g. `crate::Error`
            }
        }
    }
    out.extend(cycles(graph));
    out.sort();
    out.dedup();
    out
}

/// One message per import cycle among modules (found by depth-first search).
fn cycles(graph: &Graph) -> Vec<String> {
    fn visit<'a>(
        node: &'a str,
        graph: &'a Graph,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
        out: &mut Vec<String>,
    ) {
        if let Some(start) = path.iter().position(|n| *n == node) {
            let mut cycle: Vec<&str> = path[start..].to_vec();
            cycle.push(node);
            out.push(format!("import cycle: {}", cycle.join(" -> ")));
            return;
        }
        if done.contains(node) {
            return;
        }
        path.push(node);
        for dep in graph.get(node).into_iter().flatten() {
            if graph.contains_key(dep) {
                visit(dep, graph, path, done, out);
            }
        }
        path.pop();
        done.insert(node);
    }
    let mut out = Vec::new();
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        visit(node, graph, &mut Vec::new(), &mut done, &mut out);
    }
    out
}

#[test]
fn no_core_module_imports_from_a_layer_above_it_or_in_a_cycle() {
    let layers = documented_layers();
    assert!(
        layers.len() >= 5,
        "the layer list was not found: {layers:?}"
    );
    let problems = violations(&core_graph(), &layers);
    assert!(
        problems.is_empty(),
        "layering violations:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_core_module_is_in_exactly_one_documented_layer() {
    let layers = documented_layers();
    let listed: Vec<&String> = layers.iter().flatten().collect();
    let (all, test_only) = declared_modules();
    for module in all.difference(&test_only) {
        let times = listed.iter().filter(|n| **n == module).count();
        assert_eq!(
            times, 1,
            "module {module} should be listed once in docs/architecture.md's layers"
        );
    }
}

#[test]
fn only_profile_adds_behaviour_to_the_profile_types() {
    let src = manifest_dir().join("src");
    let mut stack = vec![src.clone()];
    let mut offenders = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && module_of(&src, &path) != "profile"
                && path
                    .file_name()
                    .is_some_and(|n| n != "architecture_tests.rs")
            {
                let text = strip_comments(&std::fs::read_to_string(&path).expect("read"));
                if ["impl Profiles", "impl OpenProfile", "impl<'a> OpenProfile"]
                    .iter()
                    .any(|needle| text.contains(needle))
                {
                    offenders.push(path.display().to_string());
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "impl blocks for Profiles/OpenProfile belong in profile/: {offenders:?}"
    );
}

#[test]
fn the_checker_finds_upward_imports_and_cycles() {
    let graph: Graph = [
        ("low", vec!["high"]),
        ("high", vec!["low"]),
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
    ]
    .into_iter()
    .map(|(m, d)| (m.to_owned(), d.into_iter().map(str::to_owned).collect()))
    .collect();
    let layers = vec![
        vec![
            "low".to_owned(),
            "a".to_owned(),
            "b".to_owned(),
            "c".to_owned(),
        ],
        vec!["high".to_owned()],
    ];
    let found = violations(&graph, &layers);
    assert!(
        found
            .iter()
            .any(|v| v.contains("low (layer 1) imports high (layer 2)")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|v| v.starts_with("import cycle:") && v.contains("a -> b -> c -> a")),
        "a cycle through three modules is found: {found:?}"
    );
}

#[test]
fn imports_are_read_from_paths_and_grouped_uses_but_not_comments() {
    let text = "use crate::{db::Database, error::{Error, Result}};\n\
                // crate::profile is only mentioned\n\
                fn f() { crate::store::x(); let s = \"// crate::seed\"; }\n\
                use assay_core::library;";
    let found = imports(text);
    let expected: BTreeSet<String> = ["db", "error", "store"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        found, expected,
        "paths and grouped uses count; comments and string literals do not"
    );
}

#[test]
fn no_two_core_modules_share_a_name() {
    // A domain type's module and its table's store module and library API share the
    // concept's name on purpose; every other name is said once.
    const SHARED: [&str; 5] = ["mod", "tests", "content", "presets", "runs"];
    let src = manifest_dir().join("src");
    let mut stack = vec![src];
    let mut seen: BTreeMap<String, Vec<PathBuf>> = Default::default();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            let name = path
                .file_stem()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            let module = path.is_dir() || path.extension().is_some_and(|e| e == "rs");
            if module && !SHARED.contains(&name.as_str()) {
                seen.entry(name).or_default().push(path);
            }
        }
    }
    let twice: Vec<_> = seen.iter().filter(|(_, paths)| paths.len() > 1).collect();
    assert!(twice.is_empty(), "modules sharing a name: {twice:?}");
}
