//! Rendering results and errors as the old `restserver.php` did: XML, JSON or JSONP, always
//! with HTTP 200.
//!
//! Invariants:
//! - One function, [`render`], produces every body; handlers never format bodies themselves.
//! - A JSON error body starts exactly with `{"error_code"` (the Perl client looks for it).
//! - `request_args` is always present and echoes the received parameters, in order, up to
//!   [`ECHO_LIMIT`] of them.
//! - A `callback` is used only when it is a safe JavaScript name; otherwise the answer is
//!   given unwrapped. Inside a JSONP wrapper `<`, `>`, `&`, U+2028 and U+2029 are escaped,
//!   so no answer can close a `<script>` element.

use std::fmt::Write as _;

use super::params::Params;
use crate::domain::LegacyError;

pub const XML_CONTENT_TYPE: &str = "text/xml; charset=utf-8";
pub const JSON_CONTENT_TYPE: &str = "application/json";
pub const JSONP_CONTENT_TYPE: &str = "text/javascript";

const XML_DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;
const XML_NS: &str = r#"xmlns="http://api.facebook.com/1.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://api.facebook.com/1.0/ http://api.facebook.com/1.0/facebook.xsd""#;
/// fbOpen wrote no `xsi:schemaLocation` on `fql.query` answers, errors included.
const XML_NS_FQL: &str =
    r#"xmlns="http://api.facebook.com/1.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Xml,
    Json,
}

impl Format {
    /// `format` is case-insensitive; anything but JSON means XML, the default.
    pub fn from_params(params: &Params) -> Self {
        match params.get("format") {
            Some(f) if f.eq_ignore_ascii_case(b"json") => Format::Json,
            _ => Format::Xml,
        }
    }
}

/// How to answer: format plus an optional, already validated JSONP callback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub format: Format,
    pub callback: Option<String>,
    /// The call is `fql.query` (its XML root has no `xsi:schemaLocation`).
    pub fql: bool,
}

impl Answer {
    pub fn from_params(params: &Params) -> Self {
        let callback = params
            .get_str("callback")
            .filter(|c| is_safe_callback(c))
            .map(|c| c.into_owned());
        let method = params.get_str("method").unwrap_or_default();
        let fql = method.strip_prefix("facebook.").unwrap_or(&method) == "fql.query";
        Self {
            format: Format::from_params(params),
            callback,
            fql,
        }
    }

    fn namespaces(&self) -> &'static str {
        if self.fql {
            XML_NS_FQL
        } else {
            XML_NS
        }
    }
}

/// `^[A-Za-z_$][A-Za-z0-9_$.]*$`, at most 128 characters.
pub fn is_safe_callback(name: &str) -> bool {
    let bytes = name.as_bytes();
    match bytes.first() {
        Some(b) if b.is_ascii_alphabetic() || *b == b'_' || *b == b'$' => {}
        _ => return false,
    }
    bytes.len() <= 128
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'.'))
}

pub use super::tree::Value;
use super::tree::{write_json, write_xml};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub content_type: &'static str,
    pub body: String,
}

/// The XML root of a method's answer: `facebook.notifications.sendRequest` ->
/// `notifications_sendRequest_response`.
pub fn root_element(method: &str) -> String {
    let bare = method.strip_prefix("facebook.").unwrap_or(method);
    format!("{}_response", bare.replace('.', "_"))
}

fn xml_escape(text: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(text)
}

/// Renders a successful result of `method`.
pub fn render(method: &str, value: &Value, answer: &Answer) -> Rendered {
    match answer.format {
        Format::Xml => {
            let root = root_element(method);
            let mut body = String::with_capacity(400);
            body.push_str(XML_DECL);
            body.push('\n');
            write_xml(
                &mut body,
                &root,
                &format!(" {}", answer.namespaces()),
                value,
                0,
            );
            wrap_xml(body, answer)
        }
        Format::Json => {
            let mut body = String::with_capacity(64);
            write_json(&mut body, value);
            wrap_json(body, answer)
        }
    }
}

/// At most this many parameters are echoed in `request_args`, so that an answer stays small
/// whatever the request (a real call has about a dozen).
pub const ECHO_LIMIT: usize = 100;

/// Renders an error, echoing the received parameters (the first [`ECHO_LIMIT`]).
pub fn render_error(error: &LegacyError, params: &Params, answer: &Answer) -> Rendered {
    let code = error.code.code();
    let msg = error.public_message();
    match answer.format {
        Format::Xml => {
            let mut body = String::with_capacity(512 + params.len().min(ECHO_LIMIT) * 48);
            let _ = write!(
                body,
                "{XML_DECL}\n<error_response {}>\n  <error_code>{code}</error_code>\n  <error_msg>{}</error_msg>\n  <request_args list=\"true\">",
                answer.namespaces(),
                xml_escape(msg)
            );
            for (k, v) in params.iter().take(ECHO_LIMIT) {
                let _ = write!(
                    body,
                    "<arg><key>{}</key><value>{}</value></arg>",
                    xml_escape(&xml_safe(k)),
                    xml_escape(&xml_safe(&String::from_utf8_lossy(v)))
                );
            }
            body.push_str("</request_args>\n</error_response>");
            wrap_xml(body, answer)
        }
        Format::Json => {
            let mut body = String::with_capacity(128 + params.len().min(ECHO_LIMIT) * 48);
            let _ = write!(
                body,
                "{{\"error_code\":{code},\"error_msg\":{},\"request_args\":[",
                serde_json::to_string(msg).expect("strings serialise")
            );
            for (i, (k, v)) in params.iter().take(ECHO_LIMIT).enumerate() {
                if i > 0 {
                    body.push(',');
                }
                let _ = write!(
                    body,
                    "{{\"key\":{},\"value\":{}}}",
                    serde_json::to_string(k).expect("strings serialise"),
                    serde_json::to_string(&String::from_utf8_lossy(v)).expect("strings serialise")
                );
            }
            body.push_str("]}");
            wrap_json(body, answer)
        }
    }
}

