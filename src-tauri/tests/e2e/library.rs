//! The content library: filter, search, rendered markdown, create, and errors from core.

use anyhow::ensure;

use crate::harness::with_app;

#[tokio::test]
async fn the_library_filters_searches_renders_and_shows_cores_errors() {
    with_app("library", async |app| {
        app.type_into("profile-name", "Lib").await?;
        app.click("create-submit").await?;
        app.click("nav-library").await?;
        app.wait_for_text("content-count", "9").await?;

        app.script(
            "const s = document.querySelector(\"[data-testid='filter-kind']\"); s.value = 'input_document'; s.dispatchEvent(new Event('change', { bubbles: true }));",
        )
        .await?;
        wait_for_count(app, 3).await?;
        app.script("const s = document.querySelector(\"[data-testid='filter-kind']\"); s.value = ''; s.dispatchEvent(new Event('change', { bubbles: true }));").await?;
        app.type_into("filter-search", "harbour").await?;
        wait_for_count(app, 1).await?;

        app.script("document.querySelector(\"[data-testid='content-item'] button\").click()").await?;
        app.text("content-html").await?;
        let html = app.script("return document.querySelector(\"[data-testid='content-html']\").innerHTML").await?;
        let html = html.as_str().unwrap_or_default();
        ensure!(html.contains("<h1>Proposal: replacing the gas boilers"), "markdown rendered: {html:.200}");
        ensure!(html.contains("<table>"), "tables rendered");
        app.screenshot("content").await?;

        app.click("new-content").await?;
        app.click("content-save").await?;
        let err = app.text("field-error-name").await?;
        ensure!(err.contains("1–200 characters"), "the empty name error sits by the field: {err}");
        app.type_into("content-name", "Scratch").await?;
        app.type_into("content-body", "# Hello <script>alert(1)</script>").await?;
        app.click("content-save").await?;
        app.text("content-html").await?;
        let html = app.script("return document.querySelector(\"[data-testid='content-html']\").innerHTML").await?;
        let html = html.as_str().unwrap_or_default();
        ensure!(html.contains("<h1>Hello &lt;script&gt;"), "raw HTML is shown as text, not run: {html}");
        app.click("content-delete").await?;

        // Search also matches text, and both instruction items mention "Criteria": select the
        // criteria by type instead.
        app.script("const i = document.querySelector(\"[data-testid='filter-search']\"); i.value = ''; i.dispatchEvent(new Event('input', { bubbles: true }));").await?;
        app.script("const s = document.querySelector(\"[data-testid='filter-kind']\"); s.value = 'eval_criteria'; s.dispatchEvent(new Event('change', { bubbles: true }));").await?;
        wait_for_count(app, 1).await?;
        app.script("document.querySelector(\"[data-testid='content-item'] button\").click()").await?;
        app.click("content-delete").await?;
        let err = app.text("library-error").await?;
        ensure!(err.contains("IN_USE") && err.contains("Decision briefings"), "deleting used content is refused: {err}");
        Ok(())
    })
    .await;
}

async fn wait_for_count(app: &crate::harness::App, n: usize) -> anyhow::Result<()> {
    for _ in 0..100 {
        let count = app
            .script("return document.querySelectorAll(\"[data-testid='content-item']\").length")
            .await?;
        if count.as_u64() == Some(n as u64) {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("the list never showed {n} items")
}
