//! Configuration: a TOML file overlaid with `FBBRIDGE__SECTION__KEY` environment variables,
//! validated once at start into typed values.
//!
//! Invariants:
//! - Every error names the key it is about (`app[0].allowed_ips[1]: ...`).
//! - Unknown keys are errors, so a typo never silently falls back to a default.
//! - Secrets are wrapped in [`Secret`], whose `Debug` never shows them.
//! - Environment overrides address arrays by index: `FBBRIDGE__APP__0__SECRET=...`.

mod env;
mod raw;
mod validate;

use std::path::Path;

use serde::Deserialize;

pub use self::validate::parse_utc_offset;
use crate::domain::App;
pub use crate::domain::Secret;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    pub listen: String,
    pub public_url: String,
    pub admin_token: Option<Secret>,
    pub trust_forwarded_for: bool,
    /// Largest accepted `/restserver.php` body; larger ones get error 100.
    pub max_body_bytes: usize,
    /// How long a client may take to send its body before it gets error 100.
    pub body_timeout_ms: u64,
    /// HTTP worker threads (each with its own event loop); default: the number of cores.
    pub workers: usize,
    /// How long a client may take to send its request head before it is answered 408.
    pub header_timeout_ms: u64,
    /// How long an idle keep-alive connection stays open.
    pub keep_alive_secs: u64,
    /// Connections one worker serves at once; more wait in the listen backlog.
    pub max_connections_per_worker: usize,
    /// Connections the kernel queues before the gateway accepts them (capped by the
    /// kernel's `net.core.somaxconn`); a short queue drops a burst's SYNs.
    pub listen_backlog: u32,
    /// `text` (human-readable) or `json` (one object a line).
    pub log_format: LogFormat,
    /// When set, `/metrics` is served here (an internal address) and not on `listen`.
    pub metrics_listen: Option<String>,
    /// With `metrics_listen`: the admin API moves there too.
    pub admin_on_metrics_listen: bool,
    /// Serve the embedded demo's FBML app at `/demo-app/` (set by the demo only).
    pub demo_app: bool,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            admin_token: None,
            trust_forwarded_for: false,
            max_body_bytes: 64 * 1024,
            body_timeout_ms: 10_000,
            workers: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            header_timeout_ms: 5_000,
            keep_alive_secs: 5,
            max_connections_per_worker: 25_000,
            listen_backlog: 4096,
            log_format: LogFormat::Text,
            metrics_listen: None,
            admin_on_metrics_listen: false,
            demo_app: false,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StoreBackend {
    Memory,
    Redis,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSettings {
    pub backend: StoreBackend,
    pub url: String,
    pub cluster_urls: Vec<String>,
    pub key_prefix: String,
    /// Number of sender partitions (hash tags). Fixed for the life of a deployment.
    pub partitions: u16,
    /// Bound on connecting to and hearing back from Redis; past it a call answers error 2.
    pub timeout_ms: u64,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            backend: StoreBackend::Redis,
            url: "redis://127.0.0.1:6379/0".into(),
            cluster_urls: Vec::new(),
            key_prefix: "fbb:".into(),
            partitions: 128,
            timeout_ms: 1000,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConfirmSettings {
    pub expiry_secs: u64,
}

impl Default for ConfirmSettings {
    fn default() -> Self {
        Self { expiry_secs: 3600 }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxSettings {
    pub workers: usize,
    pub retry_schedule_secs: Vec<u64>,
    /// A delivery taken by a worker that died is taken over after this long.
    pub reclaim_idle_secs: u64,
    /// Bound on one HTTP call to a platform.
    pub http_timeout_ms: u64,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self {
            workers: 2,
            retry_schedule_secs: vec![5, 30, 120, 600, 1800, 3600],
            reclaim_idle_secs: 30,
            http_timeout_ms: 10_000,
        }
    }
}

/// The validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub server: ServerSettings,
    pub store: StoreSettings,
    pub confirm: ConfirmSettings,
    pub outbox: OutboxSettings,
    pub apps: Vec<App>,
}

impl Config {
    pub fn app(&self, api_key: &str) -> Option<&App> {
        self.apps.iter().find(|a| a.api_key.as_str() == api_key)
    }

    /// `public_url` without a trailing slash, ready for joining paths.
    pub fn public_base(&self) -> &str {
        self.server.public_url.trim_end_matches('/')
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

pub(crate) fn err(key: impl std::fmt::Display, msg: impl std::fmt::Display) -> ConfigError {
    ConfigError(format!("{key}: {msg}"))
}

/// Reads `path`, overlays the process environment, validates.
pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
    load_str(&text, std::env::vars())
}

/// Parses TOML text, overlays `env` (pairs of name and value; only `FBBRIDGE__*` count).
pub fn load_str(
    text: &str,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigError> {
    let mut table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError(format!("invalid TOML: {e}")))?;
    env::apply_env(&mut table, env)?;
    let raw: raw::RawSettings = serde_path_to_error::deserialize(toml::Value::Table(table))
        .map_err(|e| err(e.path().to_string(), e.into_inner()))?;
    validate::validate(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[store]
backend = "memory"
[[app]]
api_key = "k1"
secret = "s1"
callback_url = "http://apps.example.com/a/"
"#;

    fn no_env() -> Vec<(String, String)> {
        Vec::new()
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let c = load_str(MINIMAL, no_env()).unwrap();
        let app = &c.apps[0];
        assert_eq!(app.daily_request_limit, 10);
        assert!(app.require_call_id);
        assert_eq!(app.canvas_url, "http://apps.example.com/a/");
        assert_eq!(c.confirm.expiry_secs, 3600);
    }

    #[test]
    fn env_overrides_sections_and_array_entries() {
        let env = vec![
            ("FBBRIDGE__SERVER__LISTEN".into(), "127.0.0.1:9999".into()),
            ("FBBRIDGE__APP__0__SECRET".into(), "fromenv".into()),
            ("FBBRIDGE__APP__0__DAILY_REQUEST_LIMIT".into(), "3".into()),
            ("OTHER".into(), "x".into()),
        ];
        let c = load_str(MINIMAL, env).unwrap();
        assert_eq!(c.server.listen, "127.0.0.1:9999");
        assert_eq!(c.apps[0].secret.expose(), "fromenv");
        assert_eq!(c.apps[0].daily_request_limit, 3);
    }

    #[test]
    fn errors_name_the_key() {
        let bad = MINIMAL.replace(
            "callback_url = ",
            "allowed_ips = [\"10.0.0.0/8\", \"nope\"]\ncallback_url = ",
        );
        let e = load_str(&bad, no_env()).unwrap_err().to_string();
        assert!(e.starts_with("app[0].allowed_ips[1]:"), "{e}");

        let typo = MINIMAL.replace("secret = ", "secrett = \"x\"\nsecret = ");
        let e = load_str(&typo, no_env()).unwrap_err().to_string();
        assert!(e.contains("secrett"), "{e}");

        let server_error = |line: &str| {
            let toml = MINIMAL.replace("[store]", &format!("[server]\n{line}\n[store]"));
            load_str(&toml, no_env()).unwrap_err().to_string()
        };
        let e = server_error("listen = \"nope\"");
        assert!(e.starts_with("server.listen:"), "{e}");
        let e = server_error("listen_backlog = 0");
        assert!(e.starts_with("server.listen_backlog:"), "{e}");
    }

    #[test]
    fn reclaim_must_outlast_two_platform_timeouts() {
        let short = format!("{MINIMAL}\n[outbox]\nreclaim_idle_secs = 3\nhttp_timeout_ms = 2000\n");
        let e = load_str(&short, no_env()).unwrap_err().to_string();
        assert!(
            e.starts_with("outbox.reclaim_idle_secs: must be at least twice"),
            "{e}"
        );
        let ok = short.replace("http_timeout_ms = 2000", "http_timeout_ms = 1500");
        assert!(load_str(&ok, no_env()).is_ok());
    }

    #[test]
    fn secrets_are_not_printed() {
        let c = load_str(MINIMAL, no_env()).unwrap();
        assert!(!format!("{c:?}").contains("s1\""));
    }

    #[test]
    fn utc_offsets() {
        assert_eq!(
            parse_utc_offset("+09:00").unwrap().local_minus_utc(),
            9 * 3600
        );
        assert_eq!(
            parse_utc_offset("-03:30").unwrap().local_minus_utc(),
            -(3 * 3600 + 1800)
        );
        assert!(parse_utc_offset("09:00").is_none());
        assert!(parse_utc_offset("+25:00").is_none());
    }
}
