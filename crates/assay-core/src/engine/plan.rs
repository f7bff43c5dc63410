//! A run's plan: the snapshot of what it sends (texts expanded when the run is made) and its
//! tasks, each with an idempotency key unique in the run: kind, targets, model or judge,
//! iteration or trial, and order shown. Tasks that depend on results (scoring a document,
//! comparing an input's documents) are planned as those results arrive.

use std::collections::BTreeMap;

use super::expand::{self, Source};
use super::judging::Side;
use crate::domain::content::Content;
use crate::domain::criteria;
use crate::domain::preset::Preset;
use crate::domain::run::{RunConfigSnapshot, SNAPSHOT_VERSION, SnapshotInput, SnapshotTexts};
use crate::error::{Error, FieldProblem, Result};

pub use crate::domain::states::TaskKind;

/// One planned call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSpec {
    /// What it does.
    pub kind: TaskKind,
    /// Unique in the run; a task with a key already planned is not planned again.
    pub key: String,
    /// The input document it concerns.
    pub input_id: Option<String>,
    /// The endpoint called.
    pub provider: String,
    /// The model called.
    pub model: String,
    /// The contestant's label (generate, combine) or the judge's (score, compare).
    pub label: String,
    /// The iteration (generate, combine) or trial (score, compare), from 1.
    pub iteration: u32,
    /// The document scored, or the pair's first document.
    pub doc_a: Option<String>,
    /// The pair's second document.
    pub doc_b: Option<String>,
    /// Which of the pair is shown first.
    pub shown_first: Option<Side>,
}

/// The snapshot of `preset` with every text it sends expanded from `contents` (the library,
/// by id). Every problem at once: a role the enabled steps need and the preset lacks, content
/// that is gone, a criteria document without a list, a `{{VAR}}` cycle.
pub fn snapshot(
    preset: &Preset,
    contents: &BTreeMap<String, Content>,
) -> Result<RunConfigSnapshot> {
    let config = &preset.config;
    // Held to the bounds again: a preset saved before they existed may pass them, and a
    // run of it must neither overflow nor plan more than memory holds.
    let mut bounds = crate::domain::preset_bounds::problems(config);
    bounds.extend(crate::domain::preset_bounds::size_problem(
        config,
        preset.inputs.len(),
    ));
    if !bounds.is_empty() {
        return Err(Error::InvalidFields(bounds));
    }
    let sources: BTreeMap<String, Source> = contents
        .iter()
        .map(|(id, c)| {
            (
                id.clone(),
                Source {
                    body: c.body.clone(),
                    variables: c.variables.clone(),
                },
            )
        })
        .collect();
    let mut problems = Vec::new();
    let mut text = |field: &str, id: Option<&String>, needed: bool| -> String {
        let Some(id) = id else {
            if needed {
                problems.push(FieldProblem::new(
                    format!("roles.{field}"),
                    "the run needs it; choose one in the preset",
                ));
            }
            return String::new();
        };
        match sources.get(id).map(|s| expand::expand(s, &sources)) {
            Some(Ok(text)) => text,
            Some(Err(e)) => {
                problems.push(FieldProblem::new(format!("roles.{field}"), e.to_string()));
                String::new()
            }
            None => {
                problems.push(FieldProblem::new(
                    format!("roles.{field}"),
                    "the content it names is gone",
                ));
                String::new()
            }
        }
    };
    let roles = &preset.roles;
    let generation = text(
        "generation_instructions",
        roles.generation_instructions.as_ref(),
        true,
    );
    let scoring = text(
        "single_eval_instructions",
        roles.single_eval_instructions.as_ref(),
        config.evaluation_enabled,
    );
    let comparison = text(
        "pairwise_eval_instructions",
        roles.pairwise_eval_instructions.as_ref(),
        config.pairwise_enabled,
    );
    let combine = text(
        "combine_instructions",
        roles.combine_instructions.as_ref(),
        !config.combine_models.is_empty(),
    );
    let judged = config.evaluation_enabled || config.pairwise_enabled;
    let criteria_text = text("eval_criteria", roles.eval_criteria.as_ref(), judged);
    let mut inputs = Vec::new();
    for id in &preset.inputs {
        match (contents.get(id), sources.get(id)) {
            (Some(content), Some(source)) => match expand::expand(source, &sources) {
                Ok(text) => inputs.push(SnapshotInput {
                    id: id.clone(),
                    name: content.name.clone(),
                    text,
                }),
                Err(e) => problems.push(FieldProblem::new(
                    "inputs",
                    format!("{}: {e}", content.name),
                )),
            },
            _ => problems.push(FieldProblem::new(
                "inputs",
                format!("the input {id} is gone"),
            )),
        }
    }
    let criteria = if judged && !criteria_text.is_empty() {
        criteria::parse(&criteria_text).unwrap_or_else(|e| {
            match e {
                Error::InvalidFields(found) => problems.extend(found),
                other => problems.push(FieldProblem::new("eval_criteria", other.to_string())),
            }
            Vec::new()
        })
    } else {
        Vec::new()
    };
    problems.extend(config.problems());
    if !problems.is_empty() {
        return Err(Error::InvalidFields(problems));
    }
    Ok(RunConfigSnapshot {
        preset_name: preset.name.clone(),
        config: config.clone(),
        roles: preset.roles.clone(),
        inputs: preset.inputs.clone(),
        version: SNAPSHOT_VERSION,
        texts: Some(SnapshotTexts {
            generation_instructions: generation,
            scoring_instructions: scoring,
            comparison_instructions: comparison,
            combine_instructions: combine,
            criteria,
            inputs,
        }),
    })
}

