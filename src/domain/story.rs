//! Feed stories: template bundles, the tokens of their templates, and the story a publish
//! call makes.
//!
//! Invariants:
//! - A bundle's templates use `{*name*}` tokens; `feed.publishTemplatizedAction` uses
//!   `{name}`. `actor` and `target` are filled by the gateway (HTML-escaped names), every
//!   other token only from the call's data: a template whose tokens the data does not cover
//!   is refused, never published with a hole in it.
//! - Data values are inserted as FBML, as Facebook did; every page that shows a story
//!   sanitises it, and platforms receive its plain text.
//! - A story carries at most [`MAX_IMAGES`] images, each an http(s) URL.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::ids::Uid;

/// Images a story keeps (Facebook's image_1..image_4).
pub const MAX_IMAGES: usize = 4;
/// Template bundles an app may register.
pub const MAX_BUNDLES: usize = 100;
/// The longest template or data value accepted.
pub const MAX_TEXT: usize = 8 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoryImage {
    pub src: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
}

/// A published story, as stored and delivered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Story {
    /// FBML with the tokens filled in.
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub images: Vec<StoryImage>,
    /// Legacy uids of the story's targets (friends of the actor).
    #[serde(default)]
    pub targets: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoryTemplate {
    pub template_title: String,
    #[serde(default)]
    pub template_body: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionLink {
    pub text: String,
    pub href: String,
}

/// `feed.registerTemplateBundle`'s templates, as registered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateBundle {
    pub one_line: Vec<String>,
    #[serde(default)]
    pub short: Vec<StoryTemplate>,
    #[serde(default)]
    pub full: Option<StoryTemplate>,
    #[serde(default)]
    pub action_links: Vec<ActionLink>,
}

/// Why a bundle, a template or its data was refused; each maps to one legacy code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoryError {
    /// 144: a parameter that must be JSON is not.
    MalformedJson(String),
    /// 100: well-formed but not what the method takes.
    Invalid(String),
    /// 360 / 362: title_data or body_data is not a JSON object.
    BadData { body: bool },
    /// 361 / 363: the template's tokens are not all covered (or the title lacks {actor}).
    Uncovered { body: bool, token: String },
    /// 367: no template of the bundle is covered by the data.
    DataNotCovering(String),
}

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

fn json<T: serde::de::DeserializeOwned>(name: &str, raw: &str) -> Result<T, StoryError> {
    serde_json::from_str(raw).map_err(|e| StoryError::MalformedJson(format!("{name}: {e}")))
}

fn check_len(name: &str, text: &str) -> Result<(), StoryError> {
    if text.len() > MAX_TEXT {
        return Err(StoryError::Invalid(format!("{name} is too long")));
    }
    Ok(())
}

impl TemplateBundle {
    /// Reads `feed.registerTemplateBundle`'s parameters.
    pub fn parse(
        one_line: &str,
        short: Option<&str>,
        full: Option<&str>,
        action_links: Option<&str>,
    ) -> Result<Self, StoryError> {
        let one_line: Vec<String> = json("one_line_story_templates", one_line)?;
        if one_line.is_empty() {
            return Err(StoryError::Invalid(
                "one_line_story_templates is empty".into(),
            ));
        }
        let short: Vec<StoryTemplate> = match short.filter(|s| !s.trim().is_empty()) {
            Some(s) => json("short_story_templates", s)?,
            None => Vec::new(),
        };
        let full: Option<StoryTemplate> = match full.filter(|s| !s.trim().is_empty()) {
            Some(s) => Some(json("full_story_template", s)?),
            None => None,
        };
        let action_links: Vec<ActionLink> = match action_links.filter(|s| !s.trim().is_empty()) {
            Some(s) => json("action_links", s)?,
            None => Vec::new(),
        };
        let bundle = TemplateBundle {
            one_line,
            short,
            full,
            action_links,
        };
        for t in bundle.texts() {
            check_len("a template", t)?;
            if t.trim().is_empty() {
                return Err(StoryError::Invalid("an empty template".into()));
            }
        }
        for link in &bundle.action_links {
            check_len("an action link", &link.href)?;
            if !is_web_url(&link.href) {
                return Err(StoryError::Invalid(format!(
                    "action link `{}` is not an http(s) URL",
                    link.href
                )));
            }
        }
        Ok(bundle)
    }

    fn texts(&self) -> impl Iterator<Item = &str> {
        self.one_line
            .iter()
            .map(String::as_str)
            .chain(self.short.iter().map(|t| t.template_title.as_str()))
            .chain(self.full.iter().map(|t| t.template_title.as_str()))
    }

