//! The Redis backend: one Redis server (or a Redis Cluster), shared by any number of
//! gateway processes.
//!
//! Invariants:
//! - Every operation is bounded by the configured timeout: with Redis down a call fails
//!   fast with [`StoreError::Unavailable`] (legacy error 2), and the next call after Redis
//!   returns works again, without a restart (the connection is re-made lazily).
//! - Multi-key writes are Lua scripts (files in `lua/`) whose keys all share one hash tag.
//! - Deliveries live in per-partition streams read by one consumer group; an entry leaves
//!   its stream only when a worker completed it (XACK + XDEL in one script), so a crash
//!   between claim and completion redelivers it (XAUTOCLAIM after [`RECLAIM_IDLE`]).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ::redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use ::redis::cluster_async::ClusterConnection;
use ::redis::{Cmd, Pipeline, RedisFuture, Script, Value};
use tokio::sync::Notify;

use super::keys::{Keys, OUTBOX_GROUP};
use super::*;
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

static PUT_SESSION: std::sync::LazyLock<Script> =
    std::sync::LazyLock::new(|| Script::new(include_str!("lua/put_session.lua")));
static GATE: std::sync::LazyLock<Script> =
    std::sync::LazyLock::new(|| Script::new(include_str!("lua/gate.lua")));
static SEND_REQUEST: std::sync::LazyLock<Script> =
    std::sync::LazyLock::new(|| Script::new(include_str!("lua/send_request.lua")));
static INBOX_DELIVER: std::sync::LazyLock<Script> =
    std::sync::LazyLock::new(|| Script::new(include_str!("lua/inbox_deliver.lua")));
static SETTLE: std::sync::LazyLock<Script> =
    std::sync::LazyLock::new(|| Script::new(include_str!("lua/settle.lua")));
static RESCHEDULE: std::sync::LazyLock<Script> =
    std::sync::LazyLock::new(|| Script::new(include_str!("lua/reschedule.lua")));
static PROMOTE: std::sync::LazyLock<Script> =
    std::sync::LazyLock::new(|| Script::new(include_str!("lua/promote.lua")));
static DEAD_LETTER: std::sync::LazyLock<Script> =
    std::sync::LazyLock::new(|| Script::new(include_str!("lua/dead_letter.lua")));
static COMPLETE_DELIVERY: std::sync::LazyLock<Script> =
    std::sync::LazyLock::new(|| Script::new(include_str!("lua/complete_delivery.lua")));

/// A connection to one server or to a cluster; both reconnect by themselves.
#[derive(Clone)]
pub enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Connection::Single(c) => c.req_packed_command(cmd),
            Connection::Cluster(c) => c.req_packed_command(cmd),
        }
    }
    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Connection::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Connection::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }
    fn get_db(&self) -> i64 {
        match self {
            Connection::Single(c) => c.get_db(),
            Connection::Cluster(c) => c.get_db(),
        }
    }
}

struct Shared {
    keys: Keys,
    timeout: Duration,
    /// The server to subscribe to for wake-ups (any node of a cluster will do).
    pubsub_url: String,
    is_cluster: bool,
    /// Lazily made cluster connection (a cluster client cannot connect lazily by itself).
    cluster: tokio::sync::Mutex<Option<ClusterConnection>>,
    cluster_client: Option<::redis::cluster::ClusterClient>,
    single: Option<ConnectionManager>,
    wakeup: Notify,
    hot_partitions: Mutex<BTreeSet<u16>>,
    last_sweep: Mutex<Option<Instant>>,
    last_reclaim: Mutex<Option<Instant>>,
    last_promote: Mutex<Option<Instant>>,
    reclaim_idle_ms: std::sync::atomic::AtomicU64,
    groups_ready: Mutex<bool>,
}