/// Every generation task: input × model × iteration.
pub fn generation_tasks(snapshot: &RunConfigSnapshot) -> Vec<TaskSpec> {
    let mut out = Vec::new();
    for input in &snapshot.inputs {
        for model in &snapshot.config.models {
            let label = model.contestant();
            for iteration in 1..=snapshot.config.iterations {
                out.push(TaskSpec {
                    kind: TaskKind::Generate,
                    key: format!("generate/{input}/{label}/{iteration}"),
                    input_id: Some(input.clone()),
                    provider: model.provider.clone(),
                    model: model.model.clone(),
                    label: label.clone(),
                    iteration,
                    doc_a: None,
                    doc_b: None,
                    shown_first: None,
                });
            }
        }
    }
    out
}

/// The scoring tasks of one document: judge × trial (one call scores every criterion).
pub fn scoring_tasks(
    snapshot: &RunConfigSnapshot,
    input_id: &str,
    document_id: &str,
) -> Vec<TaskSpec> {
    if !snapshot.config.evaluation_enabled {
        return Vec::new();
    }
    let mut out = Vec::new();
    for judge in &snapshot.config.judges {
        let label = judge.label();
        for trial in 1..=snapshot.config.eval_iterations {
            out.push(TaskSpec {
                kind: TaskKind::Score,
                key: format!("score/{document_id}/{label}/{trial}"),
                input_id: Some(input_id.to_owned()),
                provider: judge.provider.clone(),
                model: judge.model.clone(),
                label: label.clone(),
                iteration: trial,
                doc_a: Some(document_id.to_owned()),
                doc_b: None,
                shown_first: None,
            });
        }
    }
    out
}

