//! The bundle header: KDF parameters, the wrapped file key, a key check, a checksum and a MAC.
//! docs/bundle-format.md is the specification; the order of checks in [`open`] follows it.

use std::io::Read;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secrets::wrapped::KdfParams;
use crate::secrets::{Passphrase, random};

/// `\x89ASSAY\r\n`.
pub const MAGIC: [u8; 8] = *b"\x89ASSAY\r\n";
/// The format version this code writes and reads.
pub const VERSION: u16 = 1;
/// log2 of the plaintext chunk size.
pub const CHUNK_LOG2: u8 = 16;
const KDF_ARGON2ID: u8 = 1;
const SALT_LEN: usize = 16;
const CHECK_LEN: usize = 16;
const NONCE_LEN: usize = 12;
const WRAPPED_LEN: usize = 32 + 16;
/// Length of a version-1 body.
pub const BODY_LEN: usize = 1 + 12 + 1 + SALT_LEN + CHECK_LEN + NONCE_LEN + WRAPPED_LEN;
const PREFIX_LEN: usize = 8 + 2 + 2;
/// Where the salt starts, and where the wrap nonce does (right after it).
const SALT_AT: usize = PREFIX_LEN + 14;
const NONCE_AT: usize = SALT_AT + SALT_LEN;
/// Length of the fixed part: prefix through the wrap nonce.
const FIXED_LEN: usize = NONCE_AT + NONCE_LEN;
/// Length of a whole version-1 header.
pub const HEADER_LEN: usize = PREFIX_LEN + BODY_LEN + 32 + 32;
/// The largest Argon2 memory a reader accepts (1 GiB), so a hostile header cannot exhaust it.
const MAX_MEMORY_KIB: u32 = 1024 * 1024;

/// Argon2id parameters for new bundles: 64 MiB (within the memory an export may use) and 12
/// passes, 0.5–0.9 s on our 2-core development VM, aiming at 0.5–1 s on a laptop
/// (docs/bundle-format.md; `make bench-bundle` times it).
pub const DEFAULT_KDF: KdfParams = KdfParams {
    memory_kib: 64 * 1024,
    iterations: 12,
    parallelism: 1,
};

/// What opening a header yields: the key for the payload and the associated data every chunk
/// binds.
#[derive(Clone)]
pub struct Opened {
    /// Payload key.
    pub payload_key: Zeroizing<[u8; 32]>,
    /// SHA-256 of the header's fixed part (magic through `wrap_nonce`): the parameters, salt
    /// and nonce, all chosen before the passphrase is stretched.
    pub stream_aad: [u8; 32],
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened").finish_non_exhaustive()
    }
}

/// A header whose random parts are chosen and whose payload keys are known, before the
/// passphrase is stretched: a writer can seal the payload while [`Pending::finish`] runs the
/// KDF, and write the header in front of it afterwards.
pub struct Pending {
    /// The header's fixed part: prefix, KDF parameters, chunk size, salt, wrap nonce.
    fixed: Vec<u8>,
    kdf: KdfParams,
    file_key: Zeroizing<[u8; 32]>,
    opened: Opened,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").finish_non_exhaustive()
    }
}

/// Starts a new header: chooses the salt, the wrap nonce and the file key. No KDF yet.
pub fn begin(kdf: KdfParams) -> Result<Pending> {
    let kdf = check_kdf(kdf)?;
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    let mut file_key = Zeroizing::new([0u8; 32]);
    random(&mut salt)?;
    random(&mut nonce)?;
    random(file_key.as_mut())?;
    let mut fixed = Vec::with_capacity(HEADER_LEN);
    fixed.extend_from_slice(&MAGIC);
    fixed.extend_from_slice(&VERSION.to_le_bytes());
    fixed.extend_from_slice(&(BODY_LEN as u16).to_le_bytes());
    fixed.push(KDF_ARGON2ID);
    fixed.extend_from_slice(&kdf.memory_kib.to_le_bytes());
    fixed.extend_from_slice(&kdf.iterations.to_le_bytes());
    fixed.extend_from_slice(&kdf.parallelism.to_le_bytes());
    fixed.push(CHUNK_LOG2);
    fixed.extend_from_slice(&salt);
    fixed.extend_from_slice(&nonce);
    debug_assert_eq!(fixed.len(), FIXED_LEN);
    let opened = Opened {
        payload_key: subkey(&file_key, b"assay-bundle payload")?,
        stream_aad: Sha256::digest(&fixed).into(),
    };
    Ok(Pending {
        fixed,
        kdf,
        file_key,
        opened,
    })
}

impl Pending {
    /// The payload's keys, the same as [`open`] will return for the finished header.
    pub fn opened(&self) -> &Opened {
        &self.opened
    }

    /// Stretches `passphrase` (the slow part) and returns the whole header.
    pub fn finish(&self, passphrase: &Passphrase) -> Result<Vec<u8>> {
        let salt = &self.fixed[SALT_AT..SALT_AT + SALT_LEN];
        let nonce = &self.fixed[NONCE_AT..NONCE_AT + NONCE_LEN];
        let passphrase_key = self.kdf.derive(passphrase, salt)?;
        let mut header = self.fixed.clone();
        header.extend_from_slice(&key_check(&passphrase_key).finalize().into_bytes()[..CHECK_LEN]);
        let wrapped = Aes256Gcm::new(passphrase_key.as_ref().into())
            .encrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: self.file_key.as_ref(),
                    aad: &header,
                },
            )
            .map_err(|_| Error::Corrupt("sealing the bundle key failed".into()))?;
        header.extend_from_slice(&wrapped);
        let checksum: [u8; 32] = Sha256::digest(&header).into();
        let mac = header_mac(&self.file_key, &header)?.finalize().into_bytes();
        header.extend_from_slice(&checksum);
        header.extend_from_slice(&mac);
        debug_assert_eq!(header.len(), HEADER_LEN);
        Ok(header)
    }
}