#[derive(Clone)]
pub struct RedisStore {
    shared: Arc<Shared>,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

impl RedisStore {
    /// Makes the store without touching the network: connections are made on first use.
    pub fn new(settings: &StoreSettings) -> Result<Self, StoreError> {
        let timeout = Duration::from_millis(settings.timeout_ms.max(10));
        let keys = Keys::new(&settings.key_prefix, settings.partitions);
        let (single, cluster_client, pubsub_url) = if settings.cluster_urls.is_empty() {
            let client = ::redis::Client::open(settings.url.as_str()).map_err(unavailable)?;
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(timeout))
                .set_response_timeout(Some(timeout))
                .set_number_of_retries(1)
                .set_max_delay(timeout);
            let manager = client
                .get_connection_manager_lazy(config)
                .map_err(unavailable)?;
            (Some(manager), None, settings.url.clone())
        } else {
            let client = ::redis::cluster::ClusterClientBuilder::new(settings.cluster_urls.clone())
                .connection_timeout(timeout)
                .response_timeout(timeout)
                .retries(2)
                .build()
                .map_err(unavailable)?;
            (None, Some(client), settings.cluster_urls[0].clone())
        };
        Ok(Self {
            shared: Arc::new(Shared {
                keys,
                timeout,
                pubsub_url,
                is_cluster: cluster_client.is_some(),
                cluster: tokio::sync::Mutex::new(None),
                cluster_client,
                single,
                wakeup: Notify::new(),
                hot_partitions: Mutex::new(BTreeSet::new()),
                last_sweep: Mutex::new(None),
                last_reclaim: Mutex::new(None),
                last_promote: Mutex::new(None),
                reclaim_idle_ms: std::sync::atomic::AtomicU64::new(RECLAIM_IDLE.as_millis() as u64),
                groups_ready: Mutex::new(false),
            }),
        })
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

    /// Moves due retries of every partition back into their streams.
    async fn promote_due(&self, now_ms: i64) -> Result<(), StoreError> {
        let keys = &self.shared.keys;
        let mut conn = self.conn().await?;
        if self.shared.is_cluster {
            for p in 0..keys.partitions() {
                let mut inv = PROMOTE.prepare_invoke();
                inv.key(keys.delayed(p))
                    .key(keys.outbox(p))
                    .arg(now_ms)
                    .arg(100);
                let moved = self.bounded(inv.invoke_async::<i64>(&mut conn)).await?;
                if moved > 0 {
                    // Read this partition's stream on the next claim, not at the next sweep.
                    self.shared.hot_partitions.lock().expect("lock").insert(p);
                }
            }
            return Ok(());
        }
        // One round trip on a single server: the scripts are loaded once, then pipelined.
        let sha = PROMOTE.get_hash().to_string();
        let mut pipe = ::redis::pipe();
        for p in 0..keys.partitions() {
            pipe.cmd("EVALSHA")
                .arg(&sha)
                .arg(2)
                .arg(keys.delayed(p))
                .arg(keys.outbox(p))
                .arg(now_ms)
                .arg(100)
                .ignore();
        }
        match self.bounded(pipe.query_async::<()>(&mut conn)).await {
            Err(StoreError::Unavailable(msg)) if msg.to_ascii_uppercase().contains("NOSCRIPT") => {
                // First use on this server (or it restarted without the script cache).
                let _: String = self
                    .bounded(PROMOTE.prepare_invoke().load_async(&mut conn))
                    .await?;
                self.bounded(pipe.query_async::<()>(&mut conn)).await
            }
            other => other,
        }
    }

    async fn conn(&self) -> Result<Connection, StoreError> {
        if let Some(single) = &self.shared.single {
            return Ok(Connection::Single(single.clone()));
        }
        let mut guard = self.shared.cluster.lock().await;
        if let Some(c) = guard.as_ref() {
            return Ok(Connection::Cluster(c.clone()));
        }
        let client = self
            .shared
            .cluster_client
            .as_ref()
            .expect("a store has a single or a cluster client");
        let c = tokio::time::timeout(self.shared.timeout * 3, client.get_async_connection())
            .await
            .map_err(|_| unavailable("timed out connecting to the cluster"))
            .and_then(|r| r.map_err(unavailable))
            .inspect_err(|_| metrics::counter!(crate::telemetry::REDIS_ERRORS).increment(1))?;
        *guard = Some(c.clone());
        Ok(Connection::Cluster(c))
    }

    /// Runs `fut` within the store's time bound.
    async fn bounded<T>(
        &self,
        fut: impl std::future::Future<Output = ::redis::RedisResult<T>>,
    ) -> Result<T, StoreError> {
        let result = match tokio::time::timeout(self.shared.timeout * 2, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(unavailable(e)),
            Err(_) => Err(unavailable("timed out")),
        };
        if result.is_err() {
            metrics::counter!(crate::telemetry::REDIS_ERRORS).increment(1);
        }
        result
    }

    /// Runs a prepared script within the store's time bound.
    async fn run_script<T: ::redis::FromRedisValue>(
        &self,
        inv: &::redis::ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn().await?;
        self.bounded(inv.invoke_async(&mut conn)).await
    }

