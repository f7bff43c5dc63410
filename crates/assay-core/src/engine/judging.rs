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

use super::judge_answers;
pub use super::judge_answers::{
    CriterionScore, Problem, ProblemCode, Shown, read_scores, read_verdict,
};
use crate::domain::criteria::Criterion;

/// The longest reason a judge may give, in characters: one or two sentences with room to
/// spare (a small model filling a long reason with digits spends a token a character, so
/// the bound also keeps every criterion within its share of the token limit). Sent as `maxLength` where the provider's structured output enforces it.
pub const REASON_MAX_CHARS: u64 = 300;

/// A reason, bounded, asked for before the score or verdict it explains (judges that reason
/// first judge better; the key sorts first, and Gemini gets an explicit order).
fn reason_property() -> Value {
    json!({
        "type": "string",
        "maxLength": REASON_MAX_CHARS,
        "description": "why, in one or two sentences"
    })
}

/// The schema a scoring answer follows: one object per criterion, each `{"reason",
/// "score"}` with the score one of 1–5 (an `enum`, which every structured-output dialect can
/// hold a model to; each dialect adapts it, see [`crate::llm::dialect::Dialect::schema`]).
pub fn scoring_schema(criteria: &[Criterion]) -> Value {
    let (low, high) = judge_answers::SCALE;
    let properties: Map<String, Value> = criteria
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                json!({
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["reason", "score"],
                    "properties": {
                        "reason": reason_property(),
                        "score": {
                            "type": "integer",
                            "enum": (low..=high).collect::<Vec<_>>(),
                            "description": "1 (poor) to 5 (excellent)"
                        }
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

/// The schema a comparison answer follows: `{"reason", "winner": "A" | "B"}`.
pub fn comparison_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["reason", "winner"],
        "properties": {
            "reason": reason_property(),
            "winner": {"type": "string", "enum": ["A", "B"]}
        }
    })
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
    fn schemas_bound_the_score_and_the_reason_and_ask_for_the_reason_first() {
        let schema = scoring_schema(&criteria());
        assert_eq!(schema["required"], json!(["Accuracy", "Clarity"]));
        let one = &schema["properties"]["Clarity"];
        assert_eq!(one["required"], json!(["reason", "score"]));
        assert_eq!(one["properties"]["score"]["enum"], json!([1, 2, 3, 4, 5]));
        assert_eq!(
            one["properties"]["reason"]["maxLength"],
            json!(REASON_MAX_CHARS)
        );
        let text = serde_json::to_string(one).expect("json");
        assert!(
            text.find("\"reason\"") < text.find("\"score\""),
            "the reason comes before the score as sent: {text}"
        );
        let compare = comparison_schema();
        assert_eq!(compare["properties"]["winner"]["enum"], json!(["A", "B"]));
        assert_eq!(compare["required"], json!(["reason", "winner"]));
        let text = serde_json::to_string(&compare).expect("json");
        assert!(text.find("\"reason\"") < text.find("\"winner\""), "{text}");
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
    }
}