/// A new header for `passphrase`: its bytes, and the same as [`open`] would return.
pub fn seal(passphrase: &Passphrase, kdf: KdfParams) -> Result<(Vec<u8>, Opened)> {
    let pending = begin(kdf)?;
    let header = pending.finish(passphrase)?;
    Ok((header, pending.opened))
}

/// Reads and checks a header from `input`, in the order docs/bundle-format.md gives.
pub fn open(input: &mut impl Read, passphrase: &Passphrase) -> Result<Opened> {
    let mut prefix = [0u8; PREFIX_LEN];
    read_exact(input, &mut prefix)?;
    if prefix[..8] != MAGIC {
        return Err(corrupt("it is not an Assay bundle"));
    }
    let version = u16::from_le_bytes([prefix[8], prefix[9]]);
    if version > VERSION {
        return Err(Error::NewerVersion {
            what: "the bundle".into(),
            found: i64::from(version),
            supported: i64::from(VERSION),
        });
    }
    let body_len = usize::from(u16::from_le_bytes([prefix[10], prefix[11]]));
    if version == 0 || body_len != BODY_LEN {
        return Err(corrupt("its header has an unknown layout"));
    }
    let mut rest = [0u8; HEADER_LEN - PREFIX_LEN];
    read_exact(input, &mut rest)?;
    let header: Vec<u8> = [&prefix[..], &rest[..]].concat();
    let (signed, trailer) = header.split_at(PREFIX_LEN + BODY_LEN);
    let (checksum, mac) = trailer.split_at(32);
    if Sha256::digest(signed).as_slice() != checksum {
        return Err(corrupt("its header is damaged"));
    }

    let body = &signed[PREFIX_LEN..];
    let u32_at =
        |at: usize| u32::from_le_bytes([body[at], body[at + 1], body[at + 2], body[at + 3]]);
    if body[0] != KDF_ARGON2ID || body[13] != CHUNK_LOG2 {
        return Err(corrupt(
            "its header names an unknown algorithm or chunk size",
        ));
    }
    let kdf = check_kdf(KdfParams {
        memory_kib: u32_at(1),
        iterations: u32_at(5),
        parallelism: u32_at(9),
    })?;
    let salt = &signed[SALT_AT..SALT_AT + SALT_LEN];
    let nonce = &signed[NONCE_AT..NONCE_AT + NONCE_LEN];
    let check = &signed[FIXED_LEN..FIXED_LEN + CHECK_LEN];
    let wrapped = &signed[FIXED_LEN + CHECK_LEN..];

    let passphrase_key = kdf.derive(passphrase, salt)?;
    if key_check(&passphrase_key)
        .verify_truncated_left(check)
        .is_err()
    {
        return Err(Error::BundleWrongPassphrase);
    }
    let file_key = Aes256Gcm::new(passphrase_key.as_ref().into())
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: wrapped,
                aad: &signed[..FIXED_LEN + CHECK_LEN],
            },
        )
        .map_err(|_| corrupt("its key does not open (the header was altered)"))?;
    let file_key: Zeroizing<[u8; 32]> = Zeroizing::new(
        file_key
            .as_slice()
            .try_into()
            .map_err(|_| corrupt("its key has the wrong length"))?,
    );
    if header_mac(&file_key, signed)?.verify_slice(mac).is_err() {
        return Err(corrupt("its header fails authentication"));
    }
    Ok(Opened {
        payload_key: subkey(&file_key, b"assay-bundle payload")?,
        stream_aad: Sha256::digest(&signed[..FIXED_LEN]).into(),
    })
}

fn check_kdf(kdf: KdfParams) -> Result<KdfParams> {
    if kdf.memory_kib > MAX_MEMORY_KIB {
        return Err(corrupt("its key-derivation memory is out of range"));
    }
    kdf.check()
        .map_err(|_| corrupt("its key-derivation parameters are out of range"))
}

/// The key check's MAC; the header stores its first [`CHECK_LEN`] bytes. Verified with the
/// MAC's own constant-time comparison.
fn key_check(passphrase_key: &[u8; 32]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(passphrase_key)
        .expect("HMAC takes a key of any length");
    mac.update(b"assay-bundle key check");
    mac
}

/// The header's MAC under the header key.
fn header_mac(file_key: &[u8; 32], signed: &[u8]) -> Result<Hmac<Sha256>> {
    let key = subkey(file_key, b"assay-bundle header")?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_ref())
        .expect("HMAC takes a key of any length");
    mac.update(signed);
    Ok(mac)
}

fn subkey(file_key: &[u8; 32], info: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
    let mut out = Zeroizing::new([0u8; 32]);
    hkdf::Hkdf::<Sha256>::new(None, file_key)
        .expand(info, out.as_mut())
        .map_err(|_| Error::Corrupt("key expansion failed".into()))?;
    Ok(out)
}

/// Reads exactly `buf.len()` bytes; a short file is a truncated bundle.
pub(super) fn read_exact(input: &mut impl Read, buf: &mut [u8]) -> Result<()> {
    input.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => corrupt("it is truncated"),
        _ => Error::Corrupt(format!("the bundle could not be read: {e}")),
    })
}

pub(super) fn corrupt(why: &str) -> Error {
    Error::Corrupt(format!("the bundle is damaged or was altered: {why}"))
}
