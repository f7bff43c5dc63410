//! Steering a run while it works: pause and cancel requests, and the updates it sends to
//! whoever watches (the CLI's progress, the app's run view, `assay run watch` in another
//! process through the control socket).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use tokio::sync::Notify;

use super::updates::RunUpdate;

/// What the person asked of a working run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Keep going.
    None,
    /// No new calls; calls in flight finish and are kept.
    Pause,
    /// No new calls; calls in flight are aborted; results so far are kept.
    Cancel,
    /// The process is quitting: calls in flight are aborted and the run is left
    /// `interrupted`, to be resumed later (nothing is cancelled).
    Interrupt,
}

/// The handle to a working run: requests in, updates out. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct RunControl {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    request: AtomicU8,
    wake: Notify,
    /// One lock for the watchers and the latest update, so a watcher arriving as the run ends
    /// gets the final update and an ended stream, never a stale update and a stream nobody
    /// ends (which read as "interrupted").
    watching: Mutex<Watching>,
}

#[derive(Debug, Default)]
struct Watching {
    watchers: Vec<mpsc::Sender<RunUpdate>>,
    last: Option<RunUpdate>,
    closed: bool,
}

impl RunControl {
    /// A handle with nothing asked.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the run to pause (a cancel already asked stays).
    pub fn pause(&self) {
        let _ = self
            .inner
            .request
            .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst);
        self.inner.wake.notify_waiters();
    }

    /// Asks the run to cancel.
    pub fn cancel(&self) {
        self.inner.request.store(2, Ordering::SeqCst);
        self.inner.wake.notify_waiters();
    }

    /// Asks the run to stop working and be left `interrupted` (the app is quitting).
    pub fn interrupt(&self) {
        self.inner.request.store(3, Ordering::SeqCst);
        self.inner.wake.notify_waiters();
    }

    /// What was asked.
    pub fn request(&self) -> Request {
        match self.inner.request.load(Ordering::SeqCst) {
            0 => Request::None,
            1 => Request::Pause,
            2 => Request::Cancel,
            _ => Request::Interrupt,
        }
    }

    /// Waits until the request is other than `from` (used beside the calls in flight).
    pub(crate) async fn changed(&self, from: Request) {
        loop {
            let notified = self.inner.wake.notified();
            if self.request() != from {
                return;
            }
            notified.await;
        }
    }

    /// A new watcher: it gets the latest update at once, then every update until the run
    /// ends (the sender is dropped then).
    pub fn watch(&self) -> mpsc::Receiver<RunUpdate> {
        let (tx, rx) = mpsc::channel();
        let mut watching = lock(&self.inner.watching);
        if let Some(update) = &watching.last {
            let _ = tx.send(update.clone());
        }
        if !watching.closed {
            watching.watchers.push(tx);
        }
        rx
    }

    /// Sends `update` to every watcher, dropping those gone.
    pub(crate) fn publish(&self, update: &RunUpdate) {
        let mut watching = lock(&self.inner.watching);
        watching.last = Some(update.clone());
        watching.watchers.retain(|w| w.send(update.clone()).is_ok());
    }

    /// Ends every watch, and every later one at its first update (the run stopped working).
    pub(crate) fn close(&self) {
        let mut watching = lock(&self.inner.watching);
        watching.closed = true;
        watching.watchers.clear();
    }

    /// Whether the run stopped working.
    pub fn closed(&self) -> bool {
        lock(&self.inner.watching).closed
    }

    /// The latest update, if any.
    pub fn last(&self) -> Option<RunUpdate> {
        lock(&self.inner.watching).last.clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::states::{Phase, RunStatus};

    #[test]
    fn a_watch_that_arrives_after_the_end_gets_the_final_update_and_an_ended_stream() {
        let control = RunControl::new();
        let early = control.watch();
        let mut update = RunUpdate {
            profile_id: "p".into(),
            run_id: "r".into(),
            status: RunStatus::Running,
            phase: Phase::Generating,
            progress: crate::domain::run::RunProgress::default(),
            in_flight: 0,
            endpoints: Vec::new(),
            tokens: 0,
            cost: 0.0,
            unknown_cost_calls: 0,
            estimated_calls: 0,
            eta_secs: None,
            last_error: None,
            pause_reason: None,
            call: None,
        };
        control.publish(&update);
        update.status = RunStatus::Completed;
        control.publish(&update);
        control.close();
        let statuses: Vec<RunStatus> = early.iter().map(|u| u.status).collect();
        assert_eq!(statuses, [RunStatus::Running, RunStatus::Completed]);
        // Late: the stream holds the final state and ends, instead of waiting for ever.
        let late: Vec<RunStatus> = control.watch().iter().map(|u| u.status).collect();
        assert_eq!(late, [RunStatus::Completed]);
        assert!(control.closed());
    }

    #[test]
    fn a_cancel_wins_over_a_pause_and_a_pause_never_undoes_a_cancel() {
        let control = RunControl::new();
        assert_eq!(control.request(), Request::None);
        control.pause();
        assert_eq!(control.request(), Request::Pause);
        control.cancel();
        control.pause();
        assert_eq!(control.request(), Request::Cancel);
    }
}
