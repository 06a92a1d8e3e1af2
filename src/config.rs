//! Configuration: a TOML file overlaid with `FBBRIDGE__SECTION__KEY` environment variables,
//! validated once at start into typed values.
//!
//! Invariants:
//! - Every error names the key it is about (`app[0].allowed_ips[1]: ...`).
//! - Unknown keys are errors, so a typo never silently falls back to a default.
//! - Secrets are wrapped in [`Secret`], whose `Debug` never shows them, so they cannot reach
//!   a log line through `{:?}`.
//! - Environment overrides address arrays by index: `FBBRIDGE__APP__0__SECRET=...`.

use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use chrono::FixedOffset;
use ipnet::IpNet;
use serde::Deserialize;

use crate::domain::ApiKey;
use crate::platform::PlatformKind;

/// A string that must never be printed.
#[derive(Clone, Deserialize, PartialEq, Eq, Default)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    #[serde(default)]
    pub server: ServerSettings,
    #[serde(default)]
    pub store: StoreSettings,
    #[serde(default, rename = "app")]
    pub apps: Vec<RawApp>,
    #[serde(default)]
    pub confirm: ConfirmSettings,
    #[serde(default)]
    pub outbox: OutboxSettings,
}

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

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApp {
    pub api_key: String,
    pub secret: Secret,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub app_id: Option<String>,
    pub callback_url: String,
    #[serde(default)]
    pub canvas_url: Option<String>,
    #[serde(default)]
    pub allowed_ips: Vec<String>,
    #[serde(default)]
    pub desktop: bool,
    #[serde(default = "default_true")]
    pub require_call_id: bool,
    #[serde(default = "default_daily_limit")]
    pub daily_request_limit: u32,
    #[serde(default = "default_offset")]
    pub day_starts_utc_offset: String,
    #[serde(default = "default_session_ttl")]
    pub session_ttl_secs: u64,
    #[serde(default = "default_platform")]
    pub platform: PlatformKind,
    #[serde(default)]
    pub upstream: Option<UpstreamSettings>,
    /// mixi: scripts the confirmation page loads to get the container's `opensocial` and
    /// `mixi` objects when it is not served inside the gadget already.
    #[serde(default)]
    pub container_scripts: Vec<String>,
}

fn default_true() -> bool {
    true
}
fn default_daily_limit() -> u32 {
    10
}
fn default_offset() -> String {
    "+00:00".into()
}
fn default_session_ttl() -> u64 {
    86_400
}
fn default_platform() -> PlatformKind {
    PlatformKind::Sandbox
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum UpstreamMode {
    #[default]
    Proxy,
    Trusted,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSettings {
    pub endpoint: String,
    pub consumer_key: String,
    pub consumer_secret: Secret,
    #[serde(default)]
    pub mode: UpstreamMode,
    #[serde(default = "default_pair_window")]
    pub pair_window_secs: u64,
    #[serde(default = "default_recipient_window")]
    pub recipient_window_secs: u64,
    /// OpenSocial 1.0+ containers put the outbox under `@self`.
    #[serde(default)]
    pub outbox_under_self: bool,
}

fn default_pair_window() -> u64 {
    60
}
fn default_recipient_window() -> u64 {
    14_400
}

/// An application as the gateway uses it: every field parsed and checked.
#[derive(Clone, Debug)]
pub struct AppConfig {
    pub api_key: ApiKey,
    pub secret: Secret,
    pub name: String,
    pub app_id: String,
    pub callback_url: String,
    pub canvas_url: String,
    pub allowed_ips: Vec<IpNet>,
    pub desktop: bool,
    pub require_call_id: bool,
    pub daily_request_limit: u32,
    pub day_offset: FixedOffset,
    pub session_ttl: Duration,
    pub platform: PlatformKind,
    pub upstream: Option<UpstreamSettings>,
    pub container_scripts: Vec<String>,
}

impl AppConfig {
    pub fn ip_allowed(&self, ip: IpAddr) -> bool {
        self.allowed_ips.is_empty() || self.allowed_ips.iter().any(|net| net.contains(&ip))
    }
}

/// The validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub server: ServerSettings,
    pub store: StoreSettings,
    pub confirm: ConfirmSettings,
    pub outbox: OutboxSettings,
    pub apps: Vec<AppConfig>,
}

impl Config {
    pub fn app(&self, api_key: &str) -> Option<&AppConfig> {
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

fn err(key: impl fmt::Display, msg: impl fmt::Display) -> ConfigError {
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
    apply_env(&mut table, env)?;
    let raw: RawSettings = serde_path_to_error::deserialize(toml::Value::Table(table))
        .map_err(|e| err(e.path().to_string(), e.into_inner()))?;
    validate(raw)
}

fn apply_env(
    table: &mut toml::Table,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    let mut vars: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with("FBBRIDGE__"))
        .collect();
    vars.sort();
    for (name, value) in vars {
        let path: Vec<String> = name["FBBRIDGE__".len()..]
            .split("__")
            .map(|s| s.to_ascii_lowercase())
            .collect();
        if path.iter().any(|p| p.is_empty()) {
            return Err(err(&name, "empty path segment"));
        }
        set_path(table, &path, env_value(&value)).map_err(|m| err(&name, m))?;
    }
    Ok(())
}

/// An environment value is read as a TOML value when it is one (numbers, booleans, arrays),
/// else as a plain string.
fn env_value(raw: &str) -> toml::Value {
    let wrapped = format!("v = {raw}");
    match wrapped.parse::<toml::Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(raw.into())),
        Err(_) => toml::Value::String(raw.into()),
    }
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    let (head, rest) = path.split_first().ok_or("empty path")?;
    let head = if head == "apps" { "app" } else { head.as_str() };
    if rest.is_empty() {
        table.insert(head.to_string(), value);
        return Ok(());
    }
    let entry = table
        .entry(head.to_string())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    set_in_value(entry, rest, value)
}