    async fn query<T: ::redis::FromRedisValue>(&self, cmd: &Cmd) -> Result<T, StoreError> {
        let mut conn = self.conn().await?;
        self.bounded(cmd.query_async(&mut conn)).await
    }

    /// Listens for wake-up messages until the process ends; run it once per process that
    /// has workers. Reconnects after a failure.
    pub async fn listen_for_wakeups(self) {
        loop {
            if let Err(e) = self.listen_once().await {
                tracing::debug!(error = %e, "wake-up subscription lost; retrying");
            }
            // Whatever arrived meanwhile is found by the periodic sweep.
            self.shared.wakeup.notify_waiters();
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn listen_once(&self) -> ::redis::RedisResult<()> {
        use futures_util::StreamExt;
        let client = ::redis::Client::open(self.shared.pubsub_url.as_str())?;
        let mut pubsub = tokio::time::timeout(self.shared.timeout * 3, client.get_async_pubsub())
            .await
            .map_err(|_| {
                ::redis::RedisError::from((::redis::ErrorKind::Io, "connect timed out"))
            })??;
        pubsub.subscribe(self.shared.keys.wakeup_channel()).await?;
        let mut messages = pubsub.on_message();
        while let Some(msg) = messages.next().await {
            let stream: String = msg.get_payload().unwrap_or_default();
            if let Some(p) = partition_of_stream(&stream) {
                self.shared.hot_partitions.lock().expect("lock").insert(p);
            }
            self.shared.wakeup.notify_waiters();
        }
        Ok(())
    }

    async fn ensure_groups(&self) -> Result<(), StoreError> {
        if *self.shared.groups_ready.lock().expect("lock") {
            return Ok(());
        }
        for p in 0..self.shared.keys.partitions() {
            let res: Result<Value, StoreError> = self
                .query(
                    ::redis::cmd("XGROUP")
                        .arg("CREATE")
                        .arg(self.shared.keys.outbox(p))
                        .arg(OUTBOX_GROUP)
                        .arg("0")
                        .arg("MKSTREAM"),
                )
                .await;
            match res {
                Ok(_) => {}
                Err(StoreError::Unavailable(msg)) if msg.contains("BUSYGROUP") => {}
                Err(e) => return Err(e),
            }
        }
        *self.shared.groups_ready.lock().expect("lock") = true;
        Ok(())
    }

    fn partitions_to_read(&self) -> Vec<u16> {
        let now = Instant::now();
        let mut last = self.shared.last_sweep.lock().expect("lock");
        let sweep =
            !self.shared.is_cluster || last.is_none_or(|t| now.duration_since(t) >= SWEEP_EVERY);
        let mut hot = self.shared.hot_partitions.lock().expect("lock");
        if sweep {
            *last = Some(now);
            hot.clear();
            (0..self.shared.keys.partitions()).collect()
        } else {
            std::mem::take(&mut *hot).into_iter().collect()
        }
    }

    fn reclaim_due(&self) -> bool {
        Self::due(
            &self.shared.last_reclaim,
            (self.reclaim_idle() / 2).max(Duration::from_millis(100)),
        )
    }

    async fn read_group(
        &self,
        consumer: &str,
        max: usize,
        partitions: &[u16],
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut out = Vec::new();
        // One command for all streams on one server; one per stream on a cluster, where
        // a command's keys must share a slot.
        let groups: Vec<&[u16]> = if self.shared.is_cluster {
            partitions.chunks(1).collect()
        } else {
            vec![partitions]
        };
        for group in groups {
            if out.len() >= max || group.is_empty() {
                continue;
            }
            let mut cmd = ::redis::cmd("XREADGROUP");
            cmd.arg("GROUP")
                .arg(OUTBOX_GROUP)
                .arg(consumer)
                .arg("COUNT")
                .arg(max - out.len())
                .arg("STREAMS");
            for p in group {
                cmd.arg(self.shared.keys.outbox(*p));
            }
            for _ in group {
                cmd.arg(">");
            }
            let reply: Value = match self.query(&cmd).await {
                Ok(v) => v,
                Err(StoreError::Unavailable(msg)) if msg.contains("NOGROUP") => {
                    *self.shared.groups_ready.lock().expect("lock") = false;
                    self.ensure_groups().await?;
                    return Ok(out);
                }
                Err(e) => return Err(e),
            };
            parse_xread(&reply, &mut out)?;
        }
        Ok(out)
    }

    async fn reclaim(&self, consumer: &str, max: usize) -> Result<Vec<Delivery>, StoreError> {
        let mut out = Vec::new();
        for p in 0..self.shared.keys.partitions() {
            if out.len() >= max {
                break;
            }
            let reply: Value = self
                .query(
                    ::redis::cmd("XAUTOCLAIM")
                        .arg(self.shared.keys.outbox(p))
                        .arg(OUTBOX_GROUP)
                        .arg(consumer)
                        .arg(self.reclaim_idle().as_millis() as u64)
                        .arg("0-0")
                        .arg("COUNT")
                        .arg(max - out.len()),
                )
                .await?;
            // [next-cursor, [[id, [field, value...]], ...], deleted-ids]
            if let Value::Array(parts) = reply {
                if let Some(Value::Array(entries)) = parts.get(1) {
                    parse_entries(entries, &mut out)?;
                }
            }
        }
        Ok(out)
    }
}

/// `fbb:{17}:outbox` -> 17
fn partition_of_stream(stream: &str) -> Option<u16> {
    let start = stream.find('{')? + 1;
    let end = start + stream[start..].find('}')?;
    stream[start..end].parse().ok()
}

fn as_string(v: &Value) -> Result<String, StoreError> {
    match v {
        Value::BulkString(b) => Ok(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Ok(s.clone()),
        Value::Int(i) => Ok(i.to_string()),
        other => Err(corrupt(format!("expected a string, got {other:?}"))),
    }
}

fn parse_xread(reply: &Value, out: &mut Vec<Delivery>) -> Result<(), StoreError> {
    let streams = match reply {
        Value::Nil => return Ok(()),
        Value::Array(s) => s,
        Value::Map(m) => {
            for (_, entries) in m {
                if let Value::Array(entries) = entries {
                    parse_entries(entries, out)?;
                }
            }
            return Ok(());
        }
        other => return Err(corrupt(format!("XREADGROUP answered {other:?}"))),
    };
    for stream in streams {
        if let Value::Array(pair) = stream {
            if let Some(Value::Array(entries)) = pair.get(1) {
                parse_entries(entries, out)?;
            }
        }
    }
    Ok(())
}

fn parse_entries(entries: &[Value], out: &mut Vec<Delivery>) -> Result<(), StoreError> {
    for entry in entries {
        let Value::Array(parts) = entry else { continue };
        let (Some(id), Some(Value::Array(fields))) = (parts.first(), parts.get(1)) else {
            continue;
        };
        let handle = as_string(id)?;
        let mut api = None;
        let mut from = None;
        let mut req = None;
        let mut to = None;
        let mut attempt = 0;
        for kv in fields.chunks(2) {
            if kv.len() < 2 {
                continue;
            }
            let value = as_string(&kv[1])?;
            match as_string(&kv[0])?.as_str() {
                "api" => api = ApiKey::parse(&value),
                "from" => from = Uid::parse(&value),
                "id" => req = value.parse::<u64>().ok(),
                "to" => to = Uid::parse(&value),
                "n" => attempt = value.parse().unwrap_or(0),
                _ => {}
            }
        }
        match (api, from, req, to) {
            (Some(api_key), Some(from), Some(id), Some(to)) => out.push(Delivery {
                api_key,
                from,
                id,
                to,
                attempt,
                handle,
            }),
            _ => return Err(corrupt(format!("outbox entry {handle} is incomplete"))),
        }
    }
    Ok(())
}

fn first_word(reply: &[String]) -> &str {
    reply.first().map(String::as_str).unwrap_or("")
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

    async fn put_session(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let mut inv = PUT_SESSION.prepare_invoke();
        inv.key(self.shared.keys.session(&record.api_key, key))
            .arg(record.api_key.as_str())
            .arg(record.uid.get())
            .arg(record.expires_at_ms)
            .arg(ttl.as_millis().max(1) as u64);
        self.run_script::<i64>(&inv).await.map(|_| ())
    }

    async fn gate_call(&self, gate: &CallGate) -> Result<Result<(), GateRefusal>, StoreError> {
        let keys = &self.shared.keys;
        let mut inv = GATE.prepare_invoke();
        inv.key(keys.session(&gate.api_key, &gate.session))
            .arg(gate.api_key.as_str())
            .arg(gate.session.uid().get())
            .arg(gate.call_id.as_ref().map(|c| c.sortable()).unwrap_or(""))
            .arg(gate.now_ms);
        let reply: Vec<String> = self.run_script(&inv).await?;
        match first_word(&reply) {
            "OK" => Ok(Ok(())),
            "SESSION" => Ok(Err(GateRefusal::Session)),
            "CALLID" => Ok(Err(GateRefusal::CallId)),
            other => Err(corrupt(format!("gate script answered {other}"))),
        }
    }

    async fn send_request(
        &self,
        op: &SendRequestOp,
    ) -> Result<Result<SendOutcome, SendRefusal>, StoreError> {
        let keys = &self.shared.keys;
        let api = &op.gate.api_key;
        let from = op.gate.session.uid();
        let r = &op.request;
        let retention =
            (r.expires_at_ms - r.created_at_ms).max(0) as u64 / 1000 + REQUEST_RETENTION.as_secs();
        let mut inv = SEND_REQUEST.prepare_invoke();
        inv.key(keys.session(api, &op.gate.session))
            .key(keys.friends(api, from))
            .key(keys.quota(api, from, &op.quota_day))
            .key(keys.request(api, from, r.id))
            .key(keys.outbox_of(api, from))
            .key(keys.request_index(api, from))
            .arg(api.as_str())
            .arg(from.get())
            .arg(op.gate.call_id.as_ref().map(|c| c.sortable()).unwrap_or(""))
            .arg(op.gate.now_ms)
            .arg(op.quota_limit)
            .arg(QUOTA_TTL.as_secs())
            .arg(if op.direct_delivery { "1" } else { "0" })
            .arg(if op.recipients_resolved { "1" } else { "0" })
            .arg(r.id)
            .arg(&r.kind)
            .arg(&r.content)
            .arg(r.image.as_deref().unwrap_or(""))
            .arg(if r.invite { "1" } else { "0" })
            .arg(&r.token_hash)
            .arg(r.expires_at_ms)
            .arg(retention)
            .arg(keys.wakeup_channel())
            .arg(&op.quota_day)
            .arg(op.recipients.len());
        for uid in &op.recipients {
            inv.arg(uid.get());
        }
        for uid in &op.known_app_users {
            inv.arg(uid.get());
        }
        let reply: Vec<String> = self.run_script(&inv).await?;
        let outcome = match first_word(&reply) {
            "PENDING" => Ok(SendOutcome::Pending),
            "QUEUED" => {
                self.shared
                    .hot_partitions
                    .lock()
                    .expect("lock")
                    .insert(keys.partition(api, from));
                self.shared.wakeup.notify_waiters();
                Ok(SendOutcome::Queued)
            }
            "SESSION" => Err(SendRefusal::Gate(GateRefusal::Session)),
            "CALLID" => Err(SendRefusal::Gate(GateRefusal::CallId)),
            "RESOLVE" => Err(SendRefusal::Unresolved(
                reply[1..].iter().filter_map(|u| Uid::parse(u)).collect(),
            )),
            "INVALID_USER" => Err(SendRefusal::InvalidUser),
            "QUOTA" => Err(SendRefusal::Quota {
                used: reply.get(1).and_then(|u| u.parse().ok()).unwrap_or(0),
            }),
            "ID_TAKEN" => Err(SendRefusal::IdTaken),
            other => return Err(corrupt(format!("send script answered {other}"))),
        };
        Ok(outcome)
    }

    async fn app_users(&self, api_key: &ApiKey, uids: &[Uid]) -> Result<Vec<Uid>, StoreError> {
        let mut users = Vec::new();
        for uid in uids {
            let v: Option<String> = self
                .query(::redis::cmd("GET").arg(self.shared.keys.installed(api_key, *uid)))
                .await?;
            if v.as_deref() == Some("1") {
                users.push(*uid);
            }
        }
        Ok(users)
    }

    async fn quota_used(&self, api_key: &ApiKey, uid: Uid, day: &str) -> Result<u32, StoreError> {
        let v: Option<u32> = self
            .query(::redis::cmd("GET").arg(self.shared.keys.quota(api_key, uid, day)))
            .await?;
        Ok(v.unwrap_or(0))
    }

    async fn set_friends(
        &self,
        api_key: &ApiKey,
        uid: Uid,
        friends: &[Uid],
    ) -> Result<(), StoreError> {
        let keys = &self.shared.keys;
        let own = keys.friends(api_key, uid);
        let old: Vec<String> = self.query(::redis::cmd("HKEYS").arg(&own)).await?;
        for gone in old.iter().filter_map(|u| Uid::parse(u)) {
            if !friends.contains(&gone) {
                let _: i64 = self
                    .query(
                        ::redis::cmd("HDEL")
                            .arg(keys.friends(api_key, gone))
                            .arg(uid.get()),
                    )
                    .await?;
            }
        }
        let installed = self.app_users(api_key, &[uid]).await?.contains(&uid);
        let friends_installed = self.app_users(api_key, friends).await?;
        let _: i64 = self.query(::redis::cmd("DEL").arg(&own)).await?;
        for f in friends {
            let flag = if friends_installed.contains(f) {
                "1"
            } else {
                "0"
            };
            let _: i64 = self
                .query(::redis::cmd("HSET").arg(&own).arg(f.get()).arg(flag))
                .await?;
            let _: i64 = self
                .query(
                    ::redis::cmd("HSET")
                        .arg(keys.friends(api_key, *f))
                        .arg(uid.get())
                        .arg(if installed { "1" } else { "0" }),
                )
                .await?;
        }
        Ok(())
    }

    async fn set_installed(
        &self,
        api_key: &ApiKey,
        uid: Uid,
        installed: bool,
    ) -> Result<(), StoreError> {
        let keys = &self.shared.keys;
        let key = keys.installed(api_key, uid);
        if installed {
            let _: () = self.query(::redis::cmd("SET").arg(&key).arg("1")).await?;
        } else {
            let _: i64 = self.query(::redis::cmd("DEL").arg(&key)).await?;
        }
        let friends: Vec<String> = self
            .query(::redis::cmd("HKEYS").arg(keys.friends(api_key, uid)))
            .await?;
        for f in friends.iter().filter_map(|u| Uid::parse(u)) {
            let _: i64 = self
                .query(
                    ::redis::cmd("HSET")
                        .arg(keys.friends(api_key, f))
                        .arg(uid.get())
                        .arg(if installed { "1" } else { "0" }),
                )
                .await?;
        }
        Ok(())
    }

    async fn get_request(
        &self,
        api_key: &ApiKey,
        from: Uid,
        id: u64,
    ) -> Result<Option<RequestRecord>, StoreError> {
        let fields: std::collections::HashMap<String, String> = self
            .query(::redis::cmd("HGETALL").arg(self.shared.keys.request(api_key, from, id)))
            .await?;
        if fields.is_empty() {
            return Ok(None);
        }
        record_from_fields(api_key, from, id, &fields).map(Some)
    }

    async fn settle_request(
        &self,
        record: &RequestRecord,
        settlement: &Settlement,
        now_ms: i64,
    ) -> Result<SettleOutcome, StoreError> {
        let keys = &self.shared.keys;
        let (api, from, id) = (&record.api_key, record.from, record.id);
        let (action, enqueue, platform_id, detail, chosen): (&str, bool, &str, &str, &[Uid]) =
            match settlement {
                Settlement::Send { enqueue } => ("send", *enqueue, "", "", &[]),
                Settlement::Cancel { detail } => ("cancel", false, "", detail.as_str(), &[]),
                Settlement::Mixi {
                    platform_request_id,
                    chosen,
                } => (
                    "mixi",
                    false,
                    platform_request_id.as_str(),
                    "not chosen in the mixi dialog",
                    chosen.as_slice(),
                ),
            };
        let mut inv = SETTLE.prepare_invoke();
        inv.key(keys.request(api, from, id))
            .key(keys.outbox_of(api, from))
            .key(keys.quota(api, from, &record.quota_day))
            .arg(action)
            .arg(now_ms)
            .arg(keys.wakeup_channel())
            .arg(api.as_str())
            .arg(from.get())
            .arg(id)
            .arg(if enqueue { "1" } else { "0" })
            .arg(platform_id)
            .arg(detail);
        for uid in chosen {
            inv.arg(uid.get());
        }
        let reply: Vec<String> = self.run_script(&inv).await?;
        match first_word(&reply) {
            "OK" => {
                if enqueue {
                    self.shared
                        .hot_partitions
                        .lock()
                        .expect("lock")
                        .insert(keys.partition(api, from));
                    self.shared.wakeup.notify_waiters();
                }
                Ok(SettleOutcome::Settled {
                    refunded: reply.get(1).and_then(|r| r.parse().ok()).unwrap_or(0),
                })
            }
            "MISSING" => Ok(SettleOutcome::Missing),
            "EXPIRED" => Ok(SettleOutcome::Expired),
            "DONE" => reply
                .get(1)
                .and_then(|s| RequestStatus::parse(s))
                .map(SettleOutcome::AlreadySettled)
                .ok_or_else(|| corrupt("settle script answered an unknown status")),
            other => Err(corrupt(format!("settle script answered {other}"))),
        }
    }

    async fn recent_requests(
        &self,
        api_key: &ApiKey,
        from: Uid,
        limit: usize,
    ) -> Result<Vec<u64>, StoreError> {
        let ids: Vec<String> = self
            .query(
                ::redis::cmd("LRANGE")
                    .arg(self.shared.keys.request_index(api_key, from))
                    .arg(0)
                    .arg(limit.max(1) as i64 - 1),
            )
            .await?;
        Ok(ids.iter().filter_map(|i| i.parse().ok()).collect())
    }

    async fn claim_deliveries(
        &self,
        consumer: &str,
        max: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.ensure_groups().await?;
        if Self::due(&self.shared.last_promote, PROMOTE_EVERY) {
            self.promote_due(chrono::Utc::now().timestamp_millis())
                .await?;
        }
        let mut out = Vec::new();
        if self.reclaim_due() {
            out = self.reclaim(consumer, max).await?;
        }
        if out.len() < max {
            let partitions = self.partitions_to_read();
            out.extend(
                self.read_group(consumer, max - out.len(), &partitions)
                    .await?,
            );
        }
        Ok(out)
    }

    async fn reschedule_delivery(
        &self,
        d: &Delivery,
        due_ms: i64,
        attempt: u32,
        reason: &str,
    ) -> Result<(), StoreError> {
        let keys = &self.shared.keys;
        let p = keys.partition(&d.api_key, d.from);
        let member = serde_json::json!({
            "api": d.api_key.as_str(),
            "from": d.from.to_string(),
            "id": d.id.to_string(),
            "to": d.to.to_string(),
            "n": attempt.to_string(),
            // Keeps two waits of the same message apart in the set.
            "h": d.handle,
        })
        .to_string();
        let mut inv = RESCHEDULE.prepare_invoke();
        inv.key(keys.outbox(p))
            .key(keys.delayed(p))
            .key(keys.request(&d.api_key, d.from, d.id))
            .arg(OUTBOX_GROUP)
            .arg(&d.handle)
            .arg(due_ms)
            .arg(member)
            .arg(d.to.get())
            .arg(reason);
        self.run_script::<i64>(&inv).await.map(|_| ())
    }

    async fn dead_letter(
        &self,
        d: &Delivery,
        last_error: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let keys = &self.shared.keys;
        let p = keys.partition(&d.api_key, d.from);
        let item =
            serde_json::to_string(&DeadLetter::new(d, last_error, now_ms)).map_err(corrupt)?;
        let mut inv = DEAD_LETTER.prepare_invoke();
        inv.key(keys.request(&d.api_key, d.from, d.id))
            .key(keys.outbox(p))
            .key(keys.dead(p))
            .arg(OUTBOX_GROUP)
            .arg(&d.handle)
            .arg(d.to.get())
            .arg(last_error)
            .arg(item)
            .arg(DEAD_LETTER_LIMIT);
        self.run_script::<i64>(&inv).await.map(|_| ())
    }

    async fn take_rate_window(
        &self,
        key: &RateKey,
        window: Duration,
    ) -> Result<Option<Duration>, StoreError> {
        let k = self.shared.keys.rate_window(key);
        let ms = window.as_millis().max(1) as u64;
        let taken: Option<String> = self
            .query(
                ::redis::cmd("SET")
                    .arg(&k)
                    .arg("1")
                    .arg("NX")
                    .arg("PX")
                    .arg(ms),
            )
            .await?;
        if taken.is_some() {
            return Ok(None);
        }
        let left: i64 = self.query(::redis::cmd("PTTL").arg(&k)).await?;
        Ok(Some(Duration::from_millis(left.max(1) as u64)))
    }

    async fn release_rate_window(&self, key: &RateKey) -> Result<(), StoreError> {
        let _: i64 = self
            .query(::redis::cmd("DEL").arg(self.shared.keys.rate_window(key)))
            .await?;
        Ok(())
    }

    async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let keys = &self.shared.keys;
        let mut counts = OutboxCounts::default();
        for p in 0..keys.partitions() {
            let stream_len: u64 = self.query(::redis::cmd("XLEN").arg(keys.outbox(p))).await?;
            let pending: Value = self
                .query(
                    ::redis::cmd("XPENDING")
                        .arg(keys.outbox(p))
                        .arg(OUTBOX_GROUP),
                )
                .await
                .unwrap_or(Value::Nil);
            let in_flight = match &pending {
                Value::Array(parts) => match parts.first() {
                    Some(Value::Int(n)) => *n as u64,
                    _ => 0,
                },
                _ => 0,
            };
            let scheduled: u64 = self
                .query(::redis::cmd("ZCARD").arg(keys.delayed(p)))
                .await?;
            let dead: u64 = self.query(::redis::cmd("LLEN").arg(keys.dead(p))).await?;
            counts.in_flight += in_flight;
            counts.pending += stream_len.saturating_sub(in_flight);
            counts.scheduled += scheduled;
            counts.dead += dead;
        }
        Ok(counts)
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, StoreError> {
        let keys = &self.shared.keys;
        let mut all = Vec::new();
        for p in 0..keys.partitions() {
            let raw: Vec<String> = self
                .query(
                    ::redis::cmd("LRANGE")
                        .arg(keys.dead(p))
                        .arg(0)
                        .arg(limit as i64 - 1),
                )
                .await?;
            for item in raw {
                all.push(serde_json::from_str::<DeadLetter>(&item).map_err(corrupt)?);
            }
        }
        all.sort_by(|a, b| b.dead_at.cmp(&a.dead_at));
        all.truncate(limit);
        Ok(all)
    }

    async fn wait_for_deliveries(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.shared.wakeup.notified()).await;
    }

    async fn deliver_to_inbox(&self, d: &Delivery, item: &InboxItem) -> Result<(), StoreError> {
        let keys = &self.shared.keys;
        let json = serde_json::to_string(item).map_err(corrupt)?;
        let mut inv = INBOX_DELIVER.prepare_invoke();
        inv.key(keys.inbox(&d.api_key, d.to))
            .key(keys.inbox_seen(&d.api_key, d.to))
            .arg(format!("{}:{}", d.from, d.id))
            .arg(json)
            .arg(INBOX_LIMIT)
            .arg(INBOX_TTL_SECS);
        self.run_script::<i64>(&inv).await.map(|_| ())
    }

    async fn complete_delivery(
        &self,
        d: &Delivery,
        state: DeliveryState,
        detail: &str,
    ) -> Result<(), StoreError> {
        let keys = &self.shared.keys;
        let mut inv = COMPLETE_DELIVERY.prepare_invoke();
        inv.key(keys.request(&d.api_key, d.from, d.id))
            .key(keys.outbox_of(&d.api_key, d.from))
            .arg(OUTBOX_GROUP)
            .arg(&d.handle)
            .arg(d.to.get())
            .arg(state.as_str())
            .arg(detail);
        self.run_script::<i64>(&inv).await.map(|_| ())
    }

    async fn inbox(&self, api_key: &ApiKey, uid: Uid) -> Result<Vec<InboxItem>, StoreError> {
        let raw: Vec<String> = self
            .query(
                ::redis::cmd("LRANGE")
                    .arg(self.shared.keys.inbox(api_key, uid))
                    .arg(0)
                    .arg(INBOX_LIMIT as i64 - 1),
            )
            .await?;
        raw.iter()
            .map(|j| serde_json::from_str(j).map_err(corrupt))
            .collect()
    }
}

fn record_from_fields(
    api_key: &ApiKey,
    from: Uid,
    id: u64,
    f: &std::collections::HashMap<String, String>,
) -> Result<RequestRecord, StoreError> {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let num = |k: &str| f.get(k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let status = RequestStatus::parse(&get("st"))
        .ok_or_else(|| corrupt(format!("request {from}/{id} has no status")))?;
    let recipients = get("rc")
        .split(',')
        .filter_map(Uid::parse)
        .map(|uid| RecipientView {
            uid,
            state: f
                .get(&format!("r:{uid}"))
                .and_then(|s| DeliveryState::parse(s))
                .unwrap_or(DeliveryState::Pending),
            detail: f.get(&format!("d:{uid}")).cloned().unwrap_or_default(),
        })
        .collect();
    let image = get("im");
    Ok(RequestRecord {
        api_key: api_key.clone(),
        from,
        id,
        status,
        kind: get("ty"),
        content: get("co"),
        image: (!image.is_empty()).then_some(image),
        invite: get("inv") == "1",
        created_at_ms: num("ca"),
        expires_at_ms: num("ex"),
        token_hash: get("th"),
        quota_day: get("qd"),
        platform_request_id: f.get("pr").cloned(),
        recipients,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_give_their_partition() {
        assert_eq!(partition_of_stream("fbb:{17}:outbox"), Some(17));
        assert_eq!(partition_of_stream("nope"), None);
    }
}