/// The comparison tasks of one input's documents: every pair (by id, so a pair has one
/// name) × judge × trial × both orders.
pub fn comparison_tasks(
    snapshot: &RunConfigSnapshot,
    input_id: &str,
    documents: &[String],
) -> Vec<TaskSpec> {
    if !snapshot.config.pairwise_enabled {
        return Vec::new();
    }
    let mut ids = documents.to_vec();
    ids.sort();
    ids.dedup();
    let mut out = Vec::new();
    for (i, a) in ids.iter().enumerate() {
        for b in &ids[i + 1..] {
            for judge in &snapshot.config.judges {
                let label = judge.label();
                for trial in 1..=snapshot.config.eval_iterations {
                    for (first, tag) in [(Side::A, "A"), (Side::B, "B")] {
                        out.push(TaskSpec {
                            kind: TaskKind::Compare,
                            key: format!("compare/{a}/{b}/{label}/{trial}/{tag}"),
                            input_id: Some(input_id.to_owned()),
                            provider: judge.provider.clone(),
                            model: judge.model.clone(),
                            label: label.clone(),
                            iteration: trial,
                            doc_a: Some(a.clone()),
                            doc_b: Some(b.clone()),
                            shown_first: Some(first),
                        });
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::domain::content::ContentKind;
    use crate::domain::preset::{JudgeSpec, ModelSpec, PresetConfig, PresetRoles};

    fn content(
        id: &str,
        kind: ContentKind,
        body: &str,
        vars: &[(&str, &str)],
    ) -> (String, Content) {
        (
            id.to_owned(),
            Content {
                id: id.into(),
                name: format!("{id} name"),
                kind,
                body: body.into(),
                variables: vars
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                tags: Vec::new(),
                created_at: String::new(),
                updated_at: String::new(),
            },
        )
    }

    fn model(name: &str) -> ModelSpec {
        ModelSpec {
            provider: "openai".into(),
            model: name.into(),
            temperature: 0.5,
            max_tokens: 500,
            label: None,
        }
    }

    /// 3 models × 3 inputs × 2 iterations, 2 judges × 2 trials, both steps on.
    fn preset() -> (Preset, BTreeMap<String, Content>) {
        let contents = BTreeMap::from([
            content(
                "gen",
                ContentKind::GenerationInstructions,
                "Write. {{STYLE}}",
                &[("STYLE", "style")],
            ),
            content("style", ContentKind::TemplateFragment, "Be brief.", &[]),
            content(
                "score",
                ContentKind::SingleEvalInstructions,
                "Score it.",
                &[],
            ),
            content(
                "pair",
                ContentKind::PairwiseEvalInstructions,
                "Pick one.",
                &[],
            ),
            content(
                "crit",
                ContentKind::EvalCriteria,
                "- **Accuracy**: a\n- **Clarity**: c\n- **Depth**: d\n- **Tone**: t",
                &[],
            ),
            content("in1", ContentKind::InputDocument, "one", &[]),
            content("in2", ContentKind::InputDocument, "two", &[]),
            content("in3", ContentKind::InputDocument, "three", &[]),
        ]);
        let config = PresetConfig {
            models: vec![model("a"), model("b"), model("c")],
            judges: vec![
                JudgeSpec {
                    provider: "anthropic".into(),
                    model: "j1".into(),
                },
                JudgeSpec {
                    provider: "google".into(),
                    model: "j2".into(),
                },
            ],
            iterations: 2,
            eval_iterations: 2,
            evaluation_enabled: true,
            pairwise_enabled: true,
            pairwise_top_n: None,
            generation_concurrency: 4,
            eval_concurrency: 4,
            max_retries: 2,
            timeout_secs: 60,
            combine_models: Vec::new(),
            combine_top_k: 2,
            budget_usd: None,
            budget_tokens: None,
            judge_max_tokens: None,
        };
        let preset = Preset {
            id: "p".into(),
            name: "P".into(),
            config,
            roles: PresetRoles {
                generation_instructions: Some("gen".into()),
                single_eval_instructions: Some("score".into()),
                pairwise_eval_instructions: Some("pair".into()),
                eval_criteria: Some("crit".into()),
                combine_instructions: None,
            },
            inputs: vec!["in1".into(), "in2".into(), "in3".into()],
            created_at: String::new(),
            updated_at: String::new(),
        };
        (preset, contents)
    }

    #[test]
    fn the_snapshot_keeps_the_expanded_text_actually_sent() {
        let (preset, contents) = preset();
        let snap = snapshot(&preset, &contents).expect("snapshot");
        let texts = snap.texts.as_ref().expect("texts");
        assert_eq!(snap.version, SNAPSHOT_VERSION);
        assert_eq!(texts.generation_instructions, "Write. Be brief.");
        assert_eq!(texts.criteria.len(), 4);
        assert_eq!(texts.inputs[2].text, "three");
        // It survives storage as JSON, and a version 1 snapshot (no texts) still reads.
        let json = serde_json::to_value(&snap).expect("json");
        let back: RunConfigSnapshot = serde_json::from_value(json.clone()).expect("reads");
        assert_eq!(back, snap);
        let mut old = json;
        old.as_object_mut().expect("object").remove("version");
        old.as_object_mut().expect("object").remove("texts");
        let old: RunConfigSnapshot = serde_json::from_value(old).expect("v1 reads");
        assert_eq!((old.version, old.texts), (1, None));
    }

    #[test]
    fn missing_roles_and_gone_content_are_all_reported_at_once() {
        let (mut preset, mut contents) = preset();
        preset.roles.eval_criteria = None;
        preset.roles.pairwise_eval_instructions = Some("gone".into());
        contents.remove("in2");
        let err = snapshot(&preset, &contents).expect_err("refused");
        let text = err.to_string();
        for field in [
            "roles.eval_criteria",
            "roles.pairwise_eval_instructions",
            "inputs",
        ] {
            assert!(
                text.lines().any(|l| l.starts_with(field)),
                "{field} in {text}"
            );
        }
    }

    #[test]
    fn every_count_is_exact_and_every_key_unique() {
        let (preset, contents) = preset();
        let snap = snapshot(&preset, &contents).expect("snapshot");
        let generate = generation_tasks(&snap);
        assert_eq!(generate.len(), 3 * 3 * 2);
        let score = scoring_tasks(&snap, "in1", "doc1");
        assert_eq!(
            score.len(),
            2 * 2,
            "judge × trial, one call for all criteria"
        );
        let docs: Vec<String> = (0..6).map(|i| format!("doc{i}")).collect();
        let compare = comparison_tasks(&snap, "in1", &docs);
        assert_eq!(
            compare.len(),
            15 * 2 * 2 * 2,
            "pairs × judges × trials × both orders"
        );
        let mut keys = HashSet::new();
        for t in generate.iter().chain(&score).chain(&compare) {
            assert!(keys.insert(t.key.clone()), "{} twice", t.key);
        }
        // The same pair named in the other order plans the same keys: nothing twice.
        let reversed: Vec<String> = docs.iter().rev().cloned().collect();
        let again = comparison_tasks(&snap, "in1", &reversed);
        assert!(again.iter().all(|t| keys.contains(&t.key)));
    }
}
