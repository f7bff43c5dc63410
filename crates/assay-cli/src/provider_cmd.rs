//! `assay provider …`: a profile's endpoints (named places it calls models at), their keys and
//! limits. Keys come from stdin (`--key-stdin`), never from arguments.

use assay_core::Error;
use assay_core::display::name;
use assay_core::domain::endpoint::{Endpoint, EndpointChanges, EndpointKind};
use assay_core::paths::DataDir;
use assay_core::providers::{self, ProviderKey};
use assay_core::registry::KeyMode;
use assay_core::secrets::Passphrase;
use clap::Subcommand;

use crate::library_cmd::ProfileArg;
use crate::output::{self, Render};
use crate::passphrase;

/// `assay provider …`
#[derive(Debug, Subcommand)]
pub enum ProviderCommand {
    /// List the endpoints: name, kind, base URL, whether a key is set (and its last 4
    /// characters), limits.
    List {
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Add an endpoint: a cloud kind (its base URL is defaulted) or an openai-compatible
    /// server (Ollama, LM Studio, llama.cpp, vLLM, a gateway) at --base-url.
    Add {
        /// 1–40 letters, digits, '.', '_' or '-'; unique ignoring case.
        name: String,
        /// openai, anthropic, google, openrouter or openai-compatible.
        #[arg(long)]
        kind: String,
        /// Where it is (https:// or http://).
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Change an endpoint's base URL or limits.
    Set {
        /// The endpoint.
        name: String,
        /// Where it is.
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Concurrent calls allowed (1–64).
        #[arg(long, value_name = "N")]
        max_concurrent: Option<u32>,
        /// Requests per minute (1–100000; 0 removes the limit).
        #[arg(long = "rpm", value_name = "N")]
        requests_per_minute: Option<u32>,
        /// Minimum delay between calls, in ms (0–600000).
        #[arg(long, value_name = "N")]
        min_delay_ms: Option<u32>,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Remove an endpoint and its key; refused while a preset uses it, naming the preset.
    Remove {
        /// The endpoint.
        name: String,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Set (or replace) an endpoint's key, read from stdin. With a passphrase profile and
    /// --passphrase-stdin, the first line is the passphrase and the second the key.
    SetKey {
        /// The endpoint.
        name: String,
        /// Read the key from stdin.
        #[arg(long, required = true)]
        key_stdin: bool,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Delete an endpoint's key.
    ClearKey {
        /// The endpoint.
        name: String,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Check an endpoint's address and key with its cheapest authenticated call (the model
    /// list), retrying within about 10 seconds. For an openai-compatible endpoint that checks
    /// the server, not a model; --model also makes a one-token call to that model. Exit 0
    /// when it works; 21 PROVIDER_AUTH, 22 PROVIDER_UNREACHABLE, 23 PROVIDER_RATE_LIMITED or
    /// 24 (MODEL_NOT_FOUND, OUT_OF_CREDIT, BAD_REQUEST, SERVER_ERROR, …) when it does not.
    Test {
        /// The endpoint.
        name: String,
        /// Also call this model with a one-token request.
        #[arg(long, value_name = "MODEL")]
        model: Option<String>,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Check a model as a judge: one scoring and one comparison request on a short built-in
    /// sample, each read as a run reads it (one repair allowed). Exit 0 when both answers
    /// were valid (first try or repaired), 24 BAD_RESPONSE otherwise (the problems named);
    /// 21–24 for a provider failure as `test`.
    CheckJudge {
        /// The endpoint.
        endpoint: String,
        /// The model.
        model: String,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// List the models an endpoint offers (fetched now and cached; --cached shows the last
    /// list fetched without calling).
    Models {
        /// The endpoint.
        name: String,
        /// Show the cached list instead of fetching.
        #[arg(long)]
        cached: bool,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Show the prices used for an endpoint's models: the profile's own, then the embedded
    /// table's (USD per million tokens, with each figure's date and source).
    Prices {
        /// The endpoint.
        name: String,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Set the profile's own price of a model (an id or an alias prefix) at an endpoint, USD
    /// per million tokens; it wins over the table.
    SetPrice {
        /// The endpoint.
        name: String,
        /// The model id or alias prefix.
        model: String,
        /// USD per million input tokens.
        #[arg(long, value_name = "USD", allow_negative_numbers = true)]
        input: f64,
        /// USD per million output tokens.
        #[arg(long, value_name = "USD", allow_negative_numbers = true)]
        output: f64,
        /// USD per million cached input tokens (default: the input price).
        #[arg(long, value_name = "USD", allow_negative_numbers = true)]
        cached_input: Option<f64>,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Remove the profile's own price of a model at an endpoint.
    ClearPrice {
        /// The endpoint.
        name: String,
        /// The model id or alias prefix, as set.
        model: String,
        #[command(flatten)]
        profile: ProfileArg,
    },
}

/// Runs one `provider` subcommand.
pub fn run(data_dir: &DataDir, command: ProviderCommand, json: bool) -> Result<u8, Error> {
    let profiles = output::open_profiles(data_dir, json)?;
    match command {
        ProviderCommand::List { profile } => {
            let open = crate::library_cmd::open_in(&profiles, &profile)?;
            output::print(&EndpointList(providers::endpoints(&open)?), json)?;
        }
        ProviderCommand::Add {
            name,
            kind,
            base_url,
            profile,
        } => {
            let kind = EndpointKind::parse(&kind)?;
            let open = crate::library_cmd::open_in(&profiles, &profile)?;
            let added = providers::add_endpoint(&open, &name, kind, base_url.as_deref())?;
            output::print(&EndpointItem(added), json)?;
        }
        ProviderCommand::Set {
            name,
            base_url,
            max_concurrent,
            requests_per_minute,
            min_delay_ms,
            profile,
        } => {
            let changes = EndpointChanges {
                base_url,
                max_concurrent,
                requests_per_minute,
                min_delay_ms,
            };
            let open = crate::library_cmd::open_in(&profiles, &profile)?;
            output::print(
                &EndpointItem(providers::update_endpoint(&open, &name, &changes)?),
                json,
            )?;
        }
        ProviderCommand::Remove { name, profile } => {
            let open = crate::library_cmd::open_in(&profiles, &profile)?;
            providers::remove_endpoint(&profiles, &open, &name)?;
            output::print(&Removed { removed: name }, json)?;
        }
        ProviderCommand::SetKey { name, profile, .. } => {
            let record = profiles.show(&profile.reference)?;
            let mut lines = passphrase::read_stdin_lines()?.into_iter();
            let unlock = match record.key_mode {
                KeyMode::Passphrase if profile.passphrase_stdin => {
                    Some(Passphrase::new(lines.next().unwrap_or_default()))
                }
                KeyMode::Passphrase => Some(passphrase::read_for_unlock(
                    passphrase::Source::Prompt,
                    &record.name,
                )?),
                KeyMode::Keyring => None,
            };
            let key = ProviderKey::new(lines.next().unwrap_or_default())?;
            let open = profiles.open_profile(&record.id, unlock.as_ref())?;
            let set = providers::set_endpoint_key(&profiles, &open, &name, &key)?;
            output::print(&EndpointItem(set), json)?;
        }
        ProviderCommand::ClearKey { name, profile } => {
            let open = crate::library_cmd::open_in(&profiles, &profile)?;
            let cleared = providers::clear_endpoint_key(&profiles, &open, &name)?;
            output::print(&EndpointItem(cleared), json)?;
        }
        ProviderCommand::Test {
            name,
            model,
            profile,
        } => {
            let open = crate::library_cmd::open_in(&profiles, &profile)?;
            let check = providers::test_endpoint(&profiles, &open, &name, model.as_deref())?;
            output::print(&Checked(check), json)?;
        }
        ProviderCommand::Models {
            name,
            cached,
            profile,
        } => {
            let open = crate::library_cmd::open_in(&profiles, &profile)?;
            let list = if cached {
                providers::cached_models(&open, &name)?
            } else {
                providers::refresh_models(&profiles, &open, &name)?
            };
            output::print(&Models(list.models), json)?;
        }
        ProviderCommand::CheckJudge {
            endpoint,
            model,
            profile,
        } => {
            let open = crate::library_cmd::open_in(&profiles, &profile)?;
            let check =
                assay_core::engine::judge_check::check(&profiles, &open, &endpoint, &model)?;
            output::print(&JudgeChecked(check.clone()), json)?;
            if !check.passed() {
                let problems: Vec<String> = [
                    ("scoring", &check.scoring),
                    ("comparison", &check.comparison),
                ]
                .iter()
                .filter(|(_, p)| !p.valid)
                .map(|(what, p)| {
                    format!(
                        "{what}: {}",
                        assay_core::engine::judge_answers::summary(&p.problems)
                    )
                })
                .collect();
                return Err(Error::Provider {
                    endpoint: check.endpoint,
                    failure: assay_core::error::ProviderFailure {
                        kind: assay_core::error::FailureKind::BadResponse,
                        status: None,
                        detail: Some(format!(
                            "{} did not give a valid judge's answer, even after a repair ({})",
                            check.model,
                            problems.join("; ")
                        )),
                    },
                });
            }
        }
        ProviderCommand::Prices { name, profile } => {
            let open = crate::library_cmd::open_in(&profiles, &profile)?;
            output::print(
                &crate::price_cmd::Prices(providers::endpoint_prices(&open, &name)?),
                json,
            )?;
        }
        ProviderCommand::SetPrice {
            name,
            model,
            input,
            output: out,
            cached_input,
            profile,
        } => {
            let open = crate::library_cmd::open_in(&profiles, &profile)?;
            let price = assay_core::llm::price_table::Price {
                input,
                output: out,
                cached_input,
            };
            providers::set_price(&open, &name, &model, &price)?;
            output::print(
                &crate::price_cmd::Prices(providers::endpoint_prices(&open, &name)?),
                json,
            )?;
        }
        ProviderCommand::ClearPrice {
            name,
            model,
            profile,
        } => {
            let open = crate::library_cmd::open_in(&profiles, &profile)?;
            providers::clear_price(&open, &name, &model)?;
            output::print(
                &crate::price_cmd::Prices(providers::endpoint_prices(&open, &name)?),
                json,
            )?;
        }
    }
    Ok(0)
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct Checked(providers::EndpointCheck);

impl Render for Checked {
    fn text(&self) -> String {
        let c = &self.0;
        let mut out = format!(
            "OK: endpoint {} answered in {} ms and lists {} model(s).\n",
            c.name, c.latency_ms, c.models
        );
        if let Some(model) = &c.model {
            out.push_str(&format!(
                "The model {} answered a one-token call.\n",
                name(model)
            ));
        }
        if let Some(note) = &c.note {
            out.push_str(&format!("Note: {note}.\n"));
        }
        out
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct JudgeChecked(assay_core::engine::judge_check::JudgeCheck);

impl Render for JudgeChecked {
    fn text(&self) -> String {
        let c = &self.0;
        let mut out = format!("{} at {} as a judge:\n", name(&c.model), c.endpoint);
        for (what, p) in [("scoring", &c.scoring), ("comparison", &c.comparison)] {
            let verdict = match (p.valid, p.attempts) {
                (true, 1) => "valid on the first try".to_owned(),
                (true, _) => "valid after the repair".to_owned(),
                (false, _) => "not valid, even after the repair".to_owned(),
            };
            out.push_str(&format!("  {what}: {verdict} ({} ms)\n", p.ms));
            for problem in &p.problems {
                out.push_str(&format!(
                    "    {}: {}\n",
                    problem.code.as_str(),
                    assay_core::display::text(&problem.message)
                ));
            }
        }
        out
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct Models(Vec<assay_core::llm::ModelInfo>);

impl Render for Models {
    fn text(&self) -> String {
        if self.0.is_empty() {
            return "No models.\n".into();
        }
        self.0
            .iter()
            .map(|m| match &m.name {
                Some(n) if n != &m.id => format!("{}  ({})\n", name(&m.id), name(n)),
                _ => format!("{}\n", name(&m.id)),
            })
            .collect()
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct EndpointList(Vec<Endpoint>);

impl Render for EndpointList {
    fn text(&self) -> String {
        let mut out = format!(
            "{:<20} {:<18} {:<8} {:<40} LIMITS\n",
            "NAME", "KIND", "KEY", "BASE URL"
        );
        for e in &self.0 {
            out.push_str(&line(e));
        }
        out
    }
}

fn line(e: &Endpoint) -> String {
    let key = e
        .key_last4
        .as_deref()
        .map_or("none".to_owned(), |l| format!("…{l}"));
    let rpm = e
        .requests_per_minute
        .map_or(String::new(), |r| format!(", {r}/min"));
    format!(
        "{:<20} {:<18} {:<8} {:<40} {} at once{rpm}, {} ms apart\n",
        e.name,
        e.kind.as_str(),
        key,
        e.base_url,
        e.max_concurrent,
        e.min_delay_ms
    )
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct EndpointItem(Endpoint);

impl Render for EndpointItem {
    fn text(&self) -> String {
        line(&self.0)
    }
}

#[derive(serde::Serialize)]
struct Removed {
    removed: String,
}

impl Render for Removed {
    fn text(&self) -> String {
        format!("Removed endpoint {}.\n", self.removed)
    }
}
