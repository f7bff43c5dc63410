//! The most a preset may ask for, checked when it is saved and again before a run of it is
//! estimated or started (a preset saved by an older release is held to them too), and the
//! calls a run of it plans, counted without overflow.
//!
//! The bounds keep every number a run works with far from overflow and every plan within
//! memory: a run of the largest preset allowed plans at most [`MAX_CALLS`] calls. They are
//! listed in docs/cli.md ("Preset bounds").

use super::preset::PresetConfig;
use crate::error::FieldProblem;

/// Generators per preset (models; combine models are counted apart).
pub const MAX_MODELS: usize = 50;
/// Combine models per preset.
pub const MAX_COMBINE_MODELS: usize = 10;
/// Judges per preset.
pub const MAX_JUDGES: usize = 20;
/// Documents per input and model.
pub const MAX_ITERATIONS: u32 = 100;
/// Trials per judge.
pub const MAX_TRIALS: u32 = 20;
/// An answer's output token limit (a generator's or a judge's).
pub const MAX_OUTPUT_TOKENS: u32 = 1_000_000;
/// Concurrent calls of one kind.
pub const MAX_CONCURRENCY: u32 = 64;
/// Retries per failed call.
pub const MAX_RETRIES: u32 = 10;
/// One call's timeout, seconds.
pub const MAX_TIMEOUT_SECS: u32 = 3_600;
/// How many best documents go to the combine models.
pub const MAX_COMBINE_TOP_K: u32 = 20;
/// Generated documents per run: inputs × models × iterations.
pub const MAX_GENERATIONS: u64 = 100_000;
/// Calls per run, every kind together, if every call succeeds.
pub const MAX_CALLS: u64 = 1_000_000;

/// The calls a run plans if every call succeeds, per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlannedCalls {
    /// Generation calls.
    pub generate: u64,
    /// Scoring calls.
    pub score: u64,
    /// Comparison calls (both orders).
    pub compare: u64,
    /// Combine calls.
    pub combine: u64,
}

impl PlannedCalls {
    /// Every kind together.
    pub fn total(&self) -> u64 {
        self.generate
            .saturating_add(self.score)
            .saturating_add(self.compare)
            .saturating_add(self.combine)
    }
}

fn pairs(n: u64) -> u64 {
    n.saturating_mul(n.saturating_sub(1)) / 2
}

/// The calls a run of `config` over `inputs` inputs plans, saturating at `u64::MAX`.
pub fn planned_calls(config: &PresetConfig, inputs: u64) -> PlannedCalls {
    let per_input = (config.models.len() as u64).saturating_mul(u64::from(config.iterations));
    let judges = (config.judges.len() as u64).saturating_mul(u64::from(config.eval_iterations));
    let combiners = config.combine_models.len() as u64;
    let k = u64::from(config.combine_top_k.max(2)).min(per_input);
    let combined = if per_input >= 2 { combiners } else { 0 };
    let generate = inputs.saturating_mul(per_input);
    let score = if config.evaluation_enabled {
        generate
            .saturating_add(inputs.saturating_mul(combined))
            .saturating_mul(judges)
    } else {
        0
    };
    let compared = config
        .pairwise_top_n
        .map_or(per_input, |n| u64::from(n).min(per_input));
    let compare = if config.pairwise_enabled {
        let post = if combined > 0 {
            pairs(k.saturating_add(combined)) - pairs(k)
        } else {
            0
        };
        inputs
            .saturating_mul(pairs(compared).saturating_add(post))
            .saturating_mul(judges)
            .saturating_mul(2)
    } else {
        0
    };
    PlannedCalls {
        generate,
        score,
        compare,
        combine: inputs.saturating_mul(combined),
    }
}

