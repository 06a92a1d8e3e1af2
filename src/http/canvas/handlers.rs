//! The canvas handlers: extract (app, viewer, fields) -> services -> the app's page.

use std::time::Duration;

use actix_web::http::{header, Method};
use actix_web::{web, HttpRequest, HttpResponse};

use super::page::{call_and_render, count, links};
use super::CanvasError;
use crate::domain::canvas::{open_bridge, open_fields, seal_fields, CanvasSettings};
use crate::domain::canvas_render::MAX_SELECTABLE;
use crate::domain::entry::{verify_entry, SignedRequest};
use crate::domain::{ApiKey, App, DeliveryState, RequestStatus, Uid};
use crate::http::body::read_body;
use crate::http::state::AppState;
use crate::services::caller::Caller;
use crate::services::canvas::{enter, resume, Viewer};
use crate::services::now_ms;
use crate::services::send_request::{send_request, SendRequestAnswer, SendRequestInput};
use crate::store::Requests;

/// Largest form a canvas page may post.
const FORM_LIMIT: usize = 64 * 1024;

pub(super) fn canvas_app<'a>(
    state: &'a AppState,
    api_key: &str,
) -> Result<(&'a App, &'a CanvasSettings), CanvasError> {
    let app = ApiKey::parse(api_key)
        .and_then(|k| state.config.app(k.as_str()))
        .ok_or(CanvasError::NoCanvas)?;
    let canvas = app.canvas.as_ref().ok_or(CanvasError::NoCanvas)?;
    Ok((app, canvas))
}

async fn form_pairs(
    req: &HttpRequest,
    state: &AppState,
    payload: web::Payload,
) -> Result<Vec<(String, String)>, CanvasError> {
    let urlencoded = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if req.method() != Method::POST || !urlencoded {
        return Ok(Vec::new());
    }
    let timeout = Duration::from_millis(state.config.server.body_timeout_ms);
    let body = read_body(payload, FORM_LIMIT, timeout)
        .await
        .map_err(|_| CanvasError::BadForm)?;
    serde_urlencoded::from_bytes(&body).map_err(|_| CanvasError::BadForm)
}

pub(super) fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Who is looking: a bridge token's viewer, else a verified container entry's.
async fn identify(
    state: &AppState,
    app: &App,
    canvas: &CanvasSettings,
    req: &HttpRequest,
    query: &[(String, String)],
    form: &[(String, String)],
) -> Result<Viewer, CanvasError> {
    let token = get(query, "fbb_t").or_else(|| get(form, "fbb_t"));
    if let Some(token) = token {
        let bridge = open_bridge(app.api_key.as_str(), token, app.secret.expose(), now_ms())
            .ok_or_else(|| CanvasError::Unauthorized("bridge token invalid or expired".into()))?;
        return Ok(resume(&state.store, app, bridge).await?);
    }
    let mut params = query.to_vec();
    params.extend(form.iter().cloned());
    let base_uri = format!("{}{}", state.config.public_base(), req.path());
    let entry = verify_entry(
        canvas,
        &app.app_id,
        &SignedRequest {
            method: req.method().as_str(),
            base_uri: &base_uri,
            raw_query: req.query_string(),
            params: &params,
        },
        now_ms() / 1000,
    )
    .map_err(|e| CanvasError::Unauthorized(e.to_string()))?;
    enter(&state.store, &state.people, app, &entry)
        .await
        .map_err(|e| match e {
            crate::services::canvas::EnterError::Replayed => {
                CanvasError::Unauthorized("nonce already used".into())
            }
            crate::services::canvas::EnterError::Store(s) => CanvasError::Store(s),
        })
}

fn is_bridge_param(name: &str) -> bool {
    name == "fbb_t"
        || name.starts_with("oauth_")
        || name.starts_with("opensocial_")
        || name.starts_with("xoauth_")
}

fn unauthorized(app: &App, e: CanvasError) -> CanvasError {
    if matches!(e, CanvasError::Unauthorized(_)) {
        count(app, "unauthorized");
        tracing::info!(api_key = %app.api_key, reason = %e, "canvas request refused");
    }
    e
}

/// `GET|POST /canvas/{api_key}/{path}`.
#[tracing::instrument(name = "canvas_page", skip_all, fields(api_key = %path.0))]
pub async fn canvas_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, CanvasError> {
    let (api_key, rest) = path.into_inner();
    let (app, canvas) = canvas_app(&state, &api_key)?;
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).map_err(|_| CanvasError::BadForm)?;
    let form = form_pairs(&req, &state, payload).await?;
    let viewer = identify(&state, app, canvas, &req, &query, &form)
        .await
        .map_err(|e| unauthorized(app, e))?;
    let kept: Vec<&(String, String)> = query.iter().filter(|(k, _)| !is_bridge_param(k)).collect();
    let mut target = rest;
    if !kept.is_empty() {
        target.push('?');
        target.push_str(&serde_urlencoded::to_string(&kept).expect("pairs encode"));
    }
    let form: Vec<(String, String)> = form
        .into_iter()
        .filter(|(k, _)| !is_bridge_param(k))
        .collect();
    let method = if req.method() == Method::POST {
        "POST"
    } else {
        "GET"
    };
    call_and_render(&state, app, canvas, &viewer, &target, form, method).await
}

/// The sealed fields of a request form.
struct RequestForm {
    kind: String,
    content: String,
    invite: bool,
    action: String,
}

