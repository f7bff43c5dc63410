//! The run engine's states, one enum each, from the database to the IPC bindings: a task's
//! kind and status, a run's status and phase. Each is stored as its snake_case name (the
//! columns have CHECK constraints naming the same values, migrations/0018_run_engine.sql);
//! an unknown value read back is an error naming it, never a fallthrough.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use crate::error::Error;

/// Defines a stored state enum: its variants with their stored names, `as_str`, `Display`,
/// `FromStr` (an unknown name is `CORRUPT` naming it) and the SQL conversions.
macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize, specta::Type)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The stored (and shown) name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;

            fn from_str(text: &str) -> Result<Self, Error> {
                match text {
                    $($text => Ok(Self::$variant),)+
                    other => Err(Error::Corrupt(format!(
                        "unknown {} {:?} in the profile's database",
                        $what,
                        crate::display::name(other)
                    ))),
                }
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                value
                    .as_str()?
                    .parse()
                    .map_err(|e: Error| FromSqlError::Other(e.to_string().into()))
            }
        }
    };
}

stored_enum! {
    /// What a task does.
    TaskKind, "task kind" {
        /// Write a document from an input.
        Generate => "generate",
        /// Score one document on every criterion.
        Score => "score",
        /// Compare two documents, in one order.
        Compare => "compare",
        /// Combine an input's best documents into one.
        Combine => "combine",
    }
}

stored_enum! {
    /// Where a task stands.
    TaskStatus, "task status" {
        /// Not called yet.
        Pending => "pending",
        /// Its call is in flight (or was, when its process died).
        Running => "running",
        /// Its answer is applied.
        Succeeded => "succeeded",
        /// It failed for good (its retries and repair used).
        Failed => "failed",
        /// Its run was cancelled before it ran.
        Cancelled => "cancelled",
    }
}

stored_enum! {
    /// Where a run stands.
    RunStatus, "run status" {
        /// Made, not begun.
        Pending => "pending",
        /// A process executes it.
        Running => "running",
        /// Stopped by request, its budget or an endpoint; resumable.
        Paused => "paused",
        /// Every task succeeded.
        Completed => "completed",
        /// Every task ended, some failed.
        CompletedWithErrors => "completed_with_errors",
        /// No document was generated.
        Failed => "failed",
        /// Cancelled: its open tasks will not run.
        Cancelled => "cancelled",
        /// Its process stopped mid-run; resumable.
        Interrupted => "interrupted",
    }
}

stored_enum! {
    /// A run's current step: its earliest unfinished kind of task.
    Phase, "run phase" {
        /// Documents are being written.
        Generating => "generating",
        /// Documents are being scored.
        Scoring => "scoring",
        /// Documents are being compared.
        Comparing => "comparing",
        /// The best documents are being combined.
        Combining => "combining",
        /// Nothing is left.
        Done => "done",
    }
}

stored_enum! {
    /// How one call ended, as the timeline keeps it.
    EventStatus, "event status" {
        /// Its answer was used.
        Succeeded => "succeeded",
        /// It failed (its task may have failed with it).
        Failed => "failed",
        /// It failed and the client tried again (a 429, a timeout).
        Retried => "retried",
    }
}

stored_enum! {
    /// How a call just ended, as a watcher hears of it.
    CallOutcome, "call outcome" {
        /// Its answer was used.
        Succeeded => "succeeded",
        /// Its task failed.
        Failed => "failed",
        /// A judge's answer did not read and the judge is asked again.
        Repairing => "repairing",
    }
}

stored_enum! {
    /// What a journaled attempt brought back.
    JournalOutcome, "journal outcome" {
        /// An answer (applied, or to be applied after a crash).
        Answer => "answer",
        /// A failure: its status and code are kept with it.
        Failed => "failed",
    }
}

stored_enum! {
    /// Where a document came from.
    DocumentKind, "document kind" {
        /// A generator wrote it from an input.
        Generated => "generated",
        /// A combine model wrote it from an input's best documents.
        Combined => "combined",
    }
}

