//! Every refusal of the confirmation pages, with its status and the text a person reads:
//! one table.
//!
//! Invariant: a refusal page is short, says whether anything was sent, runs no script, and
//! may be framed only where the app's own pages may (mixi's container for mixi apps;
//! nowhere otherwise, with `X-Frame-Options: DENY`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::http::page::notice;
use crate::services::confirmation::ConfirmError;

/// (status, title, message) of each refusal.
fn page(e: &ConfirmError) -> (StatusCode, &'static str, &'static str) {
    use ConfirmError::*;
    match e {
        Incomplete => (StatusCode::BAD_REQUEST, "This link is incomplete", "The link you followed is missing some of its parts. Go back to the app and try again."),
        UnknownApp => (StatusCode::NOT_FOUND, "Unknown app", "This request belongs to no app served here."),
        NotFound => (StatusCode::NOT_FOUND, "Request not found", "This request does not exist, or it expired long ago."),
        Gone => (StatusCode::NOT_FOUND, "Request not found", "This request no longer exists."),
        BadToken => (StatusCode::FORBIDDEN, "This link is not valid", "This confirmation page belongs to someone else, or its link was changed."),
        AlreadySent => (StatusCode::CONFLICT, "Already sent", "This request was already sent. Nothing more to do."),
        Cancelled => (StatusCode::CONFLICT, "Cancelled", "This request was cancelled; it cannot be sent any more."),
        Expired => (StatusCode::GONE, "This page has expired", "Confirmation pages last a limited time. Go back to the app to send a new request."),
        NotAForm => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "Not a form", "Please use the buttons on the page."),
        FormTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "Not a form", "Please use the buttons on the page."),
        FormTooSlow => (StatusCode::REQUEST_TIMEOUT, "Please try again", "The form took too long to arrive. Nothing was sent."),
        Csrf => (StatusCode::FORBIDDEN, "This form cannot be used", "The form was not sent from its own page. Open the confirmation page again."),
        SendFromMixi => (StatusCode::BAD_REQUEST, "Send it from mixi", "On mixi, requests are sent from mixi's own dialog: use the button on the page."),
        NobodyCanReceive => (StatusCode::UNPROCESSABLE_ENTITY, "Nobody here can receive it", "On Mobage, requests reach only people who already play this app, and none of these friends do. Nothing was sent; you can cancel this request."),
        NothingToDo => (StatusCode::BAD_REQUEST, "Nothing to do", "Please use the Send or Cancel button."),
        NotMixi => (StatusCode::BAD_REQUEST, "Not a mixi app", "This step exists only for mixi apps."),
        NoMixiRequestId => (StatusCode::BAD_REQUEST, "Incomplete answer", "mixi's answer lacked a request id."),
        UnknownMixiUser => (StatusCode::BAD_REQUEST, "Incomplete answer", "mixi's answer named an unknown user."),
        Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "Please try again", "The service is busy right now. Nothing was sent; please try again in a moment."),
        Render(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Nothing was sent."),
    }
}

impl ResponseError for ConfirmError {
    fn status_code(&self) -> StatusCode {
        page(self).0
    }

    /// The refusal as a page nobody may frame (see [`refusal_page`] for mixi apps).
    fn error_response(&self) -> HttpResponse {
        refusal_page(self, "'none'")
    }
}

/// The refusal as a page that `frame_ancestors` may frame.
pub fn refusal_page(e: &ConfirmError, frame_ancestors: &str) -> HttpResponse {
    {
        match e {
            ConfirmError::Store(e) => {
                tracing::warn!(error = %e, "confirmation page: store unavailable")
            }
            ConfirmError::Render(e) => tracing::error!(error = %e, "confirmation template failed"),
            other => tracing::debug!(refusal = %other, "confirmation page refused"),
        }
        let (status, title, message) = page(e);
        notice(status, title, message, frame_ancestors)
    }
}
