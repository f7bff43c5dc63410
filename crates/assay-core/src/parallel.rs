//! Work on the pieces of a buffer spread over a few threads: how the bundle stream seals and
//! opens its chunks and how import re-keys database pages, a batch at a time.

use std::io;

/// Most threads one batch is spread over.
const MAX_THREADS: usize = 4;

/// How many threads a batch is spread over: the available cores, at most [`MAX_THREADS`].
/// Ask once per stream (on Linux the answer reads cgroup files).
pub(crate) fn threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, MAX_THREADS)
}

/// Runs `work(index, piece)` on each `piece_len`-byte piece of `buf` (the last possibly
/// shorter), numbering them from `first`, spread over up to `threads` threads; the first error
/// wins.
pub(crate) fn each_piece(
    buf: &mut [u8],
    piece_len: usize,
    first: u64,
    threads: usize,
    work: &(dyn Fn(u64, &mut [u8]) -> io::Result<()> + Sync),
) -> io::Result<()> {
    let count = buf.len().div_ceil(piece_len);
    let threads = threads.min(count);
    let run = |part: &mut [u8], from: u64| -> io::Result<()> {
        for (i, piece) in part.chunks_mut(piece_len).enumerate() {
            work(from + i as u64, piece)?;
        }
        Ok(())
    };
    if threads <= 1 {
        return run(buf, first);
    }
    let per_thread = count.div_ceil(threads);
    std::thread::scope(|scope| {
        let mut parts = buf.chunks_mut(per_thread * piece_len).enumerate();
        let (_, own) = parts.next().expect("at least one part");
        let helpers: Vec<_> = parts
            .map(|(n, part)| {
                let from = first + (n * per_thread) as u64;
                scope.spawn(move || run(part, from))
            })
            .collect();
        let mut result = run(own, first);
        for helper in helpers {
            let joined = helper
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            result = result.and(joined);
        }
        result
    })
}
