//! The payload stream: STREAM over AES-256-GCM in 64 KiB chunks, nonce = 11-byte big-endian
//! counter ‖ last-chunk flag, the header hash as every chunk's associated data. Memory is two
//! chunks whatever the payload size.

use std::io::{self, Read, Write};

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};

use super::header::{CHUNK_LOG2, Opened, corrupt};
use crate::error::Error;

/// Plaintext bytes per chunk.
pub const CHUNK: usize = 1 << CHUNK_LOG2;
const TAG: usize = 16;
/// Bytes per sealed full chunk on disk.
pub const SEALED_CHUNK: usize = CHUNK + TAG;

fn nonce(counter: u64, last: bool) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[3..11].copy_from_slice(&counter.to_be_bytes());
    n[11] = u8::from(last);
    n
}

/// Encrypts a payload into `out`. Call [`StreamWriter::finish`] at the end: without it the
/// stream has no last chunk and no reader accepts it.
pub struct StreamWriter<W: Write> {
    out: W,
    cipher: Aes256Gcm,
    aad: [u8; 32],
    buf: Vec<u8>,
    counter: u64,
}

impl<W: Write> std::fmt::Debug for StreamWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamWriter")
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

impl<W: Write> StreamWriter<W> {
    /// A writer sealing with the keys of an opened header.
    pub fn new(out: W, opened: &Opened) -> Self {
        Self {
            out,
            cipher: Aes256Gcm::new(opened.payload_key.as_ref().into()),
            aad: opened.header_hash,
            buf: Vec::with_capacity(SEALED_CHUNK),
            counter: 0,
        }
    }

    fn seal(&mut self, last: bool) -> io::Result<()> {
        let tag = self
            .cipher
            .encrypt_in_place_detached(
                Nonce::from_slice(&nonce(self.counter, last)),
                &self.aad,
                &mut self.buf,
            )
            .map_err(|_| io::Error::other("sealing a chunk failed"))?;
        self.out.write_all(&self.buf)?;
        self.out.write_all(&tag)?;
        self.buf.clear();
        self.counter += 1;
        Ok(())
    }

    /// Seals the last chunk and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.seal(true)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for StreamWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        // A full buffer is sealed only when more data arrives, so the final chunk may be full
        // and is still the one sealed as last.
        if self.buf.len() == CHUNK && !data.is_empty() {
            self.seal(false)?;
        }
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Decrypts a payload from `input`, releasing each chunk only once it authenticated. A read
/// fails with `InvalidData` wrapping a [`crate::Error::Corrupt`] on any tampering or truncation;
/// [`read_error`] turns that back into the typed error.
pub struct StreamReader<R: Read> {
    input: R,
    cipher: Aes256Gcm,
    aad: [u8; 32],
    sealed: Vec<u8>,
    plain: Vec<u8>,
    pos: usize,
    counter: u64,
    done: bool,
}

impl<R: Read> std::fmt::Debug for StreamReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamReader")
            .field("counter", &self.counter)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<R: Read> StreamReader<R> {
    /// A reader opening with the keys of an opened header.
    pub fn new(input: R, opened: &Opened) -> Self {
        Self {
            input,
            cipher: Aes256Gcm::new(opened.payload_key.as_ref().into()),
            aad: opened.header_hash,
            // One sealed chunk plus one byte of look-ahead, to know whether it is the last.
            sealed: Vec::with_capacity(SEALED_CHUNK + 1),
            plain: Vec::new(),
            pos: 0,
            counter: 0,
            done: false,
        }
    }

    /// Reads and opens the next chunk into `plain`.
    fn next_chunk(&mut self) -> io::Result<()> {
        // Keep the look-ahead byte from the last read, then fill up to a chunk plus one byte.
        while self.sealed.len() < SEALED_CHUNK + 1 {
            let start = self.sealed.len();
            self.sealed.resize(SEALED_CHUNK + 1, 0);
            let n = self.input.read(&mut self.sealed[start..])?;
            self.sealed.truncate(start + n);
            if n == 0 {
                break;
            }
        }
        let last = self.sealed.len() <= SEALED_CHUNK;
        let take = self.sealed.len().min(SEALED_CHUNK);
        if take < TAG {
            return Err(invalid("it is truncated"));
        }
        let rest = self.sealed.split_off(take);
        let mut chunk = std::mem::replace(&mut self.sealed, rest);
        let tag_at = chunk.len() - TAG;
        let tag = Tag::clone_from_slice(&chunk[tag_at..]);
        chunk.truncate(tag_at);
        self.cipher
            .decrypt_in_place_detached(
                Nonce::from_slice(&nonce(self.counter, last)),
                &self.aad,
                &mut chunk,
                &tag,
            )
            .map_err(|_| {
                invalid("a chunk fails authentication (altered, truncated or extended)")
            })?;
        self.plain = chunk;
        self.pos = 0;
        self.counter += 1;
        self.done = last;
        Ok(())
    }
}

/// The typed error behind an `io::Error` from reading a bundle: the `CORRUPT` a
/// [`StreamReader`] wrapped, or a read failure reported as `CORRUPT` too.
pub fn read_error(err: io::Error) -> Error {
    match err.get_ref().and_then(|e| e.downcast_ref::<Error>()) {
        Some(Error::Corrupt(why)) => Error::Corrupt(why.clone()),
        _ => Error::Corrupt(format!("the bundle could not be read: {err}")),
    }
}

fn invalid(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, corrupt(why))
}

impl<R: Read> Read for StreamReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.plain.len() {
            if self.done {
                return Ok(0);
            }
            self.next_chunk()?;
        }
        let n = out.len().min(self.plain.len() - self.pos);
        out[..n].copy_from_slice(&self.plain[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
