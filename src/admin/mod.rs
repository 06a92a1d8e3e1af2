//! The admin API (`/admin/v1`), JSON in and out, behind `Authorization: Bearer {admin_token}`.
//!
//! Invariants:
//! - Without `server.admin_token` the admin API does not exist (404).
//! - A missing or wrong token gets 401; the token is compared in constant time.
//! - Errors are `{"error": "..."}` with a 4xx or 503 status.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::Utc;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::config::AppConfig;
use crate::domain::{ApiKey, Uid};
use crate::quota::quota_day;
use crate::session::create_session;
use crate::startup::AppState;
use crate::store::{rfc3339_ms, RecipientView, Store, StoreError};

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/v1/sessions", post(create_session_handler))
        .route(
            "/admin/v1/apps/{api_key}/users/{uid}/friends",
            put(put_friends),
        )
        .route(
            "/admin/v1/apps/{api_key}/users/{uid}/installed",
            put(put_installed),
        )
        .route(
            "/admin/v1/apps/{api_key}/users/{uid}/allocation",
            get(get_allocation),
        )
        .route(
            "/admin/v1/apps/{api_key}/requests/{from}/{id}",
            get(get_request),
        )
        .route(
            "/admin/v1/apps/{api_key}/users/{uid}/requests",
            get(list_requests),
        )
        .route("/admin/v1/outbox", get(outbox_counts))
        .route("/admin/v1/outbox/dead", get(dead_letters))
        .layer(axum::middleware::from_fn_with_state(state, require_token))
}

pub struct AdminError(StatusCode, String);

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        tracing::warn!(error = %e, "admin call: store failed");
        AdminError(StatusCode::SERVICE_UNAVAILABLE, "store unavailable".into())
    }
}

fn bad(status: StatusCode, msg: impl Into<String>) -> AdminError {
    AdminError(status, msg.into())
}

async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(token) = &state.config.server.admin_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let ok = presented.len() == token.expose().len()
        && bool::from(presented.as_bytes().ct_eq(token.expose().as_bytes()));
    if !ok {
        return bad(StatusCode::UNAUTHORIZED, "missing or wrong bearer token").into_response();
    }
    next.run(req).await
}

fn json_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, AdminError> {
    serde_json::from_slice(body)
        .map_err(|e| bad(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")))
}

fn app_of<'a>(state: &'a AppState, api_key: &str) -> Result<&'a AppConfig, AdminError> {
    ApiKey::parse(api_key)
        .and_then(|k| state.config.app(k.as_str()))
        .ok_or_else(|| {
            bad(
                StatusCode::NOT_FOUND,
                format!("no app with api_key `{api_key}`"),
            )
        })
}

fn uid_of(text: &str) -> Result<Uid, AdminError> {
    Uid::parse(text).ok_or_else(|| {
        bad(
            StatusCode::BAD_REQUEST,
            format!("`{text}` is not a user id"),
        )
    })
}

/// Accepts `"1002"` and `1002`.
#[derive(Deserialize)]
#[serde(untagged)]
enum UidInput {
    Text(String),
    Number(u64),
}

impl UidInput {
    fn parse(&self) -> Result<Uid, AdminError> {
        match self {
            UidInput::Text(t) => uid_of(t),
            UidInput::Number(n) => {
                Uid::new(*n).ok_or_else(|| bad(StatusCode::BAD_REQUEST, "user ids are positive"))
            }
        }
    }
}

#[derive(Deserialize)]
struct SessionBody {
    api_key: String,
    uid: UidInput,
    ttl_secs: Option<u64>,
}

async fn create_session_handler(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Response, AdminError> {
    let body: SessionBody = json_body(&body)?;
    let app = app_of(&state, &body.api_key)?;
    let uid = body.uid.parse()?;
    if body.ttl_secs == Some(0) {
        return Err(bad(StatusCode::BAD_REQUEST, "ttl_secs must be positive"));
    }
    let created = create_session(
        &state.store,
        app,
        uid,
        body.ttl_secs.map(Duration::from_secs),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "session_key": created.session_key.as_str(),
            "session_secret": created.session_secret,
            "uid": uid.to_string(),
            "expires": created.expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })),
    )
        .into_response())
}

#[derive(Deserialize)]
struct FriendsBody {
    friends: Vec<UidInput>,
}

