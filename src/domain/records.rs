//! The records the gateway keeps and shows: sessions, requests, deliveries, inboxes.
//!
//! Invariants:
//! - A request's status is read through [`RequestRecord::status_at`]: a pending request
//!   past its expiry reads as expired, whether or not a sweeper has marked it yet.
//! - A message is (request, recipient): [`Delivery`] names both, and its `handle` is only
//!   where the store keeps it while in flight.

use serde::Serialize;

use super::ids::{ApiKey, Uid};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub api_key: ApiKey,
    pub uid: Uid,
    pub expires_at_ms: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestStatus {
    Pending,
    Sent,
    Cancelled,
    Expired,
}

impl RequestStatus {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => RequestStatus::Pending,
            "sent" => RequestStatus::Sent,
            "cancelled" => RequestStatus::Cancelled,
            "expired" => RequestStatus::Expired,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    Pending,
    Queued,
    Delivered,
    Dropped,
    Dead,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Queued => "queued",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dropped => "dropped",
            DeliveryState::Dead => "dead",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => DeliveryState::Pending,
            "queued" => DeliveryState::Queued,
            "delivered" => DeliveryState::Delivered,
            "dropped" => DeliveryState::Dropped,
            "dead" => DeliveryState::Dead,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecipientView {
    pub uid: Uid,
    pub state: DeliveryState,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    pub api_key: ApiKey,
    pub from: Uid,
    pub id: u64,
    pub status: RequestStatus,
    pub kind: String,
    pub content: String,
    pub image: Option<String>,
    pub invite: bool,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub token_hash: String,
    /// The quota day the recipients were counted on (for refunds).
    pub quota_day: String,
    pub platform_request_id: Option<String>,
    pub recipients: Vec<RecipientView>,
}

impl RequestRecord {
    /// The status as of `now_ms`: a pending request past its expiry reads as expired.
    pub fn status_at(&self, now_ms: i64) -> RequestStatus {
        if self.status == RequestStatus::Pending && now_ms >= self.expires_at_ms {
            RequestStatus::Expired
        } else {
            self.status
        }
    }
}

/// One message to one recipient, identified by (app, sender, request, recipient).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub api_key: ApiKey,
    pub from: Uid,
    pub id: u64,
    pub to: Uid,
    /// Failed attempts so far.
    pub attempt: u32,
    /// Where the backend keeps it while it is in flight (stream entry id on Redis).
    pub handle: String,
}

/// What a rate window is counted per.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RateKey {
    /// One message per (sender, recipient) pair per window (Mobage proxy mode).
    Pair { api_key: ApiKey, from: Uid, to: Uid },
    /// One message per recipient per window (Mobage trusted mode).
    Recipient { api_key: ApiKey, to: Uid },
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OutboxCounts {
    /// Queued, not yet taken by a worker.
    pub pending: u64,
    /// Waiting for a retry or a rate window.
    pub scheduled: u64,
    /// Taken by a worker, not yet completed.
    pub in_flight: u64,
    pub dead: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DeadLetter {
    pub api_key: String,
    pub from: String,
    pub id: String,
    pub recipient: String,
    pub attempts: u32,
    pub last_error: String,
    pub dead_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct InboxItem {
    pub api_key: String,
    pub from: String,
    pub request_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub content: String,
    pub image: Option<String>,
    pub invite: bool,
    pub received_at: String,
}

/// Milliseconds since the epoch, now: the unit of every stored time.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub fn rfc3339_ms(ms: i64) -> String {
    use chrono::TimeZone;
    chrono::Utc
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

impl DeadLetter {
    pub fn new(d: &Delivery, last_error: &str, now_ms: i64) -> Self {
        Self {
            api_key: d.api_key.to_string(),
            from: d.from.to_string(),
            id: d.id.to_string(),
            recipient: d.to.to_string(),
            attempts: d.attempt + 1,
            last_error: last_error.to_string(),
            dead_at: rfc3339_ms(now_ms),
        }
    }
}
