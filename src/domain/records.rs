//! The records the gateway keeps and shows: sessions, requests, deliveries, inboxes.
//!
//! Invariants:
//! - A request's status is read through [`RequestRecord::status_at`]: a pending request
//!   past its expiry reads as expired, whether or not a sweeper has marked it yet.
//! - A message is (request, recipient): [`Delivery`] names both, and its `handle` is only
//!   where the store keeps it while in flight.

use serde::Serialize;

use super::ids::{ApiKey, Uid};
use super::story::Story;

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

/// What a stored record is: a request (sendRequest, the request form), a notification
/// (notifications.send) or a feed story (feed.publish*). All three share the record, the
/// outbox and its exactly-once rules; only what a delivery sends differs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    #[default]
    Request,
    Notification,
    Story,
}

impl MessageKind {
    /// The record's `k` field: absent for requests (records written before schema 3 are
    /// requests), `n` or `s` otherwise.
    pub fn code(self) -> &'static str {
        match self {
            MessageKind::Request => "",
            MessageKind::Notification => "n",
            MessageKind::Story => "s",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        Some(match code {
            "" => MessageKind::Request,
            "n" => MessageKind::Notification,
            "s" => MessageKind::Story,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    pub api_key: ApiKey,
    pub from: Uid,
    pub id: u64,
    pub message: MessageKind,
    /// A story's title, body, images and targets (stories only).
    pub story: Option<Story>,
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
    /// mixi: the deletion of the request mixi holds (`pending` while held, `queued` once
    /// its deletion is in the outbox, then `delivered` or `dead`); `None` elsewhere.
    pub cleanup: Option<DeliveryState>,
}

impl RequestRecord {
    /// Whether `d` is this request's clean-up at the platform rather than a message.
    pub fn cleans_up(&self, d: &Delivery) -> bool {
        self.message == MessageKind::Request && d.to == self.from
    }

    /// The status as of `now_ms`: a pending request past its expiry reads as expired.
    pub fn status_at(&self, now_ms: i64) -> RequestStatus {
        if self.status == RequestStatus::Pending && now_ms >= self.expires_at_ms {
            RequestStatus::Expired
        } else {
            self.status
        }
    }
}

/// One message to one recipient, identified by (app, sender, request, recipient). On a
/// request, a delivery "to" its own sender is the request's clean-up at the platform
/// (mixi's Graph API delete): no request is ever addressed to its sender (see
/// [`RequestRecord::cleans_up`]; a story's one delivery does go to its actor).
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
    /// One activity per user per window (Mobage's Activity API).
    Activity { api_key: ApiKey, actor: Uid },
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

/// What an inbox item is: a request someone sent, or a notification.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InboxItemKind {
    #[default]
    Request,
    Notification,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct InboxItem {
    /// Items stored before notifications existed are requests.
    #[serde(default)]
    pub item: InboxItemKind,
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

/// One story in an actor's sandbox feed (`GET /sandbox/{api_key}/feed/{uid}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FeedItem {
    pub title: String,
    pub body: String,
    pub images: Vec<super::story::StoryImage>,
    pub targets: Vec<String>,
    pub created_at: String,
}

/// A story waiting for its actor's next mixi canvas page, which posts it with
/// `opensocial.requestCreateActivity` (seed 002).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct MixiActivity {
    /// Plain text.
    pub title: String,
    /// At most 3 image URLs.
    pub media: Vec<String>,
    /// At most 2 mixi ids of the story's targets.
    pub recipients: Vec<String>,
    /// `run_appli.pl` of the same app, with deep state as `appParams`.
    pub url: String,
}

/// The per-user lists the outbox fills, each in its owner's partition and each filled at
/// most once per (list, sender, record).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UserList {
    /// The sandbox inbox: requests and notifications ([`InboxItem`]).
    Inbox,
    /// The sandbox feed: the stories a user published ([`FeedItem`]).
    Feed,
    /// mixi: notifications shown at the top of the recipient's next canvas page.
    MixiNotices,
    /// mixi: stories posted from the actor's next canvas page ([`MixiActivity`]).
    MixiActivities,
}

impl UserList {
    /// How long an untouched list is kept.
    pub fn ttl_secs(self) -> u64 {
        match self {
            UserList::Inbox | UserList::Feed => 30 * 86_400,
            UserList::MixiNotices | UserList::MixiActivities => 7 * 86_400,
        }
    }
    /// At most this many items, newest first.
    pub fn limit(self) -> usize {
        match self {
            UserList::Inbox | UserList::Feed => 200,
            UserList::MixiNotices | UserList::MixiActivities => 20,
        }
    }
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
