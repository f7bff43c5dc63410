//! Untrusted documents: a link, a `javascript:` link, a remote image and raw HTML in a
//! document, each pointing at a local listener. Clicking each leaves the app where it was, the
//! listener gets no request, and only the web link, after the person confirms its address,
//! reaches the system opener (a stub `xdg-open` on PATH that records what it is asked). A
//! script that sets `location` is refused by the shell's navigation guard.

use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::ensure;
use assay_core::domain::content::{ContentDraft, ContentKind};
use assay_core::library::Library;
use assay_core::profile::KeyProtection;

use crate::harness::{App, profiles_in};

#[tokio::test]
async fn links_in_a_document_never_navigate_the_app_and_open_only_when_confirmed() {
    // Anything that reaches this listener is a request the person did not make.
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let hits = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicUsize::new(0));
    let counter = {
        let (hits, stop) = (Arc::clone(&hits), Arc::clone(&stop));
        std::thread::spawn(move || {
            // Blocks in accept; the test wakes it with one connection of its own to stop it.
            while let Ok((mut s, _)) = listener.accept() {
                if stop.load(Ordering::SeqCst) != 0 {
                    break;
                }
                hits.fetch_add(1, Ordering::SeqCst);
                let _ = s.read(&mut [0u8; 512]);
            }
        })
    };

    let stub = tempfile::tempdir().expect("stub dir");
    let record = stub.path().join("opened.txt");
    let opener = stub.path().join("xdg-open");
    std::fs::write(
        &opener,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}'\n",
            record.display()
        ),
    )
    .expect("stub opener");
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).expect("chmod");

    let base = format!("http://127.0.0.1:{port}");
    let body = format!(
        "# Untrusted\n\n[web link]({base}/web) and [script link](javascript:fetch('{base}/js'))\n\n\
         ![remote image]({base}/image.png)\n\n<a href=\"{base}/raw\">raw link</a> \
         <img src=\"{base}/raw.png\">\n"
    );
    let dir = tempfile::tempdir().expect("data dir");
    {
        let profiles = profiles_in(dir.path());
        profiles
            .create("Links", KeyProtection::Keyring)
            .expect("create");
        let open = profiles.open_profile("links", None).expect("open");
        Library::of(&open)
            .expect("ready")
            .create_content(&ContentDraft {
                name: "Untrusted document".into(),
                kind: ContentKind::InputDocument,
                body,
                variables: Default::default(),
                tags: vec![],
            })
            .expect("content");
    }

    let path = format!(
        "{}:{}",
        stub.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let app = App::launch_with("links", dir.path(), &[("PATH", &path)])
        .await
        .expect("launch");
    let outcome = async {
        app.click("open-profile").await?;
        app.click("nav-library").await?;
        app.type_into("filter-search", "untrusted").await?;
        app.script("document.querySelector(\"[data-testid='content-item'] button\").click()")
            .await?;
        app.text("content-html").await?;
        let here = app.script("return location.href").await?;
        let html = app
            .script("return document.querySelector(\"[data-testid='content-html']\").innerHTML")
            .await?;
        let html = html.as_str().unwrap_or_default().to_owned();
        ensure!(!html.contains("<img"), "no image is rendered: {html}");
        ensure!(!html.contains("javascript:"), "no script link: {html}");
        ensure!(
            html.contains("&lt;a href="),
            "raw HTML shows as text: {html}"
        );
        app.screenshot("untrusted").await?;

        let links = app
            .script("return document.querySelectorAll(\"[data-testid='content-html'] a\").length")
            .await?
            .as_u64()
            .unwrap_or(0);
        ensure!(
            links == 2,
            "the web link and the script link's text: {links}"
        );
        // The script link, whose address was removed: nothing to open.
        app.script("document.querySelectorAll(\"[data-testid='content-html'] a\")[1].click()")
            .await?;
        let prompt = app.text("link-prompt").await?;
        ensure!(prompt.contains("cannot be opened"), "{prompt}");
        ensure!(
            app.script("return location.href").await? == here,
            "the app stayed where it was"
        );
        app.click("link-cancel").await?;
        app.wait_gone("link-prompt").await?;

        // The web link: its address is shown first, and only Open hands it on.
        app.script("document.querySelectorAll(\"[data-testid='content-html'] a\")[0].click()")
            .await?;
        let address = app.text("link-address").await?;
        ensure!(
            address == format!("{base}/web"),
            "the address is shown: {address}"
        );
        ensure!(
            app.script("return location.href").await? == here,
            "the app stayed where it was"
        );
        ensure!(
            !record.exists(),
            "nothing is opened before the person says so"
        );
        app.click("link-open").await?;
        app.wait_gone("link-prompt").await?;
        app.text("content-html").await?;

        // Even a script that tries cannot take the window away: the shell's guard refuses.
        app.script(&format!("location.href = '{base}/navigate'; return 0"))
            .await?;
        app.text("content-html").await?;
        ensure!(
            app.script("return location.href").await? == here,
            "the window stayed on the app"
        );
        Ok(())
    }
    .await;
    app.finish(outcome).await;

    // The stub runs detached: wait for what it writes, within a bound.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let opened = loop {
        let text = std::fs::read_to_string(&record).unwrap_or_default();
        if !text.is_empty() || std::time::Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    stop.store(1, Ordering::SeqCst);
    let _ = std::net::TcpStream::connect(("127.0.0.1", port));
    counter.join().expect("listener thread");
    assert_eq!(
        opened.trim(),
        format!("{base}/web"),
        "the system opener got the web link"
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the listener got no request"
    );
}
