//! Reading a judge's answer: leniently where its meaning is unambiguous, never wrongly, and
//! with every problem named.
//!
//! Lenient: `"4"`, `4.0` and `"4/5"` are 4; a criterion name that differs only in case or
//! surrounding spaces is that criterion; a JSON object inside a fenced code block, or
//! followed by trailing text, is that object. Never wrong: a score outside 1–5 is a problem
//! (never clamped), and so is anything that could mean two things.
//!
//! Every read that fails gives the whole list of [`Problem`]s, each a stable code and a
//! sentence; the repair prompt quotes them, and a failed task keeps them per attempt.

use serde_json::{Map, Value};

use crate::domain::criteria::Criterion;
pub use crate::domain::judge_problem::{Problem, ProblemCode};
use crate::llm::FinishReason;

/// `problems` with `TRUNCATED` first when the answer stopped at its token limit of `limit`
/// (what was cut away is usually why the rest did not read).
pub fn noting_cut(mut problems: Vec<Problem>, finish: FinishReason, limit: u32) -> Vec<Problem> {
    if finish == FinishReason::Length {
        problems.insert(0, Problem::truncated(limit));
    }
    problems
}

/// The problems as one line, for a task's error and the repair prompt.
pub fn summary(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| p.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// One criterion's score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriterionScore {
    /// The criterion's name, as the criteria list spells it.
    pub criterion: String,
    /// 1–5.
    pub score: i64,
    /// The judge's reason.
    pub reason: String,
}

/// Which document a verdict prefers, in the order the judge was shown them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// The document shown first ("A" in the prompt).
    First,
    /// The document shown second ("B").
    Second,
}

/// The lowest and highest score.
pub const SCALE: (i64, i64) = (1, 5);

