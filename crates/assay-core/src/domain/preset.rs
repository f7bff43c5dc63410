//! Presets: saved run configurations.

use crate::error::{Error, Result};

/// A model that generates documents.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// `openai`, `anthropic`, `google`, `openrouter` or `custom`.
    pub provider: String,
    /// The provider's model name.
    pub model: String,
    /// Sampling temperature, 0–2.
    pub temperature: f64,
    /// Output token limit.
    pub max_tokens: u32,
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
}

const PROVIDERS: [&str; 5] = ["openai", "anthropic", "google", "openrouter", "custom"];

impl PresetConfig {
    /// Checks every field; the error names the field, as `field: problem`.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &str, why: &str| Err(Error::InvalidInput(format!("{field}: {why}")));
        if self.models.is_empty() {
            return bad("models", "choose at least one model");
        }
        for (i, m) in self.models.iter().enumerate() {
            if !PROVIDERS.contains(&m.provider.as_str()) {
                return bad(&format!("models[{i}].provider"), "unknown provider");
            }
            if m.model.trim().is_empty() {
                return bad(&format!("models[{i}].model"), "model name is empty");
            }
            if !(0.0..=2.0).contains(&m.temperature) {
                return bad(
                    &format!("models[{i}].temperature"),
                    "must be between 0 and 2",
                );
            }
            if m.max_tokens == 0 {
                return bad(&format!("models[{i}].max_tokens"), "must be at least 1");
            }
        }
        if (self.evaluation_enabled || self.pairwise_enabled) && self.judges.is_empty() {
            return bad("judges", "evaluation needs at least one judge");
        }
        for (i, j) in self.judges.iter().enumerate() {
            if !PROVIDERS.contains(&j.provider.as_str()) {
                return bad(&format!("judges[{i}].provider"), "unknown provider");
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
                return bad(field, "must be at least 1");
            }
        }
        if self.pairwise_top_n.is_some_and(|n| n < 2) {
            return bad("pairwise_top_n", "must be at least 2 to compare anything");
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> PresetConfig {
        PresetConfig {
            models: vec![ModelSpec {
                provider: "openai".into(),
                model: "m".into(),
                temperature: 0.7,
                max_tokens: 100,
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
        }
    }

    #[test]
    fn validation_errors_name_the_field() {
        valid().validate().expect("valid");
        let mut c = valid();
        c.models[0].temperature = 3.0;
        assert!(
            c.validate()
                .expect_err("bad")
                .to_string()
                .starts_with("models[0].temperature")
        );
        let mut c = valid();
        c.judges.clear();
        assert!(
            c.validate()
                .expect_err("bad")
                .to_string()
                .starts_with("judges")
        );
    }

    #[test]
    fn unknown_fields_in_stored_json_are_rejected() {
        let mut json = serde_json::to_value(valid()).expect("json");
        json["surprise"] = serde_json::json!(1);
        assert!(serde_json::from_value::<PresetConfig>(json).is_err());
    }
}
