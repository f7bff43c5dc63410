//! The seed package: `seed/manifest.json` and the files it names, embedded at compile time,
//! parsed and validated. Objects name each other by stable seed-local ids (`seed:…`), which
//! seeding replaces with fresh UUIDs.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Deserialize;

use crate::domain::content::{ContentKind, parse_criteria};
use crate::domain::preset::{PresetConfig, PresetRoles};
use crate::domain::run::{RunConfigSnapshot, RunEvent};
use crate::error::{Error, Result};

include!(concat!(env!("OUT_DIR"), "/seed_files.rs"));

/// Every seed-local id starts with this, and nothing else in the package does.
pub const SEED_ID_PREFIX: &str = "seed:";
/// The newest package format this build reads.
pub const FORMAT_VERSION: i64 = 1;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    version: i64,
    #[allow(dead_code, reason = "documentation for people reading the package")]
    description: String,
    contents: String,
    presets: String,
    runs: Vec<String>,
}

/// A content item of the package.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedContent {
    /// Seed-local id.
    pub seed_id: String,
    /// Display name.
    pub name: String,
    /// Type.
    pub kind: ContentKind,
    /// Path of the markdown body under seed/.
    pub file: String,
    /// Tags.
    pub tags: Vec<String>,
    /// `{{VAR}}` → seed id.
    pub variables: BTreeMap<String, String>,
    /// The body, read from `file`.
    #[serde(skip)]
    pub body: String,
}

/// A preset of the package.
#[derive(Debug, Deserialize)]
pub struct SeedPreset {
    /// Seed-local id.
    pub seed_id: String,
    /// Unique name.
    pub name: String,
    /// Configuration.
    pub config: PresetConfig,
    /// Content seed ids by role.
    #[serde(flatten)]
    pub roles: PresetRoles,
    /// Input document seed ids.
    pub inputs: Vec<String>,
}

/// A historical run of the package.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRun {
    /// Seed-local id.
    pub seed_id: String,
    /// Title.
    pub title: String,
    /// The preset's seed id.
    pub preset: String,
    /// Final status.
    pub status: crate::domain::states::RunStatus,
    /// Final phase.
    pub phase: crate::domain::states::Phase,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339.
    pub completed_at: String,
    /// Frozen configuration, with seed ids.
    pub config_snapshot: RunConfigSnapshot,
    /// Tasks and their documents.
    pub tasks: Vec<SeedTask>,
    /// Single-document scores.
    pub scores: Vec<SeedScore>,
    /// Pairwise verdicts.
    pub pairwise: Vec<SeedPairwise>,
    /// Timeline; `target` may hold seed ids, rewritten when seeding.
    pub events: Vec<RunEvent>,
}

/// A task and the document it produced.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedTask {
    /// Seed-local id.
    pub seed_id: String,
    /// Input document seed id.
    pub input: String,
    /// Provider.
    pub provider: String,
    /// Model.
    pub model: String,
    /// Iteration.
    pub iteration: i64,
    /// Status.
    pub status: String,
    /// The generated document.
    pub document: SeedDocument,
}

/// A generated document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedDocument {
    /// Seed-local id.
    pub seed_id: String,
    /// Path of the markdown under seed/.
    pub file: String,
    /// Prompt tokens.
    pub tokens_in: i64,
    /// Completion tokens.
    pub tokens_out: i64,
    /// Call time.
    pub latency_ms: i64,
    /// USD.
    pub cost: f64,
    /// RFC 3339.
    pub created_at: String,
    /// The text, read from `file`.
    #[serde(skip)]
    pub body: String,
}

/// A score.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedScore {
    /// Document seed id.
    pub document: String,
    /// Criterion name.
    pub criterion: String,
    /// Judge label.
    pub judge: String,
    /// Trial.
    pub trial: i64,
    /// 1–5.
    pub score: i64,
    /// Reason.
    pub reason: String,
}

/// A pairwise verdict.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedPairwise {
    /// Document A seed id.
    pub a: String,
    /// Document B seed id.
    pub b: String,
    /// Judge label.
    pub judge: String,
    /// Trial.
    pub trial: i64,
    /// `A`, `B` or null.
    pub winner: Option<String>,
    /// `A` or `B`.
    pub shown_first: String,
    /// Reason.
    pub reason: String,
}