    /// The (title, body) templates of `size` (1 one line, 2 short, 4 full), in the bundle's
    /// order; a size the bundle lacks falls back to its one-line templates.
    fn candidates(&self, size: u8) -> Vec<(&str, &str)> {
        let short: Vec<(&str, &str)> = self
            .short
            .iter()
            .map(|t| (t.template_title.as_str(), t.template_body.as_str()))
            .collect();
        let full: Vec<(&str, &str)> = self
            .full
            .iter()
            .map(|t| (t.template_title.as_str(), t.template_body.as_str()))
            .collect();
        match size {
            2 if !short.is_empty() => short,
            4 if !full.is_empty() => full,
            _ => self.one_line.iter().map(|t| (t.as_str(), "")).collect(),
        }
    }
}

/// An image's MIME type, from its URL's extension (PNG when it says nothing).
pub fn image_mime(url: &str) -> &'static str {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if path.ends_with(".gif") {
        "image/gif"
    } else if path.ends_with(".jpg") || path.ends_with(".jpeg") {
        "image/jpeg"
    } else {
        "image/png"
    }
}

pub fn is_web_url(s: &str) -> bool {
    let lower = s.trim().to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")) && s.len() <= 2048
}

/// A call's template data: the values of its tokens, and the images it carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TemplateData {
    pub values: HashMap<String, String>,
    pub images: Vec<StoryImage>,
}

impl TemplateData {
    /// A JSON object of strings and numbers (plus `images`, a list of `{src, href}`); an
    /// empty parameter is no data. `Err(None)`: malformed JSON; `Err(Some(_))`: not an
    /// object of that shape.
    pub fn parse(raw: Option<&str>) -> Result<Self, Option<String>> {
        let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
            return Ok(Self::default());
        };
        let value: serde_json::Value = serde_json::from_str(raw).map_err(|_| None)?;
        let serde_json::Value::Object(map) = value else {
            return Err(Some("not a JSON object".into()));
        };
        let mut data = TemplateData::default();
        for (key, v) in map {
            if key == "images" {
                data.images = serde_json::from_value::<Vec<StoryImage>>(v)
                    .map_err(|e| Some(format!("images: {e}")))?;
                continue;
            }
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                _ => return Err(Some(format!("`{key}` is not a string"))),
            };
            if text.len() > MAX_TEXT {
                return Err(Some(format!("`{key}` is too long")));
            }
            data.values.insert(key, text);
        }
        Ok(data)
    }

    /// The values with the gateway's own tokens added (they win over the data's).
    pub fn with_people(&self, actor: &str, targets: Option<&str>) -> HashMap<String, String> {
        let mut values = self.values.clone();
        values.insert("actor".into(), actor.to_string());
        match targets {
            Some(t) => {
                values.insert("target".into(), t.to_string());
            }
            None => {
                values.remove("target");
            }
        }
        values
    }
}

