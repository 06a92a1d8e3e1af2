//! FBML as the confirmation page shows it.
//!
//! Invariants:
//! - Request content allows text, `<a href>` links and `<fb:req-choice url label/>` buttons.
//!   Choices are lifted out by a small tag scanner; everything else goes through ammonia with
//!   only `a[href]` (http/https) and a few inline text tags allowed, so scripts, event
//!   handlers and `javascript:` URLs never survive.
//! - A choice whose `url` is not http(s) is dropped; labels are plain text.

use std::borrow::Cow;
use std::collections::HashSet;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub url: String,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// Sanitised HTML, safe to insert as is.
    pub html: String,
    pub choices: Vec<Choice>,
}

const CHOICE_TAG: &str = "fb:req-choice";

fn unescape(text: &str) -> String {
    let text = text.replace("&nbsp;", "\u{a0}");
    match quick_xml::escape::unescape(&text) {
        Ok(s) => s.into_owned(),
        Err(_) => text,
    }
}

fn is_http_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && !url.chars().any(char::is_control)
}

/// Parses the attributes of a tag starting right after its name; returns them and the
/// index just past the tag's closing `>` (or the end of input).
fn parse_attributes(s: &str) -> (Vec<(String, String)>, usize, bool) {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut attrs = Vec::new();
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() {
            return (attrs, i, true);
        }
        match bytes[i] {
            b'>' => return (attrs, i + 1, false),
            b'/' if bytes.get(i + 1) == Some(&b'>') => return (attrs, i + 2, true),
            b'/' => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let start = i;
        while i < bytes.len()
            && !bytes[i].is_ascii_whitespace()
            && !matches!(bytes[i], b'=' | b'>' | b'/')
        {
            i += 1;
        }
        let name = s[start..i].to_ascii_lowercase();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            match bytes.get(i) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let end = s[i + 1..]
                        .find(q as char)
                        .map(|e| i + 1 + e)
                        .unwrap_or(bytes.len());
                    value = unescape(&s[i + 1..end]);
                    i = (end + 1).min(bytes.len());
                }
                _ => {
                    let start = i;
                    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                        i += 1;
                    }
                    value = unescape(&s[start..i]);
                }
            }
        }
        if !name.is_empty() {
            attrs.push((name, value));
        }
    }
}

fn find_ci(hay: &str, needle: &str, from: usize) -> Option<usize> {
    hay.get(from..)?
        .to_ascii_lowercase()
        .find(needle)
        .map(|p| from + p)
}

/// Splits FBML into the content without choices, and the choices in order.
fn lift_choices(fbml: &str) -> (String, Vec<Choice>) {
    let mut rest = String::with_capacity(fbml.len());
    let mut choices = Vec::new();
    let open = format!("<{CHOICE_TAG}");
    let close = format!("</{CHOICE_TAG}>");
    let mut i = 0;
    while let Some(start) = find_ci(fbml, &open, i) {
        let after_name = start + open.len();
        // `<fb:req-choices>` is another tag: only a delimiter may follow the name.
        let next = fbml[after_name..].chars().next();
        if !matches!(next, None | Some('/') | Some('>')) && !next.is_some_and(char::is_whitespace) {
            rest.push_str(&fbml[i..after_name]);
            i = after_name;
            continue;
        }
        rest.push_str(&fbml[i..start]);
        let (attrs, consumed, self_closed) = parse_attributes(&fbml[after_name..]);
        let mut end = after_name + consumed;
        if !self_closed {
            if let Some(c) = find_ci(fbml, &close, end) {
                end = c + close.len();
            }
        }
        let get = |n: &str| {
            attrs
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.trim().to_string())
        };
        if let (Some(url), Some(label)) = (get("url"), get("label")) {
            if is_http_url(&url) && !label.is_empty() {
                choices.push(Choice { url, label });
            }
        }
        i = end;
    }
    rest.push_str(&fbml[i..]);
    (rest, choices)
}

