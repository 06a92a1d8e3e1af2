//! The sandbox container's pages: `GET /sandbox/{api_key}/inbox/{uid}`.
//!
//! Invariants:
//! - The HTML page escapes everything it shows (askama's default) and carries the same
//!   security headers as every other page.
//! - JSON is answered when the client asks for it (`Accept: application/json`).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Serialize;

use super::page::html;
use super::state::AppState;
use crate::domain::{ApiKey, InboxItem, Uid};
use crate::services::inbox;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sandbox/{api_key}/inbox/{uid}", web::get().to(inbox_page));
}

/// The inbox page runs no script and posts nowhere.
const INBOX_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src http: https:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

#[derive(Serialize)]
struct InboxJson<'a> {
    uid: String,
    items: &'a [InboxItem],
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage<'a> {
    app_name: &'a str,
    uid: String,
    items: &'a [InboxItem],
}

fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
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
    let (api_key, uid) = path.into_inner();
    let app = ApiKey::parse(&api_key).and_then(|k| state.config.app(k.as_str()).map(|a| (k, a)));
    let (Some((api_key, app)), Some(uid)) = (app, Uid::parse(&uid)) else {
        return plain(StatusCode::NOT_FOUND, "no such app or user\n");
    };
    let items = match inbox::read(&state.store, &api_key, uid).await {
        Ok(items) => items,
        Err(e) => {
            tracing::warn!(error = %e, "inbox read failed");
            return plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "store unavailable, try again\n",
            );
        }
    };
    if wants_json(&req) {
        return HttpResponse::Ok().json(InboxJson {
            uid: uid.to_string(),
            items: &items,
        });
    }
    let page = InboxPage {
        app_name: &app.name,
        uid: uid.to_string(),
        items: &items,
    };
    match page.render() {
        Ok(body) => html(StatusCode::OK, body, INBOX_CSP),
        Err(e) => {
            tracing::error!(error = %e, "inbox template failed");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "something went wrong\n")
        }
    }
}
