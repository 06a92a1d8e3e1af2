//! Where the user goes after the confirmation page: always one of the app's own URLs.
//!
//! Invariants:
//! - The target is the app's `callback_url` (or `canvas_url` with `canvas`), optionally
//!   extended by a relative `next` path, plus `sent=1` / `sent=0`.
//! - A `next` that is absolute, protocol-relative, climbs with `..` (even percent-encoded),
//!   holds a backslash, control characters or white space, is ignored: nothing leads
//!   outside the app's own URLs.

use crate::domain::App;

/// `next` as a path to append under the app's base URL, or `None` when it must be ignored.
pub fn safe_next(next: &str) -> Option<String> {
    if next.is_empty() || next.len() > 1024 {
        return None;
    }
    if next
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return None;
    }
    if next.starts_with("//") {
        return None;
    }
    let path = next.trim_start_matches('/');
    // A scheme (`http:`, `javascript:`) before any `/`, `?` or `#` makes it absolute.
    let head_end = path.find(['/', '?', '#']).unwrap_or(path.len());
    if path[..head_end].contains(':') {
        return None;
    }
    let path_part = &path[..path.find(['?', '#']).unwrap_or(path.len())];
    let decoded = percent_decode(path_part).to_ascii_lowercase();
    if decoded
        .split(['/', '\\'])
        .any(|seg| seg == ".." || seg == ".")
        || decoded.contains('\\')
    {
        return None;
    }
    Some(path.to_string())
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

fn with_sent(url: &str, sent: bool) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let sep = if base.contains('?') {
        if base.ends_with('?') || base.ends_with('&') {
            ""
        } else {
            "&"
        }
    } else {
        "?"
    };
    let pair = serde_urlencoded::to_string([("sent", if sent { "1" } else { "0" })])
        .expect("plain pairs always encode");
    let mut out = format!("{base}{sep}{pair}");
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// The URL to send the user back to.
pub fn back_to_app(app: &App, next: Option<&str>, canvas: bool, sent: bool) -> String {
    let base = if canvas {
        &app.canvas_url
    } else {
        &app.callback_url
    };
    let target = match next.and_then(safe_next) {
        Some(path) if base.ends_with('/') => format!("{base}{path}"),
        Some(path) => format!("{base}/{path}"),
        None => base.clone(),
    };
    with_sent(&target, sent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_str;

    fn app() -> App {
        load_str(
            r#"
[store]
backend = "memory"
[[app]]
api_key = "k"
secret = "s"
callback_url = "http://apps.example.com/slicedbread/"
canvas_url = "http://apps.example.com/slicedbread/canvas/?ref=1"
"#,
            Vec::new(),
        )
        .unwrap()
        .apps
        .remove(0)
    }

    #[test]
    fn next_inside_the_app() {
        let a = app();
        assert_eq!(
            back_to_app(&a, None, false, true),
            "http://apps.example.com/slicedbread/?sent=1"
        );
        assert_eq!(
            back_to_app(&a, Some("/game/play?x=1"), false, true),
            "http://apps.example.com/slicedbread/game/play?x=1&sent=1"
        );
        assert_eq!(
            back_to_app(&a, Some("game/play?x=1"), false, true),
            "http://apps.example.com/slicedbread/game/play?x=1&sent=1"
        );
        assert_eq!(
            back_to_app(&a, Some("game#top"), false, false),
            "http://apps.example.com/slicedbread/game?sent=0#top"
        );
        assert_eq!(
            back_to_app(&a, None, true, true),
            "http://apps.example.com/slicedbread/canvas/?ref=1&sent=1"
        );
    }

    #[test]
    fn hostile_next_is_ignored() {
        let a = app();
        for evil in [
            "http://evil.example/",
            "//evil.example/",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,x",
            "../../evil",
            "game/../../evil",
            "%2e%2e/evil",
            "%2E%2E%2Fevil",
            "game/%2e%2e/%2e%2e/x",
            "a b",
            "x\r\nLocation: http://evil.example",
            "x\ty",
            "./x",
            "https:evil.example",
        ] {
            assert_eq!(
                back_to_app(&a, Some(evil), false, true),
                "http://apps.example.com/slicedbread/?sent=1",
                "{evil:?}"
            );
        }
        // Dots inside names are fine.
        assert_eq!(
            back_to_app(&a, Some("v1.2/x..y"), false, true),
            "http://apps.example.com/slicedbread/v1.2/x..y?sent=1"
        );
    }
}
