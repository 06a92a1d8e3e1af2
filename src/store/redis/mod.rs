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
mod publish_scripts;
mod rate;
mod record_scripts;
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
use super::keys::{Keys, SCHEMA_VERSION};
use super::traits::Store;
use super::StoreError;
use crate::config::StoreSettings;

/// Why a gateway must not run against this Redis.
#[derive(Debug, thiserror::Error)]
pub enum SchemaMismatch {
    #[error("store.partitions: this Redis was set up with {found} partitions ({key}), this gateway has {ours}; a deployment keeps its partition count for good")]
    Partitions { key: String, found: u16, ours: u16 },
    #[error("store: this Redis holds schema {found} ({key}), this gateway writes schema {ours}; run the gateway version that matches, or migrate first")]
    Schema { key: String, found: u32, ours: u32 },
    #[error("store: the schema record could not be checked: {0}")]
    Unreachable(StoreError),
}

/// A delivery claimed but not completed for this long is taken over by another worker
/// (unless configured otherwise: `outbox.reclaim_idle_secs`).
pub const RECLAIM_IDLE: Duration = Duration::from_secs(30);
/// How often due retries are moved back into the streams.
const PROMOTE_EVERY: Duration = Duration::from_millis(250);
/// How often every partition's stream is read even without a wake-up message.
const SWEEP_EVERY: Duration = Duration::from_secs(5);
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

    /// Records this deployment's layout (schema version and partition count) on first use,
    /// and refuses a Redis that was set up with another: keys written under another
    /// partition count or layout would not be found, so sessions, quotas and queued
    /// deliveries would be silently orphaned. The error names the setting at fault.
    pub async fn check_schema(&self) -> Result<(), SchemaMismatch> {
        let key = self.shared.keys.schema();
        let ours = (SCHEMA_VERSION, self.shared.keys.partitions());
        let mut pipe = ::redis::pipe();
        pipe.atomic()
            .cmd("HSETNX")
            .arg(&key)
            .arg("schema")
            .arg(ours.0)
            .ignore()
            .cmd("HSETNX")
            .arg(&key)
            .arg("partitions")
            .arg(ours.1)
            .ignore()
            .cmd("HMGET")
            .arg(&key)
            .arg("schema")
            .arg("partitions");
        let mut conn = self.conn().await.map_err(SchemaMismatch::Unreachable)?;
        let ((schema, partitions),): ((Option<u32>, Option<u16>),) = self
            .bounded(pipe.query_async(&mut conn))
            .await
            .map_err(SchemaMismatch::Unreachable)?;
        match (schema, partitions) {
            (Some(s), _) if s != ours.0 => Err(SchemaMismatch::Schema {
                key,
                found: s,
                ours: ours.0,
            }),
            (_, Some(p)) if p != ours.1 => Err(SchemaMismatch::Partitions {
                key,
                found: p,
                ours: ours.1,
            }),
            (Some(_), Some(_)) => Ok(()),
            _ => Err(SchemaMismatch::Unreachable(corrupt(format!(
                "{key} is not a schema record"
            )))),
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