fn sanitizer() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::empty();
    b.add_tags(["a", "b", "i", "em", "strong", "br", "u"])
        .add_tag_attributes("a", ["href"])
        .url_schemes(HashSet::from(["http", "https"]))
        .link_rel(Some("nofollow noopener noreferrer"))
        .clean_content_tags(HashSet::from(["script", "style"]));
    b
}

/// Content ready for the page: sanitised HTML plus the choices.
pub fn render(fbml: &str) -> Rendered {
    let (rest, choices) = lift_choices(fbml);
    Rendered {
        html: sanitizer().clean(&rest).to_string(),
        choices,
    }
}

/// [`render`], with each link and choice URL that `rewrite` maps (a link into the app, say)
/// replaced by what it answers; the result is still sanitised (an http(s) URL or nothing).
pub fn render_linking(
    fbml: &str,
    rewrite: impl Fn(&str) -> Option<String> + Send + Sync + Clone + 'static,
) -> Rendered {
    let (rest, choices) = lift_choices(fbml);
    let mut b = sanitizer();
    let links = rewrite.clone();
    b.attribute_filter(move |element, attribute, value| {
        if element == "a" && attribute == "href" {
            if let Some(to) = links(value) {
                return Some(Cow::Owned(to));
            }
        }
        Some(Cow::Borrowed(value))
    });
    Rendered {
        html: b.clean(&rest).to_string(),
        choices: choices
            .into_iter()
            .map(|c| Choice {
                url: rewrite(&c.url).unwrap_or(c.url),
                label: c.label,
            })
            .collect(),
    }
}

/// The `uid` attributes of the `<fb:name>` tags in `fbml`, each once, at most `max`.
pub fn name_uids(fbml: &str, max: usize) -> Vec<String> {
    use lol_html::{element, rewrite_str, RewriteStrSettings};
    let found = std::cell::RefCell::new(Vec::<String>::new());
    let _ = rewrite_str(
        fbml,
        RewriteStrSettings::new().append_element_content_handler(element!("*", |el| {
            if el.tag_name() == "fb:name" {
                let uid = el
                    .get_attribute("uid")
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                let mut found = found.borrow_mut();
                if !found.contains(&uid) && found.len() < max {
                    found.push(uid);
                }
            }
            Ok(())
        })),
    );
    found.into_inner()
}

/// `fbml` with each `<fb:name uid="…"/>` replaced by the name `name_of` gives for its uid
/// (HTML-escaped; "a friend" when it knows none), as a notification or a story reads to
/// its recipients. The tag's own output goes before it and the tag is dropped with its
/// content kept: a self-closing FBML tag is not self-closing in HTML.
pub fn with_names(fbml: &str, name_of: impl Fn(&str) -> Option<String>) -> String {
    use lol_html::html_content::ContentType;
    use lol_html::{element, rewrite_str, RewriteStrSettings};
    let rewritten = rewrite_str(
        fbml,
        RewriteStrSettings::new().append_element_content_handler(element!("*", |el| {
            if el.tag_name() != "fb:name" {
                return Ok(());
            }
            let uid = el.get_attribute("uid").unwrap_or_default();
            let name = name_of(uid.trim()).unwrap_or_else(|| "a friend".to_string());
            el.before(&name, ContentType::Text);
            el.remove_and_keep_content();
            Ok(())
        })),
    );
    rewritten.unwrap_or_else(|_| fbml.to_string())
}

