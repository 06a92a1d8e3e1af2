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

pub mod aliases;
pub mod any;
pub mod keys;
pub mod memory;
pub mod ops;
pub mod redis;
pub mod traits;

pub use self::any::AnyStore;
pub use self::memory::MemoryStore;
pub use self::ops::*;
pub use self::redis::RedisStore;
pub use self::traits::*;

/// The role traits, for code that calls the store's methods on a concrete store.
pub mod prelude {
    pub use super::traits::{
        Bundles, Graph, Inboxes, Outbox, Quotas, RateWindows, Requests, Sessions, Store,
    };
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Redis failed or refused: `kind` is the client's classification, `code` the server's
    /// error code when it answered one (`BUSYGROUP`, `NOSCRIPT`, `READONLY`, ...).
    #[error("redis error ({kind:?}{}): {detail}", code.as_deref().map(|c| format!(", {c}")).unwrap_or_default())]
    Redis {
        kind: ::redis::ErrorKind,
        code: Option<String>,
        detail: String,
    },
    /// No answer within the configured bound.
    #[error("store timed out: {0}")]
    TimedOut(&'static str),
    /// The store answered something this version cannot read.
    #[error("store answered something unexpected: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// The server's error code, when Redis answered with an error reply.
    pub fn code(&self) -> Option<&str> {
        match self {
            StoreError::Redis { code, .. } => code.as_deref(),
            _ => None,
        }
    }
}

impl From<::redis::RedisError> for StoreError {
    fn from(e: ::redis::RedisError) -> Self {
        StoreError::Redis {
            kind: e.kind(),
            code: e.code().map(str::to_string),
            detail: e
                .detail()
                .map(str::to_string)
                .unwrap_or_else(|| e.to_string()),
        }
    }
}