/// Reads a scoring answer: every criterion exactly once, each a whole number 1–5 with a
/// reason; else every problem found.
pub fn read_scores(
    answer: &str,
    criteria: &[Criterion],
) -> Result<Vec<CriterionScore>, Vec<Problem>> {
    let object = json_object(answer).map_err(|p| vec![p])?;
    let mut problems = Vec::new();
    let key = |name: &str| name.trim().to_lowercase();
    for name in object.keys() {
        if !criteria.iter().any(|c| key(&c.name) == key(name)) {
            problems.push(Problem::new(
                ProblemCode::UnknownCriterion,
                format!("{name:?} is not one of the criteria"),
            ));
        }
    }
    let mut out = Vec::with_capacity(criteria.len());
    for c in criteria {
        let mut matching = object.iter().filter(|(k, _)| key(k) == key(&c.name));
        let Some((_, entry)) = matching.next() else {
            problems.push(Problem::new(
                ProblemCode::MissingCriterion,
                format!("{}: no score", c.name),
            ));
            continue;
        };
        if matching.next().is_some() {
            problems.push(Problem::new(
                ProblemCode::DuplicateCriterion,
                format!("{}: scored more than once", c.name),
            ));
            continue;
        }
        let score = match score_of(&c.name, &entry["score"]) {
            Ok(s) => Some(s),
            Err(p) => {
                problems.push(p);
                None
            }
        };
        let reason = match &entry["reason"] {
            Value::String(r) if !r.trim().is_empty() => Some(r.trim().to_owned()),
            Value::Null | Value::String(_) => {
                problems.push(Problem::new(
                    ProblemCode::MissingReason,
                    format!("{}: the score has no reason", c.name),
                ));
                None
            }
            _ => {
                problems.push(Problem::new(
                    ProblemCode::WrongType,
                    format!("{}: the reason is not text", c.name),
                ));
                None
            }
        };
        if let (Some(score), Some(reason)) = (score, reason) {
            out.push(CriterionScore {
                criterion: c.name.clone(),
                score,
                reason,
            });
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// A score: a whole number (`4`, `4.0`, `"4"`, `"4/5"`) within the scale.
fn score_of(criterion: &str, value: &Value) -> Result<i64, Problem> {
    let number = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let s = s.trim();
            let s = s
                .strip_suffix("/5")
                .or_else(|| s.strip_suffix(" / 5"))
                .unwrap_or(s)
                .trim();
            s.parse::<f64>().ok()
        }
        Value::Null => {
            return Err(Problem::new(
                ProblemCode::MissingCriterion,
                format!("{criterion}: no score"),
            ));
        }
        _ => None,
    };
    let Some(number) = number.filter(|n| n.is_finite()) else {
        return Err(Problem::new(
            ProblemCode::WrongType,
            format!("{criterion}: the score {value} is not a number"),
        ));
    };
    if number.fract() != 0.0 {
        return Err(Problem::new(
            ProblemCode::WrongType,
            format!("{criterion}: score {number} is not a whole number"),
        ));
    }
    let (low, high) = SCALE;
    if !(low as f64..=high as f64).contains(&number) {
        return Err(Problem::new(
            ProblemCode::OutOfRange,
            format!("{criterion}: score {number} is outside {low}–{high}"),
        ));
    }
    Ok(number as i64)
}

/// Reads a comparison answer: the preferred position and the reason; else every problem.
pub fn read_verdict(answer: &str) -> Result<(Shown, String), Vec<Problem>> {
    let object = json_object(answer).map_err(|p| vec![p])?;
    let mut problems = Vec::new();
    let winner = match object.get("winner") {
        Some(Value::String(w)) if w.trim().eq_ignore_ascii_case("A") => Some(Shown::First),
        Some(Value::String(w)) if w.trim().eq_ignore_ascii_case("B") => Some(Shown::Second),
        other => {
            problems.push(Problem::new(
                ProblemCode::BadWinner,
                match other {
                    None => "the answer names no winner; give \"A\" or \"B\"".to_owned(),
                    Some(v) => format!("the winner {v} is not \"A\" or \"B\""),
                },
            ));
            None
        }
    };
    let reason = match object.get("reason") {
        Some(Value::String(r)) if !r.trim().is_empty() => Some(r.trim().to_owned()),
        Some(Value::String(_) | Value::Null) | None => {
            problems.push(Problem::new(
                ProblemCode::MissingReason,
                "the verdict has no reason",
            ));
            None
        }
        Some(_) => {
            problems.push(Problem::new(
                ProblemCode::WrongType,
                "the verdict's reason is not text",
            ));
            None
        }
    };
    match (winner, reason) {
        (Some(w), Some(r)) if problems.is_empty() => Ok((w, r)),
        _ => Err(problems),
    }
}

/// The JSON object in an answer: the whole text; the body of a fenced code block; or the
/// first object in the text, with whatever follows it ignored.
fn json_object(answer: &str) -> Result<Map<String, Value>, Problem> {
    let text = answer.trim();
    let candidates = [
        Some(text),
        fenced(text),
        text.find('{').map(|at| &text[at..]),
    ];
    let mut first_error = None;
    for candidate in candidates.into_iter().flatten() {
        let mut stream = serde_json::Deserializer::from_str(candidate).into_iter::<Value>();
        match stream.next() {
            Some(Ok(Value::Object(map))) => return Ok(map),
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                first_error.get_or_insert(e);
            }
            None => {}
        }
    }
    Err(Problem::new(
        ProblemCode::NotJson,
        match first_error {
            Some(e) if text.contains('{') => format!(
                "the answer is not a JSON object: parsing stopped at line {}, column {} ({})",
                e.line(),
                e.column(),
                e
            ),
            _ => "the answer holds no JSON object".to_owned(),
        },
    ))
}

