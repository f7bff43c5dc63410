//! What a run has spent and may spend: its totals as this process counts them, its budgets,
//! and the worst case of every call in flight, reserved against the budgets until the call
//! is charged what it used.

use std::collections::HashMap;

use crate::engine::charge::Charge;
use crate::engine::requests::WorstCase;
use crate::store::execution::RunState;

#[derive(Debug, Default)]
pub(super) struct Spending {
    pub(super) tokens: i64,
    pub(super) cost: f64,
    pub(super) unknown_cost_calls: i64,
    pub(super) estimated_calls: i64,
    budget_usd: Option<f64>,
    budget_tokens: Option<i64>,
    /// The worst case of each call in flight, by task id.
    reserved: HashMap<String, WorstCase>,
}

impl Spending {
    /// The run's totals and budgets as stored.
    pub(super) fn of(state: &RunState) -> Self {
        Self {
            tokens: state.total_tokens,
            cost: state.total_cost,
            unknown_cost_calls: state.unknown_cost_calls,
            estimated_calls: state.estimated_calls,
            budget_usd: state.budget_usd,
            budget_tokens: state.budget_tokens,
            reserved: HashMap::new(),
        }
    }

    /// Calls in flight.
    pub(super) fn in_flight(&self) -> usize {
        self.reserved.len()
    }

    /// Whether task `id`'s call is in flight.
    pub(super) fn is_in_flight(&self, id: &str) -> bool {
        self.reserved.contains_key(id)
    }

    /// Holds `worst` against the budgets while task `id`'s call is in flight.
    pub(super) fn reserve(&mut self, id: &str, worst: WorstCase) {
        self.reserved.insert(id.to_owned(), worst);
    }

    /// Ends task `id`'s reservation; its worst case (nothing when none was held).
    pub(super) fn release(&mut self, id: &str) -> WorstCase {
        self.reserved.remove(id).unwrap_or(WorstCase {
            tokens_in: 0,
            tokens_out: 0,
            cost: Some(0.0),
        })
    }

    /// Why a call of this worst case may not start now, if it could pass a budget: what is
    /// spent, plus the worst case of every call in flight, plus this one.
    pub(super) fn over_budget(&self, worst: &WorstCase) -> Option<String> {
        let (held_tokens, held_cost) = self.reserved.values().fold((0_i64, 0.0), |(t, c), w| {
            (t.saturating_add(w.tokens()), c + w.cost.unwrap_or(0.0))
        });
        if let Some(budget) = self.budget_tokens {
            let could = self
                .tokens
                .saturating_add(held_tokens)
                .saturating_add(worst.tokens());
            if could > budget {
                return Some(format!(
                    "budget: the next call could take the run to {could} tokens, past its budget of {budget}"
                ));
            }
        }
        if let Some(budget) = self.budget_usd {
            let could = self.cost + held_cost + worst.cost.unwrap_or(0.0);
            if could > budget {
                return Some(format!(
                    "budget: the next call could take the run to {}, past its budget of {}",
                    crate::numbers::usd_exact(could),
                    crate::numbers::usd_exact(budget)
                ));
            }
        }
        None
    }

    /// Adds a call's charge to the totals (the store's were added in the charge's
    /// transaction); why the run must pause at once, when they now pass a budget (a server
    /// may report more than a call's limits allowed).
    pub(super) fn count(&mut self, charge: &Charge) -> Option<String> {
        self.tokens = self.tokens.saturating_add(charge.tokens());
        match charge.cost {
            Some(c) => self.cost += c,
            None => self.unknown_cost_calls += 1,
        }
        if charge.estimated {
            self.estimated_calls += 1;
        }
        let over_tokens = self.budget_tokens.filter(|b| self.tokens > *b).map(|b| {
            format!(
                "budget: the run has used {} tokens, past its budget of {b}",
                self.tokens
            )
        });
        let over_usd = self.budget_usd.filter(|b| self.cost > *b).map(|b| {
            format!(
                "budget: the run has spent {}, past its budget of {}",
                crate::numbers::usd_exact(self.cost),
                crate::numbers::usd_exact(b)
            )
        });
        let reason = over_tokens.or(over_usd)?;
        let why = if charge.estimated {
            "a call's worst case was charged (its server reported no usage, or it timed out)"
        } else {
            "a server reported more usage than the call's limits"
        };
        Some(format!("{reason}; {why}"))
    }
}
