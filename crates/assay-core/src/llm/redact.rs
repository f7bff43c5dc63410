//! Cutting a provider key out of text a server sent back (an error message that echoes the
//! key, whole or in part, plain, URL-encoded or in base64), before the text is cut to a
//! length or shown anywhere.
//!
//! Invariant: every run of 8 or more bytes of the key (or of one of its encodings) is
//! replaced, so a message cut at any length after redaction never shows more than 7
//! characters of the key in a row. A key shorter than 8 bytes is replaced wherever it
//! appears whole.

use std::collections::HashSet;

use base64::Engine;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// The shortest run of the key that is redacted wherever it appears.
const RUN: usize = 8;

/// What replaces a run of the key.
pub const MARK: &str = "[key]";

/// Redacts one key's forms from text.
pub struct KeyRedactor {
    /// Every `RUN`-byte window of every form of the key.
    windows: HashSet<Vec<u8>>,
    /// Forms shorter than `RUN`, replaced whole.
    short: Vec<String>,
}

impl std::fmt::Debug for KeyRedactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyRedactor(<redacted>)")
    }
}

impl KeyRedactor {
    /// A redactor for `key`: the key, its URL-encoded form and its base64 forms (standard
    /// and URL-safe, with and without padding; the padding is never part of a window).
    pub fn new(key: &str) -> Self {
        let mut forms = vec![
            key.to_owned(),
            utf8_percent_encode(key, NON_ALPHANUMERIC).to_string(),
        ];
        for engine in [
            &base64::engine::general_purpose::STANDARD_NO_PAD,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ] {
            forms.push(engine.encode(key.as_bytes()));
        }
        let mut windows = HashSet::new();
        let mut short = Vec::new();
        for form in forms.into_iter().filter(|f| !f.is_empty()) {
            if form.len() < RUN {
                short.push(form);
            } else {
                for w in form.as_bytes().windows(RUN) {
                    windows.insert(w.to_vec());
                }
            }
        }
        Self { windows, short }
    }

    /// `text` with every run of the key replaced by [`MARK`].
    pub fn redact(&self, text: &str) -> String {
        let bytes = text.as_bytes();
        let mut hidden = vec![false; bytes.len()];
        if bytes.len() >= RUN {
            for start in 0..=bytes.len() - RUN {
                if self.windows.contains(&bytes[start..start + RUN]) {
                    hidden[start..start + RUN].fill(true);
                }
            }
        }
        for form in &self.short {
            for (at, _) in text.match_indices(form.as_str()) {
                hidden[at..at + form.len()].fill(true);
            }
        }
        // Whole characters only: a character any of whose bytes is in a run is hidden.
        let mut out = String::with_capacity(text.len());
        let mut in_run = false;
        for (at, c) in text.char_indices() {
            if hidden[at..at + c.len_utf8()].iter().any(|h| *h) {
                if !in_run {
                    out.push_str(MARK);
                }
                in_run = true;
            } else {
                out.push(c);
                in_run = false;
            }
        }
        out
    }
}

/// A server's message cut to a length an error line can hold, on a character boundary,
/// with control characters shown as escapes ([`crate::display::text`]). Call it only on
/// text already redacted.
pub fn clip(text: &str) -> String {
    const MAX: usize = 300;
    let text = crate::display::text(text.trim());
    let text = text.as_ref();
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-proj-9fQ2xLm7Zr4TpW8vNc1KbYs6HdJe3Ua5";

    fn longest_key_run(text: &str, form: &str) -> usize {
        let mut best = 0;
        for start in 0..form.len() {
            for end in start + 1..=form.len() {
                if end - start > best && text.contains(&form[start..end]) {
                    best = end - start;
                }
            }
        }
        best
    }

    #[test]
    fn the_key_and_its_encodings_are_cut_out_wherever_they_appear() {
        let b64 = base64::engine::general_purpose::STANDARD.encode(KEY);
        let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(KEY);
        let encoded = utf8_percent_encode(KEY, NON_ALPHANUMERIC).to_string();
        let text = format!(
            "bad key {KEY}; again {encoded} and {b64} or {b64url}; part {} end",
            &KEY[5..20]
        );
        let r = KeyRedactor::new(KEY);
        let out = r.redact(&text);
        for form in [KEY, encoded.as_str(), b64.as_str(), b64url.as_str()] {
            assert!(
                longest_key_run(&out, form) < RUN,
                "no 8-byte run of {form:?} survives: {out}"
            );
        }
        assert!(out.starts_with("bad key [key]; again [key]"), "{out}");
        assert!(out.ends_with(" end"), "text around the key stays: {out}");
    }

    #[test]
    fn redacting_before_clipping_leaves_no_part_of_a_key_past_the_cut() {
        // 255 characters then the key: cut first, 45 of its characters would show.
        let text = format!("{}{KEY}", "x".repeat(255));
        let shown = clip(&KeyRedactor::new(KEY).redact(&text));
        assert!(longest_key_run(&shown, KEY) < RUN, "{shown}");
        assert!(shown.ends_with(MARK), "{shown}");
    }

    #[test]
    fn text_without_the_key_is_unchanged_and_multibyte_text_stays_whole() {
        let r = KeyRedactor::new(KEY);
        let text = "Modèle inconnu — “gpt-9” n’existe pas";
        assert_eq!(r.redact(text), text);
        let short = KeyRedactor::new("abc");
        assert_eq!(short.redact("key abc here"), "key [key] here");
        let wide = KeyRedactor::new("ключ-секрет-долгий");
        assert_eq!(wide.redact("x ключ-секрет-долгий y"), "x [key] y");
    }
}
