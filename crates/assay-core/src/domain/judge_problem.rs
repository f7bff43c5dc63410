//! What can be wrong with a judge's answer: a stable code and a sentence. The engine's
//! reader finds them (`engine::judge_answers`); a failed task keeps them per attempt, and
//! every view of a failure shows them first.

/// What was wrong with a judge's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProblemCode {
    /// No JSON object could be read from the answer.
    NotJson,
    /// The answer was cut at its token limit.
    Truncated,
    /// A criterion has no score.
    MissingCriterion,
    /// A score names no criterion of the run.
    UnknownCriterion,
    /// A criterion is scored twice.
    DuplicateCriterion,
    /// A score outside the scale.
    OutOfRange,
    /// A value of the wrong type (a score that is not a number, a reason that is not text).
    WrongType,
    /// A score or verdict without its reason.
    MissingReason,
    /// A comparison's winner is not `A` or `B`.
    BadWinner,
}

impl ProblemCode {
    /// The code as it is serialized (`OUT_OF_RANGE`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotJson => "NOT_JSON",
            Self::Truncated => "TRUNCATED",
            Self::MissingCriterion => "MISSING_CRITERION",
            Self::UnknownCriterion => "UNKNOWN_CRITERION",
            Self::DuplicateCriterion => "DUPLICATE_CRITERION",
            Self::OutOfRange => "OUT_OF_RANGE",
            Self::WrongType => "WRONG_TYPE",
            Self::MissingReason => "MISSING_REASON",
            Self::BadWinner => "BAD_WINNER",
        }
    }
}

/// One problem: its code and a sentence saying exactly what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct Problem {
    /// The stable code.
    pub code: ProblemCode,
    /// What was wrong, in a sentence.
    pub message: String,
}

impl Problem {
    /// A problem with its code and sentence.
    pub fn new(code: ProblemCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The answer stopped at the judge's token limit of `limit` tokens.
    pub fn truncated(limit: u32) -> Self {
        Self::new(
            ProblemCode::Truncated,
            format!(
                "the answer was cut at the judge's token limit of {limit} tokens; raise \
                 judge_max_tokens in the preset"
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_str_is_the_serialized_code() {
        for code in [
            ProblemCode::NotJson,
            ProblemCode::Truncated,
            ProblemCode::MissingCriterion,
            ProblemCode::UnknownCriterion,
            ProblemCode::DuplicateCriterion,
            ProblemCode::OutOfRange,
            ProblemCode::WrongType,
            ProblemCode::MissingReason,
            ProblemCode::BadWinner,
        ] {
            assert_eq!(
                serde_json::to_value(code).expect("json"),
                serde_json::json!(code.as_str())
            );
        }
    }
}
