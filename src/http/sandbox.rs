//! The sandbox container's pages: `GET /sandbox/{api_key}/inbox/{uid}` (requests and
//! notifications received) and `GET /sandbox/{api_key}/feed/{uid}` (stories published).
//!
//! Invariants:
//! - The HTML page escapes everything it shows (askama's default), except each request's
//!   content, which is FBML rendered by the confirmation page's sanitiser (`domain::fbml`);
//!   it carries the same security headers as every other page.
//! - Each request reads as its recipient saw it on Facebook: "Alice sent you a sandwich
//!   invitation", the content, each `fb:req-choice` as a button to its URL.
//! - JSON is answered when the client asks for it (`Accept: application/json`).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Serialize;

use super::page::html;
use super::state::AppState;
use std::collections::HashMap;

use super::confirm::view::PersonChip;
use crate::domain::app::facebook_path;
use crate::domain::{fbml, ApiKey, App, InboxItem, InboxItemKind, Profile, Uid};
use crate::platform::url::with_query;
use crate::services::inbox;
use crate::store::APP_SENDER;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sandbox/{api_key}/inbox/{uid}", web::get().to(inbox_page))
        .route("/sandbox/{api_key}/feed/{uid}", web::get().to(feed_page));
}

/// The inbox page runs no script and posts nowhere.
const INBOX_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src http: https:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// A sandbox list as JSON: `{"uid","items":[...]}`.
#[derive(Serialize)]
struct ListJson<'a, T> {
    uid: String,
    items: &'a [T],
}

/// One request as its recipient saw it on Facebook.
struct Entry {
    sender: PersonChip,
    headline: String,
    content_html: String,
    choices: Vec<fbml::Choice>,
    image: Option<String>,
    when: String,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage<'a> {
    app_name: &'a str,
    owner: PersonChip,
    entries: Vec<Entry>,
}

/// `2026-12-01T10:15:00.123+00:00` -> `2026-12-01 10:15 UTC`.
fn readable_time(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string()
        })
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// Renders content shown to `owner` in the sandbox: an old `apps.facebook.com` link of the
/// app becomes the sandbox's launch URL of its path, for the owner (`notify.md`).
fn render_for(content: &str, app: &App, base: &str, owner: Uid) -> fbml::Rendered {
    let Some(name) = app.canvas_name().map(str::to_string) else {
        return fbml::render(content);
    };
    let launch = format!("{base}/sandbox/{}/launch/{owner}", app.api_key);
    fbml::render_linking(content, move |url| {
        facebook_path(&name, url).map(|path| with_query(&launch, "path", path))
    })
}

fn entry(
    item: &InboxItem,
    people: &HashMap<Uid, Profile>,
    app: &App,
    base: &str,
    owner: Uid,
) -> Entry {
    let app_name = app.name.as_str();
    let from = Uid::parse(&item.from);
    let sender = match from {
        Some(uid) if uid.get() == APP_SENDER => PersonChip {
            label: app_name.to_string(),
            pic: None,
        },
        Some(uid) => PersonChip::of(people, uid, format!("User {uid}")),
        None => PersonChip {
            label: format!("User {}", item.from),
            pic: None,
        },
    };
    let rendered = render_for(&item.content, app, base, owner);
    if item.item == InboxItemKind::Notification {
        return Entry {
            headline: format!("Notification from {}", sender.label),
            sender,
            content_html: rendered.html,
            choices: rendered.choices,
            image: None,
            when: readable_time(&item.received_at),
        };
    }
    let what = if item.invite { "invitation" } else { "request" };
    let article = if item
        .kind
        .starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U'])
    {
        "an"
    } else {
        "a"
    };
    Entry {
        headline: format!("{} sent you {article} {} {what}", sender.label, item.kind),
        sender,
        content_html: rendered.html,
        choices: rendered.choices,
        image: item.image.clone(),
        when: readable_time(&item.received_at),
    }
}

fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// The app and user a sandbox page is of, when both exist.
fn owner<'s>(state: &'s AppState, api_key: &str, uid: &str) -> Option<(ApiKey, &'s App, Uid)> {
    let api_key = ApiKey::parse(api_key)?;
    let app = state.config.app(api_key.as_str())?;
    Some((api_key, app, Uid::parse(uid)?))
}

/// The page's answer when the store cannot be read.
fn unavailable(what: &str, e: impl std::fmt::Display) -> HttpResponse {
    tracing::warn!(error = %e, "{what} read failed");
    plain(
        StatusCode::SERVICE_UNAVAILABLE,
        "store unavailable, try again\n",
    )
}

fn plain(status: StatusCode, text: &'static str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(text)
}

#[tracing::instrument(name = "sandbox_inbox", skip_all, fields(api_key = %path.0))]
async fn inbox_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let Some((api_key, app, uid)) = owner(&state, &path.0, &path.1) else {
        return plain(StatusCode::NOT_FOUND, "no such app or user\n");
    };
    let (items, people) = match inbox::read_with_people(&state.store, &api_key, uid).await {
        Ok(found) => found,
        Err(e) => return unavailable("inbox", e),
    };
    if wants_json(&req) {
        return HttpResponse::Ok().json(ListJson {
            uid: uid.to_string(),
            items: &items,
        });
    }
    let page = InboxPage {
        app_name: &app.name,
        owner: PersonChip::of(&people, uid, format!("user {uid}")),
        entries: items
            .iter()
            .map(|i| entry(i, &people, app, state.config.public_base(), uid))
            .collect(),
    };
    match page.render() {
        Ok(body) => html(StatusCode::OK, body, INBOX_CSP),
        Err(e) => {
            tracing::error!(error = %e, "inbox template failed");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "something went wrong\n")
        }
    }
}

/// One story as its actor's friends saw it on Facebook.
struct Story {
    title_html: String,
    body_html: String,
    images: Vec<crate::domain::StoryImage>,
    when: String,
}

#[derive(Template)]
#[template(path = "feed.html")]
struct FeedPage<'a> {
    app_name: &'a str,
    owner: PersonChip,
    stories: Vec<Story>,
}

#[tracing::instrument(name = "sandbox_feed", skip_all, fields(api_key = %path.0))]
async fn feed_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let Some((api_key, app, uid)) = owner(&state, &path.0, &path.1) else {
        return plain(StatusCode::NOT_FOUND, "no such app or user\n");
    };
    let (items, people) = match inbox::feed_with_people(&state.store, &api_key, uid).await {
        Ok(found) => found,
        Err(e) => return unavailable("feed", e),
    };
    if wants_json(&req) {
        return HttpResponse::Ok().json(ListJson {
            uid: uid.to_string(),
            items: &items,
        });
    }
    let base = state.config.public_base();
    let page = FeedPage {
        app_name: &app.name,
        owner: PersonChip::of(&people, uid, format!("user {uid}")),
        stories: items
            .iter()
            .map(|i| Story {
                title_html: render_for(&i.title, app, base, uid).html,
                body_html: render_for(&i.body, app, base, uid).html,
                images: i.images.clone(),
                when: readable_time(&i.created_at),
            })
            .collect(),
    };
    match page.render() {
        Ok(body) => html(StatusCode::OK, body, INBOX_CSP),
        Err(e) => {
            tracing::error!(error = %e, "feed template failed");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "something went wrong\n")
        }
    }
}
