//! Markdown to HTML for display (the app and reports). Raw HTML in the source is escaped, not
//! passed through, so content can never inject markup or scripts where it is shown.

use pulldown_cmark::{Event, Options, Parser};

/// Renders `text` to HTML with any raw HTML escaped.
pub fn to_html(text: &str) -> String {
    let events =
        Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|e| {
            match e {
                Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
                other => other,
            }
        });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events);
    out
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
}
