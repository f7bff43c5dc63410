//! Endpoints and their keys: set, replace and delete a key, add and remove an endpoint; the UI
//! and every IPC reply only ever see the mask.

use anyhow::ensure;

use crate::harness::{profiles_in, with_app_in};

const KEY: &str = "sk-e2e-SECRETKEY-0123456789abcd";
const KEY2: &str = "sk-e2e-REPLACED-9876543210wxyz";

#[tokio::test]
async fn provider_keys_are_stored_in_the_keyring_and_only_the_mask_crosses_ipc() {
    let dir = tempfile::tempdir().expect("temp");
    let data = dir.path().to_path_buf();
    with_app_in("settings", dir.path(), async |app| {
        app.type_into("profile-name", "Keys").await?;
        app.click("create-submit").await?;
        app.text("run-list").await?;
        app.click("nav-settings").await?;
        app.text("provider-openai").await?;

        app.script("document.querySelector(\"[data-testid='provider-openai'] [data-testid='key-set']\").click()").await?;
        app.type_into("key-input", "has spaces in it").await?;
        app.click("key-save").await?;
        let err = app.text("provider-error").await?;
        ensure!(err.starts_with("key:"), "a bad key is refused at the key field: {err}");

        // The form stays open after a refusal, with the field cleared.
        app.type_into("key-input", KEY).await?;
        app.click("key-save").await?;
        wait_for_mask(app, "openai", "•••• abcd").await?;
        app.wait_for_text("endpoint-saved", "Key saved in the keyring.").await?;

        app.script("document.querySelector(\"[data-testid='provider-openai'] [data-testid='key-set']\").click()").await?;
        app.type_into("key-input", KEY2).await?;
        app.click("key-save").await?;
        wait_for_mask(app, "openai", "•••• wxyz").await?;
        app.screenshot("provider-keys").await?;

        // Every reply the webview can get about providers, straight from IPC.
        let replies = app
            .client_async(
                "const done = arguments[arguments.length - 1];
                 const invoke = window.__TAURI_INTERNALS__.invoke;
                 Promise.all([invoke('endpoint_list'), invoke('profiles_overview')])
                   .then(r => done(JSON.stringify(r)), e => done('ERR ' + String(e)));",
            )
            .await?;
        ensure!(replies.contains("wxyz") && !replies.starts_with("ERR"), "the replies were read: {replies:.200}");
        for secret in [KEY, KEY2, "SECRETKEY", "REPLACED"] {
            ensure!(!replies.contains(secret), "an IPC reply carries the key: {secret}");
        }
        let page = app.script("return document.documentElement.outerHTML").await?;
        ensure!(!page.as_str().unwrap_or_default().contains("REPLACED"), "the page holds no key");

        let entries = profiles_in(&data).secrets().list()?;
        ensure!(entries.iter().any(|e| e.ends_with("/provider/openai")), "the key is in the keyring: {entries:?}");

        app.script("document.querySelector(\"[data-testid='provider-openai'] [data-testid='key-delete']\").click()").await?;
        app.script("return 0").await?;
        for _ in 0..50 {
            let masks = app.texts("key-mask").await?;
            if masks.iter().all(|m| m == "not set") {
                let entries = profiles_in(&data).secrets().list()?;
                ensure!(!entries.iter().any(|e| e.contains("/provider/")), "deleted from the keyring: {entries:?}");
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        anyhow::bail!("the key was not shown as deleted")
    })
    .await;
}

/// Waits until endpoint `name`'s row shows `mask`.
async fn wait_for_mask(app: &crate::harness::App, name: &str, mask: &str) -> anyhow::Result<()> {
    let js = format!(
        "const m = document.querySelector(\"[data-testid='provider-{name}'] [data-testid='key-mask']\"); return m ? m.innerText.trim() : ''"
    );
    for _ in 0..100 {
        if app.script(&js).await?.as_str() == Some(mask) {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("{name} never showed {mask:?}")
}

#[tokio::test]
async fn an_endpoint_is_added_from_settings_and_its_errors_sit_beside_the_form() {
    crate::harness::with_app("endpoints", async |app| {
        app.type_into("profile-name", "Local").await?;
        app.click("create-submit").await?;
        app.text("run-list").await?;
        app.click("nav-settings").await?;
        app.text("provider-openai").await?;

        // No address for an OpenAI-compatible server: the problem is shown by the form.
        app.type_into("endpoint-add-name", "ollama").await?;
        app.click("endpoint-add").await?;
        let err = app.text("endpoint-add-error").await?;
        ensure!(err.contains("base_url"), "the address is asked for: {err}");

        // A local server that lists two models, as Ollama's /v1/models does.
        let server = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::method("GET"))
            .and(wiremock::matchers::path("/v1/models"))
            .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(
                serde_json::json!({"object": "list", "data": [{"id": "qwen2.5:7b"}, {"id": "llama3.1:8b"}]}),
            ))
            .mount(&server)
            .await;
        app.type_into("endpoint-add-url", &format!("{}/v1", server.uri())).await?;
        app.click("endpoint-add").await?;
        app.text("provider-ollama").await?;

        // Test calls the server's model list and says what it found.
        let in_row = |id: &str| format!("document.querySelector(\"[data-testid='provider-ollama'] [data-testid='{id}']\")");
        app.script(&format!("{}.click()", in_row("endpoint-test"))).await?;
        let result = wait_for_script(app, &format!("const r = {}; return r ? r.innerText : ''", in_row("test-result")), |t| t.starts_with("OK")).await?;
        ensure!(result.contains("2 model(s)"), "the check reports the models: {result}");
        ensure!(
            server.received_requests().await.is_some_and(|r| r.len() == 1),
            "the check made one call"
        );

        // A "too many requests" halves the endpoint's concurrency (4 → 2), and Settings says so.
        wiremock::Mock::given(wiremock::matchers::method("GET"))
            .respond_with(wiremock::ResponseTemplate::new(429).insert_header("retry-after-ms", "10"))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        app.script(&format!("{}.click()", in_row("endpoint-test"))).await?;
        let limit = wait_for_script(
            app,
            "const l = document.querySelector(\"[data-testid='current-limit']\"); return l ? l.innerText : ''",
            |t| !t.is_empty(),
        )
        .await?;
        ensure!(limit.starts_with("now 2"), "the lowered limit is shown: {limit}");

        // Prices: a local server has none in the table; the person sets one.
        app.script(&format!("{}.click()", in_row("endpoint-prices"))).await?;
        app.text("prices-ollama").await?;
        app.type_into("price-model", "qwen2.5:7b").await?;
        app.script("const i = document.querySelector(\"[data-testid='price-output']\"); i.value = '0.5'; i.dispatchEvent(new Event('input', {bubbles: true}));").await?;
        app.click("price-save").await?;
        app.wait_for_text("price-saved", "Price of qwen2.5:7b saved.").await?;
        let row = app.text("price-override").await?;
        ensure!(row.contains("qwen2.5:7b") && row.contains("0.5"), "the price is listed: {row}");
        app.screenshot("endpoint-added").await?;

        // The preset editor picks models from the endpoint's list, fetched on request.
        app.click("nav-presets").await?;
        app.click("edit-preset").await?;
        app.set_value("model-provider-0", "ollama").await?;
        app.click("fetch-models").await?;
        let said = wait_for_script(
            app,
            "const f = document.querySelector(\"[data-testid='fetched-models']\"); return f ? f.innerText : ''",
            |t| t.contains("ollama"),
        )
        .await?;
        ensure!(said.contains("ollama: 2 models"), "the list is fetched: {said}");
        let offered = app
            .script("return Array.from(document.querySelectorAll(\"[data-testid='models-of-ollama'] option\")).map(o => o.value)")
            .await?;
        ensure!(offered == serde_json::json!(["llama3.1:8b", "qwen2.5:7b"]), "the model field offers them: {offered}");
        app.click("preset-cancel").await?;
        app.click("nav-settings").await?;
        app.text("provider-ollama").await?;
        app.script("document.querySelector(\"[data-testid='provider-ollama'] [data-testid='endpoint-remove']\").click()").await?;
        app.wait_gone("provider-ollama").await?;
        Ok(())
    })
    .await;
}

/// Polls `js` (which returns a string) until `done` holds for it, or fails after 20 s.
async fn wait_for_script(
    app: &crate::harness::App,
    js: &str,
    done: impl Fn(&str) -> bool,
) -> anyhow::Result<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let text = app
            .script(js)
            .await?
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if done(&text) {
            return Ok(text);
        }
        if std::time::Instant::now() > deadline {
            anyhow::bail!("still {text:?} after 20 s");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_usage_table_shows_the_seeded_runs_calls_per_model() {
    crate::harness::with_app("usage", async |app| {
        app.type_into("profile-name", "Spend").await?;
        app.click("create-submit").await?;
        app.text("run-list").await?;
        app.click("nav-settings").await?;
        let rows = app.wait_for_count("usage-row", 4).await?;
        ensure!(
            rows[0] == "openai\tgpt-4o\t6\t14,549\t1,977\t$0.0561\t2026-10-20",
            "the most expensive model first: {rows:?}"
        );
        ensure!(app.text("usage-calls").await? == "16", "16 calls");
        ensure!(
            app.text("usage-tokens").await? == "38,732 tokens",
            "the run's tokens"
        );
        ensure!(app.text("usage-cost").await? == "$0.0888", "the run's cost");
        app.screenshot("usage").await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_profile_is_exported_from_settings_through_the_native_dialog() {
    let out_dir = tempfile::tempdir().expect("temp");
    let bundle = out_dir.path().join("exported.assaybundle");
    let dir = tempfile::tempdir().expect("temp");
    with_app_in("export", dir.path(), async |app| {
        app.type_into("profile-name", "Outbound").await?;
        app.click("create-submit").await?;
        app.text("run-list").await?;
        app.click("nav-settings").await?;
        app.type_into("export-passphrase", "outbound bundle pass")
            .await?;
        app.type_into("export-repeat", "outbound bundle pas")
            .await?;
        app.text("export-mismatch").await?;
        app.type_into("export-repeat", "s").await?;
        app.click("export-submit").await?;
        app.answer_file_dialog("Export profile", &bundle).await?;
        let done = app.text("export-done").await?;
        ensure!(
            done.contains(&bundle.display().to_string()) && done.ends_with("and checked it."),
            "the export reports where it wrote and that it checked: {done}"
        );
        // The last progress report stays: the read-back, counted to the bundle's full size.
        let size = std::fs::metadata(&bundle)?.len().to_string();
        ensure!(
            app.attr("transfer-status", "data-phase").await?.as_deref() == Some("verify"),
            "progress reached the verification"
        );
        let bar = app
            .script(
                "const b = document.querySelector(\"[data-testid='transfer-bar']\"); \
                 return [String(b.value), String(b.max)];",
            )
            .await?;
        ensure!(
            bar == serde_json::json!([size, size]),
            "the progress bar is full at the bundle's size {size}: {bar}"
        );
        ensure!(
            app.text("transfer-label").await?.contains("100%"),
            "the label says it finished"
        );
        app.screenshot("export").await?;
        Ok(())
    })
    .await;
    let manifest = assay_core::transfer::inspect_bundle(
        &bundle,
        &assay_core::secrets::Passphrase::new("outbound bundle pass".into()),
    )
    .expect("the bundle opens with the passphrase typed in the app");
    assert_eq!(manifest.profile_name, "Outbound");
    assert!(!manifest.includes_provider_keys);
}

#[tokio::test]
async fn a_model_is_checked_as_a_judge_from_settings() {
    let (server, _counts) = crate::fake_llm::serve(std::time::Duration::from_millis(20)).await;
    crate::harness::with_app("judge-check", async |app| {
        app.type_into("profile-name", "Judges").await?;
        app.click("create-submit").await?;
        app.text("run-list").await?;
        app.click("nav-settings").await?;
        app.type_into("endpoint-add-name", "local").await?;
        app.type_into("endpoint-add-url", &format!("{}/v1", server.uri()))
            .await?;
        app.click("endpoint-add").await?;
        app.text("provider-local").await?;
        let in_row = |id: &str| {
            format!(
                "document.querySelector(\"[data-testid='provider-local'] [data-testid='{id}']\")"
            )
        };
        app.script(&format!("{}.click()", in_row("endpoint-judge")))
            .await?;
        for (model, valid) in [("fake-junk", false), ("fake-judge-1", true)] {
            app.set_value("judge-model", model).await?;
            app.click("judge-check-run").await?;
            let result = app.text("judge-check-result").await?;
            if valid {
                ensure!(
                    result.matches("valid on the first try").count() == 2,
                    "both requests read at once: {result}"
                );
            } else {
                ensure!(
                    result.contains("not valid, even after the repair")
                        && result.contains("NOT_JSON"),
                    "the problem is named: {result}"
                );
                for theme in ["light", "dark"] {
                    app.script(&format!(
                        "document.documentElement.dataset.theme = '{theme}'"
                    ))
                    .await?;
                    app.screenshot(&format!("judge-check-{theme}")).await?;
                }
            }
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_server_that_echoes_the_key_in_its_error_never_gets_it_onto_the_screen() {
    // A local server answering every call with 401 and the key, after 255 characters.
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(401).set_body_json(
            serde_json::json!({"error": {"message": format!("{}{KEY}", "x".repeat(255))}}),
        ))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("temp");
    let data = dir.path().to_path_buf();
    with_app_in("echo", dir.path(), async |app| {
        app.type_into("profile-name", "Echo").await?;
        app.click("create-submit").await?;
        app.text("run-list").await?;
        app.click("nav-settings").await?;
        app.type_into("endpoint-add-name", "echo").await?;
        app.type_into("endpoint-add-url", &format!("{}/v1", server.uri()))
            .await?;
        app.click("endpoint-add").await?;
        app.text("provider-echo").await?;
        let in_row = |id: &str| {
            format!(
                "document.querySelector(\"[data-testid='provider-echo'] [data-testid='{id}']\")"
            )
        };
        app.script(&format!("{}.click()", in_row("key-set")))
            .await?;
        app.type_into("key-input", KEY).await?;
        app.click("key-save").await?;
        wait_for_mask(app, "echo", "•••• abcd").await?;
        app.script(&format!("{}.click()", in_row("endpoint-test")))
            .await?;
        let result = wait_for_script(
            app,
            &format!(
                "const r = {}; return r ? r.innerText : ''",
                in_row("test-result")
            ),
            |t| t.contains("PROVIDER_AUTH"),
        )
        .await?;
        ensure!(
            result.contains("[key]"),
            "the echo is shown redacted: {result}"
        );
        let page = app
            .script("return document.documentElement.outerHTML")
            .await?;
        let page = page.as_str().unwrap_or_default().to_owned();
        let mut logs = String::new();
        for entry in std::fs::read_dir(data.join("logs"))? {
            logs.push_str(&String::from_utf8_lossy(&std::fs::read(entry?.path())?));
        }
        for start in 0..=KEY.len() - 8 {
            let run = &KEY[start..start + 8];
            ensure!(!page.contains(run), "the page shows {run:?} of the key");
            ensure!(!logs.contains(run), "the log holds {run:?} of the key");
        }
        for theme in ["light", "dark"] {
            app.script(&format!(
                "document.documentElement.dataset.theme = '{theme}'"
            ))
            .await?;
            app.screenshot(&format!("echo-redacted-{theme}")).await?;
        }
        Ok(())
    })
    .await;
}
