//! What judges answer in and how their answers are read.
//!
//! A scoring answer is an object with one property per criterion, each `{"score": 1–5,
//! "reason": "…"}`; it must score every criterion exactly once. A comparison answer is
//! `{"winner": "A" | "B", "reason": "…"}`. Both are sent as JSON schemas through the
//! provider's structured output; an answer that does not read gets one repair attempt (the
//! engine's), so the problems here say exactly what was wrong.
//!
//! Every comparison trial asks both orders; two verdicts that disagree are a tie.

use serde_json::{Map, Value, json};

use crate::domain::criteria::Criterion;

/// The schema a scoring answer follows. Scores are integers described as 1–5 rather than
/// bounded with `minimum`/`maximum`, which some providers' structured output refuses; the
/// range is checked when the answer is read.
pub fn scoring_schema(criteria: &[Criterion]) -> Value {
    let properties: Map<String, Value> = criteria
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                json!({
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["score", "reason"],
                    "properties": {
                        "score": {"type": "integer", "description": "1 (poor) to 5 (excellent)"},
                        "reason": {"type": "string"}
                    }
                }),
            )
        })
        .collect();
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": criteria.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
        "properties": properties,
    })
}

/// The schema a comparison answer follows.
pub fn comparison_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["winner", "reason"],
        "properties": {
            "winner": {"type": "string", "enum": ["A", "B"]},
            "reason": {"type": "string"}
        }
    })
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

/// Reads a scoring answer: every criterion exactly once, each an integer 1–5 with a reason.
/// The error says what was wrong, for the repair prompt and the task's error.
pub fn read_scores(answer: &str, criteria: &[Criterion]) -> Result<Vec<CriterionScore>, String> {
    let value = json_in(answer)?;
    let object = value
        .as_object()
        .ok_or("the answer is not a JSON object with one property per criterion")?;
    let mut out = Vec::with_capacity(criteria.len());
    for key in object.keys() {
        if !criteria.iter().any(|c| c.name.eq_ignore_ascii_case(key)) {
            return Err(format!("{key:?} is not one of the criteria"));
        }
    }
    for c in criteria {
        let mut matching = object
            .iter()
            .filter(|(k, _)| c.name.eq_ignore_ascii_case(k));
        let Some((_, entry)) = matching.next() else {
            return Err(format!("the criterion {:?} has no score", c.name));
        };
        if matching.next().is_some() {
            return Err(format!("the criterion {:?} is scored twice", c.name));
        }
        let score = entry["score"]
            .as_i64()
            .or_else(|| {
                entry["score"]
                    .as_f64()
                    .filter(|f| f.fract() == 0.0)
                    .map(|f| f as i64)
            })
            .filter(|s| (1..=5).contains(s))
            .ok_or_else(|| {
                format!(
                    "the score of {:?} is not a whole number from 1 to 5",
                    c.name
                )
            })?;
        let reason = entry["reason"]
            .as_str()
            .ok_or_else(|| format!("the score of {:?} has no reason", c.name))?;
        out.push(CriterionScore {
            criterion: c.name.clone(),
            score,
            reason: reason.trim().to_owned(),
        });
    }
    Ok(out)
}

/// Which document a verdict prefers, in the order the judge was shown them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// The document shown first ("A" in the prompt).
    First,
    /// The document shown second ("B").
    Second,
}

/// Reads a comparison answer; returns the preferred position and the reason.
pub fn read_verdict(answer: &str) -> Result<(Shown, String), String> {
    let value = json_in(answer)?;
    let winner = match value["winner"].as_str().map(str::trim) {
        Some(w) if w.eq_ignore_ascii_case("A") => Shown::First,
        Some(w) if w.eq_ignore_ascii_case("B") => Shown::Second,
        _ => return Err("the answer's \"winner\" is not \"A\" or \"B\"".into()),
    };
    let reason = value["reason"]
        .as_str()
        .ok_or("the answer has no \"reason\"")?;
    Ok((winner, reason.trim().to_owned()))
}

/// One of a pair's two documents, by its place in the pair (not in a prompt).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The pair's document A.
    A,
    /// The pair's document B.
    B,
}

