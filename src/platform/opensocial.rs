//! Platform `opensocial`: a generic OpenSocial 0.9 REST container (e.g. Apache Shindig).
//!
//! Invariants:
//! - One message per recipient, POSTed to `{endpoint}/messages/{requestor}/@outbox` (0.9)
//!   or `/messages/{requestor}/@self/@outbox` (1.0+, `outbox_under_self`).
//! - One activity per story, POSTed to `{endpoint}/activities/{requestor}/@self`, in plain
//!   text with the app's canvas URL.

use serde_json::json;

use super::{mobage, percent_encode};
use crate::domain::{fbml, App, Story, Upstream};

pub fn outbox_url(upstream: &Upstream, requestor: &str) -> String {
    let base = upstream.endpoint.trim_end_matches('/');
    let requestor = percent_encode(requestor);
    if upstream.outbox_under_self {
        format!("{base}/messages/{requestor}/@self/@outbox")
    } else {
        format!("{base}/messages/{requestor}/@outbox")
    }
}

/// One message; `canvas_base` is the app's canvas on fbbridge (`{public_url}/canvas/{api_key}/`),
/// where an old `apps.facebook.com` choice leads.
pub fn message_body(app: &App, fbml_content: &str, recipient: &str, canvas_base: &str) -> Vec<u8> {
    let rendered = fbml::render(fbml_content);
    let (link, label) = match rendered.choices.first() {
        Some(c) => match app.facebook_path(&c.url) {
            Some(path) => (format!("{canvas_base}{path}"), c.label.clone()),
            None if app.path_inside(&c.url).is_some() => (c.url.clone(), c.label.clone()),
            None => (app.canvas_url.clone(), app.name.clone()),
        },
        None => (app.canvas_url.clone(), app.name.clone()),
    };
    json!({
        "recipients": [recipient],
        "title": mobage::title(fbml_content),
        "body": fbml::plain_text(fbml_content),
        "type": "notification",
        "urls": [{"value": link, "linkText": label, "type": "alternate"}],
    })
    .to_string()
    .into_bytes()
}

pub fn activity_url(upstream: &Upstream, requestor: &str) -> String {
    format!(
        "{}/activities/{}/@self",
        upstream.endpoint.trim_end_matches('/'),
        percent_encode(requestor)
    )
}

pub fn activity_body(app: &App, story: &Story) -> Vec<u8> {
    let media: Vec<serde_json::Value> = story
        .images
        .iter()
        .map(|i| json!({"mimeType": crate::domain::story::image_mime(&i.src), "url": i.src, "type": "image"}))
        .collect();
    json!({
        "title": fbml::plain_text(&story.title),
        "body": fbml::plain_text(&story.body),
        "url": app.canvas_url,
        "mediaItems": media,
    })
    .to_string()
    .into_bytes()
}