/// The content as plain text (for platforms that take text, e.g. mixi's BODY).
pub fn plain_text(fbml: &str) -> String {
    let (rest, _) = lift_choices(fbml);
    let mut b = ammonia::Builder::empty();
    b.clean_content_tags(HashSet::from(["script", "style"]));
    let text = unescape(&b.clean(&rest).to_string());
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first choice's URL, if any.
pub fn first_choice_url(fbml: &str) -> Option<String> {
    lift_choices(fbml).1.into_iter().next().map(|c| c.url)
}

pub fn escape_for_script(json: &str) -> Cow<'_, str> {
    if json.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        Cow::Owned(
            json.replace('<', "\\u003c")
                .replace('>', "\\u003e")
                .replace('&', "\\u0026")
                .replace('\u{2028}', "\\u2028")
                .replace('\u{2029}', "\\u2029"),
        )
    } else {
        Cow::Borrowed(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_filled_in() {
        let names = |uid: &str| match uid {
            "1002" => Some("Alice <Smith>".to_string()),
            _ => None,
        };
        assert_eq!(
            with_names(
                r#"<fb:name uid="1002"/> fed your <b>cat</b>, <fb:name uid="9"/>!"#,
                names
            ),
            "Alice &lt;Smith&gt; fed your <b>cat</b>, a friend!"
        );
        assert_eq!(with_names("no names", names), "no names");
    }

    #[test]
    fn choices_are_lifted_and_text_kept() {
        let r = render(
            r#"Join me! <a href="http://a.example/x?y=1&amp;z=2">see</a> <fb:req-choice url="http://apps.example/x?a=1&b=2" label="Go" /> <fb:req-choice url='http://apps.example/no' label='No thanks'></fb:req-choice>"#,
        );
        assert_eq!(
            r.choices,
            vec![
                Choice {
                    url: "http://apps.example/x?a=1&b=2".into(),
                    label: "Go".into()
                },
                Choice {
                    url: "http://apps.example/no".into(),
                    label: "No thanks".into()
                },
            ]
        );
        assert!(r.html.starts_with("Join me! <a href=\"http://a.example/x?y=1&amp;z=2\" rel=\"nofollow noopener noreferrer\">see</a>"), "{}", r.html);
        assert!(!r.html.contains("req-choice"));
    }

    #[test]
    fn hostile_markup_does_not_survive() {
        for evil in [
            "<script>alert(1)</script>hi",
            "<img src=x onerror=alert(1)>hi",
            "<a href=\"javascript:alert(1)\">hi</a>",
            "<a href=\"http://ok.example\" onclick=\"alert(1)\">hi</a>",
            "<svg onload=alert(1)>hi",
            "<fb:req-choice url=\"javascript:alert(1)\" label=\"x\"/>hi",
            "<iframe src=\"http://evil.example\"></iframe>hi",
            "<style>body{display:none}</style>hi",
            "<fb:req-choice url=\"http://x.example\" label=\"<script>alert(1)</script>\"/>hi",
        ] {
            let r = render(evil);
            let lower = r.html.to_ascii_lowercase();
            for bad in [
                "<script",
                "onerror",
                "onclick",
                "javascript:",
                "<svg",
                "<iframe",
                "<style",
                "onload",
            ] {
                assert!(!lower.contains(bad), "{evil} -> {}", r.html);
            }
            assert!(
                r.choices.iter().all(|c| c.url.starts_with("http")),
                "{evil}"
            );
            assert!(r.html.contains("hi"), "{evil} -> {}", r.html);
        }
    }

    #[test]
    fn plain_text_and_first_url() {
        let fbml = r#"Play <b>now</b> &amp; win!  <fb:req-choice url="http://apps.example/p?q=1" label="Play"/>"#;
        assert_eq!(plain_text(fbml), "Play now & win!");
        assert_eq!(
            first_choice_url(fbml).as_deref(),
            Some("http://apps.example/p?q=1")
        );
        assert_eq!(first_choice_url("no choice"), None);
        // An unclosed tag at the end does not panic.
        assert_eq!(render("x <fb:req-choice url=\"http://a").choices, vec![]);
        assert_eq!(
            render("<FB:REQ-CHOICE URL=\"http://a.example\" LABEL=\"A\">")
                .choices
                .len(),
            1
        );
    }

    #[test]
    fn script_escaping() {
        assert_eq!(
            escape_for_script(r#"{"a":"</script>"}"#),
            r#"{"a":"\u003c/script\u003e"}"#
        );
    }
}