/// The body of the first fenced code block (```json … ``` or ``` … ```), if any.
fn fenced(text: &str) -> Option<&str> {
    let start = text.find("```")?;
    let after = &text[start + 3..];
    let body_start = after.find('\n').map_or(0, |n| n + 1);
    let body = &after[body_start..];
    let end = body.find("```").unwrap_or(body.len());
    Some(body[..end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn criteria() -> Vec<Criterion> {
        ["Accuracy", "Clarity"]
            .iter()
            .map(|n| Criterion {
                name: (*n).into(),
                description: String::new(),
            })
            .collect()
    }

    fn codes(result: Result<Vec<CriterionScore>, Vec<Problem>>) -> Vec<ProblemCode> {
        result
            .expect_err("problems")
            .iter()
            .map(|p| p.code)
            .collect()
    }

    #[test]
    fn unambiguous_forms_are_read() {
        for (accuracy, clarity) in [
            (r#"4"#, r#"5"#),
            (r#"4.0"#, r#""5""#),
            (r#""4/5""#, r#"" 5 ""#),
        ] {
            let text = format!(
                r#"{{" accuracy ": {{"reason": "close", "score": {accuracy}}}, "CLARITY": {{"reason": "clear", "score": {clarity}}}}}"#
            );
            let scores = read_scores(&text, &criteria()).expect("reads");
            assert_eq!(
                scores.iter().map(|s| s.score).collect::<Vec<_>>(),
                [4, 5],
                "{text}"
            );
            assert_eq!(
                scores[1].criterion, "Clarity",
                "named as the criteria spell it"
            );
        }
        let ok =
            r#"{"Accuracy": {"reason": "a", "score": 3}, "Clarity": {"reason": "b", "score": 2}}"#;
        for wrapped in [
            format!("```json\n{ok}\n```"),
            format!("Here is my answer:\n```\n{ok}\n```\nThanks."),
            format!("{ok}\n\nI hope this helps."),
        ] {
            assert!(read_scores(&wrapped, &criteria()).is_ok(), "{wrapped}");
        }
    }

    #[test]
    fn every_problem_has_its_code_and_scores_are_never_clamped() {
        let cases = [
            ("I think it is good", vec![ProblemCode::NotJson]),
            (r#"{"Accuracy": {"score": 4"#, vec![ProblemCode::NotJson]),
            (
                r#"{"Accuracy": {"reason": "x", "score": 4}}"#,
                vec![ProblemCode::MissingCriterion],
            ),
            (
                r#"{"Accuracy": {"reason": "x", "score": 4}, "Clarity": {"reason": "y", "score": 1}, "Tone": {}}"#,
                vec![ProblemCode::UnknownCriterion],
            ),
            (
                r#"{"Accuracy": {"reason": "x", "score": 4}, "ACCURACY": {"reason": "x", "score": 4}, "Clarity": {"reason": "y", "score": 1}}"#,
                vec![ProblemCode::DuplicateCriterion],
            ),
            (
                r#"{"Accuracy": {"reason": "x", "score": 22}, "Clarity": {"reason": "y", "score": 0}}"#,
                vec![ProblemCode::OutOfRange, ProblemCode::OutOfRange],
            ),
            (
                r#"{"Accuracy": {"reason": "x", "score": "good"}, "Clarity": {"reason": "y", "score": 2.5}}"#,
                vec![ProblemCode::WrongType, ProblemCode::WrongType],
            ),
            (
                r#"{"Accuracy": {"score": 4}, "Clarity": {"reason": 7, "score": 1}}"#,
                vec![ProblemCode::MissingReason, ProblemCode::WrongType],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(codes(read_scores(text, &criteria())), expected, "{text}");
        }
        let out_of_range = read_scores(
            r#"{"Accuracy": {"reason": "x", "score": 22}, "Clarity": {"reason": "y", "score": 3}}"#,
            &criteria(),
        )
        .expect_err("22 is not 5");
        assert_eq!(out_of_range[0].message, "Accuracy: score 22 is outside 1–5");
        let not_json = read_scores(r#"{"Accuracy": {"score": 4"#, &criteria()).expect_err("cut");
        assert!(
            not_json[0].message.contains("line 1, column"),
            "{not_json:?}"
        );
        assert_eq!(
            Problem::truncated(300).message,
            "the answer was cut at the judge's token limit of 300 tokens; raise judge_max_tokens in the preset"
        );
    }

    #[test]
    fn a_verdict_needs_a_or_b_and_a_reason() {
        let (w, r) = read_verdict(r#"{"reason": " better ", "winner": " b "}"#).expect("reads");
        assert_eq!((w, r.as_str()), (Shown::Second, "better"));
        assert!(read_verdict("```json\n{\"reason\": \"r\", \"winner\": \"A\"}\n```").is_ok());
        let bad = read_verdict(r#"{"winner": "C"}"#).expect_err("bad");
        assert_eq!(
            bad.iter().map(|p| p.code).collect::<Vec<_>>(),
            [ProblemCode::BadWinner, ProblemCode::MissingReason]
        );
    }
}