impl TaskKind {
    /// The phase a task of this kind belongs to.
    pub fn phase(self) -> Phase {
        match self {
            Self::Generate => Phase::Generating,
            Self::Score => Phase::Scoring,
            Self::Compare => Phase::Comparing,
            Self::Combine => Phase::Combining,
        }
    }

    /// Whether it writes a document (generate, combine) rather than judging one.
    pub fn writes(self) -> bool {
        matches!(self, Self::Generate | Self::Combine)
    }
}

impl TaskStatus {
    /// Whether it has yet to end (pending, or in flight).
    pub fn open(self) -> bool {
        matches!(self, Self::Pending | Self::Running)
    }
}

/// What a person may ask of a run in its state: the app shows exactly these controls, and the
/// CLI refuses the others with `RUN_STATE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, specta::Type)]
pub struct RunActions {
    /// Pause it (it works).
    pub pause: bool,
    /// Resume it (pending, paused or interrupted).
    pub resume: bool,
    /// Cancel it (not yet ended).
    pub cancel: bool,
    /// Run its failed tasks again (ended with failures).
    pub retry_failed: bool,
    /// Make a new run of its preset (any run not working now).
    pub run_again: bool,
}

impl RunStatus {
    /// Whether it has ended: nothing more runs unless its failed tasks are retried.
    pub fn ended(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::CompletedWithErrors | Self::Failed | Self::Cancelled
        )
    }

    /// Whether `resume` continues it.
    pub fn resumable(self) -> bool {
        matches!(self, Self::Pending | Self::Paused | Self::Interrupted)
    }

    /// Whether `retry-failed` applies.
    pub fn retryable(self) -> bool {
        matches!(self, Self::CompletedWithErrors | Self::Failed)
    }

    /// What may be asked of a run in this state.
    pub fn actions(self) -> RunActions {
        RunActions {
            pause: matches!(self, Self::Running | Self::Pending | Self::Interrupted),
            resume: self.resumable(),
            cancel: !self.ended(),
            retry_failed: self.retryable(),
            run_again: self != Self::Running,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_reads_back_as_itself_and_an_unknown_one_is_an_error_naming_it() {
        for kind in TaskKind::ALL {
            assert_eq!(kind.as_str().parse::<TaskKind>().expect("known"), *kind);
        }
        for status in RunStatus::ALL {
            assert_eq!(
                status.as_str().parse::<RunStatus>().expect("known"),
                *status
            );
        }
        let err = "exploded".parse::<RunStatus>().expect_err("unknown");
        assert_eq!(err.code(), crate::ErrorCode::Corrupt);
        assert!(err.to_string().contains("\"exploded\""), "{err}");

        let conn = rusqlite::Connection::open_in_memory().expect("db");
        let read: rusqlite::Result<Phase> = conn.query_row("SELECT 'napping'", [], |r| r.get(0));
        let err = Error::from(read.expect_err("unknown phase"));
        assert!(err.to_string().contains("napping"), "{err}");
        let read: Phase = conn
            .query_row("SELECT ?1", [Phase::Combining], |r| r.get(0))
            .expect("a stored phase");
        assert_eq!(read, Phase::Combining);
    }

    #[test]
    fn what_a_run_may_be_asked_follows_its_state() {
        let running = RunStatus::Running.actions();
        assert!(running.pause && running.cancel && !running.resume && !running.retry_failed);
        let paused = RunStatus::Paused.actions();
        assert!(!paused.pause && paused.resume && paused.cancel);
        let with_errors = RunStatus::CompletedWithErrors.actions();
        assert!(with_errors.retry_failed && !with_errors.cancel && !with_errors.resume);
        assert!(!running.run_again && paused.run_again);
        let done = RunActions {
            run_again: true,
            ..RunActions::default()
        };
        assert_eq!(RunStatus::Completed.actions(), done);
        assert_eq!(RunStatus::Cancelled.actions(), done);
    }
}
