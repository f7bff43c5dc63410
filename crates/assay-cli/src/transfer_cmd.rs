//! `assay profile export` and `assay profile import`: bundles (docs/bundle-format.md).
//!
//! Passphrases come from a prompt, or with --passphrase-stdin one per line of stdin, in the
//! order the command needs them: export asks for the profile's passphrase first (passphrase
//! profiles only), then the bundle's; import asks for the bundle's, then (with
//! `--key-mode passphrase`) the new profile's.

use assay_core::transfer;
use std::path::Path;

use assay_core::Error;
use assay_core::profile::{KeyProtection, Profiles};
use assay_core::registry::KeyMode;
use assay_core::secrets::Passphrase;
use assay_core::transfer::{ExportOptions, Exported};

use crate::output::{self, Render};
use crate::passphrase::{self, Source};
use crate::progress::Display;

/// Options of `profile export`.
#[derive(Debug)]
pub struct Export<'a> {
    /// Name or id.
    pub reference: &'a str,
    /// The bundle to write.
    pub out: &'a Path,
    /// Put provider keys in the bundle.
    pub include_keys: bool,
    /// Skip reading the bundle back.
    pub no_verify: bool,
    /// Passphrases from stdin, one per line.
    pub passphrase_stdin: bool,
    /// Show progress even when stderr is not a terminal.
    pub progress: bool,
}

/// Options of `profile import`.
#[derive(Debug)]
pub struct Import<'a> {
    /// The bundle.
    pub file: &'a Path,
    /// A name instead of the bundle's.
    pub name: Option<&'a str>,
    /// `keyring` (default) or `passphrase`.
    pub key_mode: Option<&'a str>,
    /// Passphrases from stdin, one per line.
    pub passphrase_stdin: bool,
    /// Show progress even when stderr is not a terminal.
    pub progress: bool,
}

/// Runs `profile export`.
pub fn export(profiles: &Profiles, args: Export<'_>, json: bool) -> Result<u8, Error> {
    let record = profiles.show(args.reference)?;
    let mut answers = Answers::new(args.passphrase_stdin)?;
    let unlock = match record.key_mode {
        KeyMode::Passphrase => Some(answers.unlock(&format!("profile {:?}", record.name))?),
        KeyMode::Keyring => None,
    };
    let bundle_passphrase = answers.new_passphrase("the bundle")?;
    let open = profiles.open_profile(&record.id, unlock.as_ref())?;
    let options = ExportOptions {
        include_provider_keys: args.include_keys,
        verify: !args.no_verify,
        ..ExportOptions::default()
    };
    let display = Display::new(args.progress);
    let exported = transfer::export(
        profiles,
        &open,
        &bundle_passphrase,
        args.out,
        options,
        &|p| {
            display.report(p);
        },
    );
    display.finish();
    output::print(&Written(exported?), json).map(|()| 0)
}

/// Runs `profile import`.
pub fn import(profiles: &Profiles, args: Import<'_>, json: bool) -> Result<u8, Error> {
    let mut answers = Answers::new(args.passphrase_stdin)?;
    let bundle_passphrase = answers.unlock("the bundle")?;
    let protection = match args.key_mode {
        Some("passphrase") => KeyProtection::Passphrase(answers.new_passphrase("the new profile")?),
        _ => KeyProtection::Keyring,
    };
    let display = Display::new(args.progress);
    let record = transfer::import(
        profiles,
        args.file,
        &bundle_passphrase,
        args.name,
        protection,
        &|p| {
            display.report(p);
        },
    );
    display.finish();
    output::print(&Imported(record?), json).map(|()| 0)
}

/// Passphrases, from stdin lines or prompts.
struct Answers {
    lines: Option<std::vec::IntoIter<String>>,
}

impl Answers {
    fn new(stdin: bool) -> Result<Self, Error> {
        let lines = if stdin {
            Some(passphrase::read_stdin_lines()?.into_iter())
        } else {
            None
        };
        Ok(Self { lines })
    }

    fn next_line(&mut self, what: &str) -> Option<Result<String, Error>> {
        self.lines.as_mut().map(|lines| {
            lines.next().ok_or_else(|| {
                Error::InvalidInput(format!("stdin has no line for the passphrase of {what}"))
            })
        })
    }

    fn unlock(&mut self, what: &str) -> Result<Passphrase, Error> {
        match self.next_line(what) {
            Some(line) => Ok(Passphrase::new(line?)),
            None => passphrase::read_for_unlock(Source::Prompt, what),
        }
    }

    fn new_passphrase(&mut self, what: &str) -> Result<Passphrase, Error> {
        match self.next_line(what) {
            Some(line) => Passphrase::new_for_creation(line?),
            None => passphrase::read_for_creation(Source::Prompt),
        }
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct Written(Exported);

impl Render for Written {
    fn text(&self) -> String {
        let e = &self.0;
        format!(
            "Exported profile {:?} to {} ({} bytes{}{}).\n",
            e.manifest.profile_name,
            e.path,
            e.bytes,
            if e.verified {
                ", verified"
            } else {
                ", not verified"
            },
            if e.manifest.includes_provider_keys {
                ", with provider keys"
            } else {
                ""
            },
        )
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct Imported(assay_core::registry::ProfileRecord);

impl Render for Imported {
    fn text(&self) -> String {
        format!("Imported profile {:?} (id {}).\n", self.0.name, self.0.id)
    }
}
