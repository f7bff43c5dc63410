//! Per-endpoint limits that hold across every caller in the process: concurrent calls,
//! requests per minute and a minimum delay between starts. On a 429 the concurrency halves
//! and then grows back by one per window of successes (additive increase, multiplicative
//! decrease), so a run settles at what the provider allows.
//!
//! Limiters live in a process-wide map keyed by profile and endpoint, so two runs (or a run
//! and a key test) share one endpoint's limits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::Notify;

/// After one decrease, 429s within this long are the same overload, not a new one.
const DECREASE_HOLD: Duration = Duration::from_secs(2);

/// An endpoint's limits as set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitSettings {
    /// Concurrent calls allowed (the ceiling AIMD grows back to).
    pub max_concurrent: u32,
    /// Requests per minute, if limited.
    pub requests_per_minute: Option<u32>,
    /// Minimum time between the starts of two calls.
    pub min_delay: Duration,
}

/// What the limiter allows now, for progress views.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, specta::Type)]
pub struct LimitState {
    /// The configured ceiling.
    pub max_concurrent: u32,
    /// Concurrent calls allowed now (below the ceiling after 429s).
    pub current_limit: u32,
    /// Calls in flight.
    pub in_flight: u32,
}

/// One endpoint's limiter.
pub struct Limiter {
    state: Mutex<State>,
    freed: Notify,
}

struct State {
    settings: LimitSettings,
    /// The AIMD limit, fractional so additive increase can be 1/limit per success.
    current: f64,
    in_flight: u32,
    next_start: Instant,
    last_decrease: Option<Instant>,
    rate: Option<Arc<DefaultDirectRateLimiter>>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("state", &self.state())
            .finish()
    }
}

/// A held call slot; dropping it frees the slot.
#[derive(Debug)]
pub struct Permit {
    limiter: Arc<Limiter>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limiter.lock().in_flight -= 1;
        self.limiter.freed.notify_waiters();
    }
}

/// Every limiter of this process, by key.
fn registry() -> MutexGuard<'static, HashMap<String, Arc<Limiter>>> {
    static ALL: OnceLock<Mutex<HashMap<String, Arc<Limiter>>>> = OnceLock::new();
    ALL.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// What the limiter of `key` allows now, if this process has called that endpoint.
pub fn current(key: &str) -> Option<LimitState> {
    registry().get(&key.to_lowercase()).map(|l| l.state())
}

impl Limiter {
    /// The limiter of `key` (profile id and endpoint name), created on first use; its
    /// settings are brought up to date with `settings`.
    pub fn shared(key: &str, settings: LimitSettings) -> Arc<Self> {
        let mut all = registry();
        let limiter = all
            .entry(key.to_lowercase())
            .or_insert_with(|| Arc::new(Self::new(settings)))
            .clone();
        drop(all);
        limiter.configure(settings);
        limiter
    }

    /// A limiter of its own (tests, benchmarks).
    pub fn new(settings: LimitSettings) -> Self {
        Self {
            state: Mutex::new(State {
                settings,
                current: f64::from(settings.max_concurrent.max(1)),
                in_flight: 0,
                next_start: Instant::now(),
                last_decrease: None,
                rate: rate_limiter(settings.requests_per_minute),
            }),
            freed: Notify::new(),
        }
    }

    fn configure(&self, settings: LimitSettings) {
        let mut state = self.lock();
        if state.settings == settings {
            return;
        }
        if state.settings.requests_per_minute != settings.requests_per_minute {
            state.rate = rate_limiter(settings.requests_per_minute);
        }
        let ceiling = f64::from(settings.max_concurrent.max(1));
        state.current = if settings.max_concurrent > state.settings.max_concurrent {
            ceiling
        } else {
            state.current.min(ceiling)
        };
        state.settings = settings;
        drop(state);
        self.freed.notify_waiters();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a slot under every limit, then returns it.
    pub async fn acquire(self: &Arc<Self>) -> Permit {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            {
                let mut state = self.lock();
                if state.in_flight < state.current.floor() as u32 {
                    state.in_flight += 1;
                    break;
                }
            }
            freed.await;
        }
        let permit = Permit {
            limiter: Arc::clone(self),
        };
        let rate = self.lock().rate.clone();
        if let Some(rate) = rate {
            while let Err(not_until) = rate.check() {
                tokio::time::sleep(not_until.wait_time_from(DefaultClock::default().now())).await;
            }
        }
        let start = {
            let mut state = self.lock();
            let start = state.next_start.max(Instant::now());
            state.next_start = start + state.settings.min_delay;
            start
        };
        // The timer has millisecond granularity: only a real wait goes through it.
        if start > Instant::now() {
            tokio::time::sleep_until(start.into()).await;
        }
        permit
    }