/// A parsed, validated seed package.
#[derive(Debug)]
pub struct SeedPackage {
    /// Package format version (`manifest.version`).
    pub version: i64,
    /// Content library.
    pub contents: Vec<SeedContent>,
    /// Presets.
    pub presets: Vec<SeedPreset>,
    /// Historical runs.
    pub runs: Vec<SeedRun>,
}

impl SeedPackage {
    /// The package embedded in this build.
    pub fn embedded() -> Result<Self> {
        Self::from_files(SEED_FILES)
    }

    /// Parses and validates a package given as (path, text) pairs.
    pub fn from_files(files: &[(&str, &str)]) -> Result<Self> {
        let files: HashMap<&str, &str> = files.iter().copied().collect();
        let read = |path: &str| -> Result<&str> {
            files
                .get(path)
                .copied()
                .ok_or_else(|| invalid(format!("{path} is missing")))
        };
        let parse = |path: &str| -> Result<serde_json::Value> {
            serde_json::from_str(read(path)?).map_err(|e| invalid(format!("{path}: {e}")))
        };
        let manifest: Manifest = serde_json::from_value(parse("manifest.json")?)
            .map_err(|e| invalid(format!("manifest.json: {e}")))?;
        if manifest.version > FORMAT_VERSION {
            return Err(Error::NewerVersion {
                what: "the seed package".into(),
                found: manifest.version,
                supported: FORMAT_VERSION,
            });
        }
        let mut contents: Vec<SeedContent> = serde_json::from_value(parse(&manifest.contents)?)
            .map_err(|e| invalid(format!("{}: {e}", manifest.contents)))?;
        for c in &mut contents {
            c.body = read(&c.file)?.to_owned();
        }
        let presets: Vec<SeedPreset> = serde_json::from_value(parse(&manifest.presets)?)
            .map_err(|e| invalid(format!("{}: {e}", manifest.presets)))?;
        let mut runs = Vec::new();
        for path in &manifest.runs {
            let mut run: SeedRun = serde_json::from_value(parse(path)?)
                .map_err(|e| invalid(format!("{path}: {e}")))?;
            for task in &mut run.tasks {
                task.document.body = read(&task.document.file)?.to_owned();
            }
            runs.push(run);
        }
        let package = Self {
            version: manifest.version,
            contents,
            presets,
            runs,
        };
        package.validate()?;
        Ok(package)
    }

