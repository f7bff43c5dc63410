//! Reports of one run: a self-contained offline HTML file (inline CSS and SVG; no scripts,
//! fonts or network), and JSON and CSV exports of the same data.
//!
//! Rendering is deterministic: the same run renders to the same bytes (no render time, fixed
//! bootstrap seed, stable ordering), so reports can be compared across machines.

mod charts;
pub mod comparison;
mod csv;
mod html;
mod judgements;
pub mod timeline;

use crate::domain::run::RunDetail;
use crate::rankings::{self, RunRankings};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// One self-contained HTML file.
    Html,
    /// The run and its rankings as one JSON document.
    Json,
    /// One row per score and per pairwise verdict.
    Csv,
}

impl ReportFormat {
    /// The file extension, which is also the name `parse` accepts.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Html => "html",
            Self::Json => "json",
            Self::Csv => "csv",
        }
    }

    /// Parses `html`, `json` or `csv`.
    pub fn parse(text: &str) -> crate::error::Result<Self> {
        match text {
            "html" => Ok(Self::Html),
            "json" => Ok(Self::Json),
            "csv" => Ok(Self::Csv),
            other => Err(crate::Error::InvalidInput(format!(
                "{other:?} is not a report format; use html, json or csv"
            ))),
        }
    }
}

/// The data every format renders.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReportData<'a> {
    /// The run with its raw results.
    pub run: &'a RunDetail,
    /// Rankings computed from them.
    pub rankings: RunRankings,
}

/// Renders `run` in `format`.
pub fn render(run: &RunDetail, format: ReportFormat) -> crate::error::Result<Vec<u8>> {
    let data = ReportData {
        run,
        rankings: rankings::rank(run),
    };
    Ok(match format {
        ReportFormat::Html => html::render(&data).into_bytes(),
        ReportFormat::Json => {
            let mut out = serde_json::to_vec_pretty(&data).map_err(|e| {
                crate::Error::InvalidInput(format!("could not encode the report: {e}"))
            })?;
            out.push(b'\n');
            out
        }
        ReportFormat::Csv => csv::render(&data).into_bytes(),
    })
}

/// Renders `run` in `format` and writes it to `path` atomically (a crash leaves the old file or
/// the new one, never half of one). Returns the number of bytes written.
pub fn write_file(
    run: &RunDetail,
    format: ReportFormat,
    path: &std::path::Path,
) -> crate::error::Result<usize> {
    let bytes = render(run, format)?;
    crate::fs::write_atomic(path, &bytes)?;
    Ok(bytes.len())
}

/// A file name to suggest when saving `run`'s report: its title in lowercase words joined by
/// `-` (letters and digits only, at most 60 characters), then the format's extension.
pub fn file_name(run: &RunDetail, format: ReportFormat) -> String {
    let mut stem = String::new();
    for word in run
        .summary
        .title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_lowercase();
        if stem.chars().count() + word.chars().count() >= 60 {
            break;
        }
        if !stem.is_empty() {
            stem.push('-');
        }
        stem.push_str(&word);
    }
    if stem.is_empty() {
        stem.push_str("report");
    }
    format!("{stem}.{}", format.extension())
}

/// Escapes text for HTML and SVG; control characters show as their escapes
/// ([`crate::display::text`]).
pub(crate) fn esc(text: &str) -> String {
    let text = crate::display::text(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
