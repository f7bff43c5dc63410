//! `assay profile …`: each subcommand calls one core function and renders its result.

use clap::Subcommand;

use assay_core::Error;
use assay_core::paths::DataDir;
use assay_core::profile::{KeyProtection, VerifyReport};
use assay_core::registry::{KeyMode, ProfileRecord};

use crate::output::{self, Render};
use crate::passphrase::{self, Source};

/// Exit code when `verify` ran but found a problem (same as CORRUPT).
const VERIFY_FAILED_EXIT: u8 = 18;

/// The `profile` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Create a profile. Its key goes to the OS keyring, or with --passphrase-stdin (or
    /// --key-mode passphrase, which prompts) it is sealed with a passphrase instead.
    Create {
        /// The profile's name: 1–64 characters, unique ignoring case.
        name: String,
        /// Protect the key with a passphrase read from stdin.
        #[arg(long)]
        passphrase_stdin: bool,
        /// Where the key is kept: `keyring` (default) or `passphrase` (prompts on a terminal).
        #[arg(long, value_parser = ["keyring", "passphrase"])]
        key_mode: Option<String>,
    },
    /// List profiles.
    List,
    /// Show one profile. REF is a name (any case) or an id.
    Show {
        /// Name or id.
        #[arg(value_name = "REF")]
        reference: String,
    },
    /// Rename a profile.
    Rename {
        /// Name or id.
        #[arg(value_name = "REF")]
        reference: String,
        /// The new name.
        new_name: String,
    },
    /// Bring back a profile folder the registry does not list (one in the data dir's
    /// `orphans/`): it moves into `profiles/` and is listed again. Its keys are not touched.
    Adopt {
        /// The profile's folder (named by its id, holding its profile.db).
        dir: std::path::PathBuf,
        /// The name to list it under, if its folder has no manifest (else "Recovered <id>").
        #[arg(long)]
        name: Option<String>,
    },
    /// Delete a profile, its data and its keys. Cannot be undone.
    Delete {
        /// Name or id.
        #[arg(value_name = "REF")]
        reference: String,
        /// Confirm the deletion.
        #[arg(long)]
        yes: bool,
    },
    /// Open a profile (setting it up on first use) and show its setup status.
    Status {
        /// Name or id.
        #[arg(value_name = "REF")]
        reference: String,
        /// Read the passphrase of a passphrase profile from stdin.
        #[arg(long)]
        passphrase_stdin: bool,
    },
    /// Write a profile to a passphrase-encrypted bundle, to move it or keep a backup. The
    /// bundle is read back and checked before this reports success. Passphrases come from a
    /// prompt, or with --passphrase-stdin one per line: the profile's (passphrase profiles
    /// only), then the bundle's.
    Export {
        /// Name or id.
        #[arg(value_name = "REF")]
        reference: String,
        /// The bundle file to write (replaced atomically; not inside Assay's data directory).
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
        /// Also put the provider keys in the bundle (encrypted with it).
        #[arg(long)]
        include_keys: bool,
        /// Do not read the bundle back before reporting success.
        #[arg(long)]
        no_verify: bool,
        /// Read the passphrases from stdin, one per line.
        #[arg(long)]
        passphrase_stdin: bool,
        /// Show progress on stderr even when it is not a terminal (a line per phase); on a
        /// terminal a progress bar is always shown.
        #[arg(long)]
        progress: bool,
    },
    /// Create a new profile from a bundle (a new id and a new key). Passphrases come from a
    /// prompt, or with --passphrase-stdin one per line: the bundle's, then (with
    /// --key-mode passphrase) the new profile's.
    Import {
        /// The bundle file.
        file: std::path::PathBuf,
        /// Name the new profile this instead of the name in the bundle.
        #[arg(long)]
        name: Option<String>,
        /// Where the new profile's key is kept: `keyring` (default) or `passphrase`.
        #[arg(long, value_parser = ["keyring", "passphrase"])]
        key_mode: Option<String>,
        /// Read the passphrases from stdin, one per line.
        #[arg(long)]
        passphrase_stdin: bool,
        /// Show progress on stderr even when it is not a terminal (a line per phase); on a
        /// terminal a progress bar is always shown.
        #[arg(long)]
        progress: bool,
    },
    /// Check a profile: decryption, SQLCipher and SQLite integrity, foreign keys, and that its
    /// registry row, directory and keys agree. Exits 18 if a check fails.
    Verify {
        /// Name or id.
        #[arg(value_name = "REF")]
        reference: String,
        /// Read the passphrase of a passphrase profile from stdin.
        #[arg(long)]
        passphrase_stdin: bool,
    },
}

/// Runs one `profile` subcommand; returns the exit code.
pub fn run(command: ProfileCommand, data_dir: &DataDir, json: bool) -> Result<u8, Error> {
    crate::cli::with_log(data_dir, || run_logged(command, data_dir, json))
}

