//! `assay provider test|models|prices|set-price|clear-price` against local servers that
//! speak the providers' wire formats, and their exit codes 21–24.

use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{DataDir, assay_in, assay_with_stdin, error_code, json, stderr};

const KEY: &str = "sk-calls-test-key-5Rt8";

/// A runtime that keeps the mock servers answering while the CLI runs in a child process.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// A profile with an endpoint `local` of `kind` at `base_url`, with [`KEY`] set.
fn profile_with(kind: &str, base_url: &str) -> DataDir {
    let data = DataDir::new();
    data.create("Work");
    let out = assay_in(
        data.path(),
        &[
            "provider",
            "add",
            "local",
            "--kind",
            kind,
            "--base-url",
            base_url,
            "--profile",
            "work",
        ],
    );
    assert!(out.status.success(), "add: {}", stderr(&out));
    let out = assay_with_stdin(
        data.path(),
        &[
            "provider",
            "set-key",
            "local",
            "--key-stdin",
            "--profile",
            "work",
        ],
        &format!("{KEY}\n"),
    );
    assert!(out.status.success(), "set-key: {}", stderr(&out));
    data
}

fn test_endpoint(data: &DataDir) -> std::process::Output {
    assay_in(
        data.path(),
        &["--json", "provider", "test", "local", "--profile", "work"],
    )
}

