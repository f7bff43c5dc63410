//! Embeds `migrations/NNNN_name.sql` at compile time as a sorted static list.
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
        if file.starts_with('.') {
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
    let target =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("migrations.rs");
    std::fs::write(target, out).expect("write migrations.rs");
}
