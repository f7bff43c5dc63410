//! The results explorer on the seeded run: every heatmap cell opens the judges' scores and
//! reasons behind it, filters and sorting, documents with their record and the verdicts on a
//! pair, the win matrix explained, and the judges' agreement and leniency.

use anyhow::ensure;

use crate::harness::with_app;

const ESCAPE: &str = "\u{E00C}";

#[tokio::test]
async fn the_explorer_opens_every_judgement_behind_the_numbers() {
    with_app("explorer", async |app| {
        app.type_into("profile-name", "Explore").await?;
        app.click("create-submit").await?;
        app.click("open-run").await?;
        app.text("run-title").await?;

        // Scores: a cell opens each judge's score and reason per trial, beside the document.
        app.click("tab-scores").await?;
        app.wait_for_count("heat-row", 4).await?;
        app.script("document.querySelector(\"[data-testid='heat-cell'] button\").click()").await?;
        let rows = app.texts("cell-score").await?;
        ensure!(!rows.is_empty(), "the cell's scores are listed");
        ensure!(
            rows.iter().all(|r| r.split_whitespace().count() > 4),
            "each has a judge, trial, score and reason: {rows:?}"
        );
        let judges: std::collections::BTreeSet<&str> = rows.iter().filter_map(|r| r.split_whitespace().next()).collect();
        ensure!(judges.len() == 2, "both judges' scores: {rows:?}");
        let doc = app
            .script("return document.querySelector(\"[data-testid='cell-document']\").querySelectorAll('h1,h2,h3,p').length")
            .await?;
        ensure!(doc.as_u64() > Some(0), "the document is beside them, rendered");
        app.screenshot("cell-detail").await?;
        app.press("cell-detail-close", ESCAPE).await?;
        app.wait_gone("cell-detail").await?;

        // Filters: one model halves the rows; one criterion leaves one column.
        let model = app
            .script("return document.querySelector(\"[data-testid='model-select']\").options[1].value")
            .await?;
        app.set_value("model-select", model.as_str().unwrap_or_default()).await?;
        app.wait_for_count("heat-row", 2).await?;
        app.set_value("model-select", "").await?;
        app.wait_for_count("heat-row", 4).await?;
        let criterion = app
            .script("return document.querySelector(\"[data-testid='criterion-select']\").options[2].value")
            .await?;
        app.set_value("criterion-select", criterion.as_str().unwrap_or_default()).await?;
        app.wait_for_count("heat-cell", 4).await?;
        app.set_value("criterion-select", "").await?;
        app.wait_for_count("heat-cell", 16).await?;

        // Sorting by the mean: descending, then ascending.
        let means = async || -> anyhow::Result<Vec<f64>> {
            Ok(app.texts("heat-mean").await?.iter().filter_map(|t| t.parse().ok()).collect())
        };
        app.click("sort-mean").await?;
        let down = means().await?;
        ensure!(down.len() == 4 && down.windows(2).all(|w| w[0] >= w[1]), "descending: {down:?}");
        app.click("sort-mean").await?;
        let up = means().await?;
        ensure!(up.windows(2).all(|w| w[0] <= w[1]) && up != down, "ascending: {up:?}");

        // Pairwise: the matrix explains itself; which ranking chose each best document.
        app.click("tab-pairwise").await?;
        let help = app.text("win-matrix-help").await?;
        ensure!(help.contains("ties") && help.contains("losses"), "{help}");
        let records = app.texts("win-record").await?;
        ensure!(records.len() == 2, "a won-lost-tied total per model: {records:?}");
        let decided = app.texts("decided-by").await?;
        ensure!(!decided.is_empty() && decided.iter().all(|d| !d.is_empty()), "{decided:?}");

        // Judges: agreement in words, leniency and position consistency per judge.
        app.click("tab-judges").await?;
        let agreement = app.text("judges-agreement").await?;
        ensure!(agreement.contains("Krippendorff"), "{agreement}");
        let leniency = app.texts("leniency").await?;
        ensure!(leniency.len() == 2, "{leniency:?}");
        app.screenshot("judges").await?;

        // Documents: each with its mean, record and cost; a pair of one input side by side
        // with the judges' verdicts and reasons.
        app.click("tab-documents").await?;
        let listed = app.wait_for_count("document-row", 4).await?;
        let costs = app.texts("document-cost").await?;
        ensure!(costs.iter().all(|c| c.starts_with('$')), "{costs:?}");
        let pair = app
            .script(
                "const rows = Array.from(document.querySelectorAll(\"[data-testid='document-row']\"));
                 const input = r => r.cells[0].innerText;
                 const j = rows.findIndex((r, i) => i > 0 && input(r) === input(rows[0]));
                 rows[0].querySelector(\"[data-testid='show-left']\").click();
                 rows[j].querySelector(\"[data-testid='show-right']\").click();
                 return j;",
            )
            .await?;
        ensure!(pair.as_u64() > Some(0), "two documents of one input: {listed:?}");
        app.text("pair-verdicts").await?;
        let verdicts = app
            .script(
                "return Array.from(document.querySelectorAll(\"[data-testid='pair-verdict']\"))
                   .map(r => Array.from(r.cells).map(c => c.innerText.trim()));",
            )
            .await?;
        let verdicts = verdicts.as_array().cloned().unwrap_or_default();
        ensure!(!verdicts.is_empty(), "the judges' verdicts on the pair");
        for v in &verdicts {
            let cells: Vec<&str> = v.as_array().into_iter().flatten().filter_map(|c| c.as_str()).collect();
            ensure!(
                cells.len() == 5 && cells[0].contains('/') && !cells[3].is_empty() && cells[4].len() > 10,
                "judge, trial, shown first, winner and a reason: {cells:?}"
            );
        }
        app.screenshot("documents-pair").await?;
        Ok(())
    })
    .await;
}
