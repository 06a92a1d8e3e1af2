//! The actix-web server: workers, timeouts, connection cap, and a graceful stop.
//!
//! Invariants:
//! - actix's own signal handling is off: the composition root decides when to stop, so
//!   that the delivery workers stop after the HTTP server, in that order.
//! - Every worker thread serves with its own [`AppState`] (its own Redis connections),
//!   made from one shared state.
//! - Slow or idle clients cannot hold connections forever: the request head must arrive
//!   within `header_timeout_ms`, idle keep-alive connections close after `keep_alive_secs`,
//!   and each worker serves at most `max_connections_per_worker` at once.

use std::future::Future;
use std::net::TcpListener;
use std::time::Duration;

use actix_web::{web, App, HttpServer};

use super::request_id::RequestIdentity;
use super::state::AppState;
use super::Routes;

pub use actix_web::dev::Server;

/// How long a graceful stop waits for requests in hand.
const SHUTDOWN_GRACE_SECS: u64 = 10;

/// Starts serving `routes` on `listener` (already bound) with `workers` threads.
pub fn start(
    listener: TcpListener,
    state: &AppState,
    routes: Routes,
    workers: usize,
) -> std::io::Result<Server> {
    let settings = state.config.server.clone();
    let shared = state.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(shared.for_worker()))
            .wrap(RequestIdentity)
            .configure(|cfg| super::configure(cfg, routes))
    })
    .workers(workers)
    .disable_signals()
    .shutdown_timeout(SHUTDOWN_GRACE_SECS)
    .keep_alive(Duration::from_secs(settings.keep_alive_secs))
    .client_request_timeout(Duration::from_millis(settings.header_timeout_ms))
    .client_disconnect_timeout(Duration::from_secs(1))
    .max_connections(settings.max_connections_per_worker)
    .listen(listener)?
    .run();
    Ok(server)
}

/// Serves until `shutdown` resolves (or the server stops by itself), then stops
/// gracefully: no new connections, requests in hand finished.
pub async fn run_until(
    servers: Vec<Server>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let handles: Vec<_> = servers.iter().map(|s| s.handle()).collect();
    // A server future handles the stop command itself, so it must keep being polled while
    // the stop is under way: each runs as its own task.
    let mut served: Vec<_> = servers.into_iter().map(tokio::spawn).collect();
    let first_done = futures_util::future::select_all(served.iter_mut());
    tokio::select! {
        _ = first_done => {}
        _ = shutdown => {}
    }
    for h in &handles {
        h.stop(true).await;
    }
    let mut result = Ok(());
    for s in served {
        let r = s.await.unwrap_or_else(|e| Err(std::io::Error::other(e)));
        if result.is_ok() {
            result = r;
        }
    }
    result
}
