//! The Redis backend: one Redis server (or a Redis Cluster), shared by any number of
//! gateway processes.
//!
//! Invariants:
//! - Every operation is bounded by the configured timeout: with Redis down a call fails
//!   fast (legacy error 2), and the next call after Redis returns works again, without a
//!   restart (the connection is re-made lazily).
//! - Multi-key writes are Lua scripts (files in `lua/`) whose keys all share one hash tag.
//! - Deliveries live in per-partition streams read by one consumer group; an entry leaves
//!   its stream only when a worker completed it (XACK + XDEL in one script), so a crash
//!   between claim and completion redelivers it (XAUTOCLAIM after [`RECLAIM_IDLE`]).
//! - Each copy of the store that runs on its own runtime (each actix worker, and the
//!   delivery workers' runtime) has its own connections, made on that runtime (see
//!   [`conn`]); everything else (keys, wake-ups, the outbox's bookkeeping) is shared.
//! - A connection found broken by any copy (an I/O error, or the wake-up subscription
//!   lost) bumps a shared generation, and every copy re-makes its connections before its
//!   next command: after a Redis restart, the copies that had been idle do not each fail
//!   their first call on a dead socket.

mod conn;
mod decode;
mod graph;
mod inbox;
mod outbox;
mod rate;
mod requests;
pub mod scripts;
mod sessions;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ::redis::Cmd;
use tokio::sync::Notify;

use self::conn::{Connection, Connections};
use self::decode::corrupt;
use super::keys::Keys;
use super::traits::Store;
use super::StoreError;
use crate::config::StoreSettings;

/// A delivery claimed but not completed for this long is taken over by another worker
/// (unless configured otherwise: `outbox.reclaim_idle_secs`).
pub const RECLAIM_IDLE: Duration = Duration::from_secs(30);
/// How often due retries are moved back into the streams.
const PROMOTE_EVERY: Duration = Duration::from_millis(250);
/// How often every partition's stream is read even without a wake-up message.
const SWEEP_EVERY: Duration = Duration::from_secs(5);
/// How long an inbox (and its seen-set) lives after its last delivery.
const INBOX_TTL_SECS: u64 = 30 * 86_400;

/// What every copy of one store shares, whichever runtime it runs on.
struct Shared {
    settings: StoreSettings,
    keys: Keys,
    timeout: Duration,
    /// The server to subscribe to for wake-ups (any node of a cluster will do).
    pubsub_url: String,
    is_cluster: bool,
    wakeup: Notify,
    hot_partitions: Mutex<BTreeSet<u16>>,
    last_sweep: Mutex<Option<Instant>>,
    last_reclaim: Mutex<Option<Instant>>,
    last_promote: Mutex<Option<Instant>>,
    reclaim_idle_ms: AtomicU64,
    groups_ready: Mutex<bool>,
    /// Bumped when a connection is found broken; older connections are re-made.
    generation: AtomicU64,
}

/// The connections of one copy, and the generation they were made in.
struct Slot {
    made_in: u64,
    conns: Arc<Connections>,
}

#[derive(Clone)]
pub struct RedisStore {
    shared: Arc<Shared>,
    slot: Arc<Mutex<Slot>>,
}

impl RedisStore {
    /// Makes the store without touching the network: connections are made on first use.
    pub fn new(settings: &StoreSettings) -> Result<Self, StoreError> {
        let timeout = Duration::from_millis(settings.timeout_ms.max(10));
        let conns = Connections::new(settings, timeout)?;
        let pubsub_url = settings
            .cluster_urls
            .first()
            .cloned()
            .unwrap_or_else(|| settings.url.clone());
        Ok(Self {
            shared: Arc::new(Shared {
                settings: settings.clone(),
                keys: Keys::new(&settings.key_prefix, settings.partitions),
                timeout,
                pubsub_url,
                is_cluster: conns.is_cluster(),
                wakeup: Notify::new(),
                hot_partitions: Mutex::new(BTreeSet::new()),
                last_sweep: Mutex::new(None),
                last_reclaim: Mutex::new(None),
                last_promote: Mutex::new(None),
                reclaim_idle_ms: AtomicU64::new(RECLAIM_IDLE.as_millis() as u64),
                groups_ready: Mutex::new(false),
                generation: AtomicU64::new(0),
            }),
            slot: Arc::new(Mutex::new(Slot {
                made_in: 0,
                conns: Arc::new(conns),
            })),
        })
    }

