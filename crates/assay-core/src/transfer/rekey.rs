//! Re-keying an imported database page by page, as it streams out of the bundle.
//!
//! SQLCipher's own `PRAGMA rekey` decrypts, verifies, re-encrypts and re-MACs every page on one
//! thread and then rewrites the file: most of an import's time. Import instead re-encrypts
//! each page on its way from the bundle to the new profile's file, over a few threads, so the
//! file is written once (docs/decisions.md). Plaintext pages exist only in memory.
//!
//! The page format is SQLCipher 4's default, which Assay never changes: 4096-byte pages, each
//! AES-256-CBC ciphertext followed by a 16-byte IV and a 64-byte HMAC-SHA512 of the ciphertext,
//! the IV and the page number (4 bytes, little-endian). Page 1 starts with the file's 16-byte
//! salt in the clear and encrypts the rest. A raw key (`x'<64 hex digits>'`, as every Assay key
//! is) is the AES key itself; the HMAC key is PBKDF2-HMAC-SHA512 of it, salted with the file's
//! salt XOR 0x3a, 2 iterations. SQLCipher opening the result is the test.

use std::io::{self, Read, Write};
use std::num::NonZeroU32;
use std::path::Path;

use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use ring::hmac;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::parallel;
use crate::secrets::{DbKey, random};

/// SQLCipher's page size (the default, which Assay keeps).
pub(super) const PAGE: usize = 4096;
const SALT: usize = 16;
const IV: usize = 16;
const MAC: usize = 64;
/// The reserve at the end of every page: IV then HMAC.
const RESERVE: usize = IV + MAC;
/// Where the ciphertext of every page ends and the IV starts.
const BODY_END: usize = PAGE - RESERVE;
const HMAC_SALT_MASK: u8 = 0x3a;
const HMAC_KEY_ITERATIONS: NonZeroU32 = NonZeroU32::new(2).expect("non-zero");
/// Pages re-keyed together (2 MiB).
const BATCH_PAGES: usize = 512;

type Decryptor = cbc::Decryptor<aes::Aes256>;
type Encryptor = cbc::Encryptor<aes::Aes256>;

/// A database key with the HMAC key it has under one file's salt.
struct PageKey {
    cipher: Zeroizing<[u8; 32]>,
    mac: hmac::Key,
}

impl PageKey {
    fn new(key: &DbKey, salt: &[u8]) -> Self {
        let mut mac_salt = [0u8; SALT];
        for (masked, byte) in mac_salt.iter_mut().zip(salt) {
            *masked = byte ^ HMAC_SALT_MASK;
        }
        let mut mac_key = Zeroizing::new([0u8; 32]);
        ring::pbkdf2::derive(
            ring::pbkdf2::PBKDF2_HMAC_SHA512,
            HMAC_KEY_ITERATIONS,
            &mac_salt,
            key.as_bytes(),
            mac_key.as_mut(),
        );
        Self {
            cipher: Zeroizing::new(*key.as_bytes()),
            mac: hmac::Key::new(hmac::HMAC_SHA512, mac_key.as_ref()),
        }
    }

    /// The HMAC of a page's ciphertext and IV (`sealed`) as page `pgno`.
    fn tag(&self, pgno: u32, sealed: &[u8]) -> hmac::Tag {
        let mut mac = hmac::Context::with_key(&self.mac);
        mac.update(sealed);
        mac.update(&pgno.to_le_bytes());
        mac.sign()
    }

    /// Decrypts page `pgno` in place (its reserve is left as it was).
    fn decrypt(&self, pgno: u32, page: &mut [u8]) -> io::Result<()> {
        let start = body_start(pgno);
        let (body, reserve) = page[start..].split_at_mut(BODY_END - start);
        Decryptor::new_from_slices(self.cipher.as_ref(), &reserve[..IV])
            .map_err(|_| invalid("a page has a bad IV"))?
            .decrypt_padded::<NoPadding>(body)
            .map(drop)
            .map_err(|_| invalid("a page of the bundle's database has a partial block"))
    }

    /// Encrypts the plaintext page `pgno` in place under `iv`, and writes its IV and HMAC.
    fn encrypt(&self, pgno: u32, page: &mut [u8], iv: &[u8]) -> io::Result<()> {
        let start = body_start(pgno);
        let (body, reserve) = page[start..].split_at_mut(BODY_END - start);
        reserve[..IV].copy_from_slice(iv);
        let len = body.len();
        Encryptor::new_from_slices(self.cipher.as_ref(), iv)
            .map_err(|_| invalid("a page has a bad IV"))?
            .encrypt_padded::<NoPadding>(body, len)
            .map_err(|_| invalid("a page could not be encrypted"))?;
        let tag = self.tag(pgno, &page[start..BODY_END + IV]);
        page[BODY_END + IV..].copy_from_slice(tag.as_ref());
        Ok(())
    }
}

