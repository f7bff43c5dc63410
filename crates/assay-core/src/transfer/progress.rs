//! Progress of an export or import, for a CLI progress bar or the app's progress display.

use std::io::{self, Read};

/// What a transfer is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum TransferPhase {
    /// Stretching the passphrase (Argon2id, about a second by design); no byte count.
    Key,
    /// Making a re-encrypted copy of a passphrase-mode profile's database; no byte count.
    Snapshot,
    /// Writing the bundle (bytes of the database).
    Write,
    /// Reading the written bundle back (bytes of the bundle).
    Verify,
    /// Authenticating the whole bundle before anything is created (bytes of the bundle).
    Check,
    /// Copying the database out of the bundle into the new profile, re-keying each page to
    /// the new profile's key on the way (bytes of the bundle).
    Read,
    /// Giving the database the new profile's id, and migrating it; no byte count.
    Finish,
}

/// One progress report: `done` of `total` bytes in `phase` (`total` 0: no byte count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct TransferProgress {
    /// The phase.
    pub phase: TransferPhase,
    /// Bytes done in this phase.
    pub done: u64,
    /// Bytes this phase will take, or 0 when it has no byte count.
    pub total: u64,
}

/// Where progress goes. Called from the transferring thread, at each phase's start and end and
/// about every [`STEP`] bytes in between.
pub type Progress<'a> = &'a (dyn Fn(TransferProgress) + Sync);

/// Bytes between two reports within a phase.
pub const STEP: u64 = 4 << 20;

/// Reports the start of a phase that has no byte count.
pub(super) fn start(progress: Progress<'_>, phase: TransferPhase) {
    progress(TransferProgress {
        phase,
        done: 0,
        total: 0,
    });
}

/// A reader that reports how much of `total` bytes went through it.
pub(super) struct Reporting<'a, R> {
    inner: R,
    progress: Progress<'a>,
    phase: TransferPhase,
    done: u64,
    total: u64,
    next: u64,
}

impl<'a, R: Read> Reporting<'a, R> {
    pub(super) fn new(inner: R, progress: Progress<'a>, phase: TransferPhase, total: u64) -> Self {
        progress(TransferProgress {
            phase,
            done: 0,
            total,
        });
        Self {
            inner,
            progress,
            phase,
            done: 0,
            total,
            next: STEP,
        }
    }

    fn report(&self) {
        (self.progress)(TransferProgress {
            phase: self.phase,
            done: self.done,
            total: self.total,
        });
    }
}

impl<R: Read> Read for Reporting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        // The end is the total reached (a reader may never be read past it) or the input's end.
        let end = n == 0 || (self.total > 0 && self.done >= self.total);
        if self.next != u64::MAX && (self.done >= self.next || end) {
            self.report();
            // After the end is reported once, nothing more is.
            self.next = if end { u64::MAX } else { self.done + STEP };
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn a_reader_reports_its_start_steps_and_end_once() {
        for total in [0, STEP * 2 + 5] {
            reports_start_steps_and_end(total);
        }
    }

    /// Reads `STEP * 2 + 5` bytes through a reader told to expect `total` (0: unknown).
    fn reports_start_steps_and_end(total: u64) {
        let seen = Mutex::new(Vec::new());
        let sink = |p: TransferProgress| seen.lock().unwrap().push(p.done);
        let data = vec![7u8; (STEP * 2 + 5) as usize];
        let mut reader = Reporting::new(data.as_slice(), &sink, TransferPhase::Write, total);
        let mut buf = vec![0u8; 1 << 16];
        let mut total = 0;
        loop {
            match reader.read(&mut buf).unwrap() {
                0 => break,
                n => total += n,
            }
        }
        assert_eq!(reader.read(&mut buf).unwrap(), 0);
        assert_eq!(total, data.len());
        assert_eq!(
            *seen.lock().unwrap(),
            vec![0, STEP, STEP * 2, STEP * 2 + 5],
            "start, each step, the end (once)"
        );
    }
}
