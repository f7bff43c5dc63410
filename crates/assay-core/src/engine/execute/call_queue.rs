//! The order calls go out in, and how many of each class are out: generation (and combine)
//! calls and judge calls each have their own queue and their own concurrency, and judge calls
//! go first (they finish inputs, so results and dependent tasks come sooner).

use std::collections::{HashSet, VecDeque};

use crate::domain::states::TaskKind;

/// Generation (and combine) calls.
pub(super) const GENERATE: usize = 0;
/// Judge calls (scoring, comparing).
pub(super) const JUDGE: usize = 1;
/// The classes in the order their calls go out.
pub(super) const CLASSES: [usize; 2] = [JUDGE, GENERATE];

/// A task kind's class.
pub(super) fn class_of(kind: TaskKind) -> usize {
    if kind.writes() { GENERATE } else { JUDGE }
}

#[derive(Debug)]
pub(super) struct CallQueue {
    queues: [VecDeque<String>; 2],
    queued: HashSet<String>,
    running: [u32; 2],
    limits: [u32; 2],
}

impl CallQueue {
    /// An empty queue with these concurrencies (each at least 1).
    pub(super) fn new(generation: u32, judging: u32) -> Self {
        Self {
            queues: [VecDeque::new(), VecDeque::new()],
            queued: HashSet::new(),
            running: [0, 0],
            limits: [generation.max(1), judging.max(1)],
        }
    }

    /// Queues task `id` (once: a task already queued stays where it is), at the front to go
    /// next (a call held back, a repair), else at the back.
    pub(super) fn push(&mut self, kind: TaskKind, id: &str, front: bool) {
        if !self.queued.insert(id.to_owned()) {
            return;
        }
        let q = &mut self.queues[class_of(kind)];
        if front {
            q.push_front(id.to_owned());
        } else {
            q.push_back(id.to_owned());
        }
    }

    /// Whether another call of `class` may go out.
    pub(super) fn has_room(&self, class: usize) -> bool {
        self.running[class] < self.limits[class]
    }

    /// The next queued task of `class` that `still_to_call` says is still to call.
    pub(super) fn pop(
        &mut self,
        class: usize,
        still_to_call: impl Fn(&str) -> bool,
    ) -> Option<String> {
        while let Some(id) = self.queues[class].pop_front() {
            self.queued.remove(&id);
            if still_to_call(&id) {
                return Some(id);
            }
        }
        None
    }

    /// A call of `class` went out.
    pub(super) fn started(&mut self, class: usize) {
        self.running[class] += 1;
    }

    /// A call of a task of `kind` came back.
    pub(super) fn ended(&mut self, kind: TaskKind) {
        let class = class_of(kind);
        self.running[class] = self.running[class].saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judges_go_first_each_class_within_its_concurrency_and_a_task_queues_once() {
        let mut q = CallQueue::new(1, 2);
        q.push(TaskKind::Generate, "g1", false);
        q.push(TaskKind::Generate, "g2", false);
        q.push(TaskKind::Score, "s1", false);
        q.push(TaskKind::Score, "s1", true);
        q.push(TaskKind::Compare, "c1", true);
        let order: Vec<String> = CLASSES
            .iter()
            .flat_map(|&class| {
                let mut out = Vec::new();
                while q.has_room(class) {
                    let Some(id) = q.pop(class, |_| true) else {
                        break;
                    };
                    q.started(class);
                    out.push(id);
                }
                out
            })
            .collect();
        assert_eq!(order, ["c1", "s1", "g1"], "g2 waits for a generation slot");
        assert!(!q.has_room(GENERATE));
        q.ended(TaskKind::Generate);
        assert_eq!(q.pop(GENERATE, |_| true).as_deref(), Some("g2"));
        q.push(TaskKind::Score, "gone", false);
        assert_eq!(
            q.pop(JUDGE, |id| id != "gone"),
            None,
            "a finished task is skipped"
        );
    }
}
