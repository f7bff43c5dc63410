//! The payload stream: STREAM over AES-256-GCM in 64 KiB chunks, nonce = 11-byte big-endian
//! counter ‖ last-chunk flag, the hash of the header's fixed part as every chunk's associated data.
//!
//! Chunks are independent once their counter is known, so both directions work on batches of
//! [`BATCH`] chunks, sealed or opened in place on a few threads. Memory is one batch (2 MiB)
//! whatever the payload size.

use std::io::{self, Read, Write};

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use zeroize::Zeroize;

use super::header::{CHUNK_LOG2, Opened, corrupt};
use crate::error::Error;
use crate::parallel;

/// Plaintext bytes per chunk.
pub const CHUNK: usize = 1 << CHUNK_LOG2;
const TAG: usize = 16;
/// Bytes per sealed full chunk on disk.
pub const SEALED_CHUNK: usize = CHUNK + TAG;
/// Chunks sealed or opened together.
pub const BATCH: usize = 32;

fn nonce(counter: u64, last: bool) -> Nonce {
    let mut n = [0u8; 12];
    n[3..11].copy_from_slice(&counter.to_be_bytes());
    n[11] = u8::from(last);
    // Unique: each counter is sealed once per stream, under a key only this bundle has.
    Nonce::assume_unique_for_key(n)
}

/// The payload key as AES-256-GCM. The stream uses ring's implementation, several times the
/// aes-gcm crate's speed on bulk data (docs/decisions.md); the output is the same AES-GCM.
fn cipher(opened: &Opened) -> LessSafeKey {
    LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, opened.payload_key.as_ref())
            .expect("AES-256-GCM takes a 32-byte key"),
    )
}

/// Encrypts a payload into `out`. Call [`StreamWriter::finish`] at the end: without it the
/// stream has no last chunk and no reader accepts it.
pub struct StreamWriter<W: Write> {
    out: W,
    cipher: LessSafeKey,
    aad: [u8; 32],
    /// `BATCH` slots of `CHUNK` plaintext bytes followed by room for the tag.
    batch: Vec<u8>,
    /// Plaintext bytes buffered, over all slots.
    buffered: usize,
    counter: u64,
    threads: usize,
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
            cipher: cipher(opened),
            aad: opened.stream_aad,
            batch: vec![0u8; BATCH * SEALED_CHUNK],
            buffered: 0,
            counter: 0,
            threads: parallel::threads(),
        }
    }

    /// Seals the buffered chunks and writes them out; the last of them is sealed as the
    /// stream's last chunk if `last`.
    fn seal(&mut self, last: bool) -> io::Result<()> {
        let chunks = self.buffered.div_ceil(CHUNK).max(1);
        let tail = self.buffered - (chunks - 1) * CHUNK;
        let sealed_len = (chunks - 1) * SEALED_CHUNK + tail + TAG;
        let final_counter = self.counter + chunks as u64 - 1;
        let (cipher, aad) = (&self.cipher, &self.aad);
        parallel::each_piece(
            &mut self.batch[..sealed_len],
            SEALED_CHUNK,
            self.counter,
            self.threads,
            &|counter, slot| {
                let (plain, tag_room) = slot.split_at_mut(slot.len() - TAG);
                let is_last = last && counter == final_counter;
                let tag = cipher
                    .seal_in_place_separate_tag(nonce(counter, is_last), Aad::from(aad), plain)
                    .map_err(|_| io::Error::other("sealing a chunk failed"))?;
                tag_room.copy_from_slice(tag.as_ref());
                Ok(())
            },
        )?;
        self.out.write_all(&self.batch[..sealed_len])?;
        self.buffered = 0;
        self.counter += chunks as u64;
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
        // A full batch is sealed only when more data arrives, so the stream's final chunk may
        // be full and is still the one sealed as last.
        if self.buffered == BATCH * CHUNK && !data.is_empty() {
            self.seal(false)?;
        }
        // Plaintext fills the slots in turn, each leaving room for its tag.
        let (slot, used) = (self.buffered / CHUNK, self.buffered % CHUNK);
        let n = data.len().min(CHUNK - used);
        let at = slot * SEALED_CHUNK + used;
        self.batch[at..at + n].copy_from_slice(&data[..n]);
        self.buffered += n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Decrypts a payload from `input`, releasing a batch of chunks only once all of them
/// authenticated. A read fails with `InvalidData` wrapping a [`crate::Error::Corrupt`] on any
/// tampering or truncation; [`read_error`] turns that back into the typed error.
pub struct StreamReader<R: Read> {
    input: R,
    cipher: LessSafeKey,
    aad: [u8; 32],
    /// Up to `BATCH` sealed chunks plus one byte of look-ahead, opened in place.
    batch: Vec<u8>,
    /// Bytes in `batch` (sealed, then opened).
    filled: usize,
    /// The most of `batch` any batch filled: what is wiped when the reader is dropped, since
    /// it holds opened plaintext (the database key and any provider keys among it).
    touched: usize,
    /// Bytes of `batch` that are opened plaintext slots (tags included).
    opened: usize,
    /// The next plaintext byte to hand out, as an offset into `batch`.
    pos: usize,
    counter: u64,
    done: bool,
    threads: usize,
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
            cipher: cipher(opened),
            aad: opened.stream_aad,
            batch: vec![0u8; BATCH * SEALED_CHUNK + 1],
            filled: 0,
            touched: 0,
            opened: 0,
            pos: 0,
            counter: 0,
            done: false,
            threads: parallel::threads(),
        }
    }

    /// Reads and opens the next batch of chunks.
    fn next_batch(&mut self) -> io::Result<()> {
        // Keep the look-ahead byte of the last batch, then fill up to a batch plus one byte.
        if self.filled > self.opened {
            self.batch[0] = self.batch[self.opened];
            self.filled = 1;
        } else {
            self.filled = 0;
        }
        while self.filled < self.batch.len() {
            let n = self.input.read(&mut self.batch[self.filled..])?;
            if n == 0 {
                break;
            }
            self.filled += n;
        }
        self.touched = self.touched.max(self.filled);
        let last = self.filled <= BATCH * SEALED_CHUNK;
        let take = self.filled.min(BATCH * SEALED_CHUNK);
        // Nothing at all, or a last chunk too short to hold its tag.
        if take == 0 || (1..TAG).contains(&(take % SEALED_CHUNK)) {
            return Err(invalid("it is truncated"));
        }
        let chunks = take.div_ceil(SEALED_CHUNK);
        let final_counter = self.counter + chunks as u64 - 1;
        let (cipher, aad) = (&self.cipher, &self.aad);
        parallel::each_piece(
            &mut self.batch[..take],
            SEALED_CHUNK,
            self.counter,
            self.threads,
            &|counter, slot| {
                let is_last = last && counter == final_counter;
                cipher
                    .open_in_place(nonce(counter, is_last), Aad::from(aad), slot)
                    .map(drop)
                    .map_err(|_| {
                        invalid("a chunk fails authentication (altered, truncated or extended)")
                    })
            },
        )?;
        self.opened = take;
        self.pos = 0;
        self.counter += chunks as u64;
        self.done = last;
        Ok(())
    }
}

