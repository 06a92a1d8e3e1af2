//! The arguments and answers of the store's compound operations.

use std::time::Duration;

use crate::domain::{ApiKey, CallId, MessageKind, Person, RequestStatus, SessionKey, Story, Uid};

/// What every authenticated call proves to the store: a live session of this app, and a
/// call_id above the session's high-water mark.
#[derive(Clone, Debug)]
pub struct CallGate {
    pub api_key: ApiKey,
    pub session: SessionKey,
    pub call_id: Option<CallId>,
    /// For a call without call_id (which cannot be sequenced): its signature, remembered
    /// for the session's life so that the same call cannot be played again.
    pub replay_guard: Option<String>,
    pub now_ms: i64,
}

/// Signatures remembered per session for calls without call_id; past this many the oldest
/// are forgotten (on Redis, checked on the calls made in a millisecond ending in 0; documented
/// in the README).
pub const REPLAY_MEMORY: usize = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateRefusal {
    Session,
    CallId,
    /// A byte-identical call (the same signature) was already answered on this session.
    Replay,
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

/// A day's allocation taken by one call: `amount` more on `counter` (see
/// [`crate::domain::quota::Allowance::counter`]), all or nothing, never past `limit`.
#[derive(Clone, Debug)]
pub struct QuotaTake {
    pub counter: String,
    pub limit: u32,
    pub amount: u32,
}

/// `notifications.send` and `feed.publish*`: a record that needs no confirmation, the
/// allocation it takes and one delivery per recipient, in one atomic operation. The call
/// passed the session/call_id gate already (with its read of the sender's view).
#[derive(Clone, Debug)]
pub struct PublishOp {
    pub api_key: ApiKey,
    /// The sender of a notification, the actor of a story, or [`APP_SENDER`].
    pub from: Uid,
    pub id: u64,
    pub message: MessageKind,
    /// `user_to_user`, `app_to_user`, or `story`.
    pub kind: String,
    /// A notification's FBML, or a story's title.
    pub content: String,
    pub story: Option<Story>,
    /// One delivery each; a story's only delivery goes to its actor.
    pub recipients: Vec<Uid>,
    pub quota: Option<QuotaTake>,
    pub created_at_ms: i64,
}

/// The sender of app-to-user notifications, which have none: all of an app's such
/// notifications are kept in this pseudo-user's partition. No platform id maps to it.
pub const APP_SENDER: u64 = u64::MAX;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublishRefusal {
    Quota { used: u32 },
    IdTaken,
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
        /// When mixi's Graph API is configured: when the request is deleted at mixi at the
        /// latest (ms); each recipient's launch may delete it sooner.
        cleanup_at_ms: Option<i64>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettleOutcome {
    Settled { refunded: u32 },
    Missing,
    AlreadySettled(RequestStatus),
    Expired,
}

/// How long a request record is kept after its confirmation page expired, so that
/// operators can still see what happened to it.
pub const REQUEST_RETENTION: Duration = Duration::from_secs(7 * 86_400);
/// How long a day's quota counter is kept (longer than any day, whatever the offset).
pub const QUOTA_TTL: Duration = Duration::from_secs(2 * 86_400);
/// Items kept in one sandbox inbox, newest first.
pub const INBOX_LIMIT: usize = 200;
/// Template bundles kept per app (`feed.registerTemplateBundle` refuses past this).
pub const BUNDLE_LIMIT: usize = crate::domain::story::MAX_BUNDLES;
/// Dead letters kept per partition, newest first.
pub const DEAD_LETTER_LIMIT: usize = 1000;

/// A user's part of the graph as the platform gave it.
#[derive(Clone, Debug)]
pub struct GraphSnapshot {
    pub api_key: ApiKey,
    pub user: Person,
    pub friends: Vec<Person>,
    pub synced_at_ms: i64,
}

/// How many probes an alias allocation tries before giving up (each collision is a 2^-62
/// event; reaching this bound means the store is corrupt).
pub const ALIAS_PROBES: u32 = 8;
