//! Passphrase-encrypted bundles: the container that export and import of profiles use.
//!
//! docs/bundle-format.md is the specification. A bundle is a [`header`] (KDF parameters, the
//! wrapped per-bundle key, a key check, a checksum and a MAC) followed by a [`stream`] of
//! AES-256-GCM chunks in the STREAM construction. [`seal`] and [`open`] are the entry points.

pub mod entries;
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

/// What a profile bundle says about itself (entry 1). Never holds a secret: it is shown to
/// people, and a CLI may print it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    /// The bundle format version.
    pub format_version: u16,
    /// The Assay version that wrote it.
    pub app_version: String,
    /// The profile database's schema version.
    pub schema_version: i64,
    /// The seed package version applied to the profile, if it was seeded.
    pub seed_version: Option<i64>,
    /// The profile's name.
    pub profile_name: String,
    /// When the profile was created (RFC 3339).
    pub created_at: String,
    /// When the bundle was written (RFC 3339).
    pub exported_at: String,
    /// Rows per table in the bundle's database.
    pub row_counts: std::collections::BTreeMap<String, i64>,
    /// Whether the bundle carries the provider keys.
    pub includes_provider_keys: bool,
}

#[cfg(test)]
mod tests;
