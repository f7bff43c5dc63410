//! The seeded run's Evaluation tabs show the numbers core computes.

use anyhow::ensure;

use crate::harness::with_app;

#[tokio::test]
async fn the_seeded_run_renders_every_evaluation_tab_with_cores_numbers() {
    with_app("evaluation", async |app| {
        app.type_into("profile-name", "Eval").await?;
        app.click("create-submit").await?;
        app.click("open-run").await?;
        app.wait_for_text("run-title", "Decision briefings: first comparison").await?;

        // Overview: haiku mean 71/16 = 4.44, mini 58/16 = 3.63 (rounded from 3.625); Elo from
        // the four verdicts in input/model/judge order.
        let means = app.texts("mean-score").await?;
        ensure!(means == ["4.44", "3.63"], "mean scores, 3.625 rounded as the report does: {means:?}");
        let elo = app.texts("elo").await?;
        ensure!(elo == ["1031.7", "968.3"], "Elo {elo:?}");
        let tokens = app.text("run-tokens").await?;
        ensure!(
            tokens.chars().filter(char::is_ascii_digit).collect::<String>() == "38732" && tokens.len() > 5,
            "total tokens with a thousands separator: {tokens}"
        );
        app.screenshot("overview").await?;

        app.click("tab-scores").await?;
        let cells = app.texts("heat-cell").await?;
        ensure!(cells.len() == 16, "4 documents x 4 criteria, got {}", cells.len());
        let colour = app
            .script("return getComputedStyle(document.querySelector(\"[data-testid='heat-cell']\")).backgroundColor")
            .await?;
        let colour = colour.as_str().unwrap_or_default().to_owned();
        ensure!(colour.starts_with("rgb(") && colour != "rgba(0, 0, 0, 0)", "cells are coloured under the CSP: {colour}");
        app.screenshot("scores").await?;

        app.click("tab-pairwise").await?;
        let bt = app.texts("bt").await?;
        ensure!(bt.len() == 2 && bt[0].starts_with("1.53"), "Bradley-Terry {bt:?}");
        app.screenshot("pairwise").await?;

        app.click("tab-timeline").await?;
        let chart = app
            .script(
                "return [document.querySelectorAll(\"[data-testid='timeline-bar']\").length,
                         Array.from(document.querySelectorAll(\"[data-testid='timeline-lane']\")).map(l => l.dataset.endpoint)];",
            )
            .await?;
        ensure!(chart[0] == 16, "16 calls as bars on the timeline chart: {chart}");
        ensure!(
            chart[1] == serde_json::json!(["anthropic", "google", "openai"]),
            "a lane per endpoint: {chart}"
        );
        // Hovering a bar shows its call.
        app.script(
            "document.querySelector(\"[data-testid='timeline-bar']\").dispatchEvent(new MouseEvent('mouseenter'))",
        )
        .await?;
        let card = app.text("timeline-hover").await?;
        ensure!(card.contains("tokens") && card.contains(" s"), "the hovered call is shown: {card}");
        app.screenshot("timeline").await?;
        app.click("tab-documents").await?;
        app.text("documents").await?;
        // Side by side, rendered by core: headings and lists, not markdown source.
        let rendered = app
            .script(
                "const docs = document.querySelectorAll(\"[data-testid='document-html']\");
                 return [docs.length, docs[0].querySelectorAll('h1,h2,h3,li,strong').length,
                         docs[0].innerText.includes('## ') || docs[0].innerText.includes('**')];",
            )
            .await?;
        ensure!(rendered[0] == 2, "two documents side by side: {rendered}");
        ensure!(rendered[1].as_u64() > Some(0), "markdown is rendered: {rendered}");
        ensure!(rendered[2] == false, "no markdown source shows: {rendered}");
        app.screenshot("documents").await?;
        Ok(())
    })
    .await;
}
