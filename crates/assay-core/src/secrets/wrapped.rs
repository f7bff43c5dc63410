//! `key.wrapped`: a profile's DB key sealed with a passphrase, for passphrase-mode profiles.
//!
//! Layout (version 1, little-endian, 99 bytes):
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `ASSAYKEY` |
//! | 2 | format version (1) |
//! | 1 | KDF id (1 = Argon2id v0x13) |
//! | 4+4+4 | Argon2 memory (KiB), iterations, parallelism |
//! | 16 | salt |
//! | 12 | AES-GCM nonce |
//! | 48 | AES-256-GCM ciphertext of the 32-byte key, plus the 16-byte tag |
//!
//! The associated data is everything before the ciphertext plus the profile id, so the KDF
//! parameters cannot be swapped without detection and a file cannot be moved to another
//! profile. A wrong passphrase fails authentication and is reported as `WRONG_PASSPHRASE`.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

use super::{DbKey, Passphrase};
use crate::error::{Error, Result};

const MAGIC: &[u8; 8] = b"ASSAYKEY";
const VERSION: u16 = 1;
const KDF_ARGON2ID: u8 = 1;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 12;
const HEADER_LEN: usize = 8 + 2 + 1 + 12 + SALT_LEN + NONCE_LEN;
const SEALED_LEN: usize = DbKey::LEN + 16;
/// Size of a version-1 `key.wrapped` file.
pub const FILE_LEN: usize = HEADER_LEN + SEALED_LEN;

/// Argon2id cost parameters, stored in the file beside the salt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for KdfParams {
    /// 64 MiB, 3 passes, 1 lane: OWASP's Argon2id guidance, about 0.2–0.5 s on a laptop.
    fn default() -> Self {
        Self {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 1,
        }
    }
}

impl KdfParams {
    /// Rejects parameters a damaged or hostile file could use to exhaust memory or time.
    pub(crate) fn check(self) -> Result<Self> {
        let sane = (8..=4 * 1024 * 1024).contains(&self.memory_kib)
            && (1..=64).contains(&self.iterations)
            && (1..=16).contains(&self.parallelism);
        if sane {
            Ok(self)
        } else {
            Err(corrupt("its key-derivation parameters are out of range"))
        }
    }

    pub(crate) fn derive(
        self,
        passphrase: &Passphrase,
        salt: &[u8],
    ) -> Result<Zeroizing<[u8; 32]>> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
            .map_err(|e| corrupt(&format!("invalid key-derivation parameters: {e}")))?;
        let mut out = Zeroizing::new([0u8; 32]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(passphrase.as_bytes(), salt, out.as_mut())
            .map_err(|e| corrupt(&format!("key derivation failed: {e}")))?;
        Ok(out)
    }
}

/// Seals `key` with `passphrase` for the profile `profile_id`; returns the file's bytes.
pub fn wrap(
    key: &DbKey,
    passphrase: &Passphrase,
    profile_id: &str,
    params: KdfParams,
) -> Result<Vec<u8>> {
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    super::random(&mut salt)?;
    super::random(&mut nonce)?;

    let mut file = Vec::with_capacity(FILE_LEN);
    file.extend_from_slice(MAGIC);
    file.extend_from_slice(&VERSION.to_le_bytes());
    file.push(KDF_ARGON2ID);
    file.extend_from_slice(&params.memory_kib.to_le_bytes());
    file.extend_from_slice(&params.iterations.to_le_bytes());
    file.extend_from_slice(&params.parallelism.to_le_bytes());
    file.extend_from_slice(&salt);
    file.extend_from_slice(&nonce);

    let kek = params.check()?.derive(passphrase, &salt)?;
    let aad = associated_data(&file, profile_id);
    let sealed = Aes256Gcm::new(kek.as_ref().into())
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: key.as_bytes(),
                aad: &aad,
            },
        )
        .map_err(|_| Error::Keyring("sealing the key failed".into()))?;
    file.extend_from_slice(&sealed);
    Ok(file)
}

