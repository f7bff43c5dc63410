//! What a finished call is charged, whatever its server reported.
//!
//! - An answer with usable usage (input and output counts, whole numbers from 0) is charged
//!   as reported, even above the request's own limits (the provider bills what it
//!   reports); the executor then pauses the run at once when that passes its budget.
//! - An answer without usable usage (none, negative, non-numeric) is charged the call's
//!   worst case (its prompt estimate and its token limit, at its price) and marked
//!   estimated: a budget must hold against a server that says nothing.
//! - A call that timed out, or whose answer was too large to read, is charged its worst
//!   case too: the provider may have done (and billed) the work.
//!
//! Token arithmetic saturates: a count is capped when read
//! ([`crate::llm::call::MAX_REPORTED_TOKENS`]), and every sum here and in the store stops at
//! `i64::MAX` instead of overflowing.

use super::requests::WorstCase;
use crate::error::{Error, FailureKind};
use crate::llm::Usage;

/// What one call (or one failed attempt) is charged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Charge {
    /// Input tokens.
    pub tokens_in: i64,
    /// Output tokens.
    pub tokens_out: i64,
    /// USD; `None` when the model has no price.
    pub cost: Option<f64>,
    /// The tokens and cost are the call's worst case, not a server's report.
    pub estimated: bool,
}

impl Charge {
    /// Nothing: a call the server refused before doing any work.
    pub const NONE: Self = Self {
        tokens_in: 0,
        tokens_out: 0,
        cost: Some(0.0),
        estimated: false,
    };

    /// Input and output tokens together.
    pub fn tokens(&self) -> i64 {
        self.tokens_in.saturating_add(self.tokens_out)
    }

    /// The worst case, as an estimate.
    pub fn worst(worst: &WorstCase) -> Self {
        Self {
            tokens_in: worst.tokens_in,
            tokens_out: worst.tokens_out,
            cost: worst.cost,
            estimated: true,
        }
    }

    /// An answer's charge: as reported when its usage is usable, with `priced` the cost of
    /// that usage (`None` when the model has no price); else its worst case.
    pub fn answer(usage: &Usage, priced: Option<f64>, worst: &WorstCase) -> Self {
        match (usage.input_tokens, usage.output_tokens) {
            (Some(tokens_in), Some(tokens_out)) => Self {
                tokens_in: to_i64(tokens_in),
                tokens_out: to_i64(tokens_out),
                cost: priced,
                estimated: false,
            },
            _ => Self::worst(worst),
        }
    }
}

/// Whether a failed call may still have been billed: it timed out (the server may have
/// finished the work after we stopped waiting), or its answer could not be read (too large,
/// or not the API's shape): the server answered, so it likely billed.
pub fn failure_may_be_billed(kind: FailureKind) -> bool {
    matches!(kind, FailureKind::Timeout | FailureKind::BadResponse)
}

/// [`failure_may_be_billed`] for an error a call ended with.
pub fn error_may_be_billed(e: &Error) -> bool {
    matches!(e, Error::Provider { failure, .. } if failure_may_be_billed(failure.kind))
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORST: WorstCase = WorstCase {
        tokens_in: 400,
        tokens_out: 1000,
        cost: Some(0.02),
    };

    #[test]
    fn an_answer_without_usable_usage_is_charged_its_worst_case_as_an_estimate() {
        for usage in [
            Usage::default(),
            Usage {
                input_tokens: Some(10),
                ..Usage::default()
            },
        ] {
            let c = Charge::answer(&usage, Some(0.0), &WORST);
            assert_eq!(c, Charge::worst(&WORST), "{usage:?}");
            assert!(c.estimated);
        }
    }

    #[test]
    fn reported_usage_is_charged_as_reported_even_above_the_limits() {
        let usage = Usage {
            input_tokens: Some(50_000),
            output_tokens: Some(50_000),
            ..Usage::default()
        };
        let c = Charge::answer(&usage, Some(0.6), &WORST);
        assert_eq!(
            (c.tokens(), c.cost, c.estimated),
            (100_000, Some(0.6), false)
        );
        let huge = Usage {
            input_tokens: Some(u64::MAX),
            output_tokens: Some(u64::MAX),
            ..Usage::default()
        };
        assert_eq!(
            Charge::answer(&huge, None, &WORST).tokens(),
            i64::MAX,
            "sums saturate"
        );
    }

    #[test]
    fn a_timeout_may_be_billed_and_a_refusal_is_not() {
        assert!(failure_may_be_billed(FailureKind::Timeout));
        assert!(!failure_may_be_billed(FailureKind::RateLimited));
        assert!(!failure_may_be_billed(FailureKind::KeyRejected));
    }
}
