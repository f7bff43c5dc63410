//! Reading passphrases: from stdin when asked to, otherwise from a terminal prompt. Never
//! from arguments, where other users could read them in the process list.

use assay_core::fs::bounded;
use std::io::IsTerminal;

use assay_core::Error;
use assay_core::secrets::Passphrase;

/// Where a passphrase comes from.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// All of stdin, less one trailing newline.
    Stdin,
    /// A prompt on the terminal, or an error if there is none.
    Prompt,
}

/// Reads a passphrase to unlock an existing profile named `name`.
pub fn read_for_unlock(source: Source, name: &str) -> Result<Passphrase, Error> {
    read(source, &format!("Passphrase for profile {name:?}: "), false).map(Passphrase::new)
}

/// Reads a new passphrase (asked twice at a prompt) and checks its length.
pub fn read_for_creation(source: Source) -> Result<Passphrase, Error> {
    let text = read(source, "New passphrase: ", true)?;
    Passphrase::new_for_creation(text)
}

/// All of stdin as lines (without their `\n` or `\r\n`), for commands that need more than
/// one passphrase.
pub fn read_stdin_lines() -> Result<Vec<String>, Error> {
    let text = zeroize::Zeroizing::new(bounded::read_text(
        std::io::stdin(),
        bounded::MAX_STDIN_SECRET,
        "standard input",
    )?);
    Ok(text
        .lines()
        .map(|line| line.strip_suffix('\r').unwrap_or(line).to_owned())
        .collect())
}

fn read(source: Source, prompt: &str, confirm: bool) -> Result<String, Error> {
    match source {
        Source::Stdin => {
            let mut text = bounded::read_text(
                std::io::stdin(),
                bounded::MAX_STDIN_SECRET,
                "standard input",
            )?;
            if text.ends_with('\n') {
                text.pop();
                if text.ends_with('\r') {
                    text.pop();
                }
            }
            Ok(text)
        }
        Source::Prompt => {
            if !std::io::stdin().is_terminal() {
                return Err(Error::InvalidInput(
                    "a passphrase is needed and there is no terminal to ask on; pass --passphrase-stdin and pipe it in".into(),
                ));
            }
            let first = rpassword::prompt_password(prompt)
                .map_err(|e| Error::InvalidInput(format!("could not read the passphrase: {e}")))?;
            if confirm {
                let again =
                    zeroize::Zeroizing::new(rpassword::prompt_password("Repeat it: ").map_err(
                        |e| Error::InvalidInput(format!("could not read the passphrase: {e}")),
                    )?);
                if *again != first {
                    return Err(Error::InvalidInput("the two passphrases differ".into()));
                }
            }
            Ok(first)
        }
    }
}