/// Where the ciphertext of page `pgno` starts: after the salt on page 1.
fn body_start(pgno: u32) -> usize {
    if pgno == 1 { SALT } else { 0 }
}

fn invalid(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.to_owned())
}

/// Reads the SQLCipher database under `from` from `input` and writes it to `out` (the file at
/// `path`) under `to`, with a new salt and fresh IVs: the same pages, the same plaintext, another key. Page 1 must
/// authenticate under `from` (the bundle's GCM has already authenticated every byte, so the
/// other pages are not checked again) and describe the page layout above.
pub(super) fn rekey(
    input: &mut dyn Read,
    out: &mut dyn Write,
    path: &Path,
    from: &DbKey,
    to: &DbKey,
) -> Result<()> {
    let corrupt = |why: &str| Error::Corrupt(format!("the bundle's database {why}"));
    let mut salt = [0u8; SALT];
    random(&mut salt)?;
    let new = PageKey::new(to, &salt);
    let mut old = None;
    let threads = parallel::threads();
    let mut batch = Zeroizing::new(vec![0u8; BATCH_PAGES * PAGE]);
    let mut ivs = vec![0u8; BATCH_PAGES * IV];
    let mut next_pgno: u32 = 1;
    loop {
        let filled = fill(input, &mut batch)?;
        if filled == 0 {
            break;
        }
        if filled % PAGE != 0 {
            return Err(corrupt("is not a whole number of pages"));
        }
        let pages = &mut batch[..filled];
        let old = match &old {
            Some(old) => old,
            None => {
                let key = PageKey::new(from, &pages[..SALT]);
                let page = &mut pages[..PAGE];
                if hmac::verify(
                    &key.mac,
                    &[&page[SALT..BODY_END + IV], &1u32.to_le_bytes()[..]].concat(),
                    &page[BODY_END + IV..],
                )
                .is_err()
                {
                    return Err(corrupt("does not open with its key"));
                }
                key.decrypt(1, page).map_err(|e| read_error(&e))?;
                check_layout(page).map_err(&corrupt)?;
                page[..SALT].copy_from_slice(&salt);
                random(&mut ivs[..IV])?;
                new.encrypt(1, page, &ivs[..IV])
                    .map_err(|e| read_error(&e))?;
                old.insert(key)
            }
        };
        let count = filled / PAGE;
        random(&mut ivs[..count * IV])?;
        let first = next_pgno;
        let skip = usize::from(first == 1);
        parallel::each_piece(
            &mut pages[skip * PAGE..],
            PAGE,
            u64::from(first) + skip as u64,
            threads,
            &|pgno, page| {
                let pgno = u32::try_from(pgno).map_err(|_| invalid("too many pages"))?;
                let at = (pgno - first) as usize * IV;
                old.decrypt(pgno, page)?;
                new.encrypt(pgno, page, &ivs[at..at + IV])
            },
        )
        .map_err(|e| read_error(&e))?;
        out.write_all(pages)
            .map_err(|e| Error::io("write", path, e))?;
        next_pgno = u32::try_from(count)
            .ok()
            .and_then(|n| next_pgno.checked_add(n))
            .ok_or_else(|| corrupt("has too many pages"))?;
    }
    if old.is_none() {
        return Err(corrupt("is empty"));
    }
    Ok(())
}

/// Checks the decrypted page 1 is a SQLite header with the page size and reserve this module
/// knows (its fields at offsets 16 and 20).
fn check_layout(page: &[u8]) -> std::result::Result<(), &'static str> {
    let page_size = usize::from(u16::from_be_bytes([page[16], page[17]]));
    if page_size != PAGE || usize::from(page[20]) != RESERVE {
        return Err("has a page layout this version does not re-key");
    }
    Ok(())
}

/// Reads until `buf` is full or the input ends; returns how much was read.
fn fill(input: &mut dyn Read, buf: &mut [u8]) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(crate::bundle::stream::read_error(e)),
        }
    }
    Ok(filled)
}

fn read_error(err: &io::Error) -> Error {
    Error::Corrupt(format!(
        "the bundle's database could not be re-keyed: {err}"
    ))
}