#[test]
fn test_and_models_call_the_model_list_with_the_key_and_cache_it() {
    let rt = runtime();
    let server = rt.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v1/models"))
            .and(header("authorization", format!("Bearer {KEY}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "object": "list",
                "data": [{"id": "qwen2.5:7b", "object": "model"}, {"id": "llama3.1:8b"}]
            })))
            .mount(&server)
            .await;
        server
    });
    let data = profile_with("openai-compatible", &format!("{}/v1", server.uri()));
    let out = test_endpoint(&data);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let check = json(&out);
    assert_eq!(
        (check["name"].as_str(), check["ok"].as_bool()),
        (Some("local"), Some(true))
    );
    assert_eq!(check["models"], 2);

    let out = assay_in(
        data.path(),
        &["--json", "provider", "models", "local", "--profile", "work"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let ids: Vec<String> = json(&out)
        .as_array()
        .expect("array")
        .iter()
        .map(|m| m["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids, ["llama3.1:8b", "qwen2.5:7b"]);

    drop(server);
    drop(rt);
    let out = assay_in(
        data.path(),
        &[
            "--json",
            "provider",
            "models",
            "local",
            "--cached",
            "--profile",
            "work",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        json(&out).as_array().map(Vec::len),
        Some(2),
        "the cached list"
    );
}

#[test]
fn each_failure_exits_with_its_code_and_never_shows_the_key() {
    let rt = runtime();
    let cases = [
        (
            ResponseTemplate::new(401).set_body_json(json!({"error": {
                "message": format!("Incorrect API key provided: {KEY}"), "code": "invalid_api_key"}})),
            21,
            "PROVIDER_AUTH",
        ),
        (
            ResponseTemplate::new(429)
                .insert_header("retry-after-ms", "50")
                .set_body_json(json!({"error": {"message": "slow down", "code": "rate_limit_exceeded"}})),
            23,
            "PROVIDER_RATE_LIMITED",
        ),
        (
            ResponseTemplate::new(402).set_body_json(json!({"error": {"code": 402,
                "message": "Insufficient credits"}})),
            24,
            "OUT_OF_CREDIT",
        ),
        (
            ResponseTemplate::new(500).set_body_raw("oops", "text/plain"),
            24,
            "SERVER_ERROR",
        ),
    ];
    for (response, exit, code) in cases {
        let server = rt.block_on(async {
            let server = MockServer::start().await;
            Mock::given(method("GET"))
                .respond_with(response)
                .mount(&server)
                .await;
            server
        });
        let data = profile_with("openrouter", &format!("{}/api/v1", server.uri()));
        let out = test_endpoint(&data);
        assert_eq!(out.status.code(), Some(exit), "{code}: {}", stderr(&out));
        assert_eq!(error_code(&out), code);
        assert!(
            !stderr(&out).contains(KEY),
            "the key leaked: {}",
            stderr(&out)
        );
        assert_no_file_holds_the_key(data.path());
        let calls = rt
            .block_on(server.received_requests())
            .expect("requests")
            .len();
        if exit == 21 || code == "OUT_OF_CREDIT" {
            assert_eq!(calls, 1, "{code} is not retried");
        } else {
            assert!(calls > 1, "{code} is retried");
        }
    }

    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let data = profile_with("openai-compatible", &format!("http://127.0.0.1:{port}/v1"));
    let out = test_endpoint(&data);
    assert_eq!(out.status.code(), Some(22), "{}", stderr(&out));
    assert_eq!(error_code(&out), "PROVIDER_UNREACHABLE");
}

/// The key lives in the keyring only: no file under the data dir (logs included) holds it,
/// even after a server echoed it in an error.
fn assert_no_file_holds_the_key(dir: &std::path::Path) {
    let mut stack = vec![dir.to_path_buf()];
    let mut files = 0;
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files += 1;
                let bytes = std::fs::read(&path).expect("read file");
                assert!(
                    !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
                    "{} holds the key",
                    path.display()
                );
            }
        }
    }
    assert!(files > 3, "the data dir was scanned ({files} files)");
}

#[test]
fn a_profiles_own_price_overrides_the_table() {
    let data = DataDir::new();
    data.create("Work");
    let prices = || {
        let out = assay_in(
            data.path(),
            &[
                "--json",
                "provider",
                "prices",
                "openai",
                "--profile",
                "work",
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        json(&out)
    };
    let before = prices();
    let table = before["table"].as_array().expect("table");
    assert!(
        table
            .iter()
            .any(|e| e["model"] == "gpt-4o" && e["source"].is_string())
    );
    assert_eq!(before["overrides"], json!([]));

    let out = assay_in(
        data.path(),
        &[
            "--json",
            "provider",
            "set-price",
            "openai",
            "gpt-4o",
            "--input",
            "1.5",
            "--output",
            "6",
            "--profile",
            "work",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let after = json(&out);
    assert_eq!(after["overrides"][0]["model"], "gpt-4o");
    assert_eq!(after["overrides"][0]["price"]["input"], 1.5);

    let out = assay_in(
        data.path(),
        &[
            "--json",
            "provider",
            "set-price",
            "openai",
            "gpt-4o",
            "--input",
            "-1",
            "--output",
            "6",
            "--profile",
            "work",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "a negative price is refused");
    assert_eq!(error_code(&out), "INVALID_INPUT");

    let out = assay_in(
        data.path(),
        &[
            "--json",
            "provider",
            "clear-price",
            "openai",
            "gpt-4o",
            "--profile",
            "work",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(prices()["overrides"], json!([]));
}

#[test]
fn calls_go_through_the_https_proxy_but_never_to_this_machine() {
    // A "proxy" that records the first line it is sent, then hangs up.
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let proxy_url = format!("http://{}", proxy.local_addr().expect("addr"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        if let Ok((stream, _)) = proxy.accept() {
            let mut first = String::new();
            let _ = std::io::BufReader::new(stream).read_line(&mut first);
            let _ = tx.send(first);
        }
    });
    let data = profile_with("openai", "https://api.openai.test/v1");
    let out = crate::assay()
        .arg("--data-dir")
        .arg(data.path())
        .args(["--json", "provider", "test", "local", "--profile", "work"])
        .env("HTTPS_PROXY", &proxy_url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .expect("run assay");
    let first = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the proxy was asked");
    assert!(
        first.starts_with("CONNECT api.openai.test:443"),
        "the call tunnelled through the proxy: {first:?}"
    );
    assert_eq!(out.status.code(), Some(22), "{}", stderr(&out));

    // A server on this machine is reached directly, whatever proxy is set.
    let rt = runtime();
    let server = rt.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{"id": "m"}]})))
            .mount(&server)
            .await;
        server
    });
    let data = profile_with("openai-compatible", &format!("{}/v1", server.uri()));
    let out = crate::assay()
        .arg("--data-dir")
        .arg(data.path())
        .args(["--json", "provider", "test", "local", "--profile", "work"])
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("ALL_PROXY", "http://127.0.0.1:9")
        .output()
        .expect("run assay");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// A TLS server for `localhost` whose certificate a private CA signed (as a company gateway's
/// is): answers each connection's first request with a one-model list. Returns its port.
fn tls_gateway(rt: &tokio::runtime::Runtime) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls::{self, pki_types::pem::PemObject};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls");
    let certs = rustls::pki_types::CertificateDer::pem_file_iter(dir.join("server.pem"))
        .expect("server.pem")
        .collect::<Result<Vec<_>, _>>()
        .expect("certs");
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(dir.join("server.key")).expect("key");
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("config");
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    rt.spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let body = r#"{"data":[{"id":"gateway-model"}]}"#;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

#[test]
fn a_gateway_whose_ca_the_system_trusts_is_reached_and_an_untrusted_one_is_not() {
    let rt = runtime();
    let port = tls_gateway(&rt);
    let data = profile_with("openai-compatible", &format!("https://localhost:{port}/v1"));
    let ca = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls/ca.pem");
    let check = |trust: Option<&std::path::Path>| {
        let mut cmd = crate::assay();
        cmd.arg("--data-dir")
            .arg(data.path())
            .args(["--json", "provider", "test", "local", "--profile", "work"])
            .env_remove("SSL_CERT_DIR");
        match trust {
            // The system's trust store, as rustls-native-certs reads it, with the CA added.
            Some(ca) => cmd.env("SSL_CERT_FILE", ca),
            None => cmd.env_remove("SSL_CERT_FILE"),
        };
        cmd.output().expect("run assay")
    };
    let trusted = check(Some(&ca));
    assert_eq!(trusted.status.code(), Some(0), "{}", stderr(&trusted));
    assert_eq!(json(&trusted)["models"], 1);
    let untrusted = check(None);
    assert_eq!(untrusted.status.code(), Some(22), "{}", stderr(&untrusted));
    assert_eq!(error_code(&untrusted), "PROVIDER_UNREACHABLE");
}

#[test]
fn testing_a_compatible_server_says_it_checked_the_server_and_model_calls_one() {
    let rt = runtime();
    let server = rt.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v1/models"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
            .mount(&server)
            .await;
        // The gateway's backend is down: every model call fails.
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(ResponseTemplate::new(502).set_body_json(json!({
                "error": {"message": "upstream connect error"}})))
            .mount(&server)
            .await;
        server
    });
    let data = profile_with("openai-compatible", &format!("{}/v1", server.uri()));
    let out = test_endpoint(&data);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let check = json(&out);
    assert_eq!(check["checked"], "server", "{check}");
    assert!(
        check["note"]
            .as_str()
            .is_some_and(|n| n.contains("not a model")),
        "{check}"
    );
    let text = assay_in(
        data.path(),
        &["provider", "test", "local", "--profile", "work"],
    );
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("checked the server, not a model"),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
    // With a model, the one-token call finds the backend down.
    let out = assay_in(
        data.path(),
        &[
            "--json",
            "provider",
            "test",
            "local",
            "--model",
            "m",
            "--profile",
            "work",
        ],
    );
    assert_eq!(out.status.code(), Some(24), "{}", stderr(&out));
    assert_eq!(error_code(&out), "SERVER_ERROR");
}
