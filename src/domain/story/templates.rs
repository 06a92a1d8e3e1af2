//! Template tokens (`{*name*}` in bundles, `{name}` in publishTemplatizedAction) and the
//! title and body a publish call makes of its templates.
//!
//! Invariant: a token is filled only from the values given; a template with a token the
//! values do not cover is refused (its name returned), never published with a hole.

use std::collections::HashMap;

use super::{StoryError, TemplateBundle};

/// How tokens are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenStyle {
    /// `{*actor*}`: template bundles.
    Bundle,
    /// `{actor}`: publishTemplatizedAction.
    Templatized,
}

impl TokenStyle {
    fn delimiters(self) -> (&'static str, &'static str) {
        match self {
            TokenStyle::Bundle => ("{*", "*}"),
            TokenStyle::Templatized => ("{", "}"),
        }
    }
}

/// The names of the tokens in `template`, in order of appearance, each once.
pub fn tokens(template: &str, style: TokenStyle) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (name, _, _) in token_spans(template, style) {
        if !out.iter().any(|t| t == name) {
            out.push(name.to_string());
        }
    }
    out
}

/// (name, start, end) of each well-formed token: a name of letters, digits and `_`.
fn token_spans(template: &str, style: TokenStyle) -> Vec<(&str, usize, usize)> {
    let (open, close) = style.delimiters();
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(at) = template[from..].find(open) {
        let start = from + at;
        let name_start = start + open.len();
        let Some(len) = template[name_start..].find(close) else {
            break;
        };
        let name = &template[name_start..name_start + len];
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            let end = name_start + len + close.len();
            spans.push((name, start, end));
            from = end;
        } else {
            from = name_start;
        }
    }
    spans
}

/// `template` with every token replaced from `values`; `Err(token)` names the first token
/// `values` does not cover.
pub fn fill(
    template: &str,
    style: TokenStyle,
    values: &HashMap<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 32);
    let mut last = 0;
    for (name, start, end) in token_spans(template, style) {
        let value = values.get(name).ok_or_else(|| name.to_string())?;
        out.push_str(&template[last..start]);
        out.push_str(value);
        last = end;
    }
    out.push_str(&template[last..]);
    Ok(out)
}

/// `feed.publishUserAction`: the first template of the size asked whose tokens the data
/// covers (Facebook's rule), filled in.
pub fn user_action_story(
    bundle: &TemplateBundle,
    size: u8,
    values: &HashMap<String, String>,
    body_general: &str,
) -> Result<(String, String), StoryError> {
    for (title, body) in bundle.candidates(size) {
        if let (Ok(title), Ok(body)) = (
            fill(title, TokenStyle::Bundle, values),
            fill(body, TokenStyle::Bundle, values),
        ) {
            let body = join_body(&body, body_general);
            return Ok((title, body));
        }
    }
    let missing = bundle
        .candidates(size)
        .first()
        .and_then(|(t, _)| fill(t, TokenStyle::Bundle, values).err())
        .unwrap_or_default();
    Err(StoryError::DataNotCovering(missing))
}

/// `feed.publishTemplatizedAction`'s title and body.
pub fn templatized_story(
    title_template: &str,
    title_values: &HashMap<String, String>,
    body_template: &str,
    body_values: &HashMap<String, String>,
    body_general: &str,
) -> Result<(String, String), StoryError> {
    if !tokens(title_template, TokenStyle::Templatized)
        .iter()
        .any(|t| t == "actor")
    {
        return Err(StoryError::Uncovered {
            body: false,
            token: "actor".into(),
        });
    }
    let title = fill(title_template, TokenStyle::Templatized, title_values)
        .map_err(|token| StoryError::Uncovered { body: false, token })?;
    let body = fill(body_template, TokenStyle::Templatized, body_values)
        .map_err(|token| StoryError::Uncovered { body: true, token })?;
    Ok((title, join_body(&body, body_general)))
}

fn join_body(body: &str, general: &str) -> String {
    match (body.trim().is_empty(), general.trim().is_empty()) {
        (_, true) => body.to_string(),
        (true, false) => general.to_string(),
        (false, false) => format!("{body} {general}"),
    }
}

/// `<a href="..">Name</a>`-free, escaped names joined the way a story reads them.
pub fn join_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
