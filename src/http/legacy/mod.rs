//! The legacy REST API (`/restserver.php`), answered as Facebook's `restserver.php` did.
//!
//! Invariants:
//! - Every answer is HTTP 200, whatever the input: a body that is too large, too slow,
//!   malformed or hostile gets an `error_response` (code 100), never a reset or a 500.
//! - Checks run in the legacy order: size/format, api_key (101), source IP (5), signature
//!   (104), session (102), call_id (103), method (3), parameters (100/110), quota (4).
//! - The parameters are parsed from the bytes the client sent (not through a UTF-8 form
//!   decoder): MD5 signatures cover those bytes, Shift_JIS values included.
//! - A panic inside a call is answered as error 1 with the request id logged, never a
//!   dropped connection (actix does not catch panics itself).

pub mod caller;
pub mod graph_methods;
pub mod methods;
pub mod notify_methods;
pub mod params;
pub mod response;
pub mod signature;
pub mod tree;

use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::FutureExt;

use self::params::{parse_query, parse_request, Params};
use self::response::{render, render_error, Answer, Rendered};
use super::body::read_body;
use super::client_ip::client_ip;
use super::request_id::RequestId;
use super::state::AppState;
use crate::domain::{ErrorCode, LegacyError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/restserver.php")
            .route(web::get().to(restserver))
            .route(web::post().to(restserver)),
    );
}

fn into_response(rendered: Rendered) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, rendered.content_type))
        .body(rendered.body)
}

fn refused_unread(why: impl Into<String>, params: &Params) -> HttpResponse {
    let error = LegacyError::invalid_parameter(why);
    tracing::debug!(code = 100, detail = %error.detail, "legacy call refused");
    metrics::counter!(crate::telemetry::LEGACY_REQUESTS, "method" => "unread", "code" => "100")
        .increment(1);
    into_response(render_error(&error, params, &Answer::from_params(params)))
}

#[tracing::instrument(name = "legacy", skip_all, fields(api_key, method))]
pub async fn restserver(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    request_id: RequestId,
) -> HttpResponse {
    let server = &state.config.server;
    let query = Some(req.query_string()).filter(|q| !q.is_empty());
    let body = match read_body(
        payload,
        server.max_body_bytes,
        Duration::from_millis(server.body_timeout_ms),
    )
    .await
    {
        Ok(b) => b,
        Err(problem) => return refused_unread(problem.why(), &parse_query(query)),
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let params = match parse_request(query, content_type, body).await {
        Ok(p) => p,
        Err((e, partial)) => return refused_unread(e.to_string(), &partial),
    };
    let ip = client_ip(&req, server.trust_forwarded_for);
    let answer = Answer::from_params(&params);
    let method = methods::method_name(&params);
    let span = tracing::Span::current();
    span.record("method", method.as_str());
    if let Some(k) = params.get_str("api_key") {
        span.record("api_key", k.as_ref());
    }
    let started = Instant::now();
    let result = std::panic::AssertUnwindSafe(methods::call(&state, &params, ip))
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            Err(LegacyError::new(
                ErrorCode::Unknown,
                "panic while answering",
            ))
        });
    let label = methods::metric_label(&method);
    let code = result.as_ref().map(|_| 0).unwrap_or_else(|e| e.code.code());
    metrics::counter!(crate::telemetry::LEGACY_REQUESTS, "method" => label, "code" => code.to_string())
        .increment(1);
    metrics::histogram!(crate::telemetry::LEGACY_DURATION, "method" => label)
        .record(started.elapsed().as_secs_f64());
    match result {
        Ok(value) => {
            tracing::debug!(code = 0, "legacy call answered");
            into_response(render(&method, &value, &answer))
        }
        Err(e) => {
            if e.code == ErrorCode::Unknown {
                tracing::error!(correlation = %request_id.0, detail = %e.detail, "internal fault");
            } else {
                tracing::debug!(code = e.code.code(), detail = %e.detail, "legacy call refused");
            }
            into_response(render_error(&e, &params, &answer))
        }
    }
}
