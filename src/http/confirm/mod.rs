//! `/send_req.php`: the confirmation page, its Send/Cancel form, and the mixi dialog's
//! report. Handlers decode the fields, call `services::confirmation`, and answer the page
//! or a `303` back to the app.
//!
//! Invariant: every redirect goes to one of the app's own URLs (see [`redirect`]).

pub mod error;
pub mod forms;
pub mod redirect;
pub mod view;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use std::time::Duration;

use super::body::{read_body, BodyProblem};
use super::page::{frame_ancestors, html};
use super::state::AppState;
use crate::services::confirmation::{self, ConfirmError, PageFields, Settled};

/// Largest form body read; the page's own forms are well under 2 KiB.
const FORM_LIMIT: usize = 16 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/send_req.php")
            .route(web::get().to(show))
            .route(web::post().to(confirm)),
    )
    .service(web::resource("/send_req.php/complete").route(web::post().to(complete)));
}

/// The posted form's fields, read within the form's size and the server's body time bound.
async fn read_form(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<PageFields, ConfirmError> {
    let timeout = Duration::from_millis(state.config.server.body_timeout_ms);
    let body = read_body(payload, FORM_LIMIT, timeout)
        .await
        .map_err(|p| match p {
            BodyProblem::TooLarge => ConfirmError::FormTooLarge,
            BodyProblem::TooSlow | BodyProblem::Broken => ConfirmError::FormTooSlow,
        })?;
    forms::from_form(content_type(req), &body)
}

fn content_type(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

fn back_to_app(state: &AppState, settled: &Settled) -> HttpResponse {
    let page = &settled.page;
    // A canvas request form resumes in the bridge, which tells the app who was invited.
    let url = match &page.bridge {
        Some(b) => crate::http::canvas::resume_url(&state.config, &page.app, b),
        None => redirect::back_to_app(&page.app, page.next.as_deref(), page.canvas, settled.sent),
    };
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, url))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// The answer, or the refusal page, framable where the app's pages are.
fn answer(
    state: &AppState,
    fields: Option<&PageFields>,
    result: Result<HttpResponse, ConfirmError>,
) -> HttpResponse {
    result.unwrap_or_else(|e| {
        let app = fields
            .and_then(|f| f.api_key.as_deref())
            .and_then(|k| state.config.app(k));
        error::refusal_page(&e, frame_ancestors(app))
    })
}

#[tracing::instrument(name = "confirm_show", skip_all)]
async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let fields = forms::from_query(req.query_string());
    let result = async {
        let page = confirmation::show(&state.config, &state.store, &fields).await?;
        let (body, csp) = view::render(&page)?;
        Ok(html(StatusCode::OK, body, &csp))
    }
    .await;
    answer(&state, Some(&fields), result)
}

/// Which form was posted.
#[derive(Clone, Copy)]
enum Form {
    /// `POST /send_req.php`: Send or Cancel.
    Confirm,
    /// `POST /send_req.php/complete`: what mixi's dialog did.
    Complete,
}

async fn posted(
    form: Form,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let fields = match read_form(&req, payload, &state).await {
        Ok(f) => f,
        Err(e) => return answer(&state, None, Err(e)),
    };
    let result = match form {
        Form::Confirm => confirmation::confirm(&state.config, &state.store, &fields).await,
        Form::Complete => confirmation::complete(&state.config, &state.store, &fields).await,
    };
    answer(
        &state,
        Some(&fields),
        result.map(|s| back_to_app(&state, &s)),
    )
}

#[tracing::instrument(name = "confirm_post", skip_all)]
async fn confirm(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    posted(Form::Confirm, req, payload, state).await
}

#[tracing::instrument(name = "confirm_complete", skip_all)]
async fn complete(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    posted(Form::Complete, req, payload, state).await
}
