//! `assay provider …`: a profile's endpoints, their limits and keys.

use assay_core::secrets::SecretStore;

use crate::{DataDir, assay_in, assay_with_stdin, error_code, json, stderr, stdout};

const KEY: &str = "sk-endpoint-test-key-7Q2m";

fn endpoints(data: &DataDir, profile: &str) -> Vec<serde_json::Value> {
    let out = assay_in(
        data.path(),
        &["--json", "provider", "list", "--profile", profile],
    );
    assert!(out.status.success(), "list: {}", stderr(&out));
    json(&out).as_array().expect("an array").clone()
}

#[test]
fn a_new_profile_lists_the_four_cloud_endpoints_with_every_field() {
    let data = DataDir::new();
    data.create("Work");
    let all = endpoints(&data, "work");
    let names: Vec<&str> = all.iter().filter_map(|e| e["name"].as_str()).collect();
    assert_eq!(names, ["anthropic", "google", "openai", "openrouter"]);
    for e in &all {
        for field in [
            "name",
            "kind",
            "base_url",
            "has_key",
            "key_last4",
            "max_concurrent",
            "requests_per_minute",
            "min_delay_ms",
        ] {
            assert!(e.get(field).is_some(), "{field} in {e}");
        }
        assert_eq!(e["has_key"], false);
        assert_eq!(
            e["kind"], e["name"],
            "the cloud endpoints are named after their kind"
        );
    }
    assert_eq!(all[2]["base_url"], "https://api.openai.com/v1");
}

