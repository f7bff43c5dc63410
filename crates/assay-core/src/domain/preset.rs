//! Presets: saved run configurations.

use crate::error::{FieldProblem, Result};

/// A model that generates documents.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// The endpoint it is called at, by name (`openai`, `anthropic`, `google`, `openrouter`,
    /// or one the profile added).
    pub provider: String,
    /// The provider's model name.
    pub model: String,
    /// Sampling temperature, 0–2.
    pub temperature: f64,
    /// Output token limit.
    pub max_tokens: u32,
    /// The contestant's name in results, unique within the preset (so one model at two
    /// temperatures is two contestants); `endpoint/model` when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl ModelSpec {
    /// The name results carry: the label, or `endpoint/model`.
    pub fn contestant(&self) -> String {
        match self.label.as_deref().map(str::trim) {
            Some(label) if !label.is_empty() => label.to_owned(),
            _ => format!("{}/{}", self.provider, self.model),
        }
    }
}

/// How many of each input's best documents go to the combine models, by default.
pub const DEFAULT_COMBINE_TOP_K: u32 = 2;

/// A judge's output token limit when a preset does not set one, for a comparison (one
/// reason) or a check; a scoring call's is [`judge_tokens_for`] its criteria.
pub const DEFAULT_JUDGE_MAX_TOKENS: u32 = 1024;

/// Output tokens each criterion's answer may take: a reason of up to 300 characters even at
/// one token a character (a small model filling it with digits), its key and its score in
/// JSON.
pub const JUDGE_TOKENS_PER_CRITERION: u32 = 350;

/// The output token limit a judge gets for `criteria` criteria when the preset sets none:
/// 200 for the object itself and [`JUDGE_TOKENS_PER_CRITERION`] for each criterion, so every
/// criterion's reason fits (4 criteria: 1,600; 10: 3,700).
pub fn judge_tokens_for(criteria: usize) -> u32 {
    let n = u32::try_from(criteria.max(1)).unwrap_or(u32::MAX);
    JUDGE_TOKENS_PER_CRITERION
        .saturating_mul(n)
        .saturating_add(200)
}

fn default_combine_top_k() -> u32 {
    DEFAULT_COMBINE_TOP_K
}

/// A judge model.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct JudgeSpec {
    /// Provider, as for [`ModelSpec`].
    pub provider: String,
    /// The provider's model name.
    pub model: String,
}

impl JudgeSpec {
    /// `provider/model`, the name scores and pairwise results record.
    pub fn label(&self) -> String {
        format!("{}/{}", self.provider, self.model)
    }
}

/// The `presets.config` column.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct PresetConfig {
    /// Models that generate.
    pub models: Vec<ModelSpec>,
    /// Judges that evaluate.
    pub judges: Vec<JudgeSpec>,
    /// Documents per input document and model.
    pub iterations: u32,
    /// Trials per judge and criterion (or pair).
    pub eval_iterations: u32,
    /// Whether single-document scoring runs.
    pub evaluation_enabled: bool,
    /// Whether pairwise comparison runs.
    pub pairwise_enabled: bool,
    /// Compare only the best N documents per input pairwise; `None` compares all.
    pub pairwise_top_n: Option<u32>,
    /// Concurrent generation calls.
    pub generation_concurrency: u32,
    /// Concurrent evaluation calls.
    pub eval_concurrency: u32,
    /// Retries per failed call.
    pub max_retries: u32,
    /// Timeout per call, in seconds.
    pub timeout_secs: u32,
    /// Models that combine each input's best documents into one; none: no combine step.
    #[serde(default)]
    pub combine_models: Vec<ModelSpec>,
    /// How many of each input's best documents the combine models get (at least 2).
    #[serde(default = "default_combine_top_k")]
    pub combine_top_k: u32,
    /// Stop (pause) the run before a call that could take its cost past this, USD.
    #[serde(default)]
    pub budget_usd: Option<f64>,
    /// Stop (pause) the run before a call that could take its tokens past this.
    #[serde(default)]
    pub budget_tokens: Option<u64>,
    /// A judge's output token limit per call.
    /// `None` (or `null`): computed from the number of criteria ([`judge_tokens_for`]).
    #[serde(default)]
    pub judge_max_tokens: Option<u32>,
}

/// Whether `name` can be an endpoint's name (whether that endpoint exists is checked against
/// the profile when the preset is saved).
fn endpoint_name(name: &str) -> bool {
    super::endpoint::name_problem(name).is_none()
}

impl PresetConfig {
    /// A judge's output token limit in a run over `criteria` criteria: the preset's, or one
    /// that fits every criterion's reason.
    pub fn judge_tokens(&self, criteria: usize) -> u32 {
        self.judge_max_tokens
            .unwrap_or_else(|| judge_tokens_for(criteria))
    }

    /// Every (endpoint, model) the preset calls: generators, combine models and judges.
    pub fn called_models(&self) -> impl Iterator<Item = (&str, &str)> {
        self.models
            .iter()
            .chain(&self.combine_models)
            .map(|m| (m.provider.as_str(), m.model.as_str()))
            .chain(
                self.judges
                    .iter()
                    .map(|j| (j.provider.as_str(), j.model.as_str())),
            )
    }

