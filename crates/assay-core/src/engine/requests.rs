//! The call a task makes: its prompt (documents read from the store), its request, and its
//! worst case for the budget. A judge task with an unreadable answer applied already gets
//! the repair prompt instead, built from that answer.

use std::time::Duration;

use rusqlite::Connection;

use super::prompts::{self, Prompt};
use super::{judge_answers, judging};
use crate::domain::run::{RunConfigSnapshot, SnapshotTexts};
use crate::domain::states::TaskKind;
use crate::error::Result;
use crate::llm::CallRequest;
use crate::llm::dialect::Dialect;
use crate::store::execution::{self as exec, TaskRow};

/// A call ready to send.
#[derive(Debug, Clone)]
pub struct PreparedCall {
    /// The request.
    pub request: CallRequest,
    /// Whether it is a repair of an unreadable judge answer.
    pub repair: bool,
}

/// What a task needs before it can call.
#[derive(Debug)]
pub enum Prepared {
    /// Send this.
    Call(PreparedCall),
    /// It cannot run (a document it needs is gone): fail it with this reason.
    Fail(String),
}

/// Builds the call of `task`.
pub fn prepare(
    conn: &Connection,
    snapshot: &RunConfigSnapshot,
    texts: &SnapshotTexts,
    dialect: &dyn Dialect,
    task: &TaskRow,
) -> Result<Prepared> {
    let config = &snapshot.config;
    let input = texts
        .inputs
        .iter()
        .find(|i| i.id == task.input_id)
        .map(|i| i.text.as_str())
        .unwrap_or_default();
    let body = |id: &Option<String>| -> Result<Option<String>> {
        match id {
            Some(id) => exec::document_body(conn, id),
            None => Ok(None),
        }
    };
    let timeout = Duration::from_secs(u64::from(config.timeout_secs.max(1)));
    let judge_call = |prompt: Prompt, schema: serde_json::Value| CallRequest {
        model: task.model.clone(),
        system: prompt.system,
        user: prompt.user,
        temperature: None,
        max_output_tokens: snapshot.judge_tokens(),
        timeout,
        schema: Some(schema),
    };
    let request = match task.kind {
        TaskKind::Generate | TaskKind::Combine => {
            let models = if task.kind == TaskKind::Generate {
                &config.models
            } else {
                &config.combine_models
            };
            let Some(spec) = models.iter().find(|m| m.contestant() == task.label) else {
                return Ok(Prepared::Fail(format!(
                    "the model {} is not in the run's configuration",
                    task.label
                )));
            };
            let prompt = if task.kind == TaskKind::Generate {
                prompts::generate(texts, input)
            } else {
                let ids: Vec<String> = task
                    .sources
                    .as_deref()
                    .and_then(|s| serde_json::from_str(s).ok())
                    .unwrap_or_default();
                let mut bodies = Vec::new();
                for id in ids {
                    match exec::document_body(conn, &id)? {
                        Some(b) => bodies.push(b),
                        None => return Ok(Prepared::Fail("a document to combine is gone".into())),
                    }
                }
                let refs: Vec<&str> = bodies.iter().map(String::as_str).collect();
                prompts::combine(texts, input, &refs)
            };
            CallRequest {
                model: spec.model.clone(),
                system: prompt.system,
                user: prompt.user,
                temperature: Some(spec.temperature),
                max_output_tokens: spec.max_tokens,
                timeout,
                schema: None,
            }
        }
        TaskKind::Score => {
            let Some(doc) = body(&task.doc_a)? else {
                return Ok(Prepared::Fail("the document to score is gone".into()));
            };
            judge_call(
                prompts::score(texts, input, &doc),
                judging::scoring_schema(&texts.criteria),
            )
        }
        TaskKind::Compare => {
            let (Some(a), Some(b)) = (body(&task.doc_a)?, body(&task.doc_b)?) else {
                return Ok(Prepared::Fail("a document to compare is gone".into()));
            };
            let (first, second) = if task.shown_first.as_deref() == Some("B") {
                (b, a)
            } else {
                (a, b)
            };
            judge_call(
                prompts::compare(texts, input, &first, &second),
                judging::comparison_schema(),
            )
        }
    };
    // A judge task whose answer was applied but unreadable is asked again with a repair
    // prompt (once: a second unreadable answer fails the task when applied).
    let judged = !task.kind.writes();
    let earlier = if judged {
        exec::applied_answers(conn, &task.id)?.pop()
    } else {
        None
    };
    if let Some(raw) = earlier {
        let read = dialect.read_answer(raw.as_bytes()).ok();
        let text = read
            .as_ref()
            .map_or_else(|| raw.clone(), |a| a.text.clone());
        let problems = if task.kind == TaskKind::Score {
            judging::read_scores(&text, &texts.criteria).err()
        } else {
            judging::read_verdict(&text).err()
        }
        .unwrap_or_default();
        let finish = read.map_or(crate::llm::FinishReason::Stop, |a| a.finish);
        let problems = judge_answers::noting_cut(problems, finish, snapshot.judge_tokens());
        let original = Prompt {
            system: request.system.clone(),
            user: request.user.clone(),
        };
        let repair = prompts::repair(&original, &text, &problems);
        return Ok(Prepared::Call(PreparedCall {
            request: CallRequest {
                system: repair.system,
                user: repair.user,
                ..request
            },
            repair: true,
        }));
    }
    Ok(Prepared::Call(PreparedCall {
        request,
        repair: false,
    }))
}

/// A call's worst case: its prompt estimated, its answer at its token limit, and what
/// that costs at the model's price. The budget reserves it before the call, and a call
/// whose usage is not known (no usable usage in the answer, or a timeout after the server
/// may have done the work) is charged it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorstCase {
    /// Input tokens: one per 3 bytes of prompt (English runs near 4; code and other scripts
    /// lower), plus one.
    pub tokens_in: i64,
    /// Output tokens: the call's limit.
    pub tokens_out: i64,
    /// USD at the model's price; `None` when it has none.
    pub cost: Option<f64>,
}

impl WorstCase {
    /// Input and output tokens together.
    pub fn tokens(&self) -> i64 {
        self.tokens_in.saturating_add(self.tokens_out)
    }
}

/// The worst case of `request` at `price`.
pub fn worst_case(
    request: &CallRequest,
    price: Option<&crate::llm::price_table::Price>,
) -> WorstCase {
    let bytes = request.system.len().saturating_add(request.user.len());
    let tokens_in = i64::try_from(bytes / 3 + 1).unwrap_or(i64::MAX);
    let tokens_out = i64::from(request.max_output_tokens);
    let cost =
        price.map(|p| (tokens_in as f64 * p.input + tokens_out as f64 * p.output) / 1_000_000.0);
    WorstCase {
        tokens_in,
        tokens_out,
        cost,
    }
}
