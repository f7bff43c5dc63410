//! Text a person or a model typed, made safe to print: the one place the CLI's text output
//! and the report pass names (model names and labels, run titles, preset, content and
//! endpoint names) and server messages through.
//!
//! A control character (C0, DEL, C1: an escape sequence can clear a terminal, recolour it or
//! rewrite the title) and a bidirectional override (which can make text read backwards) is
//! shown as its `\u{…}` escape, so it is visible and inert. Everything else is kept.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal or a page as it is.
fn unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn escape(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| unsafe_char(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) && !keep(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A name on one line: every control character escaped, line breaks included.
pub fn name(text: &str) -> Cow<'_, str> {
    escape(text, |_| false)
}

/// Text of several lines (a reason, a server's message): control characters escaped, but
/// line breaks and tabs kept.
pub fn text(text: &str) -> Cow<'_, str> {
    escape(text, |c| matches!(c, '\n' | '\t'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_obeyed() {
        assert_eq!(
            name("gpt\u{1b}[2J\u{1b}[31mred"),
            "gpt\\u{1b}[2J\\u{1b}[31mred"
        );
        assert_eq!(name("two\nlines"), "two\\u{a}lines");
        assert_eq!(text("two\nlines\u{7}"), "two\nlines\\u{7}");
        assert_eq!(name("abc\u{202E}fed"), "abc\\u{202e}fed");
        assert_eq!(name("\u{9b}31m"), "\\u{9b}31m", "the 8-bit CSI too");
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        for plain in ["gpt-4o", "Straße — “quoted” 日本語", ""] {
            assert!(matches!(name(plain), Cow::Borrowed(_)), "{plain}");
        }
    }
}
