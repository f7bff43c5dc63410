//! Every main screen in the light and the dark theme, for docs/screenshots (`make
//! screenshots` copies them). Each screen is checked to be the one captured.

use anyhow::ensure;

use crate::harness::with_app;

#[tokio::test]
async fn every_main_screen_renders_in_light_and_dark() {
    with_app("screens", async |app| {
        app.type_into("profile-name", "Screens").await?;
        app.click("create-submit").await?;
        app.text("open-run").await?;
        for theme in ["light", "dark"] {
            app.click("nav-settings").await?;
            app.set_value("pref-theme", theme).await?;
            app.text("prefs-saved").await?;
            let applied = app
                .script("return document.documentElement.dataset.theme")
                .await?;
            ensure!(applied == theme, "the {theme} theme is applied: {applied}");
            app.screenshot(&format!("settings-{theme}")).await?;

            app.click("nav-runs").await?;
            app.text("run-list").await?;
            app.screenshot(&format!("runs-{theme}")).await?;
            app.click("open-run").await?;
            app.text("overview").await?;
            app.screenshot(&format!("run-overview-{theme}")).await?;
            for (tab, shown) in [
                ("scores", "heatmap"),
                ("pairwise", "win-matrix"),
                ("judges", "judges-table"),
                ("documents", "document-table"),
                ("timeline", "timeline-chart"),
            ] {
                app.click(&format!("tab-{tab}")).await?;
                app.text(shown).await?;
                app.screenshot(&format!("run-{tab}-{theme}")).await?;
            }
            app.click("back-to-runs").await?;

            app.click("nav-presets").await?;
            app.click("edit-preset").await?;
            app.text("preset-form").await?;
            app.screenshot(&format!("presets-{theme}")).await?;
            app.click("preset-cancel").await?;
            app.click("nav-library").await?;
            app.wait_for_text("content-count", "9").await?;
            app.script("document.querySelector(\"[data-testid='content-item'] button\").click()")
                .await?;
            app.text("content-html").await?;
            app.screenshot(&format!("library-{theme}")).await?;
        }
        Ok(())
    })
    .await;
}