    /// The endpoints the preset calls, each once, sorted.
    pub fn called_endpoints(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.called_models().map(|(e, _)| e).collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Every problem with the configuration, each with its field; empty when valid.
    pub fn problems(&self) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        let mut bad = |field: &str, why: &str| out.push(FieldProblem::new(field, why));
        if self.models.is_empty() {
            bad("models", "choose at least one model");
        }
        let mut seen = std::collections::HashSet::new();
        let all = self
            .models
            .iter()
            .enumerate()
            .map(|(i, m)| ("models", i, m))
            .chain(
                self.combine_models
                    .iter()
                    .enumerate()
                    .map(|(i, m)| ("combine_models", i, m)),
            );
        for (list, i, m) in all {
            if !endpoint_name(&m.provider) {
                bad(&format!("{list}[{i}].provider"), "not an endpoint name");
            }
            if m.model.trim().is_empty() {
                bad(&format!("{list}[{i}].model"), "model name is empty");
            }
            if !(0.0..=2.0).contains(&m.temperature) {
                bad(
                    &format!("{list}[{i}].temperature"),
                    "must be between 0 and 2",
                );
            }
            if m.max_tokens == 0 {
                bad(&format!("{list}[{i}].max_tokens"), "must be at least 1");
            }
            if m.label.as_deref().is_some_and(|l| {
                let n = l.trim().chars().count();
                n == 0 || n > 80 || l.chars().any(char::is_control)
            }) {
                bad(&format!("{list}[{i}].label"), "use 1–80 characters");
            } else if !seen.insert(m.contestant().to_lowercase()) {
                bad(
                    &format!("{list}[{i}].label"),
                    &format!(
                        "{:?} names another model too; give each a label of its own",
                        m.contestant()
                    ),
                );
            }
        }
        if !self.combine_models.is_empty() {
            if self.combine_top_k < 2 {
                bad("combine_top_k", "must be at least 2 to combine anything");
            }
            if !self.evaluation_enabled && !self.pairwise_enabled {
                bad(
                    "combine_models",
                    "combining picks each input's best documents, so it needs scoring or comparison",
                );
            }
        }
        if self.budget_usd.is_some_and(|b| !b.is_finite() || b <= 0.0) {
            bad(
                "budget_usd",
                "must be more than 0 (leave it out for no budget)",
            );
        }
        if self.budget_tokens == Some(0) {
            bad(
                "budget_tokens",
                "must be at least 1 (leave it out for no budget)",
            );
        }
        if self
            .judge_max_tokens
            .is_some_and(|n| !(16..=100_000).contains(&n))
        {
            bad("judge_max_tokens", "must be between 16 and 100000");
        }
        if (self.evaluation_enabled || self.pairwise_enabled) && self.judges.is_empty() {
            bad("judges", "evaluation needs at least one judge");
        }
        for (i, j) in self.judges.iter().enumerate() {
            if !endpoint_name(&j.provider) {
                bad(&format!("judges[{i}].provider"), "not an endpoint name");
            }
            if j.model.trim().is_empty() {
                bad(&format!("judges[{i}].model"), "model name is empty");
            }
        }
        for (field, value) in [
            ("iterations", self.iterations),
            ("eval_iterations", self.eval_iterations),
            ("generation_concurrency", self.generation_concurrency),
            ("eval_concurrency", self.eval_concurrency),
            ("timeout_secs", self.timeout_secs),
        ] {
            if value == 0 {
                bad(field, "must be at least 1");
            }
        }
        if self.pairwise_top_n.is_some_and(|n| n < 2) {
            bad("pairwise_top_n", "must be at least 2 to compare anything");
        }
        out.extend(super::preset_bounds::problems(self));
        out
    }

    /// `Ok` when valid; otherwise every problem at once ([`PresetConfig::problems`]).
    pub fn validate(&self) -> Result<()> {
        super::problems_to_result(self.problems())
    }
}

/// A preset to create, or the new state of one being edited.
#[derive(Debug, Clone, serde::Deserialize, specta::Type)]
pub struct PresetDraft {
    /// Unique name, 1–200 characters.
    pub name: String,
    /// Models, judges and settings.
    pub config: PresetConfig,
    /// Content ids by role.
    pub roles: PresetRoles,
    /// Input document ids.
    pub inputs: Vec<String>,
}

impl PresetDraft {
    /// Every problem that needs no look-up (the name, the configuration, at least one
    /// input), each as `field: problem`. Whether the roles and inputs name content of the
    /// right kind is checked against the library (`Library::create_preset`).
    pub fn problems(&self) -> Vec<FieldProblem> {
        let mut out: Vec<FieldProblem> = super::item_name_problem("name", &self.name)
            .into_iter()
            .collect();
        out.extend(self.config.problems());
        if self.inputs.is_empty() {
            out.push(FieldProblem::new(
                "inputs",
                "choose at least one input document",
            ));
        }
        out.extend(super::preset_bounds::size_problem(
            &self.config,
            self.inputs.len(),
        ));
        out
    }
}

