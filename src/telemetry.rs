//! Logging and metrics.
//!
//! Invariants:
//! - Log lines never carry secrets (config secrets are `Secret`; legacy parameters are not
//!   logged, only method, code and api_key).
//! - Metric labels have bounded cardinality: methods are the known ones or `other`, codes
//!   are the legacy table's, platforms and outcomes are fixed words.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

/// Logs to stderr, as text or one JSON object a line; `RUST_LOG` overrides the default
/// level `info`.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

pub const LEGACY_REQUESTS: &str = "fbbridge_legacy_requests_total";
pub const LEGACY_DURATION: &str = "fbbridge_legacy_request_duration_seconds";
pub const REDIS_ERRORS: &str = "fbbridge_redis_errors_total";
pub const DELIVERIES: &str = "fbbridge_deliveries_total";
pub const OUTBOX: &str = "fbbridge_outbox_messages";
pub const CONFIRMATIONS: &str = "fbbridge_confirmations_total";
/// Copies of a user's graph from the People API, by outcome (`fresh`, `stale_served`, `failed`).
pub const GRAPH_REFRESHES: &str = "fbbridge_graph_refreshes_total";
/// Canvas requests by app and outcome (`rendered`, `redirected`, `unauthorized`, `app_error`, ...).
pub const CANVAS_REQUESTS: &str = "fbbridge_canvas_requests_total";
/// How long the legacy app took to answer a canvas call, by app.
pub const CANVAS_APP_DURATION: &str = "fbbridge_canvas_app_duration_seconds";
/// `fb:*` tags the renderer does not know, dropped with their text kept.
pub const FBML_UNKNOWN_TAGS: &str = "fbbridge_fbml_unknown_tags_total";

const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The process-wide Prometheus recorder (installed on first use).
pub fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(LATENCY_BUCKETS)
            .expect("buckets are valid")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (e.g. by an embedding program); then
        // this handle renders only what it saw, which is still well-formed.
        let _ = metrics::set_global_recorder(recorder);
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || loop {
                std::thread::sleep(Duration::from_secs(5));
                upkeep.run_upkeep();
            })
            .expect("a thread for metrics upkeep");
        handle
    })
}