    /// Every reference resolves to an object of the right type, no seed id is used twice,
    /// and each run's results are complete.
    fn validate(&self) -> Result<()> {
        let mut ids = BTreeSet::new();
        let mut claim = |id: &str| -> Result<()> {
            if !id.starts_with(SEED_ID_PREFIX) {
                return Err(invalid(format!(
                    "{id:?} does not start with {SEED_ID_PREFIX:?}"
                )));
            }
            if !ids.insert(id.to_owned()) {
                return Err(invalid(format!("{id} is used twice")));
            }
            Ok(())
        };
        let kinds: HashMap<&str, ContentKind> = self
            .contents
            .iter()
            .map(|c| (c.seed_id.as_str(), c.kind))
            .collect();
        let expect_kind = |id: &str, kind: ContentKind, by: &str| -> Result<()> {
            match kinds.get(id) {
                Some(k) if *k == kind => Ok(()),
                Some(k) => Err(invalid(format!(
                    "{by} refers to {id}, a {}, not a {}",
                    k.as_str(),
                    kind.as_str()
                ))),
                None => Err(invalid(format!(
                    "{by} refers to {id}, which does not exist"
                ))),
            }
        };
        for c in &self.contents {
            claim(&c.seed_id)?;
        }
        for c in &self.contents {
            for (var, target) in &c.variables {
                if !kinds.contains_key(target.as_str()) {
                    return Err(invalid(format!(
                        "{} variable {var} refers to missing {target}",
                        c.seed_id
                    )));
                }
            }
        }
        for p in &self.presets {
            claim(&p.seed_id)?;
            p.config
                .validate()
                .map_err(|e| invalid(format!("{}: {e}", p.seed_id)))?;
            check_roles(&p.roles, &expect_kind, &p.seed_id)?;
            for input in &p.inputs {
                expect_kind(input, ContentKind::InputDocument, &p.seed_id)?;
            }
        }
        let presets: BTreeSet<&str> = self.presets.iter().map(|p| p.seed_id.as_str()).collect();
        for run in &self.runs {
            claim(&run.seed_id)?;
            let by = run.seed_id.as_str();
            if !presets.contains(run.preset.as_str()) {
                return Err(invalid(format!(
                    "{by} refers to missing preset {}",
                    run.preset
                )));
            }
            let snapshot = &run.config_snapshot;
            snapshot
                .config
                .validate()
                .map_err(|e| invalid(format!("{by}: {e}")))?;
            check_roles(&snapshot.roles, &expect_kind, by)?;
            let criteria_id = snapshot.roles.eval_criteria.as_deref().unwrap_or_default();
            let criteria: Vec<String> = self
                .contents
                .iter()
                .find(|c| c.seed_id == criteria_id)
                .map(|c| {
                    parse_criteria(&c.body)
                        .into_iter()
                        .map(|c| c.name)
                        .collect()
                })
                .unwrap_or_default();
            let judges: Vec<String> = snapshot.config.judges.iter().map(|j| j.label()).collect();
            let mut docs_by_input: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for task in &run.tasks {
                claim(&task.seed_id)?;
                claim(&task.document.seed_id)?;
                expect_kind(&task.input, ContentKind::InputDocument, &task.seed_id)?;
                docs_by_input
                    .entry(&task.input)
                    .or_default()
                    .push(&task.document.seed_id);
            }
            let doc_input: HashMap<&str, &str> = docs_by_input
                .iter()
                .flat_map(|(input, docs)| docs.iter().map(move |d| (*d, *input)))
                .collect();
            let trials = i64::from(snapshot.config.eval_iterations);
            let mut scored = BTreeSet::new();
            for s in &run.scores {
                if !doc_input.contains_key(s.document.as_str()) {
                    return Err(invalid(format!(
                        "{by}: a score refers to missing {}",
                        s.document
                    )));
                }
                if !criteria.contains(&s.criterion) || !judges.contains(&s.judge) {
                    return Err(invalid(format!(
                        "{by}: unknown criterion or judge in {s:?}"
                    )));
                }
                if !(1..=5).contains(&s.score) || !(1..=trials).contains(&s.trial) {
                    return Err(invalid(format!(
                        "{by}: score or trial out of range in {s:?}"
                    )));
                }
                if !scored.insert((&s.document, &s.criterion, &s.judge, s.trial)) {
                    return Err(invalid(format!("{by}: duplicate score {s:?}")));
                }
            }
            let expected = doc_input.len() * criteria.len() * judges.len() * trials as usize;
            if scored.len() != expected {
                return Err(invalid(format!(
                    "{by}: {} scores, but every document x criterion x judge x trial needs one ({expected})",
                    scored.len()
                )));
            }
            let mut compared = BTreeSet::new();
            for p in &run.pairwise {
                let (a, b) = (doc_input.get(p.a.as_str()), doc_input.get(p.b.as_str()));
                if a.is_none() || a != b || p.a == p.b {
                    return Err(invalid(format!(
                        "{by}: pairwise {} vs {} is not a pair of one input",
                        p.a, p.b
                    )));
                }
                let winner_ok = matches!(p.winner.as_deref(), None | Some("A" | "B"));
                if !winner_ok
                    || !matches!(p.shown_first.as_str(), "A" | "B")
                    || !judges.contains(&p.judge)
                {
                    return Err(invalid(format!("{by}: bad pairwise verdict {p:?}")));
                }
                let pair = if p.a < p.b {
                    (&p.a, &p.b)
                } else {
                    (&p.b, &p.a)
                };
                compared.insert((pair, &p.judge, p.trial));
            }
            let pairs: usize = docs_by_input
                .values()
                .map(|d| d.len() * (d.len() - 1) / 2)
                .sum();
            if compared.len() != pairs * judges.len() * trials as usize {
                return Err(invalid(format!(
                    "{by}: pairwise results do not cover every pair within each input for every judge"
                )));
            }
            if run.events.is_empty() {
                return Err(invalid(format!("{by}: a complete run has timeline events")));
            }
        }
        Ok(())
    }
}

