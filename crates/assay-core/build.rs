//! Embeds `migrations/NNNN_name.sql` and every file of the `seed/` package at compile time.
//!
//! The list is only generated here; the rules (numbering contiguous from 0001, checksums) are
//! enforced by tests and at run time in `db::migrations`.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let dir = manifest.join("../../migrations");
    println!("cargo:rerun-if-changed={}", dir.display());

    let mut files: Vec<(String, String, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("read migrations/") {
        let path = entry.expect("read migrations/ entry").path();
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        // checksums.sha256 records each released migration's SHA-256 (checked by a test).
        if file.starts_with('.') || file == "checksums.sha256" {
            continue;
        }
        let stem = file.strip_suffix(".sql").unwrap_or_else(|| {
            panic!("migrations/{file}: only NNNN_name.sql files belong in migrations/")
        });
        let (number, name) = stem
            .split_once('_')
            .filter(|(n, name)| {
                n.len() == 4 && n.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty()
            })
            .unwrap_or_else(|| panic!("migrations/{file}: the name must be NNNN_name.sql"));
        println!("cargo:rerun-if-changed={}", path.display());
        files.push((number.to_owned(), name.to_owned(), path));
    }
    files.sort();

    let mut out = String::from(
        "/// Every shipped migration, in order.\npub static MIGRATIONS: &[Migration] = &[\n",
    );
    for (number, name, path) in &files {
        let version: i64 = number.parse().expect("four digits");
        writeln!(
            out,
            "    Migration {{ version: {version}, name: {name:?}, sql: include_str!({:?}) }},",
            path.canonicalize().expect("canonical path")
        )
        .expect("write to String");
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out_dir.join("migrations.rs"), out).expect("write migrations.rs");
    embed_seed(&manifest.join("../../seed"), &out_dir);
}

/// Generates `SEED_FILES: &[(&str, &str)]`: (path relative to seed/, contents) for every file.
fn embed_seed(seed: &std::path::Path, out_dir: &std::path::Path) {
    let mut files = Vec::new();
    let mut stack = vec![seed.to_path_buf()];
    while let Some(dir) = stack.pop() {
        println!("cargo:rerun-if-changed={}", dir.display());
        for entry in std::fs::read_dir(&dir).expect("read seed/") {
            let path = entry.expect("seed entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                println!("cargo:rerun-if-changed={}", path.display());
                let rel = path.strip_prefix(seed).expect("under seed/");
                let rel = rel.to_string_lossy().replace('\\', "/");
                files.push((rel, path.canonicalize().expect("canonical path")));
            }
        }
    }
    files.sort();
    let mut out = String::from(
        "/// Every file of the seed package: (path under seed/, text).\npub static SEED_FILES: &[(&str, &str)] = &[\n",
    );
    for (rel, path) in &files {
        writeln!(out, "    ({rel:?}, include_str!({path:?})),").expect("write to String");
    }
    out.push_str("];\n");
    std::fs::write(out_dir.join("seed_files.rs"), out).expect("write seed_files.rs");
}
