//! The app behaves like a desktop app: sidebar sections, keyboard shortcuts with a help
//! overlay, Escape closing dialogs, leaving (or closing the window) with unsaved edits asks
//! first, saves say so, a preset's errors go as soon as they are fixed, and the theme follows
//! the preference.

use anyhow::ensure;

use crate::harness::{App, with_app};

const ESCAPE: &str = "\u{E00C}";
const F1: &str = "\u{E031}";

/// Presses Ctrl+`key` with the focus on `id`.
async fn ctrl(app: &App, id: &str, key: char) -> anyhow::Result<()> {
    app.press(id, &format!("\u{E009}{key}\u{E000}")).await
}

#[tokio::test]
async fn shortcuts_dialogs_unsaved_edits_saves_and_themes_work_as_people_expect() {
    with_app("layout", async |app| {
        app.type_into("profile-name", "Layout").await?;
        app.click("create-submit").await?;
        app.wait_for_text("active-profile", "Layout").await?;
        ensure!(
            app.attr("nav-runs", "aria-current").await?.as_deref() == Some("page"),
            "the sidebar opens on Runs"
        );

        // F1 lists the shortcuts; Escape closes the list.
        app.press("nav-runs", F1).await?;
        let listed = app.texts("shortcut").await?;
        ensure!(listed.len() >= 8, "the shortcuts are listed: {listed:?}");
        app.screenshot("help").await?;
        app.press("help-close", ESCAPE).await?;
        app.wait_gone("help-overlay").await?;

        // Ctrl+2 goes to Presets; Ctrl+N opens a new preset.
        ctrl(app, "nav-runs", '2').await?;
        app.text("presets").await?;
        ctrl(app, "nav-presets", 'n').await?;
        app.text("preset-form").await?;

        // Save with no name: the problem shows beside the field, and goes as soon as the
        // name is typed.
        app.click("preset-save").await?;
        let errors = app.texts("field-error").await?;
        ensure!(!errors.is_empty(), "the empty name is refused: {errors:?}");
        app.set_value("preset-name", "Keyboard preset").await?;
        app.wait_gone("field-error").await?;
        app.wait_gone("preset-problems").await?;

        // Leaving with the edit unsaved asks; staying keeps it, discarding leaves.
        app.click("nav-library").await?;
        let asked = app.text("unsaved-dialog").await?;
        ensure!(asked.contains("Keyboard preset"), "the dialog names the edit: {asked}");
        app.screenshot("unsaved").await?;
        app.click("unsaved-stay").await?;
        app.wait_gone("unsaved-dialog").await?;
        ensure!(
            app.script("return document.querySelector(\"[data-testid='preset-name']\").value").await?
                == "Keyboard preset",
            "the edit is still there"
        );
        // Saving says so, and then leaving does not ask.
        app.click("preset-save").await?;
        app.wait_for_text("preset-saved", "Saved “Keyboard preset”.").await?;
        app.click("nav-library").await?;
        app.text("content-count").await?;
        ensure!(
            app.script("return document.querySelectorAll(\"[data-testid='unsaved-dialog']\").length").await? == 0,
            "nothing unsaved, nothing asked"
        );

        // An edit in the library, discarded on leaving.
        app.click("new-content").await?;
        app.type_into("content-name", "Draft note").await?;
        app.click("nav-runs").await?;
        app.click("unsaved-discard").await?;

        app.text("run-list").await?;

        // Ctrl+F searches the library; Ctrl+P goes to the profile switcher.
        ctrl(app, "nav-runs", 'f').await?;
        app.text("library").await?;
        app.wait_for_text("content-count", "9").await?;
        ensure!(app.focused().await?.as_deref() == Some("filter-search"), "the search field has the focus");
        ctrl(app, "filter-search", 'p').await?;
        ensure!(app.focused().await?.as_deref() == Some("profile-switcher"), "the switcher has the focus");

        // Ctrl+R opens the Run dialog; Escape cancels it.
        ctrl(app, "profile-switcher", 'r').await?;
        app.text("run-dialog").await?;
        app.press("run-dialog", ESCAPE).await?;
        app.wait_gone("run-dialog").await?;

        // A library item saved says so.
        app.click("nav-library").await?;
        app.click("new-content").await?;
        app.type_into("content-name", "Saved note").await?;
        app.type_into("content-body", "Some text").await?;
        app.click("content-save").await?;
        app.wait_for_text("content-saved", "Saved “Saved note”.").await?;

        // The theme: dark, then light, from Settings; the page's colours follow.
        let background = "return [document.documentElement.dataset.theme || 'system', getComputedStyle(document.documentElement).backgroundColor]";
        app.click("nav-settings").await?;
        app.text("pref-theme").await?;
        app.set_value("pref-theme", "dark").await?;
        app.text("prefs-saved").await?;
        let dark = app.script(background).await?;
        ensure!(dark[0] == "dark", "{dark}");
        app.set_value("pref-theme", "light").await?;
        let light = app.script(background).await?;
        ensure!(light[0] == "light" && light[1] != dark[1], "the colours change with the theme: {dark} then {light}");

        // Closing the window with an unsaved edit asks in the app; Stay keeps the window.
        app.click("nav-library").await?;
        app.click("new-content").await?;
        ensure!(
            app.script("return document.querySelectorAll(\"[data-testid='run-dialog']\").length").await? == 0,
            "a shortcut handled once is not handled again when a screen opens later"
        );
        app.type_into("content-name", "Unsaved note").await?;
        app.request_close().await?;
        let asked = app.text("quit-unsaved").await?;
        ensure!(asked.contains("Unsaved note"), "the dialog names the edit: {asked}");
        app.screenshot("quit-unsaved").await?;
        app.click("quit-cancel").await?;
        app.wait_gone("quit-dialog").await?;
        ensure!(
            app.script("return document.querySelector(\"[data-testid='content-name']\").value").await? == "Unsaved note",
            "the edit is still there"
        );
        Ok(())
    })
    .await;
}
