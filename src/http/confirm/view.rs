//! The confirmation page as HTML: the askama template's data, the mixi dialog's data, and
//! the page's Content-Security-Policy.
//!
//! Invariants:
//! - Everything shown is escaped by askama, except the content, which is FBML rendered by
//!   `domain::fbml` (ammonia); the mixi data is JSON escaped for a `<script>` element.
//! - Forms may post only to the gateway and the app's own origins; a mixi page runs only
//!   its nonce'd script and the configured container scripts, and is framable (it lives in
//!   the gadget); every other page is not.

use std::collections::HashMap;

use askama::Template;
use chrono::{TimeZone, Utc};

use crate::domain::story::image_mime;
use crate::domain::{fbml, App, Profile, Uid};
use crate::http::page::frame_ancestors;
use crate::platform::mixi;
use crate::services::confirmation::{summary_line, ConfirmError, Page};

pub struct Hidden {
    pub name: &'static str,
    pub value: String,
}

/// A user as a page shows them: a name (or the uid) and maybe a square picture.
pub struct PersonChip {
    pub label: String,
    pub pic: Option<String>,
}

impl PersonChip {
    /// `fallback` is what stands for the user when the graph has no name for them.
    pub fn of(people: &HashMap<Uid, Profile>, uid: Uid, fallback: String) -> Self {
        let profile = people.get(&uid);
        PersonChip {
            label: profile.and_then(Profile::display_name).unwrap_or(fallback),
            pic: profile.and_then(|p| p.picture()).map(str::to_string),
        }
    }
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage<'a> {
    app_name: &'a str,
    from: PersonChip,
    recipients: Vec<PersonChip>,
    summary: String,
    content_html: String,
    choices: Vec<fbml::Choice>,
    image: Option<&'a str>,
    expires: String,
    hidden: Vec<Hidden>,
    mixi: Option<MixiPart>,
}

struct MixiPart {
    nonce: String,
    data_json: String,
    scripts: Vec<String>,
}

/// `scheme://host[:port]` of an http(s) URL (config URLs are validated as such).
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    let end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map(|i| after_scheme + i)
        .unwrap_or(url.len());
    &url[..end]
}

/// The fields that identify a page, repeated in every form it posts.
pub fn hidden_fields(page: &Page) -> Vec<Hidden> {
    let r = &page.record;
    let mut fields = vec![
        Hidden {
            name: "api_key",
            value: r.api_key.to_string(),
        },
        Hidden {
            name: "from",
            value: r.from.to_string(),
        },
        Hidden {
            name: "id",
            value: r.id.to_string(),
        },
        Hidden {
            name: "t",
            value: page.token.clone(),
        },
        Hidden {
            name: "csrf",
            value: page.csrf(),
        },
    ];
    if let Some(next) = &page.next {
        fields.push(Hidden {
            name: "next",
            value: next.clone(),
        });
    }
    if page.canvas {
        fields.push(Hidden {
            name: "canvas",
            value: "1".into(),
        });
    }
    if let Some(bridge) = &page.bridge {
        fields.push(Hidden {
            name: "fbb_b",
            value: bridge.clone(),
        });
    }
    fields
}

fn mixi_part(page: &Page, container_scripts: &[String]) -> MixiPart {
    let r = &page.record;
    let (url, mobile_url) = mixi::urls(&page.app, fbml::first_choice_url(&r.content).as_deref());
    let data = serde_json::json!({
        "recipients": r.recipients.iter().map(|x| x.uid.to_string()).collect::<Vec<_>>(),
        "body": fbml::plain_text(&r.content),
        "image": r.image,
        "image_mime": r.image.as_deref().map(image_mime),
        "url": url,
        "mobile_url": mobile_url,
        "invite": r.invite,
        "description": r.kind,
        "messages": {
            "scope": "mixi did not let this app send requests: it lacks the mixi_apps2 permission. Nothing was sent.",
            "failed": "mixi could not send the request. Nothing was sent.",
            "outside": "Open this page from inside the app on mixi to send the request.",
        },
    });
    let nonce: [u8; 16] = rand::random();
    MixiPart {
        nonce: hex::encode(nonce),
        data_json: fbml::escape_for_script(&data.to_string()).into_owned(),
        scripts: container_scripts.to_vec(),
    }
}

fn page_csp(app: &App, mixi: Option<&MixiPart>) -> String {
    let mut form_action = vec!["'self'".to_string(), origin(&app.callback_url).to_string()];
    form_action.push(origin(&app.canvas_url).to_string());
    form_action.dedup();
    let mut csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src http: https:; base-uri 'none'; form-action {}",
        form_action.join(" ")
    );
    if let Some(m) = mixi {
        csp.push_str(&format!("; script-src 'nonce-{}'", m.nonce));
        for s in &m.scripts {
            csp.push(' ');
            csp.push_str(s);
        }
        csp.push_str("; connect-src 'self'");
    }
    // A mixi page runs inside the app's gadget, framed by mixi's container by design.
    csp.push_str("; frame-ancestors ");
    csp.push_str(frame_ancestors(Some(app)));
    csp
}

/// The page's HTML and its CSP.
pub fn render(page: &Page) -> Result<(String, String), ConfirmError> {
    let r = &page.record;
    let rendered = fbml::render(&r.content);
    let mixi = match &page.app.platform {
        crate::domain::Platform::Mixi {
            container_scripts, ..
        } => Some(mixi_part(page, container_scripts)),
        _ => None,
    };
    let csp = page_csp(&page.app, mixi.as_ref());
    let expires = Utc
        .timestamp_millis_opt(r.expires_at_ms)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    let html = ConfirmPage {
        app_name: &page.app.name,
        from: PersonChip::of(&page.people, r.from, format!("user {}", r.from)),
        recipients: r
            .recipients
            .iter()
            .map(|x| PersonChip::of(&page.people, x.uid, x.uid.to_string()))
            .collect(),
        summary: summary_line(r.recipients.len(), &r.kind, r.invite),
        content_html: rendered.html,
        choices: rendered.choices,
        image: r.image.as_deref(),
        expires,
        hidden: hidden_fields(page),
        mixi,
    }
    .render()
    .map_err(|e| ConfirmError::Render(e.to_string()))?;
    Ok((html, csp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        assert_eq!(
            origin("http://apps.example.com:8080/x/?y"),
            "http://apps.example.com:8080"
        );
        assert_eq!(origin("https://a.example"), "https://a.example");
    }

    #[test]
    fn image_types() {
        assert_eq!(image_mime("http://x/a.GIF?v=1"), "image/gif");
        assert_eq!(image_mime("http://x/a.jpeg"), "image/jpeg");
        assert_eq!(image_mime("http://x/a"), "image/png");
    }
}
