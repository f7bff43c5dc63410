//! `assay`: the headless CLI over assay-core.
//!
//! This binary is an adapter: it parses arguments, calls one core function per command and
//! renders the result (human text, or one JSON document with `--json`). Errors go to stderr,
//! as `{"error":{"code","message"}}` with `--json`, and map to stable exit codes (docs/cli.md).

mod cli;
mod compare_cmd;
mod library_cmd;
mod output;
mod passphrase;
mod price_cmd;
mod profile_cmd;
mod progress;
mod provider_cmd;
mod run_cmd;
mod transfer_cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(err) => return output::report_usage_error(&err),
    };
    let json = args.json;
    // A panic is a bug: logged where it happened, reported as INTERNAL (exit 1).
    let ran = std::panic::catch_unwind(|| cli::run(args)).unwrap_or_else(|_| {
        Err(assay_core::Error::Internal {
            what: "the command stopped on an unexpected state".into(),
        })
    });
    match ran {
        Ok(code) => ExitCode::from(code),
        Err(err) => output::report_error(&err, json),
    }
}
