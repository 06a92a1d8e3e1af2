//! What a canvas request can fail with, each a short page with its status.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::http::page::notice;

#[derive(Debug, thiserror::Error)]
pub enum CanvasError {
    #[error("no canvas for this app")]
    NoCanvas,
    #[error("not signed by the container: {0}")]
    Unauthorized(String),
    #[error("the app answered {0}")]
    AppFailed(u16),
    #[error("the app could not be reached: {0}")]
    AppUnreachable(String),
    #[error("the app did not answer in time")]
    AppTimedOut,
    #[error("the form was altered or is incomplete")]
    BadForm,
    #[error("the request was refused: {0}")]
    Refused(String),
    #[error("store unavailable: {0}")]
    Store(#[from] crate::store::StoreError),
}

impl CanvasError {
    fn text(&self) -> (&'static str, &'static str) {
        match self {
            CanvasError::NoCanvas => ("Not found", "This app has no canvas pages here."),
            CanvasError::Unauthorized(_) => (
                "Open this app from its platform",
                "This page must be opened from inside the app on its platform.",
            ),
            CanvasError::AppFailed(_) | CanvasError::AppUnreachable(_) => (
                "The app is having trouble",
                "The app could not show this page. Try again in a moment.",
            ),
            CanvasError::AppTimedOut => (
                "The app is taking too long",
                "The app did not answer in time. Try again in a moment.",
            ),
            CanvasError::BadForm => ("Nothing was sent", "This form cannot be used. Go back and try again."),
            CanvasError::Refused(_) => ("Nothing was sent", "The invitation could not be sent (daily limit, or someone who cannot receive it). Go back and try again."),
            CanvasError::Store(_) => ("Try again", "Something went wrong on our side. Try again in a moment."),
        }
    }
}

impl ResponseError for CanvasError {
    fn status_code(&self) -> StatusCode {
        match self {
            CanvasError::NoCanvas => StatusCode::NOT_FOUND,
            CanvasError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            CanvasError::AppFailed(_) | CanvasError::AppUnreachable(_) => StatusCode::BAD_GATEWAY,
            CanvasError::AppTimedOut => StatusCode::GATEWAY_TIMEOUT,
            CanvasError::BadForm => StatusCode::BAD_REQUEST,
            CanvasError::Refused(_) => StatusCode::CONFLICT,
            CanvasError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, message) = self.text();
        notice(self.status_code(), title, message, "'none'")
    }
}
