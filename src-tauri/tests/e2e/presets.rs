//! Presets: editing with every validation error shown at once, beside the field it belongs to.

use anyhow::ensure;

use crate::harness::with_app;

#[tokio::test]
async fn preset_errors_appear_beside_their_fields_and_a_valid_edit_saves() {
    with_app("presets", async |app| {
        app.type_into("profile-name", "Presets").await?;
        app.click("create-submit").await?;
        app.click("nav-presets").await?;
        app.click("edit-preset").await?;

        app.script("const i = document.querySelector(\"[data-testid='temperature-0']\"); i.value = '9'; i.dispatchEvent(new Event('input', { bubbles: true }));").await?;
        app.script("const i = document.querySelector(\"[data-testid='preset-name']\"); i.value = ''; i.dispatchEvent(new Event('input', { bubbles: true }));").await?;
        app.click("preset-save").await?;
        let errors = app.texts("field-error").await?;
        ensure!(errors.iter().any(|e| e.contains("temperature: must be between 0 and 2")), "{errors:?}");
        ensure!(errors.iter().any(|e| e.contains("use 1–200 characters")), "the name's problem is shown at the same time: {errors:?}");
        app.wait_for_count("preset-problem", 2).await?;
        app.screenshot("field-error").await?;
        app.script("const i = document.querySelector(\"[data-testid='preset-name']\"); i.value = 'Decision briefings'; i.dispatchEvent(new Event('input', { bubbles: true }));").await?;

        app.script("const i = document.querySelector(\"[data-testid='temperature-0']\"); i.value = '0.5'; i.dispatchEvent(new Event('input', { bubbles: true }));").await?;
        app.click("preset-save").await?;
        app.wait_for_text("preset-saved", "Saved “Decision briefings”.").await?;

        app.click("new-preset").await?;
        app.type_into("preset-name", "decision BRIEFINGS").await?;
        app.click("preset-save").await?;
        let errors = app.texts("field-error").await?;
        ensure!(errors.iter().any(|e| e.contains("already exists")), "a taken name is a name error: {errors:?}");
        app.script("const i = document.querySelector(\"[data-testid='preset-name']\"); i.value = 'Second preset'; i.dispatchEvent(new Event('input', { bubbles: true }));").await?;
        app.click("preset-save").await?;
        app.wait_for_text("preset-saved", "Saved “Second preset”.").await?;
        let items = app.texts("preset-item").await?;
        ensure!(items.len() == 2, "two presets now: {items:?}");
        Ok(())
    })
    .await;
}
