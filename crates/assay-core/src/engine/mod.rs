//! The run engine: what a run sends to models and how it reads their answers.
//!
//! Built so far (the engine that plans, calls, journals and resumes comes next):
//! - [`expand`]: `{{VAR}}` expansion of library text, so a run's snapshot holds the text
//!   actually sent;
//! - [`plan`]: a run's snapshot (the texts it sends, expanded when the run is made) and its
//!   tasks with their idempotency keys;
//! - [`start`]: making a run: its snapshot and generation tasks persisted in one transaction,
//!   with the budget kept with it;
//! - [`prompts`]: the system and user texts of each kind of call, documents fenced;
//! - [`judging`]: the JSON schemas judges answer in, and reading their answers strictly (a
//!   scoring answer scores every criterion exactly once; a comparison names A or B), with
//!   the both-orders rule for comparisons.

pub mod expand;
pub mod judging;
pub mod plan;
pub mod prompts;
pub mod start;