/// Keeps the first [`MAX_IMAGES`] images with http(s) sources.
pub fn checked_images(images: Vec<StoryImage>) -> Result<Vec<StoryImage>, StoryError> {
    let mut out = Vec::new();
    for image in images {
        if !is_web_url(&image.src) {
            return Err(StoryError::Invalid(format!(
                "image `{}` is not an http(s) URL",
                image.src
            )));
        }
        let href = image.href.filter(|h| !h.trim().is_empty());
        if let Some(h) = &href {
            if !is_web_url(h) {
                return Err(StoryError::Invalid(format!(
                    "image link `{h}` is not an http(s) URL"
                )));
            }
        }
        if out.len() < MAX_IMAGES {
            out.push(StoryImage {
                src: image.src,
                href,
            });
        }
    }
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

/// A target list parsed from the story's own uids.
pub fn target_uids(story: &Story) -> Vec<Uid> {
    story.targets.iter().filter_map(|t| Uid::new(*t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn tokens_in_both_styles() {
        assert_eq!(
            tokens(
                "{*actor*} fed {*target*} a {*food*}, {*actor*}!",
                TokenStyle::Bundle
            ),
            vec!["actor", "target", "food"]
        );
        assert_eq!(
            tokens(
                "{actor} fed {pet} {not a token} {}",
                TokenStyle::Templatized
            ),
            vec!["actor", "pet"]
        );
        assert!(tokens("no tokens {* here", TokenStyle::Bundle).is_empty());
    }

    #[test]
    fn fill_names_the_first_missing_token() {
        let v = values(&[("actor", "Ann"), ("food", "sandwich")]);
        assert_eq!(
            fill("{*actor*} ate a {*food*}", TokenStyle::Bundle, &v).unwrap(),
            "Ann ate a sandwich"
        );
        assert_eq!(
            fill(
                "{*actor*} gave {*target*} a {*gift*}",
                TokenStyle::Bundle,
                &v
            )
            .unwrap_err(),
            "target"
        );
    }

    #[test]
    fn bundles_parse_and_refuse() {
        let b = TemplateBundle::parse(
            r#"["{*actor*} fed {*target*}", "{*actor*} played"]"#,
            Some(r#"[{"template_title":"{*actor*} fed","template_body":"a {*food*}"}]"#),
            None,
            Some(r#"[{"text":"Play","href":"http://apps.facebook.com/bread/"}]"#),
        )
        .unwrap();
        assert_eq!(b.one_line.len(), 2);
        assert_eq!(b.short.len(), 1);
        assert!(matches!(
            TemplateBundle::parse("[nope", None, None, None),
            Err(StoryError::MalformedJson(_))
        ));
        assert!(matches!(
            TemplateBundle::parse("[]", None, None, None),
            Err(StoryError::Invalid(_))
        ));
        assert!(matches!(
            TemplateBundle::parse(r#"{"a":1}"#, None, None, None),
            Err(StoryError::MalformedJson(_))
        ));
        assert!(matches!(
            TemplateBundle::parse(
                r#"["x"]"#,
                None,
                None,
                Some(r#"[{"text":"x","href":"javascript:alert(1)"}]"#)
            ),
            Err(StoryError::Invalid(_))
        ));
    }

    #[test]
    fn user_action_takes_the_first_covered_template() {
        let b = TemplateBundle::parse(
            r#"["{*actor*} fed {*target*} a {*food*}", "{*actor*} fed a pet"]"#,
            None,
            None,
            None,
        )
        .unwrap();
        let data = TemplateData::parse(Some(r#"{"food":"sandwich"}"#)).unwrap();
        let with_target = data.with_people("Ann", Some("Bob"));
        assert_eq!(
            user_action_story(&b, 1, &with_target, "").unwrap().0,
            "Ann fed Bob a sandwich"
        );
        let alone = data.with_people("Ann", None);
        assert_eq!(
            user_action_story(&b, 1, &alone, "").unwrap().0,
            "Ann fed a pet"
        );
        let strict =
            TemplateBundle::parse(r#"["{*actor*} ate {*food*}"]"#, None, None, None).unwrap();
        assert_eq!(
            user_action_story(
                &strict,
                1,
                &TemplateData::default().with_people("Ann", None),
                ""
            ),
            Err(StoryError::DataNotCovering("food".into()))
        );
    }

    #[test]
    fn template_data_shapes() {
        let d = TemplateData::parse(Some(
            r#"{"n":3,"pet":"cat","images":[{"src":"http://i.example/1.png","href":"http://a.example/"}]}"#,
        ))
        .unwrap();
        assert_eq!(d.values["n"], "3");
        assert_eq!(d.images.len(), 1);
        assert_eq!(
            TemplateData::parse(Some("[1]")),
            Err(Some("not a JSON object".into()))
        );
        assert_eq!(TemplateData::parse(Some("{")), Err(None));
        assert_eq!(TemplateData::parse(Some("")), Ok(TemplateData::default()));
        assert!(TemplateData::parse(Some(r#"{"a":{"b":1}}"#)).is_err());
    }

    #[test]
    fn templatized_needs_actor_and_covered_tokens() {
        let v = values(&[("actor", "Ann"), ("pet", "cat")]);
        assert_eq!(
            templatized_story("{actor} fed the {pet}", &v, "", &v, "Yum").unwrap(),
            ("Ann fed the cat".to_string(), "Yum".to_string())
        );
        assert!(matches!(
            templatized_story("fed the {pet}", &v, "", &v, ""),
            Err(StoryError::Uncovered { body: false, .. })
        ));
        assert!(matches!(
            templatized_story("{actor} hi", &v, "{food}", &v, ""),
            Err(StoryError::Uncovered { body: true, .. })
        ));
    }

    #[test]
    fn images_are_checked_and_capped() {
        let img = |s: &str| StoryImage {
            src: s.into(),
            href: None,
        };
        let five = (0..5)
            .map(|i| img(&format!("http://i.example/{i}.png")))
            .collect();
        assert_eq!(checked_images(five).unwrap().len(), 4);
        assert!(checked_images(vec![img("javascript:x")]).is_err());
    }

    #[test]
    fn names_join() {
        let n = |v: &[&str]| join_names(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(n(&["Bob"]), "Bob");
        assert_eq!(n(&["Bob", "Cy"]), "Bob and Cy");
        assert_eq!(n(&["A", "B", "C"]), "A, B and C");
    }
}