fn check_roles(
    roles: &PresetRoles,
    expect_kind: &impl Fn(&str, ContentKind, &str) -> Result<()>,
    by: &str,
) -> Result<()> {
    let pairs = [
        (
            &roles.generation_instructions,
            ContentKind::GenerationInstructions,
        ),
        (
            &roles.single_eval_instructions,
            ContentKind::SingleEvalInstructions,
        ),
        (
            &roles.pairwise_eval_instructions,
            ContentKind::PairwiseEvalInstructions,
        ),
        (&roles.eval_criteria, ContentKind::EvalCriteria),
        (
            &roles.combine_instructions,
            ContentKind::CombineInstructions,
        ),
    ];
    for (id, kind) in pairs {
        if let Some(id) = id {
            expect_kind(id, kind, by)?;
        }
    }
    Ok(())
}

fn invalid(message: String) -> Error {
    Error::Corrupt(format!("the seed package is invalid: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_package_is_valid_and_complete() {
        let package = SeedPackage::embedded().expect("the shipped package validates");
        assert_eq!(package.version, 1);
        assert_eq!(package.presets.len(), 1, "one default preset");
        let inputs = package
            .contents
            .iter()
            .filter(|c| c.kind == ContentKind::InputDocument);
        assert!(
            inputs.clone().count() >= 3,
            "at least three input documents"
        );
        for doc in inputs {
            assert!(
                doc.body.split_whitespace().count() >= 250,
                "{} is substantive",
                doc.name
            );
        }
        let criteria = package
            .contents
            .iter()
            .find(|c| c.kind == ContentKind::EvalCriteria)
            .expect("criteria");
        assert!(
            parse_criteria(&criteria.body).len() >= 4,
            "at least four criteria"
        );
        let run = &package.runs[0];
        let models: BTreeSet<_> = run.tasks.iter().map(|t| &t.model).collect();
        let inputs: BTreeSet<_> = run.tasks.iter().map(|t| &t.input).collect();
        assert!(
            models.len() >= 2 && inputs.len() >= 2,
            "2 models x 2 inputs at least"
        );
        assert!(
            run.config_snapshot.config.judges.len() >= 2,
            "two judges at least"
        );
        for t in &run.tasks {
            assert!(
                t.document.body.split_whitespace().count() >= 100,
                "{} is a real document",
                t.seed_id
            );
        }
    }

    fn with_replaced(path: &str, from: &str, to: &str) -> Vec<(&'static str, String)> {
        SEED_FILES
            .iter()
            .map(|(p, text)| {
                (
                    *p,
                    if *p == path {
                        text.replacen(from, to, 1)
                    } else {
                        (*text).to_owned()
                    },
                )
            })
            .collect()
    }

    fn parse(files: &[(&'static str, String)]) -> Result<SeedPackage> {
        let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        SeedPackage::from_files(&borrowed)
    }

    #[test]
    fn a_dangling_reference_is_rejected() {
        let files = with_replaced("presets.json", "seed:content/criteria", "seed:content/nope");
        let err = parse(&files).expect_err("dangling");
        assert!(err.to_string().contains("seed:content/nope"), "{err}");
    }

    #[test]
    fn a_reference_to_the_wrong_type_is_rejected() {
        let files = with_replaced(
            "presets.json",
            "\"eval_criteria\": \"seed:content/criteria\"",
            "\"eval_criteria\": \"seed:content/heat-pump\"",
        );
        let err = parse(&files).expect_err("wrong kind");
        assert!(err.to_string().contains("not a eval_criteria"), "{err}");
    }

    #[test]
    fn a_duplicate_seed_id_is_rejected() {
        let files = with_replaced(
            "contents.json",
            "\"seed_id\": \"seed:content/style\"",
            "\"seed_id\": \"seed:content/heat-pump\"",
        );
        assert!(
            parse(&files)
                .expect_err("dup")
                .to_string()
                .contains("twice")
        );
    }

    #[test]
    fn a_missing_score_is_rejected() {
        let files = with_replaced(
            "runs/first-briefing-run.json",
            "\"criterion\": \"Clarity\"",
            "\"criterion\": \"Accuracy\"",
        );
        assert!(
            parse(&files).is_err(),
            "a duplicated score leaves a gap and a duplicate"
        );
    }

    #[test]
    fn a_newer_package_format_is_refused() {
        let files = with_replaced("manifest.json", "\"version\": 1", "\"version\": 2");
        assert_eq!(
            parse(&files).expect_err("newer").code(),
            crate::ErrorCode::NewerVersion
        );
    }
}
