//! When to try a failed call again: exponential backoff (backon's schedule) with full
//! jitter, never sooner than the server asked (capped), and never past a total deadline.

use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};

/// How a client retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: usize,
    /// The first backoff step.
    pub first_delay: Duration,
    /// The largest backoff step.
    pub max_delay: Duration,
    /// The longest wait a `retry-after` may ask for; a longer one is cut to this.
    pub max_retry_after: Duration,
    /// All attempts and waits together end by this long after the first attempt.
    pub total: Option<Duration>,
}

impl RetryPolicy {
    /// For run calls: up to 6 retries, 1 s doubling to 60 s.
    pub const CALLS: Self = Self {
        max_retries: 6,
        first_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(60),
        max_retry_after: Duration::from_secs(120),
        total: None,
    };

    /// For a key check: everything within about `total`.
    pub fn bounded(total: Duration) -> Self {
        Self {
            max_retries: 4,
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(4),
            max_retry_after: total,
            total: Some(total),
        }
    }
}

/// One call's retry schedule.
#[derive(Debug)]
pub(crate) struct Schedule {
    steps: backon::ExponentialBackoff,
    policy: RetryPolicy,
    started: Instant,
}

impl Schedule {
    pub(crate) fn new(policy: RetryPolicy) -> Self {
        Self {
            steps: ExponentialBuilder::default()
                .with_min_delay(policy.first_delay)
                .with_max_delay(policy.max_delay)
                .with_max_times(policy.max_retries)
                .build(),
            policy,
            started: Instant::now(),
        }
    }

    /// How long to wait before the next attempt, or `None` to give up: a random share of
    /// the backoff step (full jitter), at least what the server asked for.
    pub(crate) fn next_wait(&mut self, asked: Option<Duration>) -> Option<Duration> {
        let step = self.steps.next()?;
        let jittered = step.mul_f64(unit_random());
        let wait = match asked {
            Some(asked) => jittered.max(asked.min(self.policy.max_retry_after)),
            None => jittered,
        };
        match self.policy.total {
            Some(total) if self.started.elapsed() + wait >= total => None,
            _ => Some(wait),
        }
    }

    /// What remains of the total deadline, if there is one.
    pub(crate) fn remaining(&self) -> Option<Duration> {
        self.policy
            .total
            .map(|t| t.saturating_sub(self.started.elapsed()))
    }
}

/// A uniform random number in [0, 1).
fn unit_random() -> f64 {
    let bits = getrandom::u64().unwrap_or(u64::MAX / 2);
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_jittered_within_the_step_at_least_what_was_asked_and_end() {
        let mut schedule = Schedule::new(RetryPolicy {
            max_retries: 3,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
            max_retry_after: Duration::from_millis(250),
            total: None,
        });
        assert!(schedule.next_wait(None).expect("1") <= Duration::from_millis(100));
        // The server asked for 10 s; the cap makes it 250 ms, above the 200 ms step.
        assert_eq!(
            schedule.next_wait(Some(Duration::from_secs(10))),
            Some(Duration::from_millis(250))
        );
        assert!(schedule.next_wait(None).expect("3") <= Duration::from_millis(400));
        assert_eq!(schedule.next_wait(None), None);
    }

    #[test]
    fn a_total_deadline_stops_waits_that_would_pass_it() {
        let mut schedule = Schedule::new(RetryPolicy::bounded(Duration::from_millis(50)));
        assert_eq!(schedule.next_wait(Some(Duration::from_secs(1))), None);
    }
}
