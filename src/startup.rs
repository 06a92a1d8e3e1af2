//! Building and running the gateway.
//!
//! Invariants:
//! - [`Application::build`] binds before it returns, so `port()` is the real port (tests
//!   bind port 0).
//! - The process keeps no state of its own beyond configuration: with the Redis store any
//!   number of gateways can serve the same apps.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::{Config, StoreBackend};
use crate::store::{AnyStore, MemoryStore, RedisStore, Store, StoreError};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: AnyStore,
}

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

pub struct Application {
    port: u16,
    listener: TcpListener,
    state: AppState,
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready\n"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "store unreachable\n")
        }
    }
}

/// Prometheus text format. Outbox depths are read from the store at scrape time.
async fn metrics_text(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> impl IntoResponse {
    let handle = crate::telemetry::metrics();
    if let Ok(c) = state.store.outbox_counts().await {
        for (name, value) in [
            ("pending", c.pending),
            ("scheduled", c.scheduled),
            ("in_flight", c.in_flight),
            ("dead", c.dead),
        ] {
            metrics::gauge!(crate::telemetry::OUTBOX, "state" => name).set(value as f64);
        }
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/restserver.php",
            get(crate::legacy::restserver).post(crate::legacy::restserver),
        )
        .route(
            "/send_req.php",
            get(crate::confirm::show).post(crate::confirm::confirm),
        )
        .route("/send_req.php/complete", post(crate::confirm::complete))
        .route(
            "/sandbox/{api_key}/inbox/{uid}",
            get(crate::platform::sandbox::inbox_page),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .merge(crate::admin::router(state.clone()))
        .with_state(state)
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let store = build_store(&config)?;
        Self::build_with_store(config, store).await
    }

    /// Builds around an existing store (the demo seeds its memory store first).
    pub async fn build_with_store(config: Config, store: AnyStore) -> anyhow::Result<Self> {
        crate::telemetry::metrics();
        let listener = TcpListener::bind(&config.server.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.server.listen))?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            port,
            listener,
            state: AppState {
                config: Arc::new(config),
                store,
            },
        })
    }

    pub fn port(&self) -> u16 {
        self.port
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
        let workers = spawn_workers(&self.state, stop_rx);
        let app = router(self.state.clone());
        let served = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        let _ = stop_tx.send(true);
        for w in workers {
            let _ = w.await;
        }
        served
    }
}

fn spawn_workers(
    state: &AppState,
    stop: watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    spawn_worker_pool(
        &state.store,
        &state.config,
        state.config.outbox.workers,
        stop,
    )
}

/// Starts `count` delivery workers (and, on Redis, the wake-up listener they share).
pub fn spawn_worker_pool(
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
    let ctx = crate::outbox::WorkerContext {
        config: config.clone(),
        http: crate::platform::upstream::http_client(std::time::Duration::from_millis(
            config.outbox.http_timeout_ms,
        )),
    };
    let host = uuid::Uuid::new_v4().simple().to_string();
    (0..count)
        .map(|i| {
            tokio::spawn(crate::outbox::run_worker(
                store.clone(),
                ctx.clone(),
                format!("{}-{i}", &host[..12]),
                stop.clone(),
            ))
        })
        .collect()
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
