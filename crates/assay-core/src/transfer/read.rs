//! Reading a bundle back: its header checked once, then its entries authenticated in full.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use zeroize::Zeroizing;

use super::progress::{Progress, Reporting, TransferPhase};
use crate::bundle::entries::{self, Kind};
use crate::bundle::{self, Manifest};
use crate::error::{Error, Result};
use crate::secrets::Passphrase;

/// One entry as [`scan`] hands it over.
pub(super) enum Entry<'a> {
    /// A small entry, in memory.
    Small(Kind, &'a [u8]),
    /// The database, to be read (or not) by the callback; the rest is drained.
    Database(&'a mut dyn Read),
}

/// A bundle's header, checked, with the keys derived from the passphrase.
pub(super) struct Unlocked {
    pub(super) header: Vec<u8>,
    pub(super) opened: bundle::header::Opened,
}

/// Reads and checks the header of the bundle at `path` (one Argon2 derivation).
pub(super) fn unlock(path: &Path, passphrase: &Passphrase) -> Result<Unlocked> {
    let file = File::open(path).map_err(|e| Error::io("open", path, e))?;
    let mut header = Vec::with_capacity(bundle::header::HEADER_LEN);
    file.take(bundle::header::HEADER_LEN as u64)
        .read_to_end(&mut header)
        .map_err(|e| Error::io("read", path, e))?;
    let opened = bundle::header::open(&mut header.as_slice(), passphrase)?;
    Ok(Unlocked { header, opened })
}

/// Reads and authenticates the whole bundle at `path`, calling `sink` for each entry, and
/// returns its manifest. The header must be the one `unlocked` checked. Every chunk is
/// authenticated before it is released, and the stream must end where the writer ended it, so
/// a bundle that scans without error is exactly the one written.
pub(super) fn scan(
    path: &Path,
    unlocked: &Unlocked,
    progress: Progress<'_>,
    phase: TransferPhase,
    mut sink: impl FnMut(Entry<'_>) -> Result<()>,
) -> Result<Manifest> {
    let file = File::open(path).map_err(|e| Error::io("open", path, e))?;
    let total = file
        .metadata()
        .map_err(|e| Error::io("stat", path, e))?
        .len();
    let mut file = BufReader::with_capacity(1 << 17, Reporting::new(file, progress, phase, total));
    let mut header = vec![0u8; unlocked.header.len()];
    file.read_exact(&mut header)
        .map_err(|e| Error::io("read", path, e))?;
    if header != unlocked.header {
        return Err(Error::Corrupt(
            "the bundle changed while it was read".into(),
        ));
    }
    let mut reader = bundle::StreamReader::new(file, &unlocked.opened);
    let mut manifest: Option<Manifest> = None;
    let mut database = false;
    // Entries come exactly in this order, each once; only the last may be missing (a bundle
    // with a database has the key before it, so the check at the end covers both).
    let mut expected = [
        Kind::Manifest,
        Kind::DatabaseKey,
        Kind::Database,
        Kind::ProviderKeys,
    ]
    .into_iter();
    while let Some((kind, len)) = entries::read_head(&mut reader)? {
        if expected.next() != Some(kind) {
            return Err(Error::Corrupt(format!(
                "a bundle entry out of order or repeated: {kind:?}"
            )));
        }
        if kind == Kind::Database {
            let mut limited = (&mut reader).take(len);
            sink(Entry::Database(&mut limited))?;
            std::io::copy(&mut limited, &mut std::io::sink())
                .map_err(bundle::stream::read_error)?;
            if limited.limit() != 0 {
                return Err(Error::Corrupt("the bundle's database is truncated".into()));
            }
            database = true;
            continue;
        }
        let bytes = Zeroizing::new(entries::read_small(&mut reader, len)?);
        if kind == Kind::Manifest {
            manifest = Some(
                serde_json::from_slice(&bytes)
                    .map_err(|_| Error::Corrupt("the bundle's manifest does not parse".into()))?,
            );
        }
        sink(Entry::Small(kind, &bytes))?;
    }
    match manifest {
        Some(manifest) if database => Ok(manifest),
        _ => Err(Error::Corrupt("the bundle is missing entries".into())),
    }
}