/// XML 1.0 cannot carry most control characters, even escaped; echoed parameters lose them.
fn xml_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
    };
    if text.chars().any(bad) {
        text.chars()
            .map(|c| if bad(c) { '\u{FFFD}' } else { c })
            .collect::<String>()
            .into()
    } else {
        text.into()
    }
}

fn wrap_xml(body: String, answer: &Answer) -> Rendered {
    match &answer.callback {
        None => Rendered {
            content_type: XML_CONTENT_TYPE,
            body,
        },
        Some(cb) => {
            let mut out = String::with_capacity(body.len() + cb.len() + 8);
            out.push_str(cb);
            out.push_str("('");
            for c in body.chars() {
                push_js_escaped(&mut out, c, true);
            }
            out.push_str("');");
            Rendered {
                content_type: JSONP_CONTENT_TYPE,
                body: out,
            }
        }
    }
}

fn wrap_json(body: String, answer: &Answer) -> Rendered {
    match &answer.callback {
        None => Rendered {
            content_type: JSON_CONTENT_TYPE,
            body,
        },
        Some(cb) => {
            let mut out = String::with_capacity(body.len() + cb.len() + 4);
            out.push_str(cb);
            out.push('(');
            // The JSON text is already valid; only characters that could end a script element
            // or a JS string are rewritten, as \u escapes that JSON also accepts.
            for c in body.chars() {
                push_js_escaped(&mut out, c, false);
            }
            out.push_str(");");
            Rendered {
                content_type: JSONP_CONTENT_TYPE,
                body: out,
            }
        }
    }
}

fn push_js_escaped(out: &mut String, c: char, in_single_quoted_string: bool) {
    match c {
        '<' => out.push_str("\\u003C"),
        '>' => out.push_str("\\u003E"),
        '&' => out.push_str("\\u0026"),
        '\u{2028}' => out.push_str("\\u2028"),
        '\u{2029}' => out.push_str("\\u2029"),
        '\\' if in_single_quoted_string => out.push_str("\\\\"),
        '\'' if in_single_quoted_string => out.push_str("\\'"),
        '\n' if in_single_quoted_string => out.push_str("\\n"),
        '\r' if in_single_quoted_string => out.push_str("\\r"),
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ErrorCode;

    fn answer(format: Format, cb: Option<&str>) -> Answer {
        Answer {
            format,
            callback: cb.map(str::to_string),
            fql: false,
        }
    }

    #[test]
    fn callback_names() {
        for ok in ["cb", "$", "_x.y$1", "jQuery123_456"] {
            assert!(is_safe_callback(ok), "{ok}");
        }
        let long = "a".repeat(129);
        for bad in [
            "",
            "1cb",
            "a(b)",
            "a;alert(1)",
            "a b",
            "http://x",
            long.as_str(),
        ] {
            assert!(!is_safe_callback(bad), "{bad}");
        }
    }

    #[test]
    fn xml_string_result() {
        let r = render(
            "facebook.notifications.sendRequest",
            &Value::Str("http://g/send_req.php?from=1&id=6".into()),
            &answer(Format::Xml, None),
        );
        assert_eq!(r.content_type, XML_CONTENT_TYPE);
        assert_eq!(r.body, format!("{XML_DECL}\n<notifications_sendRequest_response {XML_NS}>http://g/send_req.php?from=1&amp;id=6</notifications_sendRequest_response>"));
    }

    #[test]
    fn empty_results() {
        let x = render(
            "notifications.sendRequest",
            &Value::Empty,
            &answer(Format::Xml, None),
        );
        assert!(x
            .body
            .ends_with(&format!("<notifications_sendRequest_response {XML_NS}/>")));
        let j = render(
            "notifications.sendRequest",
            &Value::Empty,
            &answer(Format::Json, None),
        );
        assert_eq!(j.body, "\"\"");
    }

    #[test]
    fn json_error_is_byte_exact() {
        let mut p = Params::new();
        p.insert("v".into(), b"1.0".to_vec());
        p.insert("q".into(), b"a\"<".to_vec());
        let e = LegacyError::new(ErrorCode::IncorrectSignature, "x");
        let r = render_error(&e, &p, &answer(Format::Json, None));
        assert_eq!(
            r.body,
            r#"{"error_code":104,"error_msg":"Incorrect signature","request_args":[{"key":"v","value":"1.0"},{"key":"q","value":"a\"<"}]}"#
        );
        let r = render_error(&e, &p, &answer(Format::Json, Some("cb")));
        assert_eq!(r.content_type, JSONP_CONTENT_TYPE);
        assert_eq!(
            r.body,
            r#"cb({"error_code":104,"error_msg":"Incorrect signature","request_args":[{"key":"v","value":"1.0"},{"key":"q","value":"a\"\u003C"}]});"#
        );
    }

    #[test]
    fn xml_error_in_jsonp_is_a_safe_js_string() {
        let mut p = Params::new();
        p.insert("x".into(), b"</script>'\\".to_vec());
        let e = LegacyError::new(ErrorCode::UnknownMethod, "x");
        let r = render_error(&e, &p, &answer(Format::Xml, Some("cb")));
        assert!(r.body.starts_with("cb('\\u003C?xml"));
        assert!(r.body.ends_with("');"));
        assert!(!r.body.contains('<'));
        assert!(r.body.contains("\\u0026apos;\\\\"), "{}", r.body);
        assert!(!r.body.contains('\n'));
    }
}
