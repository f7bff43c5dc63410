//! The decrypted payload of a profile bundle: `kind (1 byte) ‖ length (8 bytes LE) ‖ bytes`
//! entries, in the order docs/bundle-format.md gives.

use std::io::{Read, Write};

use crate::error::{Error, Result};

/// The kinds of entry, in the order they appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// UTF-8 JSON [`super::Manifest`].
    Manifest = 1,
    /// The raw SQLCipher key (32 bytes) of the database entry: the profile's own for a keyring
    /// profile, a one-off key for a passphrase profile's copy.
    DatabaseKey = 2,
    /// The profile's database file, SQLCipher-encrypted under that key.
    Database = 3,
    /// Provider keys, only when the person opted in: UTF-8 JSON.
    ProviderKeys = 4,
}

impl Kind {
    fn parse(byte: u8) -> Result<Self> {
        match byte {
            1 => Ok(Self::Manifest),
            2 => Ok(Self::DatabaseKey),
            3 => Ok(Self::Database),
            4 => Ok(Self::ProviderKeys),
            other => Err(Error::NewerVersion {
                what: format!("a bundle entry of kind {other}"),
                found: i64::from(other),
                supported: 4,
            }),
        }
    }
}

/// The largest entry held in memory (manifest, keys); the database is streamed.
pub const MAX_SMALL: u64 = 16 * 1024 * 1024;

/// Writes one entry's header; the caller then writes exactly `len` bytes.
pub fn write_head(out: &mut impl Write, kind: Kind, len: u64) -> std::io::Result<()> {
    out.write_all(&[kind as u8])?;
    out.write_all(&len.to_le_bytes())
}

/// Reads the next entry's header: `None` at the end of the payload.
pub fn read_head(input: &mut impl Read) -> Result<Option<(Kind, u64)>> {
    let mut kind = [0u8; 1];
    if input.read(&mut kind).map_err(super::stream::read_error)? == 0 {
        return Ok(None);
    }
    let mut len = [0u8; 8];
    input
        .read_exact(&mut len)
        .map_err(super::stream::read_error)?;
    Ok(Some((Kind::parse(kind[0])?, u64::from_le_bytes(len))))
}

/// Reads a small entry of `len` bytes into memory.
pub fn read_small(input: &mut impl Read, len: u64) -> Result<Vec<u8>> {
    if len > MAX_SMALL {
        return Err(Error::Corrupt(format!("a bundle entry claims {len} bytes")));
    }
    let mut bytes = vec![0u8; len as usize];
    input
        .read_exact(&mut bytes)
        .map_err(super::stream::read_error)?;
    Ok(bytes)
}
