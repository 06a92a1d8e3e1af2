//! Every refusal of the admin API, with its status: one table.
//!
//! Invariant: errors are `{"error": "..."}` with a 4xx or 503 status; without an admin
//! token configured the API does not exist (a bare 404).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No `server.admin_token`: the admin API is off.
    #[error("admin API disabled")]
    Disabled,
    #[error("missing or wrong bearer token")]
    Unauthorized,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("the body did not arrive in time")]
    TooSlow,
    #[error("store unavailable")]
    Store(#[from] StoreError),
}

impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        match self {
            AdminError::Disabled | AdminError::NotFound(_) => StatusCode::NOT_FOUND,
            AdminError::Unauthorized => StatusCode::UNAUTHORIZED,
            AdminError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AdminError::TooSlow => StatusCode::REQUEST_TIMEOUT,
            AdminError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AdminError::Disabled => HttpResponse::NotFound().finish(),
            AdminError::Store(e) => {
                tracing::warn!(error = %e, "admin call: store failed");
                HttpResponse::build(self.status_code()).json(json!({ "error": self.to_string() }))
            }
            other => {
                HttpResponse::build(self.status_code()).json(json!({ "error": other.to_string() }))
            }
        }
    }
}
