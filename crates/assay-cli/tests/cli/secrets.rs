//! Secrets stay secret: keys and passphrases never appear in output, errors, logs or any
//! plaintext file of the data dir.

use assay_core::secrets::SecretStore;

use crate::{DataDir, assay_in, assay_with_stdin};

const PASSPHRASE: &str = "passphrase-marker-Q7xv93";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn no_key_or_passphrase_appears_in_output_logs_or_files() {
    let data = DataDir::new();
    let mut transcript: Vec<u8> = Vec::new();
    let mut record = |out: std::process::Output| {
        transcript.extend_from_slice(&out.stdout);
        transcript.extend_from_slice(&out.stderr);
    };

    let id = data.create("Keyed");
    record(assay_with_stdin(
        data.path(),
        &["profile", "create", "Sealed", "--passphrase-stdin"],
        PASSPHRASE,
    ));
    for json in [&["--json"][..], &[]] {
        for args in [
            &["profile", "list"][..],
            &["profile", "show", "keyed"],
            &["profile", "verify", "keyed"],
        ] {
            let mut full = json.to_vec();
            full.extend_from_slice(args);
            record(assay_in(data.path(), &full));
        }
        let mut verify = json.to_vec();
        verify.extend_from_slice(&["profile", "verify", "sealed", "--passphrase-stdin"]);
        record(assay_with_stdin(data.path(), &verify, PASSPHRASE));
        record(assay_with_stdin(
            data.path(),
            &verify,
            "wrong-passphrase-entirely",
        ));
    }

    let key = data
        .keyring()
        .get(&format!("profile/{id}/db-key"))
        .expect("get")
        .expect("key");
    let hex_lower: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let secrets: [(&str, Vec<u8>); 4] = [
        ("raw DB key", key.to_vec()),
        ("hex DB key", hex_lower.clone().into_bytes()),
        ("HEX DB key", hex_lower.to_uppercase().into_bytes()),
        ("passphrase", PASSPHRASE.as_bytes().to_vec()),
    ];

    let log = std::fs::read(data.path().join("logs/assay.log")).expect("the CLI writes a log");
    assert!(!log.is_empty(), "the log has entries to scan");
    let mut files = vec![("transcript".to_owned(), transcript)];
    let mut stack = vec![data.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push((
                    path.display().to_string(),
                    std::fs::read(&path).expect("read"),
                ));
            }
        }
    }
    for (name, bytes) in &files {
        for (what, secret) in &secrets {
            assert!(!contains(bytes, secret), "the {what} appears in {name}");
        }
    }
}
