//! Runs and their results.

use super::preset::{PresetConfig, PresetRoles};

/// The `runs.config_snapshot` column: what the run used, frozen when it started.
// No deny_unknown_fields: serde does not support it together with `flatten`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct RunConfigSnapshot {
    /// The preset's name at the time.
    pub preset_name: String,
    /// The preset's configuration at the time.
    pub config: PresetConfig,
    /// Content ids by role.
    #[serde(flatten)]
    pub roles: PresetRoles,
    /// Input document ids.
    pub inputs: Vec<String>,
    /// The snapshot's format: 1 (written before runs kept their texts) or 2.
    #[serde(default = "snapshot_v1")]
    pub version: u32,
    /// The text actually sent, so editing the library never changes what a past run used;
    /// `None` in a version 1 snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub texts: Option<SnapshotTexts>,
}

/// The snapshot format this build writes.
pub const SNAPSHOT_VERSION: u32 = 2;

fn snapshot_v1() -> u32 {
    1
}

/// The texts a run sends, expanded (`{{VAR}}`) when the run was made.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct SnapshotTexts {
    /// The generators' instructions.
    pub generation_instructions: String,
    /// The scoring judges' instructions (empty when scoring is off).
    pub scoring_instructions: String,
    /// The comparing judges' instructions (empty when comparison is off).
    pub comparison_instructions: String,
    /// The combine models' instructions (empty without combine models).
    pub combine_instructions: String,
    /// The criteria judges score and weigh.
    pub criteria: Vec<super::criteria::Criterion>,
    /// The input documents, in the preset's order.
    pub inputs: Vec<SnapshotInput>,
}

/// An input document as the run sent it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct SnapshotInput {
    /// Its content id.
    pub id: String,
    /// Its name then.
    pub name: String,
    /// Its text, expanded.
    pub text: String,
}

/// A run in the history list.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct RunSummary {
    /// UUID.
    pub id: String,
    /// Title.
    pub title: String,
    /// Where it stands.
    pub status: super::states::RunStatus,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub completed_at: Option<String>,
    /// Tasks in the run.
    pub tasks_total: i64,
    /// Tokens used by every call.
    pub total_tokens: i64,
    /// Cost of the calls whose cost is known, in USD.
    pub total_cost: f64,
    /// Calls whose cost is unknown (no price for their model): when not 0, `total_cost` is
    /// a lower bound and is shown as such, never as the whole cost.
    pub unknown_cost_calls: i64,
    /// Calls charged their worst case because the server reported no usable usage or the
    /// call timed out: `total_tokens` and `total_cost` hold estimates for these.
    pub estimated_calls: i64,
}

/// A generated document with the task that produced it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct GeneratedDocument {
    /// UUID.
    pub id: String,
    /// The input document's id.
    pub input_id: Option<String>,
    /// The input document's name.
    pub input_name: Option<String>,
    /// The contestant: its label in the preset, or `endpoint/model`.
    pub model: String,
    /// Iteration number.
    pub iteration: i64,
    /// Markdown.
    pub body: String,
    /// Prompt tokens.
    pub tokens_in: i64,
    /// Completion tokens.
    pub tokens_out: i64,
    /// Wall time of the call.
    pub latency_ms: i64,
    /// USD; `None` when unknown (no price for the model).
    pub cost: Option<f64>,
    /// `succeeded` or `failed`.
    pub status: String,
    /// `generated`, or `combined` from the input's best documents.
    pub kind: String,
    /// The model stopped at its output token limit, so the document is cut off.
    pub truncated: bool,
    /// RFC 3339: when it arrived.
    pub created_at: String,
}

/// One 1–5 score.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct Score {
    /// The document scored.
    pub document_id: String,
    /// The criterion's name.
    pub criterion: String,
    /// `provider/model`.
    pub judge: String,
    /// Trial number.
    pub trial: i64,
    /// 1–5.
    pub score: i64,
    /// The judge's reason.
    pub reason: String,
}

/// One pairwise verdict.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct PairwiseVerdict {
    /// Document A.
    pub doc_a: String,
    /// Document B.
    pub doc_b: String,
    /// `provider/model`.
    pub judge: String,
    /// Trial number.
    pub trial: i64,
    /// `A`, `B`, or `None` for a tie.
    pub winner: Option<String>,
    /// Which document the judge saw first.
    pub shown_first: String,
    /// The judge's reason.
    pub reason: String,
}

/// One call on the timeline (also the seed package's event format).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct RunEvent {
    /// `generating`, `scoring`, `comparing` or `combining`.
    pub phase: String,
    /// The model or judge called.
    pub actor: String,
    /// What it worked on.
    pub target: String,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339.
    pub ended_at: String,
    /// Prompt tokens.
    pub tokens_in: i64,
    /// Completion tokens.
    pub tokens_out: i64,
    /// USD; `None` (or `null`) when unknown.
    pub cost: Option<f64>,
    /// `succeeded`, `failed` or `retried`.
    pub status: String,
    /// The tokens and cost are the call's worst case (the server reported no usable usage,
    /// or the call timed out after the server may have done the work), not a report.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub usage_estimated: bool,
}

