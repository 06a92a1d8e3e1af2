//! Platform `sandbox`: fbbridge plays the container. Delivered requests land in a per-user
//! inbox in the store, shown at `GET /sandbox/{api_key}/inbox/{uid}`.
//!
//! Invariants:
//! - Inboxes are filled by outbox workers, never inside the legacy call (they live in the
//!   recipient's partition, not the sender's).
//! - A (request, recipient) pair lands in an inbox at most once, however often it is
//!   delivered.
//! - The HTML page escapes everything it shows (askama's default).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use crate::domain::{ApiKey, Uid};
use crate::startup::AppState;
use crate::store::{Delivery, InboxItem, RequestRecord, Store};

pub fn inbox_item(
    record: &RequestRecord,
    delivered_at: chrono::DateTime<chrono::Utc>,
) -> InboxItem {
    InboxItem {
        api_key: record.api_key.to_string(),
        from: record.from.to_string(),
        request_id: record.id.to_string(),
        kind: record.kind.clone(),
        content: record.content.clone(),
        image: record.image.clone(),
        invite: record.invite,
        received_at: delivered_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

/// Delivers one message into a sandbox inbox.
pub async fn deliver<S: Store>(
    store: &S,
    delivery: &Delivery,
    record: &RequestRecord,
) -> Result<(), crate::store::StoreError> {
    store
        .deliver_to_inbox(delivery, &inbox_item(record, chrono::Utc::now()))
        .await
}

#[derive(Serialize)]
struct InboxJson<'a> {
    uid: String,
    items: &'a [InboxItem],
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage<'a> {
    app_name: &'a str,
    uid: String,
    items: &'a [InboxItem],
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

pub async fn inbox_page(
    State(state): State<AppState>,
    Path((api_key, uid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let app = ApiKey::parse(&api_key).and_then(|k| state.config.app(k.as_str()).map(|a| (k, a)));
    let (Some((api_key, app)), Some(uid)) = (app, Uid::parse(&uid)) else {
        return (StatusCode::NOT_FOUND, "no such app or user\n").into_response();
    };
    let items = match state.store.inbox(&api_key, uid).await {
        Ok(items) => items,
        Err(e) => {
            tracing::warn!(error = %e, "inbox read failed");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "store unavailable, try again\n",
            )
                .into_response();
        }
    };
    if wants_json(&headers) {
        return axum::Json(InboxJson {
            uid: uid.to_string(),
            items: &items,
        })
        .into_response();
    }
    let page = InboxPage {
        app_name: &app.name,
        uid: uid.to_string(),
        items: &items,
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "inbox template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
