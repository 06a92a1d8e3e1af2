//! Connections to Redis and the time bound around every command.
//!
//! Invariants:
//! - A [`Connections`] lives on the runtime that made it (its home): the single-server
//!   client spawns its reconnections there, the cluster connection is made there
//!   ([`Connections::get`]). Each actix worker makes its own (see `RedisStore`), so no
//!   connection dies with another worker's runtime and no call hops to another thread.
//! - Every command and script runs within the store's bound; past it the caller gets
//!   [`StoreError::TimedOut`] and the next call tries again (the connection is re-made lazily).
//! - `fbbridge_redis_errors_total` counts real failures only: replies the caller expects
//!   and handles (`BUSYGROUP`, `NOSCRIPT`, `NOGROUP`) are not failures.

use std::time::Duration;

use ::redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use ::redis::cluster_async::ClusterConnection;
use ::redis::{Cmd, Pipeline, RedisFuture, Value};

use super::super::StoreError;
use crate::config::StoreSettings;

/// Error replies that callers expect and handle themselves.
const HANDLED_REPLIES: [&str; 3] = ["BUSYGROUP", "NOSCRIPT", "NOGROUP"];

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

/// The clients of one store instance; nothing touches the network until first use.
pub struct Connections {
    home: tokio::runtime::Handle,
    timeout: Duration,
    single: Option<ConnectionManager>,
    cluster_client: Option<::redis::cluster::ClusterClient>,
    /// Made on first use (a cluster client cannot connect lazily by itself).
    cluster: tokio::sync::Mutex<Option<ClusterConnection>>,
}

impl Connections {
    /// Must be called on the runtime the connections are to live on.
    pub fn new(settings: &StoreSettings, timeout: Duration) -> Result<Self, StoreError> {
        let home = tokio::runtime::Handle::try_current()
            .map_err(|_| StoreError::Corrupt("the Redis store needs a tokio runtime".into()))?;
        let (single, cluster_client) = if settings.cluster_urls.is_empty() {
            let client = ::redis::Client::open(settings.url.as_str())?;
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(timeout))
                .set_response_timeout(Some(timeout))
                .set_number_of_retries(1)
                .set_max_delay(timeout);
            (Some(client.get_connection_manager_lazy(config)?), None)
        } else {
            let client = ::redis::cluster::ClusterClientBuilder::new(settings.cluster_urls.clone())
                .connection_timeout(timeout)
                .response_timeout(timeout)
                .retries(2)
                .build()?;
            (None, Some(client))
        };
        Ok(Self {
            home,
            timeout,
            single,
            cluster_client,
            cluster: tokio::sync::Mutex::new(None),
        })
    }

    pub fn is_cluster(&self) -> bool {
        self.cluster_client.is_some()
    }

    pub async fn get(&self) -> Result<Connection, StoreError> {
        if let Some(single) = &self.single {
            return Ok(Connection::Single(single.clone()));
        }
        let mut guard = self.cluster.lock().await;
        if let Some(c) = guard.as_ref() {
            return Ok(Connection::Cluster(c.clone()));
        }
        let client = self
            .cluster_client
            .clone()
            .expect("a store has a single or a cluster client");
        // Made on the home runtime, whichever runtime asks first.
        let connecting = self
            .home
            .spawn(async move { client.get_async_connection().await });
        let c = tokio::time::timeout(self.timeout * 3, connecting)
            .await
            .map_err(|_| StoreError::TimedOut("connecting to the cluster"))
            .and_then(|joined| {
                joined.map_err(|_| StoreError::Corrupt("the connecting task failed".into()))
            })
            .and_then(|r| r.map_err(StoreError::from))
            .inspect_err(count_failure)?;
        *guard = Some(c.clone());
        Ok(Connection::Cluster(c))
    }

    /// Runs `fut` within the store's time bound.
    pub async fn bounded<T>(
        &self,
        fut: impl std::future::Future<Output = ::redis::RedisResult<T>>,
    ) -> Result<T, StoreError> {
        let result = match tokio::time::timeout(self.timeout * 2, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(StoreError::from(e)),
            Err(_) => Err(StoreError::TimedOut("waiting for redis")),
        };
        result.inspect_err(count_failure)
    }

    pub async fn query<T: ::redis::FromRedisValue>(&self, cmd: &Cmd) -> Result<T, StoreError> {
        let mut conn = self.get().await?;
        let first = tokio::time::timeout(self.timeout * 2, cmd.query_async(&mut conn)).await;
        if let Some(done) = unless_refused(first) {
            return done;
        }
        let mut conn = self.get().await?;
        self.bounded(cmd.query_async(&mut conn)).await
    }

    pub async fn run_script<T: ::redis::FromRedisValue>(
        &self,
        inv: &::redis::ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        let mut conn = self.get().await?;
        let first = tokio::time::timeout(self.timeout * 2, inv.invoke_async(&mut conn)).await;
        if let Some(done) = unless_refused(first) {
            return done;
        }
        let mut conn = self.get().await?;
        self.bounded(inv.invoke_async(&mut conn)).await
    }
}

/// The outcome of a first attempt, or `None` when the connection was refused: the command
/// was never sent, so running it again cannot run it twice, and the client is already
/// making a new connection. (After a Redis restart each connection would otherwise fail
/// its first command.)
fn unless_refused<T>(
    first: Result<::redis::RedisResult<T>, tokio::time::error::Elapsed>,
) -> Option<Result<T, StoreError>> {
    match first {
        Ok(Ok(v)) => Some(Ok(v)),
        Ok(Err(e)) if e.is_connection_refusal() => {
            tracing::debug!(error = %e, "redis connection refused; trying once more");
            None
        }
        Ok(Err(e)) => Some(Err(StoreError::from(e)).inspect_err(count_failure)),
        Err(_) => Some(Err(StoreError::TimedOut("waiting for redis")).inspect_err(count_failure)),
    }
}

/// Whether `e` is a failure worth counting (and alerting on).
pub fn is_failure(e: &StoreError) -> bool {
    !e.code().is_some_and(|c| HANDLED_REPLIES.contains(&c))
}

fn count_failure(e: &StoreError) {
    if is_failure(e) {
        metrics::counter!(crate::telemetry::REDIS_ERRORS).increment(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handled_replies_are_not_failures() {
        let reply = |code: &str| StoreError::Redis {
            kind: ::redis::ErrorKind::Extension,
            code: Some(code.into()),
            detail: String::new(),
        };
        assert!(!is_failure(&reply("BUSYGROUP")));
        assert!(!is_failure(&reply("NOSCRIPT")));
        assert!(is_failure(&reply("READONLY")));
        assert!(is_failure(&StoreError::TimedOut("waiting for redis")));
        assert!(is_failure(&StoreError::Corrupt("x".into())));
    }
}
