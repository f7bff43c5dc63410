//! The main screens work from the keyboard: forms submit with Enter, buttons activate with
//! Enter, and the Evaluation tabs follow the WAI-ARIA tabs pattern.

use anyhow::ensure;

use crate::harness::with_app;

const ENTER: &str = "\u{E007}";
const TAB: &str = "\u{E004}";
const LEFT: &str = "\u{E012}";
const RIGHT: &str = "\u{E014}";
const HOME: &str = "\u{E011}";
const END: &str = "\u{E010}";

#[tokio::test]
async fn first_launch_to_the_evaluation_tabs_works_from_the_keyboard() {
    with_app("keyboard", async |app| {
        // First launch: the name field has the focus, and Enter creates the profile.
        app.text("profile-name").await?;
        ensure!(
            app.focused().await?.as_deref() == Some("profile-name"),
            "the first field is focused on first launch"
        );
        app.type_into("profile-name", &format!("Keys{ENTER}"))
            .await?;
        app.press("open-run", ENTER).await?;
        app.text("run-title").await?;

        let selected = async |id: &str| -> anyhow::Result<bool> {
            Ok(
                app.attr(id, "aria-selected").await?.as_deref() == Some("true")
                    && app.focused().await?.as_deref() == Some(id),
            )
        };
        app.press("tab-overview", RIGHT).await?;
        ensure!(
            selected("tab-scores").await?,
            "Right selects and focuses Scores"
        );
        app.text("heatmap").await?;
        app.press("tab-scores", END).await?;
        ensure!(selected("tab-report").await?, "End goes to the last tab");
        app.press("tab-report", HOME).await?;
        ensure!(
            selected("tab-overview").await?,
            "Home goes to the first tab"
        );
        app.press("tab-overview", LEFT).await?;
        ensure!(selected("tab-report").await?, "Left wraps to the last tab");

        // Only the selected tab is in the Tab order: Tab leaves the tab list for the panel.
        app.press("tab-report", TAB).await?;
        let next = app.focused().await?;
        ensure!(
            next.as_deref().is_some_and(|id| !id.starts_with("tab-")),
            "Tab moves past the tab list, got {next:?}"
        );
        Ok(())
    })
    .await;
}
