//! `assay run compare RUN_A RUN_B`: the change in mean score per model and criterion (with a
//! bootstrap interval) and in rank, printed, and written to a file with `--out`.

use assay_core::display::name;
use std::path::Path;

use assay_core::Error;
use assay_core::library::Library;
use assay_core::numbers::{fixed, signed};
use assay_core::paths::DataDir;
use assay_core::rankings::compare::{RunComparison, compare};
use assay_core::reports::{ReportFormat, comparison};

use crate::library_cmd::{ProfileArg, open};
use crate::output::{self, Render};

/// Runs `assay run compare`.
pub fn run(
    data_dir: &DataDir,
    run_a: &str,
    run_b: &str,
    profile: &ProfileArg,
    out: Option<&Path>,
    format: &str,
    json: bool,
) -> Result<u8, Error> {
    let format = ReportFormat::parse(format)?;
    let open = open(data_dir, profile)?;
    let library = Library::of(&open)?;
    let (a, b) = (library.run(run_a)?, library.run(run_b)?);
    let c = compare(&a, &b)?;
    if let Some(path) = out {
        comparison::write_file(&c, &a, &b, format, path)?;
    }
    output::print(&Compared(c), json)?;
    Ok(0)
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct Compared(RunComparison);

impl Render for Compared {
    fn text(&self) -> String {
        let c = &self.0;
        let mut out = format!("A: {}\nB: {}\n", c.run_a, c.run_b);
        if let Some(note) = &c.note {
            out.push_str(note);
            out.push('\n');
            return out;
        }
        let num =
            |v: Option<f64>, f: fn(f64, usize) -> String| v.map_or_else(|| "—".into(), |v| f(v, 2));
        for r in &c.rows {
            out.push_str(&format!(
                "{}  {}: {} -> {} ({}, 95% {} to {})\n",
                name(&r.model),
                name(&r.criterion),
                num(r.mean_a, fixed),
                num(r.mean_b, fixed),
                num(r.delta, signed),
                num(r.ci_low, signed),
                num(r.ci_high, signed)
            ));
        }
        for r in &c.ranking {
            let rank = |v: Option<u32>| v.map_or_else(|| "—".into(), |n| n.to_string());
            out.push_str(&format!(
                "rank {}: {} -> {}\n",
                name(&r.model),
                rank(r.rank_a),
                rank(r.rank_b)
            ));
        }
        out
    }
}
