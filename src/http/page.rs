//! HTML pages: the headers every page carries.
//!
//! Invariant: every page is `no-store`, `nosniff`, `no-referrer` and carries the CSP it was
//! given; a page that may not be framed also says `X-Frame-Options: DENY`.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;

/// A CSP for pages that run no script, load nothing and post nowhere.
pub const NOTICE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

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
