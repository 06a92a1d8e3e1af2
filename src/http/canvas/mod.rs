//! The canvas bridge over HTTP (`canvas.md`): container entries and bridge-token clicks on
//! `/canvas/{api_key}/{path}`, the request form's Send and Skip, the return from the
//! confirmation page, and the sandbox container's launch.
//!
//! Invariants:
//! - A canvas request is served only with a verified container signature (nonce claimed
//!   across gateways) or a valid `fbb_t`; otherwise `401`, and nothing reaches the app.
//! - The app is always called by POST with the viewer's `fb_sig_*` set; its answer is
//!   rendered by `domain::canvas_render`, so no app markup reaches the page unsanitised.
//! - Redirects lead back into the canvas, to a listed host, or nowhere (shown as a link).

mod error;
mod handlers;
mod launch;
mod page;

use actix_web::web;

pub use self::error::CanvasError;
use crate::config::Config;
use crate::domain::App;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/canvas/{api_key}/_fbb/request-form",
        web::post().to(handlers::request_form),
    )
    .route("/canvas/{api_key}/_fbb/done", web::get().to(handlers::done))
    .route(
        "/canvas/{api_key}/{path:.*}",
        web::route().to(handlers::canvas_page),
    )
    .route(
        "/sandbox/{api_key}/launch/{uid}",
        web::get().to(launch::sandbox_launch),
    );
}

/// Where the confirmation page sends a canvas request form's user once it is settled.
pub fn resume_url(config: &Config, app: &App, bridge: &str) -> String {
    let query = serde_urlencoded::to_string([("fbb_b", bridge)]).expect("plain pairs encode");
    format!(
        "{}/canvas/{}/_fbb/done?{query}",
        config.public_base(),
        app.api_key
    )
}