/// A preset as stored, with the content ids each role uses.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct Preset {
    /// UUID.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Models, judges and settings.
    pub config: PresetConfig,
    /// Content ids by role.
    pub roles: PresetRoles,
    /// Input document ids, in order.
    pub inputs: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

/// The content a preset uses for each role.
#[derive(
    Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, specta::Type,
)]
pub struct PresetRoles {
    /// `generation_instructions` content id.
    pub generation_instructions: Option<String>,
    /// `single_eval_instructions` content id.
    pub single_eval_instructions: Option<String>,
    /// `pairwise_eval_instructions` content id.
    pub pairwise_eval_instructions: Option<String>,
    /// `eval_criteria` content id.
    pub eval_criteria: Option<String>,
    /// `combine_instructions` content id.
    pub combine_instructions: Option<String>,
}

/// A small valid configuration for tests: one model, one judge, both steps.
#[cfg(test)]
pub(crate) fn sample_config() -> PresetConfig {
    PresetConfig {
        models: vec![ModelSpec {
            provider: "openai".into(),
            model: "m".into(),
            temperature: 0.7,
            max_tokens: 100,
            label: None,
        }],
        judges: vec![JudgeSpec {
            provider: "google".into(),
            model: "j".into(),
        }],
        iterations: 1,
        eval_iterations: 1,
        evaluation_enabled: true,
        pairwise_enabled: true,
        pairwise_top_n: None,
        generation_concurrency: 2,
        eval_concurrency: 2,
        max_retries: 1,
        timeout_secs: 60,
        combine_models: Vec::new(),
        combine_top_k: DEFAULT_COMBINE_TOP_K,
        budget_usd: None,
        budget_tokens: None,
        judge_max_tokens: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preset_written_before_combine_budgets_and_labels_reads_with_their_defaults() {
        let mut json = serde_json::to_value(sample_config()).expect("json");
        for field in [
            "combine_models",
            "combine_top_k",
            "budget_usd",
            "budget_tokens",
            "judge_max_tokens",
        ] {
            json.as_object_mut().expect("object").remove(field);
        }
        let old: PresetConfig = serde_json::from_value(json).expect("an old preset loads");
        assert_eq!(old, sample_config());
        assert_eq!(old.models[0].contestant(), "openai/m");
    }

    #[test]
    fn labels_are_unique_and_combine_and_budgets_are_checked() {
        let mut c = sample_config();
        let mut twin = c.models[0].clone();
        twin.temperature = 0.2;
        c.models.push(twin.clone());
        assert!(c.problems().iter().any(|p| p.field == "models[1].label"));
        c.models[1].label = Some("m cold".into());
        assert_eq!(
            c.problems(),
            Vec::<FieldProblem>::new(),
            "a label tells them apart"
        );
        assert_eq!(c.models[1].contestant(), "m cold");

        c.combine_models.push(twin);
        c.combine_models[0].label = Some("M COLD".into());
        c.combine_top_k = 1;
        c.evaluation_enabled = false;
        c.pairwise_enabled = false;
        c.judges.clear();
        c.budget_usd = Some(-1.0);
        c.budget_tokens = Some(0);
        c.judge_max_tokens = Some(1);
        let problems = c.problems();
        for field in [
            "combine_models[0].label",
            "combine_top_k",
            "combine_models",
            "budget_usd",
            "budget_tokens",
            "judge_max_tokens",
        ] {
            assert!(
                problems.iter().any(|p| p.field == field),
                "{field} among {problems:?}"
            );
        }
    }

    #[test]
    fn validation_errors_name_the_field() {
        sample_config().validate().expect("valid");
        let mut c = sample_config();
        c.models[0].temperature = 3.0;
        assert!(
            c.validate()
                .expect_err("bad")
                .to_string()
                .starts_with("models[0].temperature")
        );
        let mut c = sample_config();
        c.judges.clear();
        assert!(
            c.validate()
                .expect_err("bad")
                .to_string()
                .starts_with("judges")
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut c = sample_config();
        c.models[0].temperature = 3.0;
        c.models[0].max_tokens = 0;
        c.judges[0].model = " ".into();
        c.iterations = 0;
        c.pairwise_top_n = Some(1);
        let problems = c.problems();
        for field in [
            "models[0].temperature",
            "models[0].max_tokens",
            "judges[0].model",
            "iterations",
            "pairwise_top_n",
        ] {
            assert!(
                problems.iter().any(|p| p.field == field),
                "{field} should be among {problems:?}"
            );
        }
        assert_eq!(problems.len(), 5, "one problem per bad field: {problems:?}");
        let message = c.validate().expect_err("invalid").to_string();
        assert_eq!(
            message.lines().count(),
            5,
            "one line per problem: {message}"
        );
    }

    #[test]
    fn unknown_fields_in_stored_json_are_rejected() {
        let mut json = serde_json::to_value(sample_config()).expect("json");
        json["surprise"] = serde_json::json!(1);
        assert!(serde_json::from_value::<PresetConfig>(json).is_err());
    }
}
