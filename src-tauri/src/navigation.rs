//! The main window never navigates away from the app: a link in a document, a redirect or a
//! script cannot take it to another page. Documents' links go through `open_external`, on the
//! person's click, to the system browser instead.

use tauri::plugin::{Builder, TauriPlugin};
use tauri::{Runtime, Url};

/// A plugin (no commands, so no permission) whose only job is the navigation guard.
pub fn guard<R: Runtime>() -> TauriPlugin<R> {
    Builder::new("navigation-guard")
        .on_navigation(|_webview, url| {
            let allowed = allowed(url);
            if !allowed {
                // The address came from content; only its scheme is logged.
                log::warn!(
                    "refused to navigate the window to a {} address",
                    url.scheme()
                );
            }
            allowed
        })
        .build()
}

/// The app's own pages: the bundled UI, its report scheme, and the dev server while
/// developing.
fn allowed(url: &Url) -> bool {
    match url.scheme() {
        "tauri" | "assay-report" => true,
        "http" | "https" if url.host_str() == Some("tauri.localhost") => true,
        "http" if tauri::is_dev() => {
            url.host_str() == Some("localhost") && url.port() == Some(5173)
        }
        "about" => url.as_str() == "about:blank",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_apps_own_pages_may_load_in_the_window() {
        for ok in [
            "tauri://localhost/index.html",
            "http://tauri.localhost/",
            "assay-report://localhost/abc",
        ] {
            assert!(allowed(&Url::parse(ok).expect("url")), "{ok}");
        }
        for bad in [
            "https://example.org/",
            "http://127.0.0.1:8080/",
            "javascript:alert(1)",
            "data:text/html,x",
            "file:///etc/passwd",
        ] {
            assert!(!allowed(&Url::parse(bad).expect("url")), "{bad}");
        }
    }
}
