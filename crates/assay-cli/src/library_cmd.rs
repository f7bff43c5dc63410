//! `assay profile status`, `assay content …`, `assay preset …`, `assay run …`: each opens the
//! profile (which runs setup on first open), asks core, and renders the answer.

use assay_core::library::Library;
use assay_core::numbers::fixed;
use clap::{Args, Subcommand};

use assay_core::Error;
use assay_core::domain::content::{Content, ContentKind, ContentSummary};
use assay_core::domain::preset::Preset;
use assay_core::domain::run::{RunDetail, RunSummary};
use assay_core::library::ContentFilter;
use assay_core::paths::DataDir;
use assay_core::profile::{OpenProfile, Profiles};
use assay_core::registry::{KeyMode, ProfileRecord};
use assay_core::seed::SetupStatus;

use crate::output::{self, Render};
use crate::passphrase::{self, Source};

/// Which profile, and how to unlock it.
#[derive(Debug, Args)]
pub struct ProfileArg {
    /// The profile: a name (any case) or an id.
    #[arg(long = "profile", value_name = "REF")]
    pub reference: String,
    /// Read the passphrase of a passphrase profile from stdin.
    #[arg(long)]
    pub passphrase_stdin: bool,
}

/// `assay content …`
#[derive(Debug, Subcommand)]
pub enum ContentCommand {
    /// List content, optionally filtered.
    List {
        #[command(flatten)]
        profile: ProfileArg,
        /// Only this type (e.g. input_document, eval_criteria).
        #[arg(long)]
        kind: Option<String>,
        /// Only items with this tag.
        #[arg(long)]
        tag: Option<String>,
        /// Only items whose name or text contains this.
        #[arg(long)]
        search: Option<String>,
    },
    /// Show one item with its text.
    Show {
        /// The content id.
        id: String,
        #[command(flatten)]
        profile: ProfileArg,
    },
}

