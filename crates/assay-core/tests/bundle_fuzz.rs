//! A mutation fuzzer for the bundle reader, on the stable toolchain (cargo-fuzz needs nightly).
//!
//! Each iteration takes a bundle from the committed seed corpus (tests/fuzz-corpus/), damages
//! it (bit flips, byte writes, cuts, inserts, deletions, duplicated ranges, headers spliced onto
//! other payloads) and reads it: the reader must never panic, and must reject every bundle that
//! is not byte-for-byte the original. `make test` runs a short pass; `make fuzz` a long one
//! (ASSAY_FUZZ_ITERATIONS). A failure prints the seed and iteration to replay it
//! (ASSAY_FUZZ_SEED).
//!
//! Regenerate the corpus with ASSAY_UPDATE_CORPUS=1 (its bundles use the passphrase below and
//! the cheapest Argon2 parameters the reader accepts).

#![allow(clippy::print_stdout, reason = "the fuzzer reports its seed")]

use std::io::{Read, Write};
use std::path::PathBuf;

use assay_core::bundle::{self, entries};
use assay_core::secrets::Passphrase;
use assay_core::secrets::wrapped::KdfParams;

const PASSPHRASE: &str = "fuzzing corpus passphrase";
const CHEAPEST: KdfParams = KdfParams {
    memory_kib: 8,
    iterations: 1,
    parallelism: 1,
};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-corpus")
}

/// The corpus: payloads shaped like profile bundles (entries) and plain ones, around the
/// chunk boundary.
fn corpus_payloads() -> Vec<(&'static str, Vec<u8>)> {
    let entry = |kind: entries::Kind, bytes: &[u8]| {
        let mut out = Vec::new();
        entries::write_head(&mut out, kind, bytes.len() as u64).expect("write");
        out.extend_from_slice(bytes);
        out
    };
    let manifest = br#"{"format_version":1,"profile_name":"Fuzz"}"#;
    let profile_like = [
        entry(entries::Kind::Manifest, manifest),
        entry(entries::Kind::DatabaseKey, &[7u8; 32]),
        entry(entries::Kind::Database, &vec![0xA5; 3000]),
    ]
    .concat();
    vec![
        ("empty.bundle", Vec::new()),
        ("small.bundle", b"a small payload".to_vec()),
        ("profile-like.bundle", profile_like),
        ("one-full-chunk.bundle", vec![0xEE; bundle::stream::CHUNK]),
        (
            "two-chunks.bundle",
            (0..bundle::stream::CHUNK + 40).map(|i| i as u8).collect(),
        ),
    ]
}

fn corpus() -> Vec<(Vec<u8>, Vec<u8>)> {
    let update = std::env::var("ASSAY_UPDATE_CORPUS").is_ok_and(|v| v == "1");
    corpus_payloads()
        .into_iter()
        .map(|(name, payload)| {
            let path = corpus_dir().join(name);
            if update {
                let mut w = bundle::seal(Vec::new(), &pass(), CHEAPEST).expect("seal");
                w.write_all(&payload).expect("write");
                std::fs::write(&path, w.finish().expect("finish")).expect("write corpus");
            }
            let bytes = std::fs::read(&path).unwrap_or_else(|e| {
                panic!("{}: {e} (ASSAY_UPDATE_CORPUS=1 makes it)", path.display())
            });
            (bytes, payload)
        })
        .collect()
}

fn pass() -> Passphrase {
    Passphrase::new(PASSPHRASE.into())
}

/// Reads a bundle the way import does: the stream, then its entries if it looks like a
/// profile bundle. Returns the payload.
fn read(bytes: &[u8]) -> Result<Vec<u8>, assay_core::Error> {
    let mut reader = bundle::open(bytes, &pass())?;
    let mut payload = Vec::new();
    reader
        .read_to_end(&mut payload)
        .map_err(bundle::stream::read_error)?;
    let mut entries_reader = payload.as_slice();
    if payload.first() == Some(&1) {
        while let Some((_, len)) = entries::read_head(&mut entries_reader)? {
            let len = len.min(entries::MAX_SMALL);
            entries::read_small(&mut entries_reader, len)?;
        }
    }
    Ok(payload)
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut XorShift, bytes: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let rounds = 1 + rng.below(3);
    for _ in 0..rounds {
        let len = out.len();
        match rng.below(7) {
            0 => {
                let at = rng.below(len);
                if let Some(b) = out.get_mut(at) {
                    *b ^= 1 << rng.below(8);
                }
            }
            1 => {
                let at = rng.below(len);
                if let Some(b) = out.get_mut(at) {
                    *b = rng.next() as u8;
                }
            }
            2 => out.truncate(rng.below(len)),
            3 => {
                let at = rng.below(len + 1);
                let extra: Vec<u8> = (0..1 + rng.below(32)).map(|_| rng.next() as u8).collect();
                out.splice(at..at, extra);
            }
            4 => {
                let at = rng.below(len);
                let end = (at + 1 + rng.below(64)).min(len);
                out.drain(at..end);
            }
            5 => {
                let at = rng.below(len);
                let end = (at + 1 + rng.below(bundle::stream::SEALED_CHUNK)).min(len);
                let copy = out[at..end].to_vec();
                let to = rng.below(out.len() + 1);
                out.splice(to..to, copy);
            }
            _ => {
                // Another bundle's header on this payload, or the reverse.
                let h = bundle::header::HEADER_LEN.min(len).min(other.len());
                out[..h].copy_from_slice(&other[..h]);
            }
        }
    }
    out
}

#[test]
fn the_bundle_reader_rejects_every_mutation_and_never_panics() {
    let corpus = corpus();
    for (bytes, payload) in &corpus {
        assert_eq!(&read(bytes).expect("a corpus bundle opens"), payload);
    }
    let iterations: usize = std::env::var("ASSAY_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let seed = std::env::var("ASSAY_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    println!("bundle fuzz: {iterations} iterations, ASSAY_FUZZ_SEED={seed}");
    let mut rng = XorShift(seed);
    for i in 0..iterations {
        let (bytes, payload) = &corpus[rng.below(corpus.len())];
        let (other, _) = &corpus[rng.below(corpus.len())];
        let mutated = mutate(&mut rng, bytes, other);
        match read(&mutated) {
            Err(_) => {}
            Ok(read_back) => assert!(
                mutated == *bytes && read_back == *payload,
                "iteration {i} (ASSAY_FUZZ_SEED={seed}): a damaged bundle was accepted"
            ),
        }
    }
}
