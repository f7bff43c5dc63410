//! Checking a model as a judge before a run: one scoring request and one comparison request
//! on a short built-in sample, each read as a run reads it (one repair allowed), with what
//! was wrong and how long it took.

use std::time::Instant;

use super::judging;
use super::prompts::{self, Prompt};
use crate::domain::criteria::Criterion;
use crate::domain::judge_problem::Problem;
use crate::domain::preset::DEFAULT_JUDGE_MAX_TOKENS;
use crate::domain::run::SnapshotTexts;
use crate::error::Result;
use crate::llm::{self, CallRequest, EndpointClient};
use crate::profile::{OpenProfile, Profiles};

/// How one kind of judge request went.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct JudgeCheckPart {
    /// The answer was valid, on the first try or after the repair.
    pub valid: bool,
    /// Requests made: 1 (valid at once), or 2 (a repair was asked).
    pub attempts: u32,
    /// What was wrong with the last answer; empty when it was valid.
    pub problems: Vec<Problem>,
    /// Time for all its requests, ms.
    pub ms: u64,
}

/// A model checked as a judge.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct JudgeCheck {
    /// The endpoint.
    pub endpoint: String,
    /// The model.
    pub model: String,
    /// The scoring request.
    pub scoring: JudgeCheckPart,
    /// The comparison request.
    pub comparison: JudgeCheckPart,
}

impl JudgeCheck {
    /// Whether both answers were valid (first try or repaired).
    pub fn passed(&self) -> bool {
        self.scoring.valid && self.comparison.valid
    }
}

/// The built-in sample: a short source, two documents (one clearly better), two criteria.
fn sample() -> (SnapshotTexts, &'static str, &'static str, &'static str) {
    let texts = SnapshotTexts {
        generation_instructions: String::new(),
        scoring_instructions: "Score how well the summary serves someone who will not read \
                               the source."
            .into(),
        comparison_instructions: "Pick the summary that serves someone who will not read the \
                                  source better."
            .into(),
        combine_instructions: String::new(),
        criteria: vec![
            Criterion {
                name: "Accuracy".into(),
                description: "every fact matches the source".into(),
            },
            Criterion {
                name: "Clarity".into(),
                description: "easy to read once".into(),
            },
        ],
        inputs: Vec::new(),
    };
    let source = "The library will close at 17:00 on Friday 12 June for a staff training day \
                  and open again at 09:00 on Saturday. Returns can be left in the box by the \
                  door.";
    let good = "The library closes early, at 17:00, on Friday 12 June (staff training) and \
                reopens at 09:00 on Saturday. Use the box by the door for returns.";
    let poor = "The library is closed all weekend.";
    (texts, source, good, poor)
}

/// Checks `model` at endpoint `endpoint` of `open` as a judge. A provider failure (a key
/// rejected, a server down) is that error; an answer that does not read is a failed part.
pub fn check(
    profiles: &Profiles,
    open: &OpenProfile,
    endpoint: &str,
    model: &str,
) -> Result<JudgeCheck> {
    let client = crate::providers::client(profiles, open, endpoint)?;
    let (texts, source, good, poor) = sample();
    let criteria = texts.criteria.clone();
    let scoring = llm::block_on(part(
        &client,
        model,
        prompts::score(&texts, source, good),
        judging::scoring_schema(&criteria),
        |text| judging::read_scores(text, &criteria).map(|_| ()),
    ))??;
    let comparison = llm::block_on(part(
        &client,
        model,
        prompts::compare(&texts, source, poor, good),
        judging::comparison_schema(),
        |text| judging::read_verdict(text).map(|_| ()),
    ))??;
    Ok(JudgeCheck {
        endpoint: client.name().to_owned(),
        model: model.to_owned(),
        scoring,
        comparison,
    })
}

/// One request, read as a run reads it, and its one repair when it does not read.
async fn part(
    client: &EndpointClient,
    model: &str,
    prompt: Prompt,
    schema: serde_json::Value,
    read: impl Fn(&str) -> std::result::Result<(), Vec<Problem>>,
) -> Result<JudgeCheckPart> {
    let started = Instant::now();
    let request = |p: &Prompt| CallRequest {
        model: model.to_owned(),
        system: p.system.clone(),
        user: p.user.clone(),
        temperature: None,
        max_output_tokens: DEFAULT_JUDGE_MAX_TOKENS,
        timeout: std::time::Duration::from_secs(120),
        schema: Some(schema.clone()),
    };
    let mut attempts = 0;
    let mut asked = prompt.clone();
    loop {
        attempts += 1;
        let answer = client.generate(&request(&asked)).await?;
        let problems = match read(&answer.text) {
            Ok(()) => Vec::new(),
            Err(problems) => {
                super::judge_answers::noting_cut(problems, answer.finish, DEFAULT_JUDGE_MAX_TOKENS)
            }
        };
        if problems.is_empty() || attempts == 2 {
            return Ok(JudgeCheckPart {
                valid: problems.is_empty(),
                attempts,
                problems,
                ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            });
        }
        asked = prompts::repair(&prompt, &answer.text, &problems);
    }
}