impl<R: Read> StreamReader<R> {
    /// Zeroes every byte of the batch any batch filled.
    fn wipe(&mut self) {
        self.batch[..self.touched].zeroize();
    }
}

impl<R: Read> Drop for StreamReader<R> {
    fn drop(&mut self) {
        self.wipe();
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
        loop {
            // Skip a tag: the plaintext of each slot ends TAG bytes before the slot does.
            let slot_end = (self.pos / SEALED_CHUNK * SEALED_CHUNK + SEALED_CHUNK).min(self.opened);
            let plain_end = slot_end.saturating_sub(TAG);
            if self.pos < plain_end {
                let n = out.len().min(plain_end - self.pos);
                out[..n].copy_from_slice(&self.batch[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            if slot_end < self.opened {
                self.pos = slot_end;
                continue;
            }
            if self.done {
                return Ok(0);
            }
            self.next_batch()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;
    use crate::secrets::Passphrase;
    use crate::secrets::wrapped::KdfParams;

    #[test]
    fn a_reader_wipes_everything_it_opened() {
        let fast = KdfParams {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        };
        let (_, opened) =
            super::super::header::seal(&Passphrase::new("wipe test".into()), fast).expect("seal");
        // Two batches, the second shorter: the first one's plaintext lies beyond its end.
        let secret = b"sk-live-WIPE-ME ".repeat((BATCH * CHUNK + CHUNK) / 16);
        let mut writer = StreamWriter::new(Vec::new(), &opened);
        writer.write_all(&secret).expect("write");
        let sealed = writer.finish().expect("finish");
        let mut reader = StreamReader::new(sealed.as_slice(), &opened);
        let mut out = Vec::new();
        reader.read_to_end(&mut out).expect("read");
        assert_eq!(out, secret);
        let needle = b"WIPE-ME";
        let holds = |r: &StreamReader<&[u8]>| r.batch.windows(needle.len()).any(|w| w == needle);
        assert!(holds(&reader), "the batch held plaintext");
        reader.wipe();
        assert!(!holds(&reader), "nothing of it is left");
    }
}
