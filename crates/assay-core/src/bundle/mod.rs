//! Passphrase-encrypted bundles: the container that export and import of profiles use.
//!
//! docs/bundle-format.md is the specification. A bundle is a [`header`] (KDF parameters, the
//! wrapped per-bundle key, a key check, a checksum and a MAC) followed by a [`stream`] of
//! AES-256-GCM chunks in the STREAM construction. [`seal`] and [`open`] are the entry points.

pub mod header;
pub mod stream;

use std::io::{Read, Write};

pub use header::DEFAULT_KDF;
pub use stream::{StreamReader, StreamWriter};

use crate::error::{Error, Result};
use crate::secrets::Passphrase;
use crate::secrets::wrapped::KdfParams;

/// Starts a bundle on `out`: writes the header and returns the payload writer. Finish it with
/// [`StreamWriter::finish`].
pub fn seal<W: Write>(
    mut out: W,
    passphrase: &Passphrase,
    kdf: KdfParams,
) -> Result<StreamWriter<W>> {
    let (header, opened) = header::seal(passphrase, kdf)?;
    out.write_all(&header)
        .map_err(|e| Error::Corrupt(format!("the bundle could not be written: {e}")))?;
    Ok(StreamWriter::new(out, &opened))
}

/// Opens a bundle from `input`: checks the header (a wrong passphrase, damage and newer
/// versions are told apart) and returns the payload reader, which authenticates each chunk
/// before releasing it.
pub fn open<R: Read>(mut input: R, passphrase: &Passphrase) -> Result<StreamReader<R>> {
    let opened = header::open(&mut input, passphrase)?;
    Ok(StreamReader::new(input, &opened))
}

#[cfg(test)]
mod tests;
