//! A legacy answer as a tree, and its XML and JSON forms as fbOpen's serialisers wrote them.
//!
//! Invariants:
//! - XML is pretty-printed like PHP's xmlwriter with a two-space indent: every element on
//!   its own line, scalars inline with no whitespace, an empty list self-closed with
//!   `list="true"` (Facebooker needs the whitespace text nodes).
//! - JSON keeps the order the tree gives (the order the method asked for), uids and
//!   integers are numbers, booleans are `true`/`false`, an empty list is `[]` (`graph.md`).
//! - All text goes through quick-xml's escaper or serde_json's; nothing else writes text.

use std::borrow::Cow;
use std::fmt::Write as _;

/// A method's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// No value: a self-closed element, `""` in JSON.
    Empty,
    Str(String),
    Int(i64),
    /// A user id: a number in JSON, whatever its size.
    Uid(u64),
    /// `1`/`0` in XML, `true`/`false` in JSON.
    Bool(bool),
    /// Hidden: `xsi:nil="true"` in XML, `null` in JSON.
    Nil,
    /// `list="true"`; each item is an element named `item`.
    List {
        item: Cow<'static, str>,
        items: Vec<Value>,
    },
    /// A struct: its members, in order.
    Object(Vec<(Cow<'static, str>, Value)>),
}

impl Value {
    pub fn list(item: impl Into<Cow<'static, str>>, items: Vec<Value>) -> Self {
        Value::List {
            item: item.into(),
            items,
        }
    }
}

fn escape(text: &str) -> Cow<'_, str> {
    quick_xml::escape::escape(text)
}

fn indent(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// Writes `value` as the element `name` (with `attrs` already formatted, each led by a
/// space) at `depth`; the caller has placed the cursor where the element starts.
pub fn write_xml(out: &mut String, name: &str, attrs: &str, value: &Value, depth: usize) {
    match value {
        Value::Empty => {
            let _ = write!(out, "<{name}{attrs}/>");
        }
        Value::Str(s) if s.is_empty() => {
            let _ = write!(out, "<{name}{attrs}/>");
        }
        Value::Str(s) => {
            let _ = write!(out, "<{name}{attrs}>{}</{name}>", escape(s));
        }
        Value::Int(i) => {
            let _ = write!(out, "<{name}{attrs}>{i}</{name}>");
        }
        Value::Uid(u) => {
            let _ = write!(out, "<{name}{attrs}>{u}</{name}>");
        }
        Value::Bool(b) => {
            let _ = write!(out, "<{name}{attrs}>{}</{name}>", u8::from(*b));
        }
        Value::Nil => {
            let _ = write!(out, "<{name}{attrs} xsi:nil=\"true\"/>");
        }
        Value::List { item, items } => {
            if items.is_empty() {
                let _ = write!(out, "<{name}{attrs} list=\"true\"/>");
                return;
            }
            let _ = write!(out, "<{name}{attrs} list=\"true\">");
            for v in items {
                indent(out, depth + 1);
                write_xml(out, item, "", v, depth + 1);
            }
            indent(out, depth);
            let _ = write!(out, "</{name}>");
        }
        Value::Object(members) => {
            if members.is_empty() {
                let _ = write!(out, "<{name}{attrs}/>");
                return;
            }
            let _ = write!(out, "<{name}{attrs}>");
            for (k, v) in members {
                indent(out, depth + 1);
                write_xml(out, k, "", v, depth + 1);
            }
            indent(out, depth);
            let _ = write!(out, "</{name}>");
        }
    }
}

fn json_string(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).expect("strings serialise"));
}

pub fn write_json(out: &mut String, value: &Value) {
    match value {
        Value::Empty => out.push_str("\"\""),
        Value::Str(s) => json_string(out, s),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Uid(u) => {
            let _ = write!(out, "{u}");
        }
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Nil => out.push_str("null"),
        Value::List { items, .. } => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, v);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(out, k);
                out.push(':');
                write_json(out, v);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(uid: u64, name: &str) -> Value {
        Value::Object(vec![
            ("uid".into(), Value::Uid(uid)),
            ("name".into(), Value::Str(name.into())),
            ("quotes".into(), Value::Empty),
            ("is_app_user".into(), Value::Bool(true)),
            ("meeting_sex".into(), Value::list("sex", vec![])),
        ])
    }

    #[test]
    fn xml_is_pretty_printed_like_xmlwriter() {
        let mut out = String::new();
        let v = Value::list("user", vec![user(1, "A & B")]);
        write_xml(&mut out, "r", " a=\"1\"", &v, 0);
        assert_eq!(
            out,
            "<r a=\"1\" list=\"true\">\n  <user>\n    <uid>1</uid>\n    <name>A &amp; B</name>\n    <quotes/>\n    <is_app_user>1</is_app_user>\n    <meeting_sex list=\"true\"/>\n  </user>\n</r>"
        );
    }

    #[test]
    fn json_keeps_order_and_types() {
        let mut out = String::new();
        write_json(
            &mut out,
            &Value::list("user", vec![user(9007199254740993, "\"x\"")]),
        );
        assert_eq!(
            out,
            r#"[{"uid":9007199254740993,"name":"\"x\"","quotes":"","is_app_user":true,"meeting_sex":[]}]"#
        );
        let mut nil = String::new();
        write_json(&mut nil, &Value::Nil);
        assert_eq!(nil, "null");
    }
}
