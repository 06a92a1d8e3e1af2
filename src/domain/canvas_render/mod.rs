//! FBML canvas pages to safe, phone-friendly HTML: the `fb:*` tags of `canvas.md` rendered
//! from the viewer's graph with lol_html (a streaming HTML rewriter), everything sanitised by
//! ammonia, then every link and form that points into the app rewritten into the canvas.
//!
//! Invariants:
//! - Three passes, in this order: fb:* tags (lol_html), sanitising (ammonia: no script,
//!   no `on*`, no `javascript:`/`data:`, no iframe/object/embed/base/meta, CSS without
//!   `url(`, `expression(`, `@import`, `behavior`), link rewriting (lol_html). No app markup
//!   reaches the page without passing the sanitiser.
//! - Text fbbridge itself writes (names, labels) is escaped before it joins the markup.
//! - An unknown `fb:*` tag is dropped with its text kept, and reported for the metric.

mod forms;
mod links;
mod tags;

pub use forms::MAX_SELECTABLE;

use std::collections::HashMap;

pub use links::{Links, Target};

use super::{GraphView, Profile, Uid};

/// Seals a request form's fixed fields (type, content, invite, action, method).
pub type Sealer<'a> = &'a dyn Fn(&[(&str, &str)]) -> String;

/// What a page is rendered for.
pub struct RenderContext<'a> {
    pub viewer: Uid,
    pub owner: Option<Uid>,
    pub view: &'a GraphView,
    pub links: &'a Links,
    /// Requests the viewer may still send today (caps the friend selector).
    pub remaining_quota: u32,
    /// `{public_url}/canvas/{api_key}/_fbb/request-form`
    pub request_form_url: String,
    /// Seals a request form's fixed fields.
    pub seal: Sealer<'a>,
    /// `fb:name linked`: `{id}` becomes the user's platform id.
    pub profile_url: Option<&'a str>,
    /// Platform ids of the visible users whose uid is an alias (others are their uid).
    pub platform_ids: &'a HashMap<Uid, String>,
}

impl RenderContext<'_> {
    fn profile(&self, uid: Uid) -> Option<&Profile> {
        self.view.profiles.get(&uid)
    }
}

/// A rendered page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RenderedPage {
    pub html: String,
    pub title: Option<String>,
    /// The first `fb:redirect` of the page.
    pub redirect: Option<String>,
    pub unknown_tags: Vec<String>,
}

fn sanitizer() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.add_tags([
        "form", "input", "button", "label", "select", "option", "textarea", "fieldset", "legend",
        "h1", "h2", "h3", "nav",
    ]);
    b.add_generic_attributes(["class", "style", "title"]);
    b.add_tag_attributes("form", ["action", "method"]);
    b.add_tag_attributes(
        "input",
        [
            "type",
            "name",
            "value",
            "checked",
            "placeholder",
            "maxlength",
            "size",
        ],
    );
    b.add_tag_attributes("button", ["type", "name", "value"]);
    b.add_tag_attributes("select", ["name", "multiple"]);
    b.add_tag_attributes("option", ["value", "selected"]);
    b.add_tag_attributes("textarea", ["name", "rows", "cols"]);
    b.add_tag_attributes("label", ["for"]);
    b.add_tag_attributes("img", ["width", "height"]);
    b.url_schemes(["http", "https"].into_iter().collect());
    b.clean_content_tags(["script", "style"].into_iter().collect());
    b.attribute_filter(|_element, attribute, value| {
        if attribute != "style" {
            return Some(value.into());
        }
        let lower = value.to_ascii_lowercase();
        let bad = [
            "url(",
            "expression(",
            "@import",
            "behavior",
            "javascript:",
            "\\",
        ];
        if bad.iter().any(|b| lower.contains(b)) {
            None
        } else {
            Some(value.into())
        }
    });
    b
}

/// Renders an app's FBML page.
pub fn render_page(fbml: &str, ctx: &RenderContext<'_>) -> RenderedPage {
    let (html, state) = tags::render_tags(fbml, ctx);
    let clean = sanitizer().clean(&html).to_string();
    RenderedPage {
        html: rewrite_links(&clean, ctx.links),
        title: state
            .title
            .filter(|t| !t.trim().is_empty())
            .map(|t| t.trim().to_string()),
        redirect: state.redirect,
        unknown_tags: state.unknown,
    }
}

/// Pass 3: links, form actions and images inside the app come back through the canvas;
/// a form that does gets the token as a field too (a GET form replaces the query).
fn rewrite_links(html: &str, links: &Links) -> String {
    use lol_html::{element, rewrite_str, RewriteStrSettings};
    let token = links.token.clone();
    let result = rewrite_str(
        html,
        RewriteStrSettings::new()
            .append_element_content_handler(element!("a[href], img[src]", |el| {
                let attr = if el.tag_name() == "a" { "href" } else { "src" };
                if let Some(v) = el.get_attribute(attr) {
                    let v = tags::decode_entities(&v);
                    if let Some(url) = links.rewrite(&v) {
                        el.set_attribute(attr, &attribute_safe(&url))?;
                    }
                }
                Ok(())
            }))
            .append_element_content_handler(element!("form", |el| {
                let action = el
                    .get_attribute("action")
                    .map(|a| tags::decode_entities(&a))
                    .unwrap_or_default();
                if action.starts_with(&links.canvas_base) {
                    return Ok(());
                }
                match links.rewrite(&action) {
                    Some(url) => {
                        el.set_attribute("action", &attribute_safe(&url))?;
                        el.prepend(
                            &format!(
                                r#"<input type="hidden" name="fbb_t" value="{}">"#,
                                tags::escape(&token)
                            ),
                            lol_html::html_content::ContentType::Html,
                        );
                    }
                    // A form that would post outside the app is not a form any more.
                    None => el.remove_and_keep_content(),
                }
                Ok(())
            })),
    );
    result.unwrap_or_default()
}

/// A URL as an attribute value lol_html writes verbatim: `&` as an entity, and characters
/// that could end the attribute or a tag percent-encoded (they are not valid in URLs).
fn attribute_safe(url: &str) -> String {
    url.replace('&', "&amp;")
        .replace('"', "%22")
        .replace('\'', "%27")
        .replace('<', "%3C")
        .replace('>', "%3E")
}

#[cfg(test)]
mod tests;
