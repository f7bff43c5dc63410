//! A local server speaking OpenAI's Chat Completions wire format, standing in for every
//! model a run calls (the one sanctioned stand-in: the engine goes through its real client).
//!
//! - A generator writes `Briefing by MODEL. QUALITY=q` where q comes from the model's name
//!   (`…-a` 5, `…-b` 3, `…-c` 1, `…-comb` 4), so the right rankings are known by hand.
//! - A scoring judge (a `json_schema` without `winner`) scores every criterion its schema
//!   requires with the document's quality; a comparing judge names the better document,
//!   "A" on a tie. A model whose name has `biased` always answers "A"; one with `junk`
//!   answers text that is not JSON; one with `wild` scores 22; one with `cut` stops its
//!   judge's answer at the token limit; one with `long` stops at its token limit; one with
//!   `huge` writes 1.5 MiB.
//! - Usage is reported (prompt tokens = bytes / 4, completion = bytes / 4) and summed here,
//!   with every call counted, so tests compare the run's totals with the server's.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// What the server counted.
#[derive(Debug, Default)]
pub struct Counts {
    pub calls: AtomicU64,
    pub prompt_tokens: AtomicU64,
    pub completion_tokens: AtomicU64,
    /// This many of the next calls answer 429 with `retry-after: 0`.
    pub rate_limit_next: AtomicU64,
    /// 429s answered.
    pub limited: AtomicU64,
    /// How usage is reported: [`Usage::Honest`] unless a test makes the server lie.
    pub usage: AtomicU8,
}

/// How the fake reports usage (a hostile server's ways of lying about it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
#[allow(
    dead_code,
    reason = "the e2e suite, which also uses this file, uses one of them"
)]
pub enum Usage {
    /// Counted from the text.
    Honest = 0,
    /// No `usage` object at all.
    Omitted = 1,
    /// Negative and non-numeric counts.
    Garbage = 2,
    /// 50,000 prompt and 50,000 completion tokens per call, whatever the limits.
    Inflated = 3,
    /// `i64::MAX` prompt tokens.
    Overflowing = 4,
}

impl Counts {
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// Makes the server report usage this way from now on.
    #[allow(
        dead_code,
        reason = "the e2e suite, which also uses this file, lies not"
    )]
    pub fn report_usage(&self, usage: Usage) {
        self.usage.store(usage as u8, Ordering::SeqCst);
    }

    pub fn tokens(&self) -> u64 {
        self.prompt_tokens.load(Ordering::SeqCst) + self.completion_tokens.load(Ordering::SeqCst)
    }

    /// USD at $1 per million prompt tokens and $2 per million completion tokens.
    pub fn cost(&self) -> f64 {
        (self.prompt_tokens.load(Ordering::SeqCst) as f64
            + 2.0 * self.completion_tokens.load(Ordering::SeqCst) as f64)
            / 1_000_000.0
    }
}

struct Fake {
    counts: Arc<Counts>,
    delay: Duration,
}

/// The quality a model's documents have.
pub fn quality(model: &str) -> i64 {
    if model.ends_with("-comb") {
        4
    } else if model.ends_with("-a") {
        5
    } else if model.ends_with("-b") {
        3
    } else {
        1
    }
}

fn qualities(text: &str) -> Vec<i64> {
    text.match_indices("QUALITY=")
        .filter_map(|(i, m)| text[i + m.len()..].chars().next()?.to_digit(10))
        .map(i64::from)
        .collect()
}

impl Respond for Fake {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let c = &self.counts;
        c.calls.fetch_add(1, Ordering::SeqCst);
        let limit = c
            .rate_limit_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if limit.is_ok() {
            c.limited.fetch_add(1, Ordering::SeqCst);
            return ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .set_body_json(
                    json!({"error": {"message": "Rate limit reached", "type": "requests"}}),
                );
        }
        let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let model = body["model"].as_str().unwrap_or("").to_owned();
        let user = body["messages"]
            .as_array()
            .and_then(|m| m.iter().find(|m| m["role"] == "user"))
            .and_then(|m| m["content"].as_str())
            .unwrap_or("")
            .to_owned();
        let schema = &body["response_format"]["json_schema"]["schema"];
        let mut finish = "stop";
        let content = if model.contains("junk") && !schema.is_null() {
            "I think the first one is better, honestly.".to_owned()
        } else if model.contains("cut") && !schema.is_null() {
            // A judge that reaches its token limit mid-answer.
            finish = "length";
            r#"{"Accuracy": {"reason": "The briefing states the outage wind"#.to_owned()
        } else if schema["properties"]["winner"].is_object() {
            let q = qualities(&user);
            let winner = if model.contains("biased") || q.first() >= q.get(1) {
                "A"
            } else {
                "B"
            };
            json!({"winner": winner, "reason": "It is the better briefing."}).to_string()
        } else if schema.is_object() {
            // A judge with `wild` in its name scores 22, outside the scale.
            let q = if model.contains("wild") {
                22
            } else {
                qualities(&user).first().copied().unwrap_or(3).clamp(1, 5)
            };
            let scores: serde_json::Map<String, Value> = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|name| {
                    (
                        name.to_owned(),
                        json!({"score": q, "reason": "As it reads."}),
                    )
                })
                .collect();
            Value::Object(scores).to_string()
        } else {
            if model.contains("long") {
                finish = "length";
            }
            // A model with `huge` in its name writes 1.5 MiB (past the 1 MiB the journal
            // once cut answers at).
            let padding = if model.contains("huge") {
                "The facts, at length. ".repeat(72_000)
            } else {
                String::new()
            };
            format!(
                "Briefing by {model}. QUALITY={}\n\nThe facts, then a recommendation.{padding}",
                quality(&model)
            )
        };
        let prompt_tokens = (user.len() / 4) as u64;
        let completion_tokens = (content.len() / 4) as u64;
        c.prompt_tokens.fetch_add(prompt_tokens, Ordering::SeqCst);
        c.completion_tokens
            .fetch_add(completion_tokens, Ordering::SeqCst);
        let usage = match c.usage.load(Ordering::SeqCst) {
            1 => Value::Null,
            2 => json!({"prompt_tokens": -12, "completion_tokens": "many"}),
            3 => json!({"prompt_tokens": 50_000, "completion_tokens": 50_000}),
            4 => json!({"prompt_tokens": i64::MAX, "completion_tokens": 5}),
            _ => json!({
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens
            }),
        };
        let mut answer = json!({
            "id": format!("chatcmpl-{}", c.calls()),
            "object": "chat.completion",
            "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish
            }],
        });
        if !usage.is_null() {
            answer["usage"] = usage;
        }
        ResponseTemplate::new(200)
            .set_delay(self.delay)
            .set_body_json(answer)
    }
}

/// Starts a fake on `rt`; each answer is delayed by `delay`.
#[allow(
    dead_code,
    reason = "the e2e suite, which also uses this file, starts it async"
)]
pub fn start(rt: &tokio::runtime::Runtime, delay: Duration) -> (MockServer, Arc<Counts>) {
    rt.block_on(serve(delay))
}

/// Starts a fake; each answer is delayed by `delay`.
pub async fn serve(delay: Duration) -> (MockServer, Arc<Counts>) {
    let counts = Arc::new(Counts::default());
    let server = {
        // Not from wiremock's pool: dropping this server stops it (a test takes it down).
        let server = MockServer::builder().start().await;
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(Fake {
                counts: Arc::clone(&counts),
                delay,
            })
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v1/models"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": []})),
            )
            .mount(&server)
            .await;
        server
    };
    (server, counts)
}