#[test]
fn endpoints_are_added_changed_keyed_and_removed() {
    let data = DataDir::new();
    let id = data.create("Work");
    let run = |args: &[&str]| assay_in(data.path(), args);
    let out = run(&[
        "--json",
        "provider",
        "add",
        "ollama",
        "--kind",
        "openai-compatible",
        "--base-url",
        "http://127.0.0.1:11434/v1",
        "--profile",
        "work",
    ]);
    assert!(out.status.success(), "add: {}", stderr(&out));
    assert_eq!(json(&out)["kind"], "openai-compatible");

    for (args, why) in [
        (
            &[
                "provider",
                "add",
                "OLLAMA",
                "--kind",
                "openai-compatible",
                "--base-url",
                "http://x.test/v1",
            ][..],
            "a taken name",
        ),
        (
            &["provider", "add", "lab", "--kind", "openai-compatible"][..],
            "no address",
        ),
        (
            &["provider", "add", "has space", "--kind", "openai"][..],
            "a bad name",
        ),
        (
            &["provider", "add", "lab", "--kind", "custom"][..],
            "an unknown kind",
        ),
    ] {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        full.extend_from_slice(&["--profile", "work"]);
        let out = run(&full);
        assert_eq!(out.status.code(), Some(2), "{why}: {}", stderr(&out));
        assert_eq!(error_code(&out), "INVALID_INPUT", "{why}");
    }

    let out = run(&[
        "--json",
        "provider",
        "set",
        "ollama",
        "--max-concurrent",
        "2",
        "--rpm",
        "30",
        "--min-delay-ms",
        "100",
        "--profile",
        "work",
    ]);
    assert!(out.status.success(), "set: {}", stderr(&out));
    let set = json(&out);
    assert_eq!(
        (
            set["max_concurrent"].as_u64(),
            set["requests_per_minute"].as_u64(),
            set["min_delay_ms"].as_u64()
        ),
        (Some(2), Some(30), Some(100))
    );
    let out = run(&[
        "--json",
        "provider",
        "set",
        "ollama",
        "--rpm",
        "0",
        "--profile",
        "work",
    ]);
    assert!(
        json(&out)["requests_per_minute"].is_null(),
        "0 removes the limit"
    );
    let out = run(&[
        "--json",
        "provider",
        "set",
        "ollama",
        "--max-concurrent",
        "0",
        "--profile",
        "work",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    let out = assay_with_stdin(
        data.path(),
        &[
            "--json",
            "provider",
            "set-key",
            "ollama",
            "--key-stdin",
            "--profile",
            "work",
        ],
        &format!("{KEY}\n"),
    );
    assert!(out.status.success(), "set-key: {}", stderr(&out));
    let keyed = json(&out);
    assert_eq!(
        (keyed["has_key"].as_bool(), keyed["key_last4"].as_str()),
        (Some(true), Some("7Q2m"))
    );
    assert!(!stdout(&out).contains(KEY) && !stderr(&out).contains(KEY));
    let entry = format!("profile/{id}/provider/ollama");
    let stored = data
        .keyring()
        .get(&entry)
        .expect("get")
        .expect("in the keyring");
    assert_eq!(&stored[..], KEY.as_bytes());

    // A preset that uses the endpoint keeps it from going.
    let mut preset = json(&run(&[
        "--json",
        "preset",
        "show",
        "decision briefings",
        "--profile",
        "work",
    ]));
    preset["name"] = "Local".into();
    preset["config"]["models"][0]["provider"] = "ollama".into();
    let file = data.outside("local.json");
    std::fs::write(&file, preset.to_string()).expect("write");
    let out = run(&[
        "--json",
        "preset",
        "save",
        "--file",
        file.to_str().expect("utf-8"),
        "--profile",
        "work",
    ]);
    assert!(
        out.status.success(),
        "a preset names the endpoint: {}",
        stderr(&out)
    );
    let out = run(&[
        "--json",
        "provider",
        "remove",
        "ollama",
        "--profile",
        "work",
    ]);
    assert_eq!(error_code(&out), "IN_USE", "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Local"),
        "the preset is named: {}",
        stderr(&out)
    );
    run(&[
        "--json",
        "preset",
        "delete",
        "local",
        "--yes",
        "--profile",
        "work",
    ]);

    let out = run(&[
        "--json",
        "provider",
        "clear-key",
        "ollama",
        "--profile",
        "work",
    ]);
    assert_eq!(json(&out)["has_key"], false);
    assert!(
        data.keyring().get(&entry).expect("get").is_none(),
        "the key left the keyring"
    );
    let out = run(&[
        "--json",
        "provider",
        "remove",
        "ollama",
        "--profile",
        "work",
    ]);
    assert!(out.status.success(), "remove: {}", stderr(&out));
    let names: Vec<String> = endpoints(&data, "work")
        .iter()
        .filter_map(|e| e["name"].as_str().map(str::to_owned))
        .collect();
    assert!(!names.contains(&"ollama".to_owned()), "{names:?}");
}

#[test]
fn a_key_never_goes_with_a_plain_http_address_on_the_open_internet() {
    let data = DataDir::new();
    data.create("Work");
    let run = |args: &[&str]| assay_in(data.path(), args);
    let out = run(&[
        "--json",
        "provider",
        "add",
        "gateway",
        "--kind",
        "openai-compatible",
        "--base-url",
        "http://gateway.example.com/v1",
        "--profile",
        "work",
    ]);
    assert!(
        out.status.success(),
        "an address alone is fine: {}",
        stderr(&out)
    );
    let out = assay_with_stdin(
        data.path(),
        &[
            "--json",
            "provider",
            "set-key",
            "gateway",
            "--key-stdin",
            "--profile",
            "work",
        ],
        &format!("{KEY}\n"),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("https://"), "{}", stderr(&out));
    assert!(!stderr(&out).contains(KEY));

    // A local server over http is fine, and then cannot be moved to the open internet.
    run(&[
        "provider",
        "set",
        "gateway",
        "--base-url",
        "http://192.168.1.20:8000/v1",
        "--profile",
        "work",
    ]);
    let out = assay_with_stdin(
        data.path(),
        &[
            "--json",
            "provider",
            "set-key",
            "gateway",
            "--key-stdin",
            "--profile",
            "work",
        ],
        &format!("{KEY}\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&[
        "--json",
        "provider",
        "set",
        "gateway",
        "--base-url",
        "http://gateway.example.com/v1",
        "--profile",
        "work",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let listed = endpoints(&data, "work");
    let gateway = listed
        .iter()
        .find(|e| e["name"] == "gateway")
        .expect("gateway");
    assert_eq!(
        gateway["base_url"], "http://192.168.1.20:8000/v1",
        "unchanged"
    );
}

#[test]
fn a_passphrase_profile_reads_its_passphrase_then_the_key_from_stdin() {
    let data = DataDir::new();
    let pass = "endpoint passphrase test";
    let out = assay_with_stdin(
        data.path(),
        &[
            "--json",
            "profile",
            "create",
            "Sealed",
            "--passphrase-stdin",
        ],
        pass,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = assay_with_stdin(
        data.path(),
        &[
            "--json",
            "provider",
            "set-key",
            "openai",
            "--key-stdin",
            "--passphrase-stdin",
            "--profile",
            "sealed",
        ],
        &format!("{pass}\n{KEY}\n"),
    );
    assert!(out.status.success(), "set-key: {}", stderr(&out));
    assert_eq!(json(&out)["key_last4"], "7Q2m");
    let out = assay_with_stdin(
        data.path(),
        &[
            "--json",
            "provider",
            "list",
            "--passphrase-stdin",
            "--profile",
            "sealed",
        ],
        pass,
    );
    let all = json(&out);
    let openai = all
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["name"] == "openai")
        .cloned()
        .expect("openai");
    assert_eq!(openai["has_key"], true);
    assert!(
        data.keyring().list().unwrap_or_default().is_empty(),
        "no keyring for a passphrase profile"
    );
}