fn request_form_fields(sealed: &str, app: &App) -> Result<RequestForm, CanvasError> {
    let fields = open_fields(sealed, app.secret.expose()).ok_or(CanvasError::BadForm)?;
    let f = |name: &str| get(&fields, name).unwrap_or("").to_string();
    Ok(RequestForm {
        kind: f("type"),
        content: f("content"),
        invite: f("invite") == "1",
        action: f("action"),
    })
}

/// The path inside the app a request form ends at.
fn action_path(
    state: &AppState,
    app: &App,
    canvas: &CanvasSettings,
    viewer: &Viewer,
    action: &str,
) -> Result<String, CanvasError> {
    links(state, app, canvas, viewer)
        .inside(action)
        .ok_or(CanvasError::BadForm)
}

fn ids_form(ids: &[Uid]) -> Vec<(String, String)> {
    ids.iter()
        .map(|u| ("ids[]".to_string(), u.to_string()))
        .collect()
}

/// `POST /canvas/{api_key}/_fbb/request-form`: Send or Skip.
#[tracing::instrument(name = "canvas_request_form", skip_all, fields(api_key = %path))]
pub async fn request_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, CanvasError> {
    let (app, canvas) = canvas_app(&state, &path)?;
    let form = form_pairs(&req, &state, payload).await?;
    let viewer = identify(&state, app, canvas, &req, &[], &form)
        .await
        .map_err(|e| unauthorized(app, e))?;
    let sealed = get(&form, "fbb_form").ok_or(CanvasError::BadForm)?;
    let fields = request_form_fields(sealed, app)?;
    let action = action_path(&state, app, canvas, &viewer, &fields.action)?;
    let mut ids: Vec<Uid> = Vec::new();
    for (k, v) in &form {
        if k == "ids[]" {
            let uid = Uid::parse(v).ok_or(CanvasError::BadForm)?;
            if !ids.contains(&uid) {
                ids.push(uid);
            }
        }
    }
    if get(&form, "fbb_action") != Some("send") || ids.is_empty() {
        return call_and_render(&state, app, canvas, &viewer, &action, Vec::new(), "POST").await;
    }
    if ids.len() > MAX_SELECTABLE as usize {
        return Err(CanvasError::BadForm);
    }
    let caller = Caller::for_bridge(app, viewer.session.clone());
    let input = SendRequestInput {
        recipients: ids.clone(),
        kind: fields.kind.clone(),
        content: fields.content.clone(),
        image: None,
        invite: fields.invite,
    };
    let answer = send_request(
        &state.config,
        &state.store,
        &state.people,
        &caller,
        Ok(input),
    )
    .await
    .map_err(|e| {
        tracing::info!(api_key = %app.api_key, error = %e, "canvas request form refused");
        CanvasError::Refused(e.public_message().to_string())
    })?;
    match answer {
        SendRequestAnswer::Queued => {
            call_and_render(
                &state,
                app,
                canvas,
                &viewer,
                &action,
                ids_form(&ids),
                "POST",
            )
            .await
        }
        SendRequestAnswer::ConfirmationUrl(url) => {
            let query: Vec<(String, String)> =
                serde_urlencoded::from_str(url.split_once('?').map(|(_, q)| q).unwrap_or(""))
                    .unwrap_or_default();
            let token = links(&state, app, canvas, &viewer).token;
            let bridge = seal_fields(
                &[
                    ("t", &token),
                    ("action", &fields.action),
                    ("from", get(&query, "from").unwrap_or("")),
                    ("id", get(&query, "id").unwrap_or("")),
                ],
                app.secret.expose(),
            );
            let url = crate::platform::url::with_query(&url, "fbb_b", &bridge);
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, url))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish())
        }
    }
}

/// `GET /canvas/{api_key}/_fbb/done?fbb_b=..`: back from the confirmation page; the app's
/// `action` is told who was actually invited.
#[tracing::instrument(name = "canvas_done", skip_all, fields(api_key = %path))]
pub async fn done(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, CanvasError> {
    let (app, canvas) = canvas_app(&state, &path)?;
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).map_err(|_| CanvasError::BadForm)?;
    let sealed = get(&query, "fbb_b").ok_or(CanvasError::BadForm)?;
    let fields = open_fields(sealed, app.secret.expose()).ok_or(CanvasError::BadForm)?;
    let token = get(&fields, "t").ok_or(CanvasError::BadForm)?;
    let bridge = open_bridge(app.api_key.as_str(), token, app.secret.expose(), now_ms())
        .ok_or_else(|| CanvasError::Unauthorized("bridge token expired".into()))?;
    let viewer = resume(&state.store, app, bridge).await?;
    let from = get(&fields, "from")
        .and_then(Uid::parse)
        .ok_or(CanvasError::BadForm)?;
    let id: u64 = get(&fields, "id")
        .and_then(|i| i.parse().ok())
        .ok_or(CanvasError::BadForm)?;
    if from != viewer.uid {
        return Err(CanvasError::BadForm);
    }
    let record = state
        .store
        .get_request(&app.api_key, from, id)
        .await?
        .ok_or(CanvasError::BadForm)?;
    let ids: Vec<Uid> = if record.status == RequestStatus::Sent {
        record
            .recipients
            .iter()
            .filter(|r| !matches!(r.state, DeliveryState::Dropped | DeliveryState::Dead))
            .map(|r| r.uid)
            .collect()
    } else {
        Vec::new()
    };
    let action = action_path(
        &state,
        app,
        canvas,
        &viewer,
        get(&fields, "action").unwrap_or(""),
    )?;
    call_and_render(
        &state,
        app,
        canvas,
        &viewer,
        &action,
        ids_form(&ids),
        "POST",
    )
    .await
}