/// Every bound of its own that `config` passes, each as `field: problem`.
pub fn problems(config: &PresetConfig) -> Vec<FieldProblem> {
    let mut out = Vec::new();
    let mut over = |field: &str, max: u64, what: &str| {
        out.push(FieldProblem::new(field, format!("at most {max} {what}")));
    };
    let counts = [
        ("models", config.models.len(), MAX_MODELS, "models"),
        (
            "combine_models",
            config.combine_models.len(),
            MAX_COMBINE_MODELS,
            "combine models",
        ),
        ("judges", config.judges.len(), MAX_JUDGES, "judges"),
    ];
    for (field, n, max, what) in counts {
        if n > max {
            over(field, max as u64, what);
        }
    }
    let numbers = [
        (
            "iterations",
            config.iterations,
            MAX_ITERATIONS,
            "documents per input and model",
        ),
        (
            "eval_iterations",
            config.eval_iterations,
            MAX_TRIALS,
            "trials per judge",
        ),
        (
            "generation_concurrency",
            config.generation_concurrency,
            MAX_CONCURRENCY,
            "concurrent calls",
        ),
        (
            "eval_concurrency",
            config.eval_concurrency,
            MAX_CONCURRENCY,
            "concurrent calls",
        ),
        ("max_retries", config.max_retries, MAX_RETRIES, "retries"),
        (
            "timeout_secs",
            config.timeout_secs,
            MAX_TIMEOUT_SECS,
            "seconds (an hour)",
        ),
        (
            "combine_top_k",
            config.combine_top_k,
            MAX_COMBINE_TOP_K,
            "documents",
        ),
    ];
    for (field, n, max, what) in numbers {
        if n > max {
            over(field, u64::from(max), what);
        }
    }
    let models = config
        .models
        .iter()
        .enumerate()
        .map(|(i, m)| (format!("models[{i}].max_tokens"), m.max_tokens))
        .chain(
            config
                .combine_models
                .iter()
                .enumerate()
                .map(|(i, m)| (format!("combine_models[{i}].max_tokens"), m.max_tokens)),
        );
    for (field, n) in models {
        if n > MAX_OUTPUT_TOKENS {
            over(&field, u64::from(MAX_OUTPUT_TOKENS), "output tokens");
        }
    }
    out
}

/// The problem with a run of `config` over `inputs` inputs, if it is too large to plan.
pub fn size_problem(config: &PresetConfig, inputs: usize) -> Option<FieldProblem> {
    let calls = planned_calls(config, inputs as u64);
    if calls.generate > MAX_GENERATIONS {
        return Some(FieldProblem::new(
            "iterations",
            format!(
                "inputs × models × iterations is {}, over the {MAX_GENERATIONS} documents a \
                 run may generate; use fewer inputs, models or iterations",
                calls.generate
            ),
        ));
    }
    (calls.total() > MAX_CALLS).then(|| {
        FieldProblem::new(
            "pairwise_top_n",
            format!(
                "a run would make {} calls, over the {MAX_CALLS} a run may plan; compare only \
                 the best documents (pairwise_top_n), or use fewer judges, trials, models or \
                 iterations",
                calls.total()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::preset::ModelSpec;

    fn config() -> PresetConfig {
        crate::domain::preset::sample_config()
    }

    #[test]
    fn a_preset_within_the_bounds_has_no_problem() {
        assert!(problems(&config()).is_empty());
        assert_eq!(size_problem(&config(), 3), None);
    }

    #[test]
    fn huge_numbers_are_named_with_their_maximum() {
        let mut c = config();
        c.iterations = u32::MAX;
        c.eval_iterations = 1_000;
        c.generation_concurrency = 100_000;
        c.timeout_secs = u32::MAX;
        c.models[0].max_tokens = u32::MAX;
        let found = problems(&c);
        for field in [
            "iterations: at most 100",
            "eval_iterations: at most 20",
            "generation_concurrency: at most 64",
            "timeout_secs: at most 3600",
            "models[0].max_tokens: at most 1000000",
        ] {
            assert!(
                found.iter().any(|p| p.to_string().starts_with(field)),
                "{field} in {found:?}"
            );
        }
    }

    #[test]
    fn a_run_too_large_to_plan_is_refused_and_counting_never_overflows() {
        let mut c = config();
        c.iterations = 100;
        let found = size_problem(&c, 2_000).expect("too many documents");
        assert!(
            found.problem.contains("over the 100000 documents"),
            "{found}"
        );
        c.iterations = u32::MAX;
        c.eval_iterations = u32::MAX;
        let calls = planned_calls(&c, u64::MAX);
        assert_eq!(calls.total(), u64::MAX, "saturates");
        let mut wide = config();
        wide.models = (0..50)
            .map(|i| ModelSpec {
                label: Some(format!("m{i}")),
                ..config().models[0].clone()
            })
            .collect();
        wide.iterations = 20;
        let found = size_problem(&wide, 10).expect("too many calls");
        assert!(found.problem.contains("calls, over the 1000000"), "{found}");
    }
}
