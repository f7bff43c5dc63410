//! Concurrency between processes.

use std::process::Stdio;
use std::sync::Arc;

use assay_core::profile::Profiles;

use crate::{DataDir, assay, assay_in, json, stderr};

#[test]
fn sixteen_concurrent_creates_of_one_name_yield_exactly_one_profile() {
    let data = DataDir::new();
    let children: Vec<_> = (0..16)
        .map(|_| {
            assay()
                .arg("--data-dir")
                .arg(data.path())
                .args(["--json", "profile", "create", "Same name"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().expect("wait"))
        .collect();
    let codes: Vec<_> = outputs.iter().map(|o| o.status.code()).collect();
    let won = codes.iter().filter(|c| **c == Some(0)).count();
    let clashed = codes.iter().filter(|c| **c == Some(11)).count();
    assert_eq!(
        (won, clashed),
        (1, 15),
        "exactly one create wins, the rest get ALREADY_EXISTS: {codes:?}"
    );

    let list = json(&assay_in(data.path(), &["--json", "profile", "list"]));
    let ids: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(ids.len(), 1);
    let dirs: Vec<_> = std::fs::read_dir(data.path().join("profiles"))
        .expect("profiles dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(dirs, vec![ids[0].to_owned()], "no orphan directories");
    assert!(
        !data.path().join("orphans").exists(),
        "nothing had to be moved aside"
    );
    use assay_core::secrets::SecretStore;
    assert_eq!(
        data.keyring().list().expect("entries").len(),
        1,
        "no orphan keyring entries"
    );
}

#[test]
fn a_second_process_reads_an_open_profile_but_cannot_delete_it() {
    let data = DataDir::new();
    let id = data.create("Shared");
    let here = Profiles::open_with(
        &std::path::absolute(data.path()).expect("absolute"),
        Arc::new(data.keyring()),
    )
    .expect("profiles");
    let held = here.open_profile(&id, None).expect("this process opens it");

    let out = assay_in(data.path(), &["profile", "verify", "shared"]);
    assert!(out.status.success(), "read beside it: {}", stderr(&out));
    let out = assay_in(
        data.path(),
        &["--json", "profile", "delete", "shared", "--yes"],
    );
    assert_eq!(out.status.code(), Some(12), "{}", stderr(&out));
    assert_eq!(crate::error_code(&out), "PROFILE_IN_USE");
    drop(held);
    let out = assay_in(data.path(), &["profile", "delete", "shared", "--yes"]);
    assert!(out.status.success(), "free once closed: {}", stderr(&out));
}
