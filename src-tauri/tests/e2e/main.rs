//! End-to-end tests: the real app binary in a real webview (WebKitGTK), driven through
//! tauri-driver and WebKitWebDriver.
//!
//! Run them with `make test` (or `scripts/test-env.sh cargo nextest run --workspace`), which
//! provides Xvfb, a private D-Bus session and a throwaway keyring. Each test launches its own
//! app with its own temp data dir. On failure a test saves a screenshot, the app's log and
//! the driver's log under `target/tmp/e2e/<test>/`.

mod evaluation;
mod explorer;
#[path = "../../../crates/assay-cli/tests/cli/fake_llm.rs"]
#[allow(dead_code, reason = "the CLI tests use the rest")]
mod fake_llm;
mod harness;
mod keyboard;
mod layout;
mod library;
mod links;
mod memory;
mod presets;
mod profiles;
mod report;
mod runs;
mod screens;
mod settings;
mod smoke;
mod window;
