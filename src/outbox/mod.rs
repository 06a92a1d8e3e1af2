//! Delivery workers: take queued deliveries from the store's outbox and hand them to the
//! app's platform.
//!
//! Invariants:
//! - A delivery leaves the outbox only when its platform accepted it (delivered), refused
//!   that recipient for good (dropped), or the retry budget is spent (dead letter, with its
//!   last error). A worker that dies mid-way leaves it to be reclaimed by another.
//! - A message is (request, recipient): before sending, the request's record is read, and a
//!   recipient already delivered, dropped or dead is not sent again.
//! - Rate windows are taken BEFORE sending; a message that would break one waits for it
//!   (without spending an attempt) instead of burning a 503.
//! - Retries wait `retry_schedule_secs[attempt]`; its length is the retry budget.
//! - At shutdown a worker finishes the delivery in hand and hands the rest of its batch
//!   back to the outbox.

mod cleanup;
mod deliver;
pub mod expiry;
mod worker;

use std::sync::Arc;

use tokio::sync::watch;

pub use self::deliver::deliver;
pub use self::worker::run_worker;
use crate::config::Config;
use crate::store::AnyStore;

/// What a worker needs besides the store.
#[derive(Clone)]
pub struct WorkerContext {
    pub config: Arc<Config>,
    pub http: reqwest::Client,
    /// mixi's Graph API tokens, per app.
    pub mixi_tokens: Arc<crate::platform::mixi_graph::MixiTokens>,
}

impl WorkerContext {
    pub fn new(config: Arc<Config>) -> Self {
        let timeout = std::time::Duration::from_millis(config.outbox.http_timeout_ms);
        Self {
            http: crate::platform::client::http_client(timeout),
            config,
            mixi_tokens: Arc::default(),
        }
    }
}

/// Starts `count` delivery workers (and, on Redis, the wake-up listener they share) on the
/// current runtime; they stop when `stop` turns true.
pub fn spawn_pool(
    store: &AnyStore,
    config: &Arc<Config>,
    count: usize,
    stop: watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    if count == 0 {
        return Vec::new();
    }
    if let AnyStore::Redis(redis) = store {
        // Ends with the runtime; it only sets wake-up flags.
        tokio::spawn(redis.clone().listen_for_wakeups());
    }
    let ctx = WorkerContext::new(config.clone());
    let host = uuid::Uuid::new_v4().simple().to_string();
    (0..count)
        .map(|i| {
            tokio::spawn(run_worker(
                store.clone(),
                ctx.clone(),
                format!("{}-{i}", &host[..12]),
                stop.clone(),
            ))
        })
        .collect()
}
