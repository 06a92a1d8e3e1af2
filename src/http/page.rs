//! HTML pages: the headers every page carries.
//!
//! Invariants:
//! - Every page is `no-store`, `nosniff`, `no-referrer` and carries the CSP it was given; a
//!   page that may not be framed also says `X-Frame-Options: DENY`.
//! - Only a mixi app's pages (its refusals included) may be framed, and only by mixi's
//!   container ([`frame_ancestors`]): they run inside the app's gadget.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use crate::domain::{App, Platform};

/// The origins mixi serves app gadgets from (PC and smartphone).
pub const MIXI_CONTAINER_ORIGINS: &str =
    "https://mixi.jp https://*.mixi.jp https://*.mixi-platform.com http://*.mixi-platform.com";

/// Who may frame this app's pages: mixi's container for mixi apps, nobody otherwise.
pub fn frame_ancestors(app: Option<&App>) -> &'static str {
    match app.map(|a| &a.platform) {
        Some(Platform::Mixi { .. }) => MIXI_CONTAINER_ORIGINS,
        _ => "'none'",
    }
}

/// A CSP for pages that run no script, load nothing and post nowhere.
pub fn notice_csp(frame_ancestors: &str) -> String {
    format!("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors {frame_ancestors}; base-uri 'none'; form-action 'none'")
}

pub fn html(status: StatusCode, body: String, csp: &str) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, csp));
    if csp.contains("frame-ancestors 'none'") {
        res.insert_header((header::X_FRAME_OPTIONS, "DENY"));
    }
    res.body(body)
}

#[derive(Template)]
#[template(path = "notice.html")]
struct Notice<'a> {
    title: &'a str,
    message: &'a str,
}

/// A short page that runs no script and posts nowhere: a refusal or an error.
pub fn notice(
    status: StatusCode,
    title: &str,
    message: &str,
    frame_ancestors: &str,
) -> HttpResponse {
    let body = Notice { title, message }
        .render()
        .unwrap_or_else(|_| message.to_string());
    html(status, body, &notice_csp(frame_ancestors))
}