fn set_in_value(node: &mut toml::Value, path: &[String], value: toml::Value) -> Result<(), String> {
    match node {
        toml::Value::Table(t) => set_path(t, path, value),
        toml::Value::Array(items) => {
            let (index, rest) = path.split_first().ok_or("empty path")?;
            let index: usize = index
                .parse()
                .map_err(|_| format!("`{index}` is not an array index"))?;
            let item = items
                .get_mut(index)
                .ok_or_else(|| format!("no entry {index} in the file to override"))?;
            if rest.is_empty() {
                *item = value;
                Ok(())
            } else {
                set_in_value(item, rest, value)
            }
        }
        _ => Err("cannot descend into a plain value".into()),
    }
}

fn check_http_url(key: impl fmt::Display, url: &str) -> Result<(), ConfigError> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| err(&key, format!("`{url}` must start with http:// or https://")))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(err(key, format!("`{url}` has no host")));
    }
    Ok(())
}

pub fn parse_utc_offset(text: &str) -> Option<FixedOffset> {
    let bytes = text.as_bytes();
    if bytes.len() != 6 || bytes[3] != b':' {
        return None;
    }
    let sign = match bytes[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours: i32 = text[1..3].parse().ok()?;
    let minutes: i32 = text[4..6].parse().ok()?;
    if hours > 14 || minutes > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

fn parse_cidr(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

fn validate(raw: RawSettings) -> Result<Config, ConfigError> {
    if raw.server.listen.parse::<std::net::SocketAddr>().is_err() {
        return Err(err(
            "server.listen",
            format!("`{}` is not an address:port", raw.server.listen),
        ));
    }
    check_http_url("server.public_url", &raw.server.public_url)?;
    if let Some(token) = &raw.server.admin_token {
        if token.expose().len() < 8 {
            return Err(err("server.admin_token", "must be at least 8 characters"));
        }
    }
    if raw.server.max_body_bytes < 1024 {
        return Err(err("server.max_body_bytes", "must be at least 1024"));
    }
    let store = &raw.store;
    if store.key_prefix.contains(['{', '}']) {
        return Err(err("store.key_prefix", "must not contain { or }"));
    }
    if store.partitions == 0 {
        return Err(err("store.partitions", "must be at least 1"));
    }
    if store.backend == StoreBackend::Redis {
        if store.cluster_urls.is_empty() {
            redis::Client::open(store.url.as_str())
                .map_err(|e| err("store.url", format!("`{}`: {e}", store.url)))?;
        }
        for (i, url) in store.cluster_urls.iter().enumerate() {
            redis::Client::open(url.as_str())
                .map_err(|e| err(format!("store.cluster_urls[{i}]"), e))?;
        }
    }
    if raw.confirm.expiry_secs == 0 {
        return Err(err("confirm.expiry_secs", "must be positive"));
    }
    if raw.outbox.reclaim_idle_secs == 0 {
        return Err(err("outbox.reclaim_idle_secs", "must be positive"));
    }
    if raw.outbox.http_timeout_ms < 100 {
        return Err(err("outbox.http_timeout_ms", "must be at least 100"));
    }
    if raw.outbox.retry_schedule_secs.is_empty() {
        return Err(err("outbox.retry_schedule_secs", "needs at least one wait"));
    }
    if raw.apps.is_empty() {
        return Err(err("app", "at least one [[app]] is required"));
    }
    let mut seen = HashSet::new();
    let mut apps = Vec::with_capacity(raw.apps.len());
    for (i, app) in raw.apps.into_iter().enumerate() {
        let key = |field: &str| format!("app[{i}].{field}");
        let api_key = ApiKey::parse(&app.api_key).ok_or_else(|| {
            err(
                key("api_key"),
                "must be 1 to 64 characters of A-Z a-z 0-9 _ -",
            )
        })?;
        if !seen.insert(api_key.clone()) {
            return Err(err(
                key("api_key"),
                format!("`{}` is used twice", app.api_key),
            ));
        }
        if app.secret.expose().is_empty() {
            return Err(err(key("secret"), "must not be empty"));
        }
        check_http_url(key("callback_url"), &app.callback_url)?;
        if let Some(canvas) = &app.canvas_url {
            check_http_url(key("canvas_url"), canvas)?;
        }
        let mut allowed = Vec::new();
        for (j, cidr) in app.allowed_ips.iter().enumerate() {
            allowed.push(parse_cidr(cidr).ok_or_else(|| {
                err(
                    format!("app[{i}].allowed_ips[{j}]"),
                    format!("`{cidr}` is not an IP or CIDR"),
                )
            })?);
        }
        let day_offset = parse_utc_offset(&app.day_starts_utc_offset).ok_or_else(|| {
            err(
                key("day_starts_utc_offset"),
                format!("`{}` is not like +09:00", app.day_starts_utc_offset),
            )
        })?;
        if app.session_ttl_secs == 0 {
            return Err(err(key("session_ttl_secs"), "must be positive"));
        }
        for (j, script) in app.container_scripts.iter().enumerate() {
            check_http_url(format!("app[{i}].container_scripts[{j}]"), script)?;
            if script.contains([' ', ';', ',', '\'', '"']) {
                return Err(err(
                    format!("app[{i}].container_scripts[{j}]"),
                    "must be a plain URL",
                ));
            }
        }
        match (app.platform, &app.upstream) {
            (PlatformKind::Mobage | PlatformKind::OpenSocial, None) => {
                return Err(err(key("upstream"), "is required for this platform"));
            }
            (_, Some(up)) => check_http_url(key("upstream.endpoint"), &up.endpoint)?,
            _ => {}
        }
        apps.push(AppConfig {
            name: app.name.unwrap_or_else(|| app.api_key.clone()),
            app_id: app.app_id.unwrap_or_else(|| app.api_key.clone()),
            api_key,
            secret: app.secret,
            canvas_url: app.canvas_url.unwrap_or_else(|| app.callback_url.clone()),
            callback_url: app.callback_url,
            allowed_ips: allowed,
            desktop: app.desktop,
            require_call_id: app.require_call_id,
            daily_request_limit: app.daily_request_limit,
            day_offset,
            session_ttl: Duration::from_secs(app.session_ttl_secs),
            platform: app.platform,
            upstream: app.upstream,
            container_scripts: app.container_scripts,
        });
    }
    Ok(Config {
        server: raw.server,
        store: raw.store,
        confirm: raw.confirm,
        outbox: raw.outbox,
        apps,
    })
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

        let e = load_str(
            &MINIMAL.replace("[store]", "[server]\nlisten = \"nope\"\n[store]"),
            no_env(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("server.listen:"), "{e}");
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