fn run_logged(command: ProfileCommand, data_dir: &DataDir, json: bool) -> Result<u8, Error> {
    let profiles = output::open_profiles(data_dir, json)?;
    match command {
        ProfileCommand::Status {
            reference,
            passphrase_stdin,
        } => {
            let arg = crate::library_cmd::ProfileArg {
                reference,
                passphrase_stdin,
            };
            crate::library_cmd::status(&profiles, &arg, json)
        }
        ProfileCommand::Create {
            name,
            passphrase_stdin,
            key_mode,
        } => {
            let protection = if passphrase_stdin {
                KeyProtection::Passphrase(passphrase::read_for_creation(Source::Stdin)?)
            } else if key_mode.as_deref() == Some("passphrase") {
                KeyProtection::Passphrase(passphrase::read_for_creation(Source::Prompt)?)
            } else {
                KeyProtection::Keyring
            };
            print(&Profile(profiles.create(&name, protection)?), json)
        }
        ProfileCommand::Export {
            reference,
            out,
            include_keys,
            no_verify,
            passphrase_stdin,
            progress,
        } => {
            let args = crate::transfer_cmd::Export {
                reference: &reference,
                out: &out,
                include_keys,
                no_verify,
                passphrase_stdin,
                progress,
            };
            crate::transfer_cmd::export(&profiles, args, json)
        }
        ProfileCommand::Import {
            file,
            name,
            key_mode,
            passphrase_stdin,
            progress,
        } => {
            let args = crate::transfer_cmd::Import {
                file: &file,
                name: name.as_deref(),
                key_mode: key_mode.as_deref(),
                passphrase_stdin,
                progress,
            };
            crate::transfer_cmd::import(&profiles, args, json)
        }
        ProfileCommand::List => print(&List(profiles.list()?), json),
        ProfileCommand::Show { reference } => print(&Profile(profiles.show(&reference)?), json),
        ProfileCommand::Rename {
            reference,
            new_name,
        } => print(&Profile(profiles.rename(&reference, &new_name)?), json),
        ProfileCommand::Adopt { dir, name } => {
            print(&Profile(profiles.adopt(&dir, name.as_deref())?), json)
        }
        ProfileCommand::Delete { reference, yes } => {
            if !yes {
                return Err(Error::InvalidInput(
                    "deleting a profile removes its data and keys for good; add --yes to confirm"
                        .into(),
                ));
            }
            print(
                &Deleted {
                    deleted: profiles.delete(&reference)?,
                },
                json,
            )
        }
        ProfileCommand::Verify {
            reference,
            passphrase_stdin,
        } => {
            let record = profiles.show(&reference)?;
            let passphrase = match record.key_mode {
                KeyMode::Passphrase => {
                    let source = if passphrase_stdin {
                        Source::Stdin
                    } else {
                        Source::Prompt
                    };
                    Some(passphrase::read_for_unlock(source, &record.name)?)
                }
                KeyMode::Keyring => None,
            };
            let report = profiles.verify(&record.id, passphrase.as_ref())?;
            let ok = report.ok;
            print(&Verified(report), json)?;
            Ok(if ok { 0 } else { VERIFY_FAILED_EXIT })
        }
    }
}

fn print(value: &impl Render, json: bool) -> Result<u8, Error> {
    output::print(value, json).map(|()| 0)
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct Profile(ProfileRecord);

impl Render for Profile {
    fn text(&self) -> String {
        let p = &self.0;
        format!(
            "name:        {}\nid:          {}\nkey mode:    {}\ncreated:     {}\nlast opened: {}\n",
            p.name,
            p.id,
            p.key_mode.as_str(),
            p.created_at,
            p.last_opened_at.as_deref().unwrap_or("never"),
        )
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct List(Vec<ProfileRecord>);

impl Render for List {
    fn text(&self) -> String {
        if self.0.is_empty() {
            return "No profiles yet. Create one with `assay profile create NAME`.\n".into();
        }
        let width = self
            .0
            .iter()
            .map(|p| p.name.chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        let mut out = format!("{:<width$}  {:<36}  {:<10}  CREATED\n", "NAME", "ID", "KEY");
        for p in &self.0 {
            out.push_str(&format!(
                "{:<width$}  {:<36}  {:<10}  {}\n",
                p.name,
                p.id,
                p.key_mode.as_str(),
                p.created_at
            ));
        }
        out
    }
}

#[derive(serde::Serialize)]
struct Deleted {
    deleted: ProfileRecord,
}

impl Render for Deleted {
    fn text(&self) -> String {
        format!(
            "Deleted profile {:?} ({}).\n",
            self.deleted.name, self.deleted.id
        )
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct Verified(VerifyReport);

impl Render for Verified {
    fn text(&self) -> String {
        let mut out = format!(
            "Profile {:?} ({})\n",
            self.0.profile.name, self.0.profile.id
        );
        for check in &self.0.checks {
            let mark = if check.ok { "ok  " } else { "FAIL" };
            out.push_str(&format!("  {mark} {:<24} {}\n", check.name, check.detail));
        }
        out.push_str(if self.0.ok {
            "All checks passed.\n"
        } else {
            "Some checks FAILED.\n"
        });
        out
    }
}
