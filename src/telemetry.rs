//! Logging. Invariant: log lines never carry secrets (config secrets are `Secret`, and
//! legacy parameters are not logged, only method, code and api_key).

use tracing_subscriber::EnvFilter;

/// Logs to stderr; `RUST_LOG` overrides the default level `info`.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