    /// A 429: halve the concurrency (once per burst of 429s), never below 1.
    pub fn on_rate_limited(&self) {
        let mut state = self.lock();
        let now = Instant::now();
        if state
            .last_decrease
            .is_some_and(|at| now.duration_since(at) < DECREASE_HOLD)
        {
            return;
        }
        state.current = (state.current / 2.0).floor().max(1.0);
        state.last_decrease = Some(now);
        log::info!(
            "an endpoint answered 429; its concurrency is now {}",
            state.current
        );
    }

    /// A success: grow the concurrency by 1/limit, so by one per window of successes, up to
    /// the ceiling.
    pub fn on_success(&self) {
        let mut state = self.lock();
        let ceiling = f64::from(state.settings.max_concurrent.max(1));
        if state.current < ceiling {
            let before = state.current.floor();
            state.current = (state.current + 1.0 / state.current).min(ceiling);
            if state.current.floor() > before {
                drop(state);
                self.freed.notify_waiters();
            }
        }
    }

    /// What it allows now.
    pub fn state(&self) -> LimitState {
        let state = self.lock();
        LimitState {
            max_concurrent: state.settings.max_concurrent,
            current_limit: state.current.floor() as u32,
            in_flight: state.in_flight,
        }
    }
}

/// Requests evenly spaced at `rpm` a minute, with no burst: in any minute no more than `rpm`
/// start, however the minute is counted.
fn rate_limiter(rpm: Option<u32>) -> Option<Arc<DefaultDirectRateLimiter>> {
    let rpm = rpm.filter(|n| *n > 0)?;
    let quota = Quota::with_period(Duration::from_secs(60) / rpm)?;
    Some(Arc::new(RateLimiter::direct(quota)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(max: u32) -> LimitSettings {
        LimitSettings {
            max_concurrent: max,
            requests_per_minute: None,
            min_delay: Duration::ZERO,
        }
    }

    #[tokio::test]
    async fn aimd_halves_on_a_429_and_grows_back_by_successes() {
        let limiter = Arc::new(Limiter::new(settings(8)));
        limiter.on_rate_limited();
        assert_eq!(limiter.state().current_limit, 4);
        // A second 429 of the same burst does not halve again.
        limiter.on_rate_limited();
        assert_eq!(limiter.state().current_limit, 4);
        // Additive increase: about one window of successes (4 at a limit of 4) adds one.
        for _ in 0..4 {
            limiter.on_success();
        }
        assert_eq!(limiter.state().current_limit, 4);
        limiter.on_success();
        assert_eq!(limiter.state().current_limit, 5);
        for _ in 0..100 {
            limiter.on_success();
        }
        assert_eq!(limiter.state().current_limit, 8);
    }

    #[test]
    fn the_current_limit_of_a_shared_limiter_is_visible() {
        assert_eq!(current("visible/none"), None, "no calls, no limiter");
        let limiter = Limiter::shared("Visible/EP", settings(6));
        limiter.on_rate_limited();
        assert_eq!(
            current("visible/ep"),
            Some(LimitState {
                max_concurrent: 6,
                current_limit: 3,
                in_flight: 0
            })
        );
    }

    #[tokio::test]
    async fn a_slot_is_freed_when_its_permit_drops() {
        let limiter = Arc::new(Limiter::new(settings(1)));
        let first = limiter.acquire().await;
        assert_eq!(limiter.state().in_flight, 1);
        let waiter = tokio::spawn({
            let limiter = Arc::clone(&limiter);
            async move { limiter.acquire().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(first);
        let second = waiter.await.expect("join");
        assert_eq!(limiter.state().in_flight, 1);
        drop(second);
        assert_eq!(limiter.state().in_flight, 0);
    }
}
