//! Test harness: private Redis servers and clusters, the gateway on a loopback port
//! (`spawn_app` binds port 0), stand-ins for platforms, and helpers for legacy and admin
//! calls. Everything is re-exported here, so tests `use crate::helpers::*`.

pub mod activity;
pub mod admin;
pub mod cluster;
pub mod config;
pub mod container;
pub mod fbml_app;
pub mod legacy;
pub mod mixi_graph;
pub mod people;
pub mod perl;
pub mod process;
pub mod redis;

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use fbbridge::app::Application;
use fbbridge::config::Config;
use fbbridge::store::AnyStore;

pub use self::cluster::RedisCluster;
pub use self::config::*;
pub use self::legacy::*;
pub use self::process::Process;
pub use self::redis::RedisServer;

pub enum Backend {
    Memory,
    Redis,
    Cluster,
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    /// The internal listener (`server.metrics_listen`), when configured.
    pub metrics_port: Option<u16>,
    pub store: AnyStore,
    pub redis: Option<RedisServer>,
    pub cluster: Option<RedisCluster>,
    pub client: reqwest::Client,
    pub(crate) call_ids: AtomicU64,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Backend::Redis, |t| t).await
}

pub async fn spawn_app_with(backend: Backend, edit: impl FnOnce(String) -> String) -> TestApp {
    let (redis, cluster, section) = match backend {
        Backend::Memory => (None, None, "[store]\nbackend = \"memory\"\n".to_string()),
        Backend::Redis => {
            let r = RedisServer::start();
            let s = redis_section(&r.url());
            (Some(r), None, s)
        }
        Backend::Cluster => {
            let c = RedisCluster::start();
            let s = c.store_section();
            (None, Some(c), s)
        }
    };
    let config = test_config(&section, edit);
    let mut app = spawn_with_config(config, redis).await;
    app.cluster = cluster;
    app
}

pub async fn spawn_with_config(config: Config, redis: Option<RedisServer>) -> TestApp {
    let (app, stopper) = spawn_stoppable(config, redis).await;
    // Tests that do not stop their gateway let it run until the test's runtime ends.
    std::mem::forget(stopper.tx);
    app
}

/// Stops a gateway the way SIGTERM does: graceful shutdown, workers hand back their batch.
pub struct Stopper {
    tx: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Stopper {
    pub async fn stop(self) {
        let _ = self.tx.send(());
        self.server.await.unwrap().unwrap();
    }
}

pub async fn spawn_stoppable(config: Config, redis: Option<RedisServer>) -> (TestApp, Stopper) {
    let app = Application::build(config).await.expect("app builds");
    let port = app.port();
    let metrics_port = app.metrics_port();
    let store = app.store();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.await;
    }));
    let test_app = TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        metrics_port,
        store,
        redis,
        cluster: None,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap(),
        call_ids: AtomicU64::new(1),
    };
    (test_app, Stopper { tx, server })
}

impl TestApp {
    /// A gateway running elsewhere (another process) on `port`; its store is not reachable
    /// from here, only its HTTP interface.
    pub fn remote(port: u16) -> Self {
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            metrics_port: None,
            store: AnyStore::Memory(fbbridge::store::MemoryStore::new()),
            redis: None,
            cluster: None,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
            call_ids: AtomicU64::new(1),
        }
    }
}
