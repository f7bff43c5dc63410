//! `profile verify` reports damage: any page but the first gives exit 18 and the report, in
//! text and JSON; a first page that does not decrypt is DECRYPT_FAILED (15).

use crate::{DataDir, assay_in, error_code, json, stderr, stdout};

const PAGE: u64 = 4096;
const CHECKS: [&str; 6] = [
    "open",
    "cipher_integrity_check",
    "integrity_check",
    "foreign_key_check",
    "profile_meta",
    "key_consistency",
];

/// SplitMix64, so the "random" pages are the same on every run.
fn pages(seed: u64, count: usize, of: u64) -> Vec<u64> {
    let mut state = seed;
    let mut picked = Vec::new();
    while picked.len() < count {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let page = 2 + (z ^ (z >> 31)) % (of - 1);
        if !picked.contains(&page) {
            picked.push(page);
        }
    }
    picked
}

fn damage(db: &std::path::Path, page: u64) {
    let mut bytes = std::fs::read(db).expect("read");
    let at = ((page - 1) * PAGE + 300) as usize;
    for b in &mut bytes[at..at + 32] {
        *b ^= 0xA5;
    }
    std::fs::write(db, bytes).expect("write");
}

fn assert_report(out: &std::process::Output, what: &str) {
    assert_eq!(out.status.code(), Some(18), "{what}: {}", stderr(out));
    let report = json(out);
    assert_eq!(report["ok"], false, "{what}");
    let checks = report["checks"].as_array().expect("checks");
    let names: Vec<&str> = checks.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, CHECKS, "{what}: every check is reported");
    for c in checks {
        assert!(
            c["ok"].is_boolean() && c["detail"].is_string(),
            "{what}: {c}"
        );
    }
}

#[test]
fn damage_to_any_page_but_the_first_gives_exit_18_and_the_report() {
    let data = DataDir::new();
    let id = data.create("Fragile");
    let db = data.profile_dir(&id).join("profile.db");
    let pristine = std::fs::read(&db).expect("read");
    let count = pristine.len() as u64 / PAGE;
    assert!(count > 12, "a seeded profile has pages to damage: {count}");
    for page in pages(0xDA4A6E, 10, count) {
        damage(&db, page);
        let out = assay_in(data.path(), &["--json", "profile", "verify", "fragile"]);
        assert_report(&out, &format!("page {page}"));
        let cipher = &json(&out)["checks"][1];
        assert_eq!(cipher["ok"], false, "page {page}: {cipher}");
        assert!(
            cipher["detail"]
                .as_str()
                .is_some_and(|d| d.contains(&format!("page {page}"))),
            "the damaged page is named: {cipher}"
        );
        std::fs::write(&db, &pristine).expect("restore");
    }
    // The text form carries the same report.
    damage(&db, 3);
    let out = assay_in(data.path(), &["profile", "verify", "fragile"]);
    assert_eq!(out.status.code(), Some(18), "{}", stderr(&out));
    let text = stdout(&out);
    for check in CHECKS {
        assert!(text.contains(check), "{check} in the text report: {text}");
    }
    assert!(text.contains("FAIL"), "{text}");
}

#[test]
fn a_database_truncated_to_half_gives_exit_18_and_the_report() {
    let data = DataDir::new();
    let id = data.create("Halved");
    let db = data.profile_dir(&id).join("profile.db");
    let len = std::fs::metadata(&db).expect("stat").len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .expect("open")
        .set_len(len / 2)
        .expect("truncate");
    let out = assay_in(data.path(), &["--json", "profile", "verify", "halved"]);
    assert_report(&out, "truncated");
}

#[test]
fn a_first_page_that_does_not_decrypt_is_decrypt_failed() {
    let data = DataDir::new();
    let id = data.create("Headless");
    let db = data.profile_dir(&id).join("profile.db");
    damage(&db, 1);
    let out = assay_in(data.path(), &["--json", "profile", "verify", "headless"]);
    assert_eq!(out.status.code(), Some(15), "{}", stderr(&out));
    assert_eq!(error_code(&out), "DECRYPT_FAILED");
}
