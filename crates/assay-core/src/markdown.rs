//! Markdown to HTML for display (the app and reports). What it renders is often text a model
//! wrote, so it is untrusted input, made safe in two steps:
//! 1. raw HTML in the source is escaped, not passed through (it shows as text);
//! 2. the rendered HTML goes through ammonia's allowlist: no scripts, event handlers or
//!    styles, no images (a remote image would be a request the person did not make), links
//!    only to `http`, `https` and `mailto` addresses (no `javascript:`, `data:` or relative
//!    ones that could navigate the app), each marked `noopener noreferrer nofollow`.
//!
//! Following a link is the shell's and the person's decision (`links`), never the page's.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser};

/// The sanitiser every rendering goes through.
static CLEAN: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .rm_tags(["img"])
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer nofollow"));
    builder
});

/// Renders `text` to HTML that is safe to show: control characters shown as escapes
/// ([`crate::display::text`]), raw HTML escaped, then sanitised.
pub fn to_html(text: &str) -> String {
    let text = crate::display::text(text);
    let events = Parser::new_ext(
        &text,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    )
    .map(|e| match e {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events);
    CLEAN.clean(&out).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn markdown_renders_and_raw_html_is_escaped() {
        let html =
            super::to_html("# Title\n\n**bold** <img src=x onerror=alert(1)> <script>x</script>");
        assert!(
            html.contains("<h1>Title</h1>") && html.contains("<strong>bold</strong>"),
            "{html}"
        );
        assert!(
            !html.contains("<img") && !html.contains("<script"),
            "raw HTML must be escaped: {html}"
        );
    }

    #[test]
    fn dangerous_links_and_remote_images_do_not_survive() {
        let html = super::to_html(
            "[js](javascript:alert(1)) [data](data:text/html,x) [rel](/elsewhere) \
             ![remote](http://127.0.0.1:9/img.png) [web](https://example.org/page)",
        );
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("data:text"), "{html}");
        assert!(!html.contains("href=\"/elsewhere\""), "{html}");
        assert!(
            !html.contains("<img") && !html.contains("127.0.0.1"),
            "{html}"
        );
        assert!(
            html.contains("href=\"https://example.org/page\"")
                && html.contains("rel=\"noopener noreferrer nofollow\""),
            "a web link stays, marked: {html}"
        );
    }
}
