//! The store: everything fbbridge remembers, behind one trait with two backends.
//!
//! Invariants:
//! - Everything one `notifications.sendRequest` checks and changes (session, call_id
//!   high-water mark, the recipients' standing, the daily quota, the new request and its
//!   deliveries) happens in ONE atomic operation: one Lua script on Redis, one critical
//!   section in memory.
//! - All keys of one (app, sender) share one hash tag (see [`keys`]), so every script runs
//!   unchanged on Redis Cluster.
//! - A refusal never changes anything, except that the call_id high-water mark advances on
//!   every correctly signed call that names a valid session (legacy rule).
//! - Both backends pass the same conformance suite (`tests/api/store_conformance.rs`).

pub mod keys;
pub mod memory;
pub mod redis;

use std::future::Future;
use std::time::Duration;

use serde::Serialize;

use crate::domain::{ApiKey, CallId, SessionKey, Uid};

pub use self::memory::MemoryStore;
pub use self::redis::RedisStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("store answered something unexpected: {0}")]
    Corrupt(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub api_key: ApiKey,
    pub uid: Uid,
    pub expires_at_ms: i64,
}

/// What every authenticated call proves to the store: a live session of this app, and a
/// call_id above the session's high-water mark.
#[derive(Clone, Debug)]
pub struct CallGate {
    pub api_key: ApiKey,
    pub session: SessionKey,
    pub call_id: Option<CallId>,
    pub now_ms: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateRefusal {
    Session,
    CallId,
}

#[derive(Clone, Debug)]
pub struct NewRequest {
    pub id: u64,
    pub kind: String,
    pub content: String,
    pub image: Option<String>,
    pub invite: bool,
    /// SHA-256 (hex) of the confirmation token; the token itself is never stored.
    pub token_hash: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}

#[derive(Clone, Debug)]
pub struct SendRequestOp {
    pub gate: CallGate,
    pub recipients: Vec<Uid>,
    /// Recipients that are not the sender's friends but were found to use the app.
    pub known_app_users: Vec<Uid>,
    /// True once non-friends have been looked up: any not in `known_app_users` is invalid.
    pub recipients_resolved: bool,
    pub quota_day: String,
    pub quota_limit: u32,
    pub request: NewRequest,
    /// The platform can deliver server-side, so requests to app users skip confirmation.
    pub direct_delivery: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// Stored, waiting for the sender's confirmation.
    Pending,
    /// Every recipient uses the app: queued for delivery without confirmation.
    Queued,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendRefusal {
    Gate(GateRefusal),
    /// These recipients are not friends; look up whether they use the app, then call again.
    Unresolved(Vec<Uid>),
    InvalidUser,
    Quota {
        used: u32,
    },
    IdTaken,
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
    fn parse(s: &str) -> Option<Self> {
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

/// How a pending request is settled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settlement {
    /// The sender confirmed; `enqueue` puts one delivery per recipient into the outbox.
    Send { enqueue: bool },
    /// The sender cancelled (or the platform refused): the quota taken is given back.
    Cancel { detail: String },
    /// mixi's dialog sent the request to `chosen`; the others are dropped and refunded.
    Mixi {
        platform_request_id: String,
        chosen: Vec<Uid>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettleOutcome {
    Settled { refunded: u32 },
    Missing,
    AlreadySettled(RequestStatus),
    Expired,
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

/// How long a request record is kept after its confirmation page expired, so that
/// operators can still see what happened to it.
pub const REQUEST_RETENTION: Duration = Duration::from_secs(7 * 86_400);
/// How long a day's quota counter is kept (longer than any day, whatever the offset).
pub const QUOTA_TTL: Duration = Duration::from_secs(2 * 86_400);
/// Items kept in one sandbox inbox, newest first.
pub const INBOX_LIMIT: usize = 200;
/// Dead letters kept per partition, newest first.
pub const DEAD_LETTER_LIMIT: usize = 1000;

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

type Res<T> = Result<T, StoreError>;

/// The operations of the store. Implemented by [`MemoryStore`] and [`RedisStore`].
pub trait Store: Clone + Send + Sync + 'static {
    fn ping(&self) -> impl Future<Output = Res<()>> + Send;
    fn put_session(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        ttl: Duration,
    ) -> impl Future<Output = Res<()>> + Send;
    /// Checks the session and call_id; advances the high-water mark on success.
    fn gate_call(
        &self,
        gate: &CallGate,
    ) -> impl Future<Output = Res<Result<(), GateRefusal>>> + Send;
    fn send_request(
        &self,
        op: &SendRequestOp,
    ) -> impl Future<Output = Res<Result<SendOutcome, SendRefusal>>> + Send;
    /// Which of `uids` use the app.
    fn app_users(
        &self,
        api_key: &ApiKey,
        uids: &[Uid],
    ) -> impl Future<Output = Res<Vec<Uid>>> + Send;
    fn quota_used(
        &self,
        api_key: &ApiKey,
        uid: Uid,
        day: &str,
    ) -> impl Future<Output = Res<u32>> + Send;
    /// Replaces `uid`'s friends; friendship is symmetric, so both sides change.
    fn set_friends(
        &self,
        api_key: &ApiKey,
        uid: Uid,
        friends: &[Uid],
    ) -> impl Future<Output = Res<()>> + Send;
    fn set_installed(
        &self,
        api_key: &ApiKey,
        uid: Uid,
        installed: bool,
    ) -> impl Future<Output = Res<()>> + Send;
    fn get_request(
        &self,
        api_key: &ApiKey,
        from: Uid,
        id: u64,
    ) -> impl Future<Output = Res<Option<RequestRecord>>> + Send;
    /// Settles a pending, unexpired request; at most one settlement ever succeeds.
    fn settle_request(
        &self,
        record: &RequestRecord,
        settlement: &Settlement,
        now_ms: i64,
    ) -> impl Future<Output = Res<SettleOutcome>> + Send;
    /// The ids of `from`'s latest requests (at most 100 are kept), newest first.
    fn recent_requests(
        &self,
        api_key: &ApiKey,
        from: Uid,
        limit: usize,
    ) -> impl Future<Output = Res<Vec<u64>>> + Send;
    /// Takes up to `max` deliveries for `consumer`; they stay in flight until completed.
    fn claim_deliveries(
        &self,
        consumer: &str,
        max: usize,
    ) -> impl Future<Output = Res<Vec<Delivery>>> + Send;
    /// Puts an in-flight delivery aside until `due_ms`, with `attempt` failures so far.
    fn reschedule_delivery(
        &self,
        delivery: &Delivery,
        due_ms: i64,
        attempt: u32,
        reason: &str,
    ) -> impl Future<Output = Res<()>> + Send;
    /// Gives up on an in-flight delivery: dead on its request, and in the dead letters.
    fn dead_letter(
        &self,
        delivery: &Delivery,
        last_error: &str,
        now_ms: i64,
    ) -> impl Future<Output = Res<()>> + Send;
    /// Takes the rate window of `key` for `window`; when it is already taken, answers how
    /// long until it is free.
    fn take_rate_window(
        &self,
        key: &RateKey,
        window: Duration,
    ) -> impl Future<Output = Res<Option<Duration>>> + Send;
    /// Frees a rate window taken for a message the platform cannot have counted.
    fn release_rate_window(&self, key: &RateKey) -> impl Future<Output = Res<()>> + Send;
    fn outbox_counts(&self) -> impl Future<Output = Res<OutboxCounts>> + Send;
    /// The newest dead letters first.
    fn dead_letters(&self, limit: usize) -> impl Future<Output = Res<Vec<DeadLetter>>> + Send;
    /// Returns when deliveries may be waiting, or after `timeout`.
    fn wait_for_deliveries(&self, timeout: Duration) -> impl Future<Output = ()> + Send;
    /// Puts `item` into the recipient's sandbox inbox, once per (request, recipient).
    fn deliver_to_inbox(
        &self,
        delivery: &Delivery,
        item: &InboxItem,
    ) -> impl Future<Output = Res<()>> + Send;
    /// Records the recipient's final state on the request and releases the delivery.
    fn complete_delivery(
        &self,
        delivery: &Delivery,
        state: DeliveryState,
        detail: &str,
    ) -> impl Future<Output = Res<()>> + Send;
    fn inbox(&self, api_key: &ApiKey, uid: Uid)
        -> impl Future<Output = Res<Vec<InboxItem>>> + Send;
}

/// The store chosen by configuration.
#[derive(Clone)]
pub enum AnyStore {
    Memory(MemoryStore),
    Redis(RedisStore),
}

macro_rules! delegate {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            AnyStore::Memory($s) => $call.await,
            AnyStore::Redis($s) => $call.await,
        }
    };
}

impl Store for AnyStore {
    async fn ping(&self) -> Res<()> {
        delegate!(self, s => s.ping())
    }
    async fn put_session(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        ttl: Duration,
    ) -> Res<()> {
        delegate!(self, s => s.put_session(key, record, ttl))
    }
    async fn gate_call(&self, gate: &CallGate) -> Res<Result<(), GateRefusal>> {
        delegate!(self, s => s.gate_call(gate))
    }
    async fn send_request(&self, op: &SendRequestOp) -> Res<Result<SendOutcome, SendRefusal>> {
        delegate!(self, s => s.send_request(op))
    }
    async fn app_users(&self, api_key: &ApiKey, uids: &[Uid]) -> Res<Vec<Uid>> {
        delegate!(self, s => s.app_users(api_key, uids))
    }
    async fn quota_used(&self, api_key: &ApiKey, uid: Uid, day: &str) -> Res<u32> {
        delegate!(self, s => s.quota_used(api_key, uid, day))
    }
    async fn set_friends(&self, api_key: &ApiKey, uid: Uid, friends: &[Uid]) -> Res<()> {
        delegate!(self, s => s.set_friends(api_key, uid, friends))
    }
    async fn set_installed(&self, api_key: &ApiKey, uid: Uid, installed: bool) -> Res<()> {
        delegate!(self, s => s.set_installed(api_key, uid, installed))
    }
    async fn get_request(
        &self,
        api_key: &ApiKey,
        from: Uid,
        id: u64,
    ) -> Res<Option<RequestRecord>> {
        delegate!(self, s => s.get_request(api_key, from, id))
    }
    async fn settle_request(
        &self,
        record: &RequestRecord,
        settlement: &Settlement,
        now_ms: i64,
    ) -> Res<SettleOutcome> {
        delegate!(self, s => s.settle_request(record, settlement, now_ms))
    }
    async fn recent_requests(&self, api_key: &ApiKey, from: Uid, limit: usize) -> Res<Vec<u64>> {
        delegate!(self, s => s.recent_requests(api_key, from, limit))
    }
    async fn claim_deliveries(&self, consumer: &str, max: usize) -> Res<Vec<Delivery>> {
        delegate!(self, s => s.claim_deliveries(consumer, max))
    }
    async fn reschedule_delivery(
        &self,
        d: &Delivery,
        due_ms: i64,
        attempt: u32,
        reason: &str,
    ) -> Res<()> {
        delegate!(self, s => s.reschedule_delivery(d, due_ms, attempt, reason))
    }
    async fn dead_letter(&self, d: &Delivery, last_error: &str, now_ms: i64) -> Res<()> {
        delegate!(self, s => s.dead_letter(d, last_error, now_ms))
    }
    async fn take_rate_window(&self, key: &RateKey, window: Duration) -> Res<Option<Duration>> {
        delegate!(self, s => s.take_rate_window(key, window))
    }
    async fn release_rate_window(&self, key: &RateKey) -> Res<()> {
        delegate!(self, s => s.release_rate_window(key))
    }
    async fn outbox_counts(&self) -> Res<OutboxCounts> {
        delegate!(self, s => s.outbox_counts())
    }
    async fn dead_letters(&self, limit: usize) -> Res<Vec<DeadLetter>> {
        delegate!(self, s => s.dead_letters(limit))
    }
    async fn wait_for_deliveries(&self, timeout: Duration) {
        delegate!(self, s => s.wait_for_deliveries(timeout))
    }
    async fn deliver_to_inbox(&self, delivery: &Delivery, item: &InboxItem) -> Res<()> {
        delegate!(self, s => s.deliver_to_inbox(delivery, item))
    }
    async fn complete_delivery(
        &self,
        delivery: &Delivery,
        state: DeliveryState,
        detail: &str,
    ) -> Res<()> {
        delegate!(self, s => s.complete_delivery(delivery, state, detail))
    }
    async fn inbox(&self, api_key: &ApiKey, uid: Uid) -> Res<Vec<InboxItem>> {
        delegate!(self, s => s.inbox(api_key, uid))
    }
}