    /// Makes the first connection now, on this (the home) runtime, so that its driver
    /// lives here rather than on whichever actix worker would have asked first. A Redis
    /// that is down is not an error here: calls answer error 2 until it is back.
    /// The same store with connections of its own, for the current runtime (an actix
    /// worker): a connection's driver runs on the runtime that made it and dies with it.
    pub fn with_own_connections(&self) -> Result<Self, StoreError> {
        Ok(Self {
            shared: self.shared.clone(),
            slot: Arc::new(Mutex::new(Slot {
                made_in: self.shared.generation.load(Ordering::Acquire),
                conns: Arc::new(Connections::new(
                    &self.shared.settings,
                    self.shared.timeout,
                )?),
            })),
        })
    }

    /// This copy's connections, re-made first when another copy found theirs broken.
    fn conns(&self) -> Result<Arc<Connections>, StoreError> {
        let generation = self.shared.generation.load(Ordering::Acquire);
        let mut slot = self.slot.lock().expect("lock");
        if slot.made_in < generation {
            slot.conns = Arc::new(Connections::new(
                &self.shared.settings,
                self.shared.timeout,
            )?);
            slot.made_in = generation;
        }
        Ok(slot.conns.clone())
    }

    /// Tells every copy that connections made until now may be broken.
    fn connections_broken(&self) {
        self.shared.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn noting_breakage<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        if let Err(StoreError::Redis {
            kind: ::redis::ErrorKind::Io,
            ..
        }) = &result
        {
            self.connections_broken();
        }
        result
    }

    pub async fn warm_up(&self) {
        if let Err(e) = self.ping().await {
            tracing::warn!(error = %e, "redis not reachable yet");
        }
    }

    pub fn keys(&self) -> &Keys {
        &self.shared.keys
    }

    /// How long a claimed delivery may stay unfinished before another worker takes it.
    pub fn set_reclaim_idle(&self, idle: Duration) {
        self.shared.reclaim_idle_ms.store(
            idle.as_millis().max(1) as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    fn reclaim_idle(&self) -> Duration {
        Duration::from_millis(
            self.shared
                .reclaim_idle_ms
                .load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    fn due(slot: &Mutex<Option<Instant>>, every: Duration) -> bool {
        let now = Instant::now();
        let mut last = slot.lock().expect("lock");
        if last.is_none_or(|t| now.duration_since(t) >= every) {
            *last = Some(now);
            true
        } else {
            false
        }
    }

    async fn conn(&self) -> Result<Connection, StoreError> {
        let conns = self.conns()?;
        let conn = conns.get().await;
        self.noting_breakage(conn)
    }

    async fn bounded<T>(
        &self,
        fut: impl std::future::Future<Output = ::redis::RedisResult<T>>,
    ) -> Result<T, StoreError> {
        let result = self.conns()?.bounded(fut).await;
        self.noting_breakage(result)
    }

    async fn run_script<T: ::redis::FromRedisValue>(
        &self,
        inv: &::redis::ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        let result = self.conns()?.run_script(inv).await;
        self.noting_breakage(result)
    }

    async fn query<T: ::redis::FromRedisValue>(&self, cmd: &Cmd) -> Result<T, StoreError> {
        let result = self.conns()?.query(cmd).await;
        self.noting_breakage(result)
    }
}

impl Store for RedisStore {
    async fn ping(&self) -> Result<(), StoreError> {
        let pong: String = self.query(&::redis::cmd("PING")).await?;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(corrupt(pong))
        }
    }
}