/// The document a verdict prefers, given which one was shown first.
pub fn preferred(shown_first: Side, verdict: Shown) -> Side {
    match (shown_first, verdict) {
        (Side::A, Shown::First) | (Side::B, Shown::Second) => Side::A,
        (Side::A, Shown::Second) | (Side::B, Shown::First) => Side::B,
    }
}

/// A trial's outcome from its two orders: the document both preferred, or `None` (a tie)
/// when they disagree, which is what a judge swayed by position produces.
pub fn trial_outcome(a_first: Side, b_first: Side) -> Option<Side> {
    (a_first == b_first).then_some(a_first)
}

/// The JSON in an answer: the whole text, or the body of a ```json fence (models that
/// answered without structured output often wrap it).
fn json_in(answer: &str) -> Result<Value, String> {
    let text = answer.trim();
    let inner = text
        .strip_prefix("```json")
        .or_else(|| text.strip_prefix("```"))
        .and_then(|t| t.trim_end().strip_suffix("```"))
        .unwrap_or(text);
    serde_json::from_str(inner.trim()).map_err(|e| format!("the answer is not JSON ({e})"))
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

    #[test]
    fn a_scoring_answer_must_score_every_criterion_once_within_1_to_5() {
        let ok = r#"{"Accuracy": {"score": 4, "reason": "close"}, "clarity": {"score": 5.0, "reason": "clear"}}"#;
        let scores = read_scores(ok, &criteria()).expect("reads");
        assert_eq!(
            scores[1],
            CriterionScore {
                criterion: "Clarity".into(),
                score: 5,
                reason: "clear".into()
            }
        );
        let fenced = format!("```json\n{ok}\n```");
        assert!(read_scores(&fenced, &criteria()).is_ok());
        for (bad, why) in [
            (r#"{"Accuracy": {"score": 4, "reason": "x"}}"#, "no score"),
            (
                r#"{"Accuracy": {"score": 6, "reason": "x"}, "Clarity": {"score": 1, "reason": "y"}}"#,
                "1 to 5",
            ),
            (
                r#"{"Accuracy": {"score": 4, "reason": "x"}, "Clarity": {"score": 1, "reason": "y"}, "Tone": {}}"#,
                "not one of",
            ),
            (
                r#"{"Accuracy": {"score": 4, "reason": "x"}, "ACCURACY": {"score": 4, "reason": "x"}, "Clarity": {"score": 1, "reason": "y"}}"#,
                "twice",
            ),
            (
                r#"{"Accuracy": {"score": 4}, "Clarity": {"score": 1, "reason": "y"}}"#,
                "no reason",
            ),
            ("I think it is good", "not JSON"),
        ] {
            let err = read_scores(bad, &criteria()).expect_err(why);
            assert!(err.contains(why), "{why}: {err}");
        }
        let schema = scoring_schema(&criteria());
        assert_eq!(schema["required"], json!(["Accuracy", "Clarity"]));
        assert_eq!(
            schema["properties"]["Clarity"]["required"],
            json!(["score", "reason"])
        );
    }

    #[test]
    fn both_orders_must_agree_or_the_trial_is_a_tie() {
        let (first, _) = read_verdict(r#"{"winner": "A", "reason": "r"}"#).expect("verdict");
        let (second, _) = read_verdict(r#"{"winner": "B", "reason": "r"}"#).expect("verdict");
        // A shown first and preferred; then B shown first and the second (A) preferred.
        let a_first = preferred(Side::A, first);
        let b_first = preferred(Side::B, second);
        assert_eq!((a_first, b_first), (Side::A, Side::A));
        assert_eq!(trial_outcome(a_first, b_first), Some(Side::A));
        // A judge that always picks the first one shown is a tie.
        assert_eq!(
            trial_outcome(
                preferred(Side::A, Shown::First),
                preferred(Side::B, Shown::First)
            ),
            None
        );
        assert!(read_verdict(r#"{"winner": "C", "reason": "r"}"#).is_err());
        assert_eq!(
            comparison_schema()["properties"]["winner"]["enum"],
            json!(["A", "B"])
        );
    }
}
