//! `assay profile status`, `assay content …`, `assay preset …`, `assay report`: each opens
//! the profile (which runs setup on first open), asks core, and renders the answer.

use assay_core::display::{self, name};
use assay_core::fs::bounded;
use assay_core::library::Library;
use clap::{Args, Subcommand};

use assay_core::Error;
use assay_core::domain::content::{Content, ContentKind, ContentSummary};
use assay_core::domain::preset::Preset;
use assay_core::library::{ContentDraft, ContentFilter, PresetDraft};
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
    /// Add an item whose text (markdown) is read from a file.
    Add {
        /// Its type: generation_instructions, input_document, single_eval_instructions,
        /// pairwise_eval_instructions, eval_criteria, combine_instructions,
        /// template_fragment or output_document.
        #[arg(long)]
        kind: String,
        /// Its name, 1–200 characters.
        #[arg(long)]
        name: String,
        /// The file holding its text.
        #[arg(long, value_name = "FILE")]
        file: std::path::PathBuf,
        /// A tag (repeat for more).
        #[arg(long = "tag", value_name = "T")]
        tags: Vec<String>,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Rename an item, or replace its text from a file.
    Edit {
        /// The item: its id, or its name when one item has it.
        #[arg(value_name = "REF")]
        item: String,
        /// The new name.
        #[arg(long)]
        name: Option<String>,
        /// A file holding the new text.
        #[arg(long, value_name = "FILE")]
        file: Option<std::path::PathBuf>,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Delete an item; refused while a preset uses it, naming the preset.
    Delete {
        /// The item: its id, or its name when one item has it.
        #[arg(value_name = "REF")]
        item: String,
        /// Confirm the deletion.
        #[arg(long)]
        yes: bool,
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
    /// Create a preset, or update the one with its name, from a JSON file shaped like
    /// `assay --json preset show` prints (its id and timestamps are ignored; roles and inputs
    /// name content by id or by name). Every field error is reported at once.
    Save {
        /// The JSON file.
        #[arg(long, value_name = "FILE")]
        file: std::path::PathBuf,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Delete a preset; runs made from it keep their frozen configuration.
    Delete {
        /// Id or name.
        preset: String,
        /// Confirm the deletion.
        #[arg(long)]
        yes: bool,
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
        ContentCommand::Add {
            kind,
            name,
            file,
            tags,
            profile,
        } => {
            let draft = ContentDraft {
                name,
                kind: ContentKind::parse(&kind)?,
                body: bounded::read_file(&file, bounded::MAX_CONTENT_FILE)?,
                variables: Default::default(),
                tags,
            };
            let open = open(data_dir, &profile)?;
            output::print(
                &ContentItem(Library::of(&open)?.create_content(&draft)?),
                json,
            )?;
        }
        ContentCommand::Edit {
            item: reference,
            name,
            file,
            profile,
        } => {
            let body = file
                .as_deref()
                .map(|f| bounded::read_file(f, bounded::MAX_CONTENT_FILE))
                .transpose()?;
            let open = open(data_dir, &profile)?;
            let library = Library::of(&open)?;
            let id = library.content_id(&reference)?;
            let current = library.content(&id)?;
            let draft = ContentDraft {
                name: name.unwrap_or(current.name),
                kind: current.kind,
                body: body.unwrap_or(current.body),
                variables: current.variables,
                tags: current.tags,
            };
            output::print(&ContentItem(library.update_content(&id, &draft)?), json)?;
        }
        ContentCommand::Delete {
            item: reference,
            yes,
            profile,
        } => {
            confirmed(yes, "deleting content")?;
            let open = open(data_dir, &profile)?;
            let library = Library::of(&open)?;
            let id = library.content_id(&reference)?;
            library.delete_content(&id)?;
            output::print(&Deleted { deleted: id }, json)?;
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
        PresetCommand::Save { file, profile } => {
            let text = bounded::read_file(&file, bounded::MAX_PRESET_FILE)?;
            let draft: PresetDraft = serde_json::from_str(&text).map_err(|e| {
                Error::InvalidInput(format!(
                    "{} is not a preset as `assay --json preset show` prints it: {e}",
                    file.display()
                ))
            })?;
            let open = open(data_dir, &profile)?;
            output::print(&PresetItem(Library::of(&open)?.save_preset(&draft)?), json)?;
        }
        PresetCommand::Delete {
            preset,
            yes,
            profile,
        } => {
            confirmed(yes, "deleting a preset")?;
            let open = open(data_dir, &profile)?;
            let library = Library::of(&open)?;
            let id = library.preset(&preset)?.id;
            library.delete_preset(&id)?;
            output::print(&Deleted { deleted: id }, json)?;
        }
    }
    Ok(0)
}

/// Refuses a deletion without `--yes`.
pub(crate) fn confirmed(yes: bool, what: &str) -> Result<(), Error> {
    if yes {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "{what} cannot be undone; add --yes to confirm"
        )))
    }
}

/// What a deletion prints: `{"deleted": "<id>"}`.
#[derive(serde::Serialize)]
pub(crate) struct Deleted {
    pub(crate) deleted: String,
}

impl Render for Deleted {
    fn text(&self) -> String {
        format!("Deleted {}.\n", self.deleted)
    }
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
            "Profile {:?} ({}): {}\n",
            self.profile.name,
            self.profile.id,
            display::text(&detail)
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
                name(&c.name),
                name(&c.tags.join(", "))
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
            name(&c.name),
            c.kind.as_str(),
            name(&c.tags.join(", ")),
            c.id,
            display::text(c.body.trim_end())
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
                    name(&p.name),
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
        let mut out = format!("{}\nid: {}\n", name(&p.name), p.id);
        for m in &p.config.models {
            out.push_str(&format!(
                "model: {}/{} (temperature {}, max {} tokens)\n",
                name(&m.provider),
                name(&m.model),
                m.temperature,
                m.max_tokens
            ));
        }
        for j in &p.config.judges {
            out.push_str(&format!("judge: {}\n", name(&j.label())));
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
