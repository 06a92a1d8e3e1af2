//! The composition root: builds the store, the HTTP server and the delivery workers, and
//! runs them until told to stop.
//!
//! Invariants:
//! - [`Application::build`] binds before it returns, so `port()` is the real port (tests
//!   bind port 0).
//! - The process keeps no state of its own beyond configuration: with the Redis store any
//!   number of gateways can serve the same apps.
//! - Shutdown order: stop accepting and finish the requests in hand, then let the delivery
//!   workers finish the delivery in hand and hand the rest of their batch back.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::watch;

use crate::config::{Config, StoreBackend};
use crate::http::listener;
use crate::http::server::{self, Server};
use crate::http::state::AppState;
use crate::http::Routes;
use crate::store::redis::SchemaMismatch;
use crate::store::{AnyStore, MemoryStore, RedisStore, StoreError};

pub fn build_store(config: &Config) -> Result<AnyStore, StoreError> {
    Ok(match config.store.backend {
        StoreBackend::Memory => AnyStore::Memory(MemoryStore::new()),
        StoreBackend::Redis => {
            let store = RedisStore::new(&config.store)?;
            store.set_reclaim_idle(std::time::Duration::from_secs(
                config.outbox.reclaim_idle_secs,
            ));
            AnyStore::Redis(store)
        }
    })
}

/// Refuses to run against a Redis set up with another layout or partition count. A Redis
/// that cannot be reached is not refused: the gateway starts, answers error 2, and
/// checks again on its next start (the record is written by whichever gateway comes first).
pub async fn check_schema(redis: &RedisStore) -> anyhow::Result<()> {
    match redis.check_schema().await {
        Ok(()) => Ok(()),
        Err(SchemaMismatch::Unreachable(e)) => {
            tracing::warn!(error = %e, "redis not reachable at start; schema not checked");
            Ok(())
        }
        Err(mismatch) => Err(mismatch.into()),
    }
}

pub struct Application {
    port: u16,
    metrics_port: Option<u16>,
    servers: Vec<Server>,
    state: AppState,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let store = build_store(&config)?;
        Self::build_with_store(config, store).await
    }

    /// Builds around an existing store (the demo seeds its memory store first).
    pub async fn build_with_store(config: Config, store: AnyStore) -> anyhow::Result<Self> {
        crate::telemetry::metrics();
        if let AnyStore::Redis(redis) = &store {
            check_schema(redis).await?;
        }
        let backlog = config.server.listen_backlog;
        let listener = listener::bind(&config.server.listen, backlog)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.server.listen))?;
        let port = listener.local_addr()?.port();
        let internal = match &config.server.metrics_listen {
            Some(addr) => Some(
                listener::bind(addr, backlog)
                    .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?,
            ),
            None => None,
        };
        let metrics_port = match &internal {
            Some(l) => Some(l.local_addr()?.port()),
            None => None,
        };
        let (public_routes, internal_routes) = Routes::split(&config.server);
        let workers = config.server.workers;
        // A legacy call may wait on the People API: never longer than this.
        let people_timeout =
            std::time::Duration::from_millis(config.outbox.http_timeout_ms.min(5_000));
        let state = AppState {
            config: Arc::new(config),
            store,
            people: crate::platform::people::PeopleClient {
                http: crate::platform::client::http_client(people_timeout),
            },
        };
        let mut servers = vec![server::start(listener, &state, public_routes, workers)?];
        if let (Some(listener), Some(routes)) = (internal, internal_routes) {
            servers.push(server::start(listener, &state, routes, 1)?);
        }
        Ok(Self {
            port,
            metrics_port,
            servers,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The internal listener's port, when `server.metrics_listen` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    pub fn store(&self) -> AnyStore {
        self.state.store.clone()
    }

    pub fn config(&self) -> Arc<Config> {
        self.state.config.clone()
    }

    /// Serves until `shutdown` completes, then stops the delivery workers after the
    /// delivery each has in hand.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let workers = crate::outbox::spawn_pool(
            &self.state.store,
            &self.state.config,
            self.state.config.outbox.workers,
            stop_rx,
        );
        let served = server::run_until(self.servers, shutdown).await;
        let _ = stop_tx.send(true);
        for w in workers {
            let _ = w.await;
        }
        served
    }
}

/// Raises the soft limit on open files to the hard limit (each connection is one), and logs
/// both: with the default soft limit of 1,024 a busy gateway runs out of descriptors long
/// before it runs out of anything else.
pub fn raise_fd_limit() {
    match rlimit::getrlimit(rlimit::Resource::NOFILE) {
        Ok((soft, hard)) => match rlimit::increase_nofile_limit(hard) {
            Ok(now) => tracing::info!(soft_before = soft, soft = now, hard, "open-file limit"),
            Err(e) => tracing::warn!(soft, hard, error = %e, "open-file limit not raised"),
        },
        Err(e) => tracing::warn!(error = %e, "open-file limit unknown"),
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