/// Opens a `key.wrapped` file for profile `profile_id` (named `name` in messages).
pub fn unwrap(
    bytes: &[u8],
    passphrase: &Passphrase,
    profile_id: &str,
    name: &str,
) -> Result<DbKey> {
    if bytes.len() < 10 || &bytes[..8] != MAGIC {
        return Err(corrupt("it is not an Assay key file"));
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version > VERSION {
        return Err(Error::NewerVersion {
            what: format!("the key file of profile {name:?}"),
            found: i64::from(version),
            supported: i64::from(VERSION),
        });
    }
    if bytes.len() != FILE_LEN || version != VERSION || bytes[10] != KDF_ARGON2ID {
        return Err(corrupt("it has the wrong length or an unknown layout"));
    }
    let u32_at =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let params = KdfParams {
        memory_kib: u32_at(11),
        iterations: u32_at(15),
        parallelism: u32_at(19),
    }
    .check()?;
    let salt = &bytes[23..23 + SALT_LEN];
    let nonce = &bytes[23 + SALT_LEN..HEADER_LEN];

    let kek = params.derive(passphrase, salt)?;
    let aad = associated_data(&bytes[..HEADER_LEN], profile_id);
    let opened = Aes256Gcm::new(kek.as_ref().into())
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: &bytes[HEADER_LEN..],
                aad: &aad,
            },
        )
        .map_err(|_| Error::WrongPassphrase {
            name: name.to_owned(),
        })?;
    DbKey::from_bytes(&Zeroizing::new(opened))
}

fn associated_data(header: &[u8], profile_id: &str) -> Vec<u8> {
    [header, profile_id.as_bytes()].concat()
}

fn corrupt(why: &str) -> Error {
    Error::Corrupt(format!("the profile's key.wrapped file is damaged: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    /// Small parameters keep the unit tests fast; the format is the same.
    const FAST: KdfParams = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };
    const ID: &str = "0b6a4bc4-3c59-4f7e-9d7a-1f2d3c4b5a69";

    fn pass(s: &str) -> Passphrase {
        Passphrase::new(s.into())
    }

    #[test]
    fn a_wrapped_key_opens_with_the_right_passphrase() {
        let key = DbKey::generate().expect("key");
        let file = wrap(&key, &pass("correct horse"), ID, FAST).expect("wrap");
        assert_eq!(file.len(), FILE_LEN);
        let back = unwrap(&file, &pass("correct horse"), ID, "p").expect("unwrap");
        assert_eq!(back.as_bytes(), key.as_bytes(), "the same key comes back");
    }

    #[test]
    fn a_wrong_passphrase_gives_wrong_passphrase() {
        let key = DbKey::generate().expect("key");
        let file = wrap(&key, &pass("correct horse"), ID, FAST).expect("wrap");
        let err = unwrap(&file, &pass("wrong horse"), ID, "p").expect_err("must fail");
        assert_eq!(err.code(), ErrorCode::WrongPassphrase);
    }

    #[test]
    fn a_file_moved_to_another_profile_does_not_open() {
        let key = DbKey::generate().expect("key");
        let file = wrap(&key, &pass("correct horse"), ID, FAST).expect("wrap");
        let other = "7c1e0f55-8f8a-4d55-9a39-2b1c3d4e5f60";
        assert!(unwrap(&file, &pass("correct horse"), other, "p").is_err());
    }

    #[test]
    fn every_flipped_byte_is_detected() {
        let key = DbKey::generate().expect("key");
        let file = wrap(&key, &pass("correct horse"), ID, FAST).expect("wrap");
        for at in 0..file.len() {
            let mut bad = file.clone();
            bad[at] ^= 0x01;
            assert!(
                unwrap(&bad, &pass("correct horse"), ID, "p").is_err(),
                "a flip at byte {at} went unnoticed"
            );
        }
    }

    #[test]
    fn a_truncated_file_is_corrupt() {
        let key = DbKey::generate().expect("key");
        let file = wrap(&key, &pass("correct horse"), ID, FAST).expect("wrap");
        let err = unwrap(&file[..50], &pass("correct horse"), ID, "p").expect_err("must fail");
        assert_eq!(err.code(), ErrorCode::Corrupt);
    }

    #[test]
    fn a_newer_format_version_is_refused_as_newer() {
        let key = DbKey::generate().expect("key");
        let mut file = wrap(&key, &pass("correct horse"), ID, FAST).expect("wrap");
        file[8] = 2;
        let err = unwrap(&file, &pass("correct horse"), ID, "p").expect_err("must fail");
        assert_eq!(err.code(), ErrorCode::NewerVersion);
    }

    #[test]
    fn hostile_kdf_parameters_are_refused_before_deriving() {
        let key = DbKey::generate().expect("key");
        let mut file = wrap(&key, &pass("correct horse"), ID, FAST).expect("wrap");
        file[11..15].copy_from_slice(&u32::MAX.to_le_bytes());
        let err = unwrap(&file, &pass("correct horse"), ID, "p").expect_err("must fail");
        assert_eq!(err.code(), ErrorCode::Corrupt);
    }
}
