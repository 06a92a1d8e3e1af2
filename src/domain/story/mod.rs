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

mod templates;
#[cfg(test)]
mod tests;

pub use self::templates::*;

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

/// A target list parsed from the story's own uids.
pub fn target_uids(story: &Story) -> Vec<Uid> {
    story.targets.iter().filter_map(|t| Uid::new(*t)).collect()
}
