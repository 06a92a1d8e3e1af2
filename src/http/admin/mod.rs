//! The admin API (`/admin/v1`), JSON in and out, behind `Authorization: Bearer {admin_token}`.
//!
//! Invariants:
//! - Without `server.admin_token` the admin API does not exist (404).
//! - A missing or wrong token gets 401; the token is compared in constant time, and it is
//!   checked (the [`AdminAuth`] extractor, first in every handler) before the body is read.

pub mod error;
mod handlers;

use std::future::{ready, Ready};

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};

use self::error::AdminError;
use super::state::AppState;
use crate::domain::secrets::ct_eq;

pub fn configure(cfg: &mut web::ServiceConfig) {
    use handlers::*;
    cfg.service(
        web::scope("/admin/v1")
            .route("/sessions", web::post().to(create_session))
            .route(
                "/apps/{api_key}/users/{uid}/friends",
                web::put().to(put_friends),
            )
            .route(
                "/apps/{api_key}/users/{uid}/installed",
                web::put().to(put_installed),
            )
            .route(
                "/apps/{api_key}/users/{uid}/profile",
                web::put().to(put_profile),
            )
            .route(
                "/apps/{api_key}/users/{uid}/profile",
                web::get().to(get_profile),
            )
            .route(
                "/apps/{api_key}/users/{uid}/allocation",
                web::get().to(get_allocation),
            )
            .route(
                "/apps/{api_key}/requests/{from}/{id}",
                web::get().to(get_request),
            )
            .route(
                "/apps/{api_key}/users/{uid}/requests",
                web::get().to(list_requests),
            )
            .route("/outbox", web::get().to(outbox_counts))
            .route("/outbox/dead", web::get().to(dead_letters)),
    );
}

/// Proof that the caller presented the admin token.
pub struct AdminAuth;

impl FromRequest for AdminAuth {
    type Error = AdminError;
    type Future = Ready<Result<Self, AdminError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(check_token(req))
    }
}

fn check_token(req: &HttpRequest) -> Result<AdminAuth, AdminError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or(AdminError::Disabled)?;
    let Some(token) = &state.config.server.admin_token else {
        return Err(AdminError::Disabled);
    };
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if ct_eq(presented.as_bytes(), token.expose().as_bytes()) {
        Ok(AdminAuth)
    } else {
        Err(AdminError::Unauthorized)
    }
}
