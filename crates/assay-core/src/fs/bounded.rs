//! Reading a file or a stream a person names, with a size limit: `--file /dev/zero` or a
//! stray multi-gigabyte file is a clear error, never an out-of-memory.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// The largest preset file read (`assay preset save --file`).
pub const MAX_PRESET_FILE: u64 = 1024 * 1024;

/// The largest content document read (`assay content add --file`).
pub const MAX_CONTENT_FILE: u64 = 64 * 1024 * 1024;

/// The most read from standard input for keys and passphrases.
pub const MAX_STDIN_SECRET: u64 = 64 * 1024;

/// All of `reader` as UTF-8 text, or an error naming `what` when it holds more than `max`
/// bytes (only `max + 1` bytes are ever read).
pub fn read_text(reader: impl Read, max: u64, what: &str) -> Result<String> {
    let mut bytes = Vec::new();
    reader
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::InvalidInput(format!("could not read {what}: {e}")))?;
    if bytes.len() as u64 > max {
        return Err(Error::InvalidInput(format!(
            "{what} is larger than {}; nothing was read from it",
            size(max)
        )));
    }
    String::from_utf8(bytes).map_err(|_| Error::InvalidInput(format!("{what} is not UTF-8 text")))
}

/// The text of the file at `path`, at most `max` bytes.
pub fn read_file(path: &Path, max: u64) -> Result<String> {
    let file = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
    read_text(file, max, &path.display().to_string())
}

fn size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{} KiB", bytes / 1024)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_stream_is_refused_after_its_limit() {
        let endless = std::io::repeat(b'x');
        let err = read_text(endless, 1024, "the preset file").expect_err("too large");
        assert!(err.to_string().contains("larger than 1 KiB"), "{err}");
        assert_eq!(
            read_text(&b"{}"[..], 1024, "the preset file").expect("small"),
            "{}"
        );
        assert!(read_text(&[0xff_u8][..], 1024, "x").is_err(), "not UTF-8");
    }

    #[cfg(unix)]
    #[test]
    fn dev_zero_is_refused_not_read_forever() {
        let err = read_file(Path::new("/dev/zero"), MAX_PRESET_FILE).expect_err("refused");
        assert!(err.to_string().contains("/dev/zero"), "{err}");
    }
}