/// A run with everything it produced.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct RunDetail {
    /// The summary fields.
    #[serde(flatten)]
    pub summary: RunSummary,
    /// The preset it came from, if it still exists.
    pub preset_id: Option<String>,
    /// Phase.
    pub phase: super::states::Phase,
    /// What may be asked of it in its state (the app offers exactly these).
    pub actions: super::states::RunActions,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// RFC 3339.
    pub started_at: Option<String>,
    /// Frozen configuration.
    pub config: RunConfigSnapshot,
    /// Generated documents.
    pub documents: Vec<GeneratedDocument>,
    /// Scores.
    pub scores: Vec<Score>,
    /// Pairwise verdicts.
    pub pairwise: Vec<PairwiseVerdict>,
    /// Timeline.
    pub events: Vec<RunEvent>,
    /// Tasks per kind: total, done, failed.
    pub progress: RunProgress,
    /// Why it paused, if it is paused.
    pub pause_reason: Option<String>,
    /// Its failed tasks, each with why (an unreadable judge answer with its text).
    pub failures: Vec<TaskFailure>,
    /// Documents no judge scored, and why: an unscored document is never a zero.
    pub unscored: Unscored,
}

/// How many documents have no stored score, by why.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct Unscored {
    /// Documents without a score.
    pub documents: i64,
    /// Their scoring failed (the judge's answers did not read, or the call failed).
    pub failed: i64,
    /// The run does not score (scoring is off in its preset).
    pub skipped: i64,
    /// The run has not scored them yet (paused, cancelled or interrupted first).
    pub not_reached: i64,
    /// The same in a sentence, for every view; `None` when every document is scored.
    pub summary: Option<String>,
}

impl Unscored {
    /// The counts, with their sentence.
    pub fn new(documents: i64, failed: i64, skipped: i64, not_reached: i64) -> Self {
        let mut out = Self {
            documents,
            failed,
            skipped,
            not_reached,
            summary: None,
        };
        out.summary = out.sentence();
        out
    }

    /// The sentence a view shows, or `None` when every document is scored.
    pub fn sentence(&self) -> Option<String> {
        if self.documents == 0 {
            return None;
        }
        let mut why = Vec::new();
        for (n, what) in [
            (self.failed, "scoring failed"),
            (self.skipped, "scoring is off"),
            (self.not_reached, "not scored yet"),
        ] {
            if n > 0 {
                why.push(format!("{n} {what}"));
            }
        }
        let s = if self.documents == 1 { "" } else { "s" };
        Some(format!(
            "{} document{s} unscored ({}); left out of means and rankings",
            self.documents,
            why.join(", ")
        ))
    }
}

/// A task that failed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct TaskFailure {
    /// `generate`, `score`, `compare` or `combine`.
    pub kind: String,
    /// The contestant or judge.
    pub label: String,
    /// Iteration or trial.
    pub iteration: i64,
    /// The input document's name, if it still exists.
    pub input_name: Option<String>,
    /// The document it scored or compared first, if any.
    pub document_id: Option<String>,
    /// Why, with the model's text when its answer could not be read.
    pub error: String,
    /// What was wrong with the last answer, when a judge's answer did not read: shown first.
    pub problems: Vec<super::judge_problem::Problem>,
    /// Every attempt, in order: each answer's text and problems, or the call's failure.
    pub attempts: Vec<FailedAttempt>,
}

/// One attempt of a failed task.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct FailedAttempt {
    /// Its number, from 1.
    pub attempt: i64,
    /// `answer` (the server answered) or `failed` (the call failed).
    pub outcome: String,
    /// The answer's text (a judge's that did not read), or the call's failure.
    pub text: String,
    /// What was wrong with the answer; empty for a failed call or an answer that read.
    pub problems: Vec<super::judge_problem::Problem>,
}

impl RunConfigSnapshot {
    /// A judge's output token limit in this run: the preset's, or one that fits every
    /// criterion's reason ([`super::preset::PresetConfig::judge_tokens`]).
    pub fn judge_tokens(&self) -> u32 {
        let criteria = self.texts.as_ref().map_or(0, |t| t.criteria.len());
        self.config.judge_tokens(criteria)
    }
}

/// One kind of task's progress.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type,
)]
pub struct PhaseProgress {
    /// Tasks planned.
    pub total: i64,
    /// Tasks that succeeded.
    pub done: i64,
    /// Tasks that failed.
    pub failed: i64,
}

/// A run's tasks per kind, as `assay --json run show` prints them.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type,
)]
pub struct RunProgress {
    /// Documents to write.
    pub generate: PhaseProgress,
    /// Scoring calls.
    pub score: PhaseProgress,
    /// Comparison calls (one per order shown).
    pub compare: PhaseProgress,
    /// Combine calls.
    pub combine: PhaseProgress,
}

impl RunProgress {
    /// The counts of one kind of task.
    pub fn of_mut(&mut self, kind: super::states::TaskKind) -> &mut PhaseProgress {
        use super::states::TaskKind;
        match kind {
            TaskKind::Generate => &mut self.generate,
            TaskKind::Score => &mut self.score,
            TaskKind::Compare => &mut self.compare,
            TaskKind::Combine => &mut self.combine,
        }
    }
}
