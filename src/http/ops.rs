//! Operations endpoints: `/healthz` (alive), `/readyz` (store reachable), `/metrics`.
//!
//! Invariants:
//! - `/metrics` is served on the internal listener when `server.metrics_listen` is set, and
//!   then not on the public one.
//! - `/metrics` reads the outbox depth from the store at scrape time, so every
//!   gateway reports the same, shared numbers.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::state::AppState;
use crate::store::{Outbox, Store};

/// `/healthz` and `/readyz` on every listener (probes); `/metrics` where `metrics` says.
pub fn configure(cfg: &mut web::ServiceConfig, metrics: bool) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
    if metrics {
        cfg.route("/metrics", web::get().to(metrics_text));
    }
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok\n")
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.store.ping().await {
        Ok(()) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("ready\n"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain; charset=utf-8")
                .body("store unreachable\n")
        }
    }
}

/// Prometheus text format.
async fn metrics_text(state: web::Data<AppState>) -> HttpResponse {
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
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        ))
        .body(handle.render())
}
