//! Requests as operators see them: one request with its recipients' delivery states, a
//! sender's latest requests, the outbox.

use serde::Serialize;

use crate::domain::{
    rfc3339_ms, App, DeadLetter, DeliveryState, OutboxCounts, RecipientView, RequestRecord,
    RequestStatus, Uid,
};
use crate::store::{Outbox, Requests, StoreError};

/// How many of a sender's requests the list shows.
const RECENT: usize = 20;
/// How many dead letters the list shows.
const DEAD_LETTERS: usize = 200;

#[derive(Serialize)]
pub struct RequestView {
    pub from: String,
    pub id: String,
    pub status: RequestStatus,
    #[serde(rename = "type")]
    pub kind: String,
    pub content: String,
    pub image: Option<String>,
    pub invite: bool,
    pub created_at: String,
    pub expires_at: String,
    pub platform_request_id: Option<String>,
    pub recipients: Vec<RecipientView>,
    /// mixi: the deletion of the request mixi holds (`pending` while held).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_cleanup: Option<DeliveryState>,
}

impl From<RequestRecord> for RequestView {
    fn from(record: RequestRecord) -> Self {
        RequestView {
            from: record.from.to_string(),
            id: record.id.to_string(),
            status: record.status_at(super::now_ms()),
            kind: record.kind,
            content: record.content,
            image: record.image,
            invite: record.invite,
            created_at: rfc3339_ms(record.created_at_ms),
            expires_at: rfc3339_ms(record.expires_at_ms),
            platform_request_id: record.platform_request_id,
            recipients: record.recipients,
            platform_cleanup: record.cleanup,
        }
    }
}

pub async fn view(
    store: &impl Requests,
    app: &App,
    from: Uid,
    id: u64,
) -> Result<Option<RequestView>, StoreError> {
    Ok(store
        .get_request(&app.api_key, from, id)
        .await?
        .map(RequestView::from))
}

/// The sender's latest requests, newest first.
pub async fn recent(
    store: &impl Requests,
    app: &App,
    from: Uid,
) -> Result<Vec<RequestView>, StoreError> {
    let mut items = Vec::new();
    for id in store.recent_requests(&app.api_key, from, RECENT).await? {
        if let Some(record) = store.get_request(&app.api_key, from, id).await? {
            items.push(RequestView::from(record));
        }
    }
    Ok(items)
}

pub async fn outbox_counts(store: &impl Outbox) -> Result<OutboxCounts, StoreError> {
    store.outbox_counts().await
}

pub async fn dead_letters(store: &impl Outbox) -> Result<Vec<DeadLetter>, StoreError> {
    store.dead_letters(DEAD_LETTERS).await
}