/// `assay preset …`
#[derive(Debug, Subcommand)]
pub enum PresetCommand {
    /// List presets.
    List {
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Show one preset (by id or name).
    Show {
        /// Id or name.
        preset: String,
        #[command(flatten)]
        profile: ProfileArg,
    },
}

/// `assay run …`
#[derive(Debug, Subcommand)]
pub enum RunCommand {
    /// List runs, newest first.
    List {
        #[command(flatten)]
        profile: ProfileArg,
        /// How many runs to show (at most 200).
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Show one run with its documents, scores, pairwise results and timeline.
    Show {
        /// The run id.
        run: String,
        #[command(flatten)]
        profile: ProfileArg,
    },
}

/// Opens a profile for a command, unlocking it if it is a passphrase profile.
pub fn open(data_dir: &DataDir, arg: &ProfileArg) -> Result<OpenProfile, Error> {
    open_in(&output::open_profiles(data_dir, false)?, arg)
}

/// [`open`] with the profiles already at hand.
pub fn open_in(profiles: &Profiles, arg: &ProfileArg) -> Result<OpenProfile, Error> {
    let record = profiles.show(&arg.reference)?;
    let passphrase = match record.key_mode {
        KeyMode::Passphrase => {
            let source = if arg.passphrase_stdin {
                Source::Stdin
            } else {
                Source::Prompt
            };
            Some(passphrase::read_for_unlock(source, &record.name)?)
        }
        KeyMode::Keyring => None,
    };
    profiles.open_profile(&record.id, passphrase.as_ref())
}

/// `assay profile status REF`.
pub fn status(profiles: &Profiles, arg: &ProfileArg, json: bool) -> Result<u8, Error> {
    let open = open_in(profiles, arg)?;
    let status = open.status()?;
    output::print(
        &Status {
            profile: open.record().clone(),
            status,
        },
        json,
    )?;
    Ok(0)
}

/// Runs `assay content …`.
pub fn content(data_dir: &DataDir, command: ContentCommand, json: bool) -> Result<u8, Error> {
    match command {
        ContentCommand::List {
            profile,
            kind,
            tag,
            search,
        } => {
            let kind = kind.as_deref().map(ContentKind::parse).transpose()?;
            let open = open(data_dir, &profile)?;
            let items = Library::of(&open)?.contents(&ContentFilter { kind, tag, search })?;
            output::print(&ContentList(items), json)?;
        }
        ContentCommand::Show { id, profile } => {
            let open = open(data_dir, &profile)?;
            output::print(&ContentItem(Library::of(&open)?.content(&id)?), json)?;
        }
    }
    Ok(0)
}

/// Runs `assay preset …`.
pub fn preset(data_dir: &DataDir, command: PresetCommand, json: bool) -> Result<u8, Error> {
    match command {
        PresetCommand::List { profile } => {
            let open = open(data_dir, &profile)?;
            output::print(&PresetList(Library::of(&open)?.presets()?), json)?;
        }
        PresetCommand::Show { preset, profile } => {
            let open = open(data_dir, &profile)?;
            output::print(&PresetItem(Library::of(&open)?.preset(&preset)?), json)?;
        }
    }
    Ok(0)
}

/// Runs `assay run …`.
pub fn run(data_dir: &DataDir, command: RunCommand, json: bool) -> Result<u8, Error> {
    match command {
        RunCommand::List { profile, limit } => {
            let open = open(data_dir, &profile)?;
            output::print(&RunList(Library::of(&open)?.runs(limit, None)?), json)?;
        }
        RunCommand::Show { run, profile } => {
            let open = open(data_dir, &profile)?;
            output::print(&RunItem(Library::of(&open)?.run(&run)?), json)?;
        }
    }
    Ok(0)
}

#[derive(serde::Serialize)]
struct Status {
    profile: ProfileRecord,
    status: SetupStatus,
}

impl Render for Status {
    fn text(&self) -> String {
        let detail = match &self.status {
            SetupStatus::Ready {
                seed_version,
                seeded_at,
            } => {
                format!("ready (seed package v{seed_version}, seeded {seeded_at})")
            }
            SetupStatus::Failed { reason } => format!("failed: {reason}"),
            other => other.label().to_owned(),
        };
        format!(
            "Profile {:?} ({}): {detail}\n",
            self.profile.name, self.profile.id
        )
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct ContentList(Vec<ContentSummary>);

impl Render for ContentList {
    fn text(&self) -> String {
        let mut out = String::new();
        for c in &self.0 {
            out.push_str(&format!(
                "{}  {:<28} {}  [{}]\n",
                c.id,
                c.kind.as_str(),
                c.name,
                c.tags.join(", ")
            ));
        }
        if out.is_empty() {
            out.push_str("No content matches.\n");
        }
        out
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct ContentItem(Content);

impl Render for ContentItem {
    fn text(&self) -> String {
        let c = &self.0;
        format!(
            "{} ({}, {})\nid: {}\n\n{}\n",
            c.name,
            c.kind.as_str(),
            c.tags.join(", "),
            c.id,
            c.body.trim_end()
        )
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct PresetList(Vec<Preset>);

impl Render for PresetList {
    fn text(&self) -> String {
        self.0
            .iter()
            .map(|p| {
                format!(
                    "{}  {}  ({} models, {} judges, {} inputs)\n",
                    p.id,
                    p.name,
                    p.config.models.len(),
                    p.config.judges.len(),
                    p.inputs.len()
                )
            })
            .collect()
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct PresetItem(Preset);

impl Render for PresetItem {
    fn text(&self) -> String {
        let p = &self.0;
        let mut out = format!("{}\nid: {}\n", p.name, p.id);
        for m in &p.config.models {
            out.push_str(&format!(
                "model: {}/{} (temperature {}, max {} tokens)\n",
                m.provider, m.model, m.temperature, m.max_tokens
            ));
        }
        for j in &p.config.judges {
            out.push_str(&format!("judge: {}\n", j.label()));
        }
        out.push_str(&format!(
            "iterations: {}, trials: {}, scoring: {}, pairwise: {}\n",
            p.config.iterations,
            p.config.eval_iterations,
            p.config.evaluation_enabled,
            p.config.pairwise_enabled
        ));
        out
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct RunList(Vec<RunSummary>);

impl Render for RunList {
    fn text(&self) -> String {
        let mut out = String::new();
        for r in &self.0 {
            out.push_str(&format!(
                "{}  {:<22} {}  {} tasks, {} tokens, ${}  {}\n",
                r.id,
                r.status,
                r.created_at,
                r.tasks_total,
                r.total_tokens,
                fixed(r.total_cost, 4),
                r.title
            ));
        }
        if out.is_empty() {
            out.push_str("No runs yet.\n");
        }
        out
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct RunItem(RunDetail);

impl Render for RunItem {
    fn text(&self) -> String {
        let r = &self.0;
        let mut out = format!(
            "{}\nid: {}\nstatus: {} ({})\ntasks: {}, tokens: {}, cost: ${}\n\nRankings:\n",
            r.summary.title,
            r.summary.id,
            r.summary.status,
            r.phase,
            r.summary.tasks_total,
            r.summary.total_tokens,
            fixed(r.summary.total_cost, 4)
        );
        let rankings = assay_core::rankings::rank(r);
        for m in &rankings.by_model {
            let elo = rankings.ratings.iter().find(|x| x.model == m.model);
            out.push_str(&format!(
                "  {:<28} mean score {}  sd {}  Elo {}\n",
                m.model,
                fixed(m.stats.mean, 2),
                fixed(m.stats.std_dev, 2),
                elo.map_or("—".into(), |x| fixed(x.elo, 1)),
            ));
        }
        out.push_str("\nDocuments:\n");
        for d in &r.documents {
            let scores: Vec<i64> = r
                .scores
                .iter()
                .filter(|s| s.document_id == d.id)
                .map(|s| s.score)
                .collect();
            let mean = scores.iter().sum::<i64>() as f64 / scores.len().max(1) as f64;
            out.push_str(&format!(
                "  {}  {:<28} {:<24} mean score {}\n",
                d.id,
                d.model,
                d.input_name.as_deref().unwrap_or("?"),
                fixed(mean, 2)
            ));
        }
        out.push_str(&format!(
            "\n{} scores, {} pairwise verdicts, {} timeline events\n",
            r.scores.len(),
            r.pairwise.len(),
            r.events.len()
        ));
        out
    }
}

/// Runs `assay report`.
pub fn report(
    data_dir: &DataDir,
    profile: &ProfileArg,
    run: &str,
    out: &std::path::Path,
    format: &str,
    json: bool,
) -> Result<u8, Error> {
    let format = assay_core::reports::ReportFormat::parse(format)?;
    let open = open(data_dir, profile)?;
    let detail = Library::of(&open)?.run(run)?;
    let bytes = assay_core::reports::write_file(&detail, format, out)?;
    output::print(
        &Written {
            path: out.display().to_string(),
            bytes,
        },
        json,
    )?;
    Ok(0)
}

#[derive(serde::Serialize)]
struct Written {
    path: String,
    bytes: usize,
}

impl Render for Written {
    fn text(&self) -> String {
        format!("Wrote {} ({} bytes).\n", self.path, self.bytes)
    }
}