#[cfg(test)]
mod tests {
    use rusqlite::OpenFlags;

    use super::*;
    use crate::ErrorCode;

    const RW: OpenFlags = OpenFlags::SQLITE_OPEN_READ_WRITE.union(OpenFlags::SQLITE_OPEN_CREATE);

    /// A SQLCipher database under `key` spanning more than one batch of pages, with rows
    /// whose text changes page by page; returns its bytes and its rows.
    fn database(dir: &Path, key: &DbKey) -> (Vec<u8>, Vec<(i64, String)>) {
        let path = dir.join("source.db");
        let conn = crate::db::open_keyed(&path, key, "source", RW).expect("create");
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL);")
            .expect("schema");
        let rows: Vec<(i64, String)> = (0..700)
            .map(|i| (i, format!("row {i} ").repeat(400)))
            .collect();
        for (id, body) in &rows {
            conn.execute("INSERT INTO t VALUES (?1, ?2)", rusqlite::params![id, body])
                .expect("insert");
        }
        drop(conn);
        (std::fs::read(&path).expect("read"), rows)
    }

    fn rows(conn: &rusqlite::Connection) -> Vec<(i64, String)> {
        let mut stmt = conn
            .prepare("SELECT id, body FROM t ORDER BY id")
            .expect("prepare");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    }

    #[test]
    fn a_rekeyed_database_opens_in_sqlcipher_under_the_new_key_only_with_every_row() {
        let dir = tempfile::tempdir().expect("temp");
        let (from, to) = (
            DbKey::generate().expect("key"),
            DbKey::generate().expect("key"),
        );
        let (source, expected) = database(dir.path(), &from);
        assert!(source.len() > BATCH_PAGES * PAGE, "more than one batch");

        let mut rekeyed = Vec::new();
        rekey(&mut source.as_slice(), &mut rekeyed, dir.path(), &from, &to).expect("rekey");
        assert_eq!(rekeyed.len(), source.len(), "the same pages");
        assert_ne!(rekeyed[..SALT], source[..SALT], "a new salt");
        for (n, (a, b)) in source.chunks(PAGE).zip(rekeyed.chunks(PAGE)).enumerate() {
            assert_ne!(
                a[BODY_END..BODY_END + IV],
                b[BODY_END..BODY_END + IV],
                "page {n}'s IV"
            );
        }

        let path = dir.path().join("rekeyed.db");
        std::fs::write(&path, &rekeyed).expect("write");
        let conn =
            crate::db::open_keyed(&path, &to, "rekeyed", RW).expect("opens under the new key");
        let failures: Vec<String> = conn
            .prepare("PRAGMA cipher_integrity_check")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("check")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        assert!(failures.is_empty(), "every page's HMAC: {failures:?}");
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity");
        assert_eq!(integrity, "ok");
        assert_eq!(rows(&conn), expected);
        drop(conn);
        let err = crate::db::open_keyed(&path, &from, "rekeyed", RW).expect_err("old key");
        assert_eq!(err.code(), ErrorCode::DecryptFailed);
    }

    #[test]
    fn a_wrong_key_or_a_partial_page_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().expect("temp");
        let (from, to) = (
            DbKey::generate().expect("key"),
            DbKey::generate().expect("key"),
        );
        let (source, _) = database(dir.path(), &from);
        for (input, key, why) in [
            (&source[..], &to, "does not open with its key"),
            (&source[..PAGE + 100], &from, "whole number of pages"),
            (&source[..0], &from, "is empty"),
        ] {
            let mut out = Vec::new();
            let err = rekey(&mut &input[..], &mut out, dir.path(), key, &to).expect_err(why);
            assert_eq!(err.code(), ErrorCode::Corrupt, "{err}");
            assert!(err.to_string().contains(why), "{err}");
            assert!(out.is_empty(), "{why}: nothing written");
        }
    }

    #[test]
    fn a_failed_write_is_an_io_error_not_a_damaged_bundle() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::StorageFull, "no space left"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let dir = tempfile::tempdir().expect("temp");
        let (from, to) = (
            DbKey::generate().expect("key"),
            DbKey::generate().expect("key"),
        );
        let (source, _) = database(dir.path(), &from);
        let err = rekey(&mut source.as_slice(), &mut Full, dir.path(), &from, &to)
            .expect_err("disk full");
        assert_eq!(err.code(), ErrorCode::Io, "{err}");
    }
}