async fn put_friends(
    State(state): State<AppState>,
    Path((api_key, uid)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode, AdminError> {
    let app = app_of(&state, &api_key)?;
    let uid = uid_of(&uid)?;
    let body: FriendsBody = json_body(&body)?;
    let mut friends = Vec::with_capacity(body.friends.len());
    for f in &body.friends {
        let f = f.parse()?;
        if f == uid {
            return Err(bad(
                StatusCode::BAD_REQUEST,
                "a user cannot befriend themselves",
            ));
        }
        if !friends.contains(&f) {
            friends.push(f);
        }
    }
    state.store.set_friends(&app.api_key, uid, &friends).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct InstalledBody {
    installed: bool,
}

async fn put_installed(
    State(state): State<AppState>,
    Path((api_key, uid)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode, AdminError> {
    let app = app_of(&state, &api_key)?;
    let uid = uid_of(&uid)?;
    let body: InstalledBody = json_body(&body)?;
    state
        .store
        .set_installed(&app.api_key, uid, body.installed)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
pub struct Allocation {
    pub limit: u32,
    pub used: u32,
    pub remaining: u32,
    pub resets_at: String,
}

async fn get_allocation(
    State(state): State<AppState>,
    Path((api_key, uid)): Path<(String, String)>,
) -> Result<Json<Allocation>, AdminError> {
    let app = app_of(&state, &api_key)?;
    let uid = uid_of(&uid)?;
    let day = quota_day(Utc::now(), app.day_offset);
    let used = state.store.quota_used(&app.api_key, uid, &day.key).await?;
    Ok(Json(Allocation {
        limit: app.daily_request_limit,
        used,
        remaining: app.daily_request_limit.saturating_sub(used),
        resets_at: day.resets_at.to_rfc3339(),
    }))
}

#[derive(Serialize)]
struct RequestView {
    from: String,
    id: String,
    status: crate::store::RequestStatus,
    #[serde(rename = "type")]
    kind: String,
    content: String,
    image: Option<String>,
    invite: bool,
    created_at: String,
    expires_at: String,
    platform_request_id: Option<String>,
    recipients: Vec<RecipientView>,
}

async fn get_request(
    State(state): State<AppState>,
    Path((api_key, from, id)): Path<(String, String, String)>,
) -> Result<Json<RequestView>, AdminError> {
    let app = app_of(&state, &api_key)?;
    let from = uid_of(&from)?;
    let id: u64 = id.parse().map_err(|_| {
        bad(
            StatusCode::BAD_REQUEST,
            format!("`{id}` is not a request id"),
        )
    })?;
    let record = state
        .store
        .get_request(&app.api_key, from, id)
        .await?
        .ok_or_else(|| bad(StatusCode::NOT_FOUND, "no such request"))?;
    Ok(Json(request_view(record)))
}

#[derive(Serialize)]
struct RequestList {
    items: Vec<RequestView>,
}

/// The sender's latest requests, newest first.
async fn list_requests(
    State(state): State<AppState>,
    Path((api_key, uid)): Path<(String, String)>,
) -> Result<Json<RequestList>, AdminError> {
    let app = app_of(&state, &api_key)?;
    let from = uid_of(&uid)?;
    let mut items = Vec::new();
    for id in state.store.recent_requests(&app.api_key, from, 20).await? {
        if let Some(record) = state.store.get_request(&app.api_key, from, id).await? {
            items.push(request_view(record));
        }
    }
    Ok(Json(RequestList { items }))
}

fn request_view(record: crate::store::RequestRecord) -> RequestView {
    RequestView {
        from: record.from.to_string(),
        id: record.id.to_string(),
        status: record.status_at(Utc::now().timestamp_millis()),
        kind: record.kind,
        content: record.content,
        image: record.image,
        invite: record.invite,
        created_at: rfc3339_ms(record.created_at_ms),
        expires_at: rfc3339_ms(record.expires_at_ms),
        platform_request_id: record.platform_request_id,
        recipients: record.recipients,
    }
}

async fn outbox_counts(
    State(state): State<AppState>,
) -> Result<Json<crate::store::OutboxCounts>, AdminError> {
    Ok(Json(state.store.outbox_counts().await?))
}

#[derive(Serialize)]
struct DeadLetters {
    items: Vec<crate::store::DeadLetter>,
}

async fn dead_letters(State(state): State<AppState>) -> Result<Json<DeadLetters>, AdminError> {
    Ok(Json(DeadLetters {
        items: state.store.dead_letters(200).await?,
    }))
}
