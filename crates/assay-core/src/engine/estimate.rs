//! What a run of a preset would do before it is started: how many calls of each kind (all
//! succeeding), the most it could cost, and which models have no price. The app shows it
//! beside the Run button; the budget a person sets there is checked against real costs as
//! the run works.

use super::start::{unpriced_models, used_contents};
use super::{plan, requests};
use crate::domain::run::{PhaseProgress, RunProgress};
use crate::error::{Error, Result};
use crate::library::Library;
use crate::llm::CallRequest;
use crate::profile::OpenProfile;
use crate::providers::Pricer;

/// A run's planned work and worst-case cost.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct RunEstimate {
    /// Calls per kind if every call succeeds (`done` and `failed` are 0).
    pub tasks: RunProgress,
    /// The most the calls could cost at the known prices: prompts at one token per 3 bytes,
    /// answers at their token limits. `None` when a model has no price.
    pub worst_case_usd: Option<f64>,
    /// The most tokens the calls could use.
    pub worst_case_tokens: i64,
    /// The output token limit each judge call gets.
    pub judge_max_tokens: u32,
    /// Whether that limit was computed from the number of criteria (the preset sets none).
    pub judge_max_tokens_auto: bool,
    /// `endpoint/model` of each model without a known price.
    pub unpriced: Vec<String>,
}

fn total(n: i64) -> PhaseProgress {
    PhaseProgress {
        total: n,
        done: 0,
        failed: 0,
    }
}

fn pairs(n: i64) -> i64 {
    n * (n - 1) / 2
}

/// Estimates a run of preset `reference`.
pub fn estimate(open: &OpenProfile, reference: &str) -> Result<RunEstimate> {
    let library = Library::of(open)?;
    let preset = library.preset(reference)?;
    let contents = open.db().read(|conn| used_contents(conn, &preset))?;
    let snapshot = plan::snapshot(&preset, &contents)?;
    let Some(texts) = snapshot.texts.clone() else {
        return Err(Error::Corrupt("a new snapshot without its texts".into()));
    };
    let c = &snapshot.config;
    let inputs = snapshot.inputs.len() as i64;
    let per_input = c.models.len() as i64 * i64::from(c.iterations);
    let judges = c.judges.len() as i64 * i64::from(c.eval_iterations);
    let combiners = c.combine_models.len() as i64;
    let k = i64::from(c.combine_top_k.max(2)).min(per_input);
    let combined = if per_input >= 2 { combiners } else { 0 };
    let generate = inputs * per_input;
    let score = if c.evaluation_enabled {
        (generate + inputs * combined) * judges
    } else {
        0
    };
    let compared = c
        .pairwise_top_n
        .map_or(per_input, |n| i64::from(n).min(per_input));
    let compare = if c.pairwise_enabled {
        let post = if combined > 0 {
            pairs(k + combined) - pairs(k)
        } else {
            0
        };
        inputs * (pairs(compared) + post) * judges * 2
    } else {
        0
    };
    let combine = inputs * combined;

    // Worst case: each kind's prompt (documents at their generators' limits) and answer.
    let pricer = Pricer::of(open)?;
    let longest_doc = c.models.iter().map(|m| m.max_tokens).max().unwrap_or(0) as usize * 4;
    let input_bytes = texts.inputs.iter().map(|i| i.text.len()).max().unwrap_or(0);
    let request = |system: usize, user: usize, max: u32| CallRequest {
        model: String::new(),
        system: " ".repeat(system),
        user: " ".repeat(user),
        temperature: None,
        max_output_tokens: max,
        timeout: std::time::Duration::from_secs(1),
        schema: None,
    };
    let mut tokens = 0;
    let mut usd = Some(0.0);
    let mut add = |endpoint: &str, model: &str, req: &CallRequest, times: i64| {
        let price = pricer.quote(endpoint, model).map(|q| q.price);
        let worst = requests::worst_case(req, price.as_ref());
        tokens = worst.tokens().saturating_mul(times).saturating_add(tokens);
        usd = match (usd, worst.cost) {
            (Some(sum), Some(c)) => Some(sum + c * times as f64),
            _ => None,
        };
    };
    let per_model_docs = inputs * i64::from(c.iterations);
    for m in &c.models {
        let req = request(
            texts.generation_instructions.len(),
            input_bytes,
            m.max_tokens,
        );
        add(&m.provider, &m.model, &req, per_model_docs);
    }
    for m in &c.combine_models {
        let req = request(
            texts.combine_instructions.len(),
            input_bytes + k as usize * longest_doc,
            m.max_tokens,
        );
        add(&m.provider, &m.model, &req, inputs);
    }
    let judge_tokens = snapshot.judge_tokens();
    let judge_count = c.judges.len().max(1) as i64;
    for j in &c.judges {
        let scoring = request(
            texts.scoring_instructions.len() + 2000,
            input_bytes + longest_doc,
            judge_tokens,
        );
        add(&j.provider, &j.model, &scoring, score / judge_count);
        let comparing = request(
            texts.comparison_instructions.len() + 2000,
            input_bytes + 2 * longest_doc,
            judge_tokens,
        );
        add(&j.provider, &j.model, &comparing, compare / judge_count);
    }
    Ok(RunEstimate {
        tasks: RunProgress {
            generate: total(generate),
            score: total(score),
            compare: total(compare),
            combine: total(combine),
        },
        worst_case_usd: usd,
        worst_case_tokens: tokens,
        judge_max_tokens: judge_tokens,
        judge_max_tokens_auto: c.judge_max_tokens.is_none(),
        unpriced: unpriced_models(open, &preset)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_counts_every_call_of_the_seeded_preset() {
        let profile = crate::test_support::seeded_profile("e");
        let library = Library::of(&profile.open).expect("ready");
        let preset = library.presets().expect("presets").remove(0);
        let e = estimate(&profile.open, &preset.name).expect("estimate");
        let c = &preset.config;
        let inputs = preset.inputs.len() as i64;
        let docs = inputs * c.models.len() as i64 * i64::from(c.iterations);
        assert_eq!(e.tasks.generate.total, docs);
        let judged = c.judges.len() as i64 * i64::from(c.eval_iterations);
        assert_eq!(e.tasks.score.total, docs * judged);
        let per_input = docs / inputs;
        assert_eq!(
            e.tasks.compare.total,
            inputs * per_input * (per_input - 1) / 2 * judged * 2
        );
        assert_eq!(e.unpriced, ["google/gemini-1.5-pro"]);
        assert_eq!(
            e.worst_case_usd, None,
            "a model without a price: no dollar bound"
        );
        assert!(e.worst_case_tokens > 0);
    }
}
