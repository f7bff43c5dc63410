//! The container against its specification: round trips at chunk boundaries, and every
//! single-byte flip and every truncation of a small bundle rejected with the right code.

use std::io::{Read, Write};

use super::*;
use crate::ErrorCode;
use crate::secrets::Passphrase;

/// Cheap Argon2 parameters: the format is the same, the tests stay fast.
const FAST: KdfParams = KdfParams {
    memory_kib: 8,
    iterations: 1,
    parallelism: 1,
};

fn pass() -> Passphrase {
    Passphrase::new("correct horse battery staple".into())
}

fn make(payload: &[u8]) -> Vec<u8> {
    let mut writer = seal(Vec::new(), &pass(), FAST).expect("seal");
    // Odd-sized writes, so chunking does not depend on how callers split their data.
    for piece in payload.chunks(7919) {
        writer.write_all(piece).expect("write");
    }
    writer.finish().expect("finish")
}

fn read(bundle: &[u8], passphrase: &Passphrase) -> Result<Vec<u8>> {
    let mut reader = open(bundle, passphrase)?;
    let mut out = Vec::new();
    reader.read_to_end(&mut out).map_err(stream::read_error)?;
    Ok(out)
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn payloads_round_trip_at_every_chunk_boundary() {
    let c = stream::CHUNK;
    for len in [0, 1, c - 1, c, c + 1, 2 * c, 2 * c + 5, 3 * c] {
        let data = payload(len);
        let bundle = make(&data);
        let chunks = len.div_ceil(c).max(1);
        assert_eq!(
            bundle.len(),
            header::HEADER_LEN + len + chunks * 16,
            "length of a {len}-byte payload"
        );
        assert_eq!(read(&bundle, &pass()).expect("open"), data, "{len} bytes");
    }
}

#[test]
fn the_payload_never_appears_in_the_bundle_and_two_bundles_share_nothing() {
    let data = b"provider key sk-live-THIS-MUST-NOT-LEAK ".repeat(100);
    let a = make(&data);
    let b = make(&data);
    let needle = b"THIS-MUST-NOT-LEAK";
    assert!(!a.windows(needle.len()).any(|w| w == needle));
    assert_ne!(
        a[header::HEADER_LEN..],
        b[header::HEADER_LEN..],
        "fresh keys per bundle"
    );
}

#[test]
fn a_payload_sealed_before_the_passphrase_is_stretched_opens_under_the_finished_header() {
    // Export writes the payload while the KDF runs, and the header in front of it afterwards.
    let pending = header::begin(FAST).expect("begin");
    let mut writer = StreamWriter::new(Vec::new(), pending.opened());
    writer.write_all(&payload(70_000)).expect("write");
    let sealed = writer.finish().expect("finish");
    let header = pending.finish(&pass()).expect("finish the header");
    let bundle = [header, sealed].concat();
    assert_eq!(read(&bundle, &pass()).expect("open"), payload(70_000));

    // The rest of the header is bound through the file key: another bundle's key check and
    // wrapped key (same passphrase) in front of this payload do not open it.
    let other = pending.finish(&pass()).expect("a second finish");
    assert_eq!(
        other,
        bundle[..header::HEADER_LEN],
        "finishing is deterministic"
    );
    // The checksum is recomputed, so only the keyed checks can stop it.
    let stranger = make(b"another bundle");
    let mut spliced = bundle.clone();
    let (fixed, signed) = (12 + 42, 12 + header::BODY_LEN);
    spliced[fixed..signed].copy_from_slice(&stranger[fixed..signed]);
    use sha2::Digest;
    let sum: [u8; 32] = sha2::Sha256::digest(&spliced[..signed]).into();
    spliced[signed..signed + 32].copy_from_slice(&sum);
    let err = read(&spliced, &pass()).expect_err("spliced header");
    assert!(
        matches!(err.code(), ErrorCode::Corrupt | ErrorCode::WrongPassphrase),
        "{err}"
    );
}

#[test]
fn a_wrong_passphrase_is_told_apart_from_damage() {
    let bundle = make(b"hello");
    let err = read(
        &bundle,
        &Passphrase::new("wrong horse battery staple".into()),
    )
    .expect_err("wrong passphrase");
    assert_eq!(err.code(), ErrorCode::WrongPassphrase);
    let mut damaged = bundle.clone();
    damaged[20] ^= 1;
    let err = read(&damaged, &pass()).expect_err("damaged");
    assert_eq!(
        err.code(),
        ErrorCode::Corrupt,
        "damage is not a wrong passphrase: {err}"
    );
}

#[test]
fn a_newer_version_is_refused_as_newer() {
    let mut bundle = make(b"from the future");
    bundle[8] = 2;
    let err = read(&bundle, &pass()).expect_err("newer");
    assert_eq!(err.code(), ErrorCode::NewerVersion);
    let err = read(b"not a bundle at all", &pass()).expect_err("not a bundle");
    assert_eq!(err.code(), ErrorCode::Corrupt);
}

#[test]
fn a_hostile_kdf_cost_is_refused_before_any_work() {
    let mut bundle = make(b"x");
    // memory_kib = 0xFFFF_FFFF, with the checksum recomputed so only the range check stops it.
    bundle[13..17].copy_from_slice(&u32::MAX.to_le_bytes());
    let signed = 12 + header::BODY_LEN;
    use sha2::Digest;
    let sum: [u8; 32] = sha2::Sha256::digest(&bundle[..signed]).into();
    bundle[signed..signed + 32].copy_from_slice(&sum);
    let err = read(&bundle, &pass()).expect_err("hostile");
    assert_eq!(err.code(), ErrorCode::Corrupt, "{err}");
}

/// Byte positions worth cutting or flipping in `bundle`: all of them if it is small, else
/// the header, a window around every chunk boundary and the end, and a stride through the rest.
fn positions(bundle: &[u8]) -> Vec<usize> {
    if bundle.len() <= 4096 {
        return (0..bundle.len()).collect();
    }
    let mut at: Vec<usize> = (0..header::HEADER_LEN + 64).collect();
    let mut boundary = header::HEADER_LEN;
    while boundary < bundle.len() {
        at.extend(boundary.saturating_sub(48)..(boundary + 48).min(bundle.len()));
        boundary += stream::SEALED_CHUNK;
    }
    at.extend(bundle.len().saturating_sub(48)..bundle.len());
    at.extend((0..bundle.len()).step_by(1021));
    at.sort_unstable();
    at.dedup();
    at
}

fn rejected(outcome: Result<Vec<u8>>, at: usize, what: &str) {
    match outcome {
        Err(e) if at >= header::HEADER_LEN => {
            assert_eq!(e.code(), ErrorCode::Corrupt, "{what} at byte {at}: {e}")
        }
        // In the header a flip may also read as a newer version or (for the key check
        // itself) a wrong passphrase; either way nothing opens.
        Err(e) => assert!(
            matches!(
                e.code(),
                ErrorCode::Corrupt | ErrorCode::NewerVersion | ErrorCode::WrongPassphrase
            ),
            "{what} at byte {at}: {e}"
        ),
        Ok(_) => panic!("{what} at byte {at} was accepted"),
    }
}

#[test]
fn every_single_byte_flip_and_every_truncation_of_a_small_bundle_is_rejected() {
    let data = payload(300);
    let bundle = make(&data);
    let mut damaged = bundle.clone();
    for at in 0..bundle.len() {
        damaged[at] ^= 0x5A;
        rejected(read(&damaged, &pass()), at, "a flip");
        damaged[at] ^= 0x5A;
        rejected(read(&bundle[..at], &pass()), at, "a cut");
    }
    let mut longer = bundle.clone();
    longer.push(0);
    rejected(read(&longer, &pass()), bundle.len(), "an appended byte");
    assert_eq!(read(&bundle, &pass()).expect("intact"), data);
}

#[test]
fn flips_and_cuts_around_every_chunk_boundary_of_a_larger_bundle_are_rejected() {
    let data = payload(2 * stream::CHUNK + 100);
    let bundle = make(&data);
    let at = positions(&bundle);
    assert!(
        at.len() > 600,
        "the sample covers the boundaries: {}",
        at.len()
    );
    let mut damaged = bundle.clone();
    for &at in &at {
        damaged[at] ^= 0x01;
        rejected(read(&damaged, &pass()), at, "a flip");
        damaged[at] ^= 0x01;
        rejected(read(&bundle[..at], &pass()), at, "a cut");
    }
    let mut longer = bundle.clone();
    longer.extend_from_slice(&bundle[bundle.len() - 16..]);
    rejected(read(&longer, &pass()), bundle.len(), "appended bytes");
    assert_eq!(read(&bundle, &pass()).expect("intact"), data);
}

#[test]
fn swapped_or_transplanted_chunks_are_rejected() {
    let data = payload(3 * stream::CHUNK);
    let bundle = make(&data);
    let (h, s) = (header::HEADER_LEN, stream::SEALED_CHUNK);
    let mut swapped = bundle.clone();
    swapped[h..h + s].copy_from_slice(&bundle[h + s..h + 2 * s]);
    swapped[h + s..h + 2 * s].copy_from_slice(&bundle[h..h + s]);
    assert_eq!(
        read(&swapped, &pass()).expect_err("swapped").code(),
        ErrorCode::Corrupt
    );

    // The same payload under another bundle's header (same passphrase) does not open.
    let other = make(&data);
    let transplanted = [&other[..h], &bundle[h..]].concat();
    assert_eq!(
        read(&transplanted, &pass())
            .expect_err("transplanted")
            .code(),
        ErrorCode::Corrupt
    );
}

#[test]
fn the_header_has_the_sizes_the_spec_gives() {
    // docs/bundle-format.md: a 106-byte body, a 182-byte header, 65 552 bytes per full chunk.
    assert_eq!(header::BODY_LEN, 106);
    assert_eq!(header::HEADER_LEN, 182);
    assert_eq!(stream::SEALED_CHUNK, 65_552);
    assert_eq!(
        make(b"").len(),
        182 + 16,
        "an empty payload is one empty last chunk"
    );
}

#[test]
fn batches_round_trip_and_cuts_flips_and_swaps_across_them_are_rejected() {
    let (c, b) = (stream::CHUNK, stream::BATCH);
    for len in [b * c - 1, b * c, b * c + 1, 2 * b * c + c + 3] {
        let data = payload(len);
        assert_eq!(
            read(&make(&data), &pass()).expect("open"),
            data,
            "{len} bytes"
        );
    }
    // Two whole batches: the stream's last chunk is full and ends a batch.
    let data = payload(2 * b * c);
    let bundle = make(&data);
    let (h, s) = (header::HEADER_LEN, stream::SEALED_CHUNK);
    // Every whole chunk short of the end, around the batch edge and at the very end.
    for k in [0, 1, b - 1, b, b + 1, 2 * b - 1] {
        rejected(
            read(&bundle[..h + k * s], &pass()),
            h + k * s,
            "a cut at a chunk edge",
        );
    }
    let mut longer = bundle.clone();
    longer.push(0);
    rejected(
        read(&longer, &pass()),
        bundle.len(),
        "a byte after a batch-aligned end",
    );
    // A flip in the second batch, and the two chunks either side of the batch edge swapped.
    let mut flipped = bundle.clone();
    flipped[h + (b + 3) * s + 100] ^= 1;
    rejected(read(&flipped, &pass()), h + (b + 3) * s + 100, "a flip");
    let mut swapped = bundle.clone();
    swapped[h + (b - 1) * s..h + b * s].copy_from_slice(&bundle[h + b * s..h + (b + 1) * s]);
    swapped[h + b * s..h + (b + 1) * s].copy_from_slice(&bundle[h + (b - 1) * s..h + b * s]);
    rejected(
        read(&swapped, &pass()),
        h + (b - 1) * s,
        "a swap across batches",
    );
}
