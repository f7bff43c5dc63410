//! The run engine: runs a preset for real.
//!
//! - [`expand`]: `{{VAR}}` expansion of library text, so a run's snapshot holds the text
//!   actually sent;
//! - [`plan`]: a run's snapshot (the texts it sends, expanded when the run is made) and its
//!   tasks with their idempotency keys;
//! - [`start`]: making a run: its snapshot and generation tasks persisted in one transaction,
//!   with the budget kept with it;
//! - [`prompts`]: the system and user texts of each kind of call, documents fenced;
//! - [`judging`]: the JSON schemas judges answer in, and reading their answers strictly (a
//!   scoring answer scores every criterion exactly once; a comparison names A or B), with
//!   the both-orders rule for comparisons;
//! - [`execute`] (with [`requests`], [`results`] and [`stages`]): the executor, which journals
//!   every answer before reading it, applies it in one transaction with its usage and event,
//!   and plans what depends on it;
//! - [`host`]: the one place a run is hosted (lock, socket, make-and-begin, execute, let go);
//! - [`lifecycle`]: start, resume, retry-failed, and pause/cancel of a run nobody executes;
//! - [`control`], [`updates`] and [`socket`]: steering a working run and watching it, from
//!   this process or another.

pub mod charge;
pub mod control;
pub mod estimate;
mod execute;
pub mod expand;
pub mod host;
pub mod judge_answers;
pub mod judge_check;
pub mod judging;
pub mod lifecycle;
pub mod plan;
pub mod prompts;
pub mod requests;
pub mod results;
pub mod socket;
pub mod stages;
pub mod start;
pub mod updates;

pub use control::{Request, RunControl};
pub use host::{Launch, RunHost};
pub use lifecycle::{Mode, RunOutcome};
pub use start::StartOptions;
pub use updates::RunUpdate;
