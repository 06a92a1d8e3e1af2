//! The legacy REST API (`/restserver.php`), answered as Facebook's `restserver.php` did.
//!
//! Invariants:
//! - Every answer is HTTP 200, whatever the input: a body that is too large, too slow,
//!   malformed or hostile gets an `error_response` (code 100), never a reset or a 500.
//! - Checks run in the legacy order: size/format, api_key (101), source IP (5), signature
//!   (104), session (102), call_id (103), method (3), parameters (100/110), quota (4).

pub mod error;
pub mod methods;
pub mod params;
pub mod response;
pub mod signature;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::{FutureExt, StreamExt};

use self::error::LegacyError;
use self::params::{parse_query, parse_request, Params};
use self::response::{render, render_error, Answer, Rendered};
use crate::startup::AppState;

/// Past this many bytes an oversized body is no longer drained, and the connection closes
/// after the answer.
const DRAIN_LIMIT: usize = 16 * 1024 * 1024;

enum BodyProblem {
    TooLarge,
    TooSlow,
    Broken,
}

async fn read_body(body: Body, limit: usize, timeout: Duration) -> Result<Bytes, BodyProblem> {
    let read = async {
        let mut stream = body.into_data_stream();
        let mut buf = BytesMut::new();
        let mut seen = 0usize;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| BodyProblem::Broken)?;
            seen += chunk.len();
            if seen > limit {
                // Reading on lets the client finish sending, so it hears the answer rather
                // than a reset.
                if seen > DRAIN_LIMIT {
                    return Err(BodyProblem::TooLarge);
                }
                continue;
            }
            buf.extend_from_slice(&chunk);
        }
        if seen > limit {
            Err(BodyProblem::TooLarge)
        } else {
            Ok(buf.freeze())
        }
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or(Err(BodyProblem::TooSlow))
}

/// The caller's address: the socket peer, or, behind a trusted proxy, the last address in
/// `X-Forwarded-For` (the one the proxy itself appended).
pub fn client_ip(headers: &HeaderMap, peer: SocketAddr, trust_forwarded_for: bool) -> IpAddr {
    if trust_forwarded_for {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .next_back();
        if let Some(ip) = forwarded {
            return ip;
        }
    }
    peer.ip()
}

fn into_response(rendered: Rendered) -> Response {
    let mut res = rendered.body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(rendered.content_type),
    );
    res
}

fn error_response(error: &LegacyError, params: &Params) -> Response {
    into_response(render_error(error, params, &Answer::from_params(params)))
}

pub async fn restserver(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Response {
    let server = &state.config.server;
    let body = match read_body(
        body,
        server.max_body_bytes,
        Duration::from_millis(server.body_timeout_ms),
    )
    .await
    {
        Ok(b) => b,
        Err(problem) => {
            let why = match problem {
                BodyProblem::TooLarge => "body too large",
                BodyProblem::TooSlow => "body not received in time",
                BodyProblem::Broken => "body could not be read",
            };
            tracing::debug!(code = 100, why, "legacy call refused");
            metrics::counter!(crate::telemetry::LEGACY_REQUESTS, "method" => "unread", "code" => "100").increment(1);
            let params = parse_query(uri.query());
            return error_response(&LegacyError::invalid_parameter(why), &params);
        }
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let params = match parse_request(uri.query(), content_type, body).await {
        Ok(p) => p,
        Err((e, partial)) => {
            tracing::debug!(code = 100, error = %e, "legacy call refused");
            metrics::counter!(crate::telemetry::LEGACY_REQUESTS, "method" => "unread", "code" => "100").increment(1);
            return error_response(&LegacyError::invalid_parameter(e.to_string()), &partial);
        }
    };
    let ip = client_ip(&headers, peer, server.trust_forwarded_for);
    let answer = Answer::from_params(&params);
    let method = methods::method_name(&params);
    let started = std::time::Instant::now();
    // A bug must still be answered as the legacy API answers (error 1, HTTP 200), never
    // with a dropped connection.
    let result = std::panic::AssertUnwindSafe(methods::call(&state, &params, ip))
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            Err(LegacyError::new(
                error::ErrorCode::Unknown,
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
            tracing::debug!(method = %method, code = 0, "legacy call answered");
            into_response(render(&method, &value, &answer))
        }
        Err(e) => {
            if e.code == error::ErrorCode::Unknown {
                let correlation = uuid::Uuid::new_v4();
                tracing::error!(%correlation, method = %method, detail = %e.detail, "internal fault");
            } else {
                tracing::debug!(method = %method, code = e.code.code(), detail = %e.detail, "legacy call refused");
            }
            into_response(render_error(&e, &params, &answer))
        }
    }
}
