//! Validation: raw settings into typed ones, each section checked, every error naming its key.

use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use chrono::FixedOffset;
use ipnet::IpNet;

use super::raw::{RawApp, RawCanvas, RawSettings};
use super::{
    err, Config, ConfigError, OutboxSettings, ServerSettings, StoreBackend, StoreSettings,
};
use crate::domain::canvas::CanvasSettings;
use crate::domain::{ApiKey, App, MixiGraph, Platform, PlatformKind, Secret, Upstream};

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

pub(super) fn validate(raw: RawSettings) -> Result<Config, ConfigError> {
    server(&raw.server)?;
    store(&raw.store)?;
    if raw.confirm.expiry_secs == 0 {
        return Err(err("confirm.expiry_secs", "must be positive"));
    }
    outbox(&raw.outbox)?;
    if raw.apps.is_empty() {
        return Err(err("app", "at least one [[app]] is required"));
    }
    let mut seen = HashSet::new();
    let mut apps = Vec::with_capacity(raw.apps.len());
    for (i, raw_app) in raw.apps.into_iter().enumerate() {
        let app = app(i, raw_app)?;
        if !seen.insert(app.api_key.clone()) {
            return Err(err(
                format!("app[{i}].api_key"),
                format!("`{}` is used twice", app.api_key),
            ));
        }
        apps.push(app);
    }
    Ok(Config {
        server: raw.server,
        store: raw.store,
        confirm: raw.confirm,
        outbox: raw.outbox,
        apps,
    })
}

fn server(server: &ServerSettings) -> Result<(), ConfigError> {
    if server.listen.parse::<std::net::SocketAddr>().is_err() {
        return Err(err(
            "server.listen",
            format!("`{}` is not an address:port", server.listen),
        ));
    }
    check_http_url("server.public_url", &server.public_url)?;
    if let Some(internal) = &server.metrics_listen {
        if internal.parse::<std::net::SocketAddr>().is_err() {
            return Err(err(
                "server.metrics_listen",
                format!("`{internal}` is not an address:port"),
            ));
        }
    } else if server.admin_on_metrics_listen {
        return Err(err(
            "server.admin_on_metrics_listen",
            "needs server.metrics_listen",
        ));
    }
    if let Some(token) = &server.admin_token {
        if token.expose().len() < 8 {
            return Err(err("server.admin_token", "must be at least 8 characters"));
        }
    }
    if server.max_body_bytes < 1024 {
        return Err(err("server.max_body_bytes", "must be at least 1024"));
    }
    if server.workers == 0 || server.workers > 256 {
        return Err(err("server.workers", "must be between 1 and 256"));
    }
    if server.header_timeout_ms < 100 {
        return Err(err("server.header_timeout_ms", "must be at least 100"));
    }
    if server.body_timeout_ms < 100 {
        return Err(err("server.body_timeout_ms", "must be at least 100"));
    }
    if server.max_connections_per_worker == 0 {
        return Err(err("server.max_connections_per_worker", "must be positive"));
    }
    if server.listen_backlog == 0 || server.listen_backlog > 65_535 {
        return Err(err("server.listen_backlog", "must be between 1 and 65535"));
    }
    Ok(())
}

fn store(store: &StoreSettings) -> Result<(), ConfigError> {
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
    Ok(())
}

fn outbox(outbox: &OutboxSettings) -> Result<(), ConfigError> {
    if outbox.reclaim_idle_secs == 0 {
        return Err(err("outbox.reclaim_idle_secs", "must be positive"));
    }
    if outbox.http_timeout_ms < 100 {
        return Err(err("outbox.http_timeout_ms", "must be at least 100"));
    }
    if outbox.reclaim_idle_secs.saturating_mul(1000) < outbox.http_timeout_ms.saturating_mul(2) {
        return Err(err(
            "outbox.reclaim_idle_secs",
            format!(
                "must be at least twice outbox.http_timeout_ms ({} ms): a delivery being sent would be taken over by another worker and sent twice",
                outbox.http_timeout_ms
            ),
        ));
    }
    if outbox.retry_schedule_secs.is_empty() {
        return Err(err("outbox.retry_schedule_secs", "needs at least one wait"));
    }
    Ok(())
}

fn app(i: usize, app: RawApp) -> Result<App, ConfigError> {
    let key = |field: &str| format!("app[{i}].{field}");
    let api_key = ApiKey::parse(&app.api_key).ok_or_else(|| {
        err(
            key("api_key"),
            "must be 1 to 64 characters of A-Z a-z 0-9 _ -",
        )
    })?;
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
    if app.session_ttl_secs == 0 || app.session_ttl_secs > crate::domain::SessionTtl::MAX_SECS {
        return Err(err(
            key("session_ttl_secs"),
            "must be between 1 and 2592000 (30 days)",
        ));
    }
    let platform = platform(
        i,
        app.platform,
        app.upstream,
        app.container_scripts,
        app.mixi,
    )?;
    let canvas = match app.canvas {
        None => None,
        Some(c) => Some(canvas(i, c, &platform, &app.secret)?),
    };
    Ok(App {
        canvas,
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
        daily_notification_limit: app.daily_notification_limit,
        daily_feed_limit: app.daily_feed_limit,
        day_offset,
        session_ttl: Duration::from_secs(app.session_ttl_secs),
        platform,
    })
}

/// The platform with its own settings; settings another platform would need are errors,
/// so that a misplaced key is never silently ignored.
fn platform(
    i: usize,
    kind: PlatformKind,
    upstream: Option<Upstream>,
    container_scripts: Vec<String>,
    mixi: Option<MixiGraph>,
) -> Result<Platform, ConfigError> {
    let key = |field: &str| format!("app[{i}].{field}");
    if let Some(m) = &mixi {
        if kind != PlatformKind::Mixi {
            return Err(err(key("mixi"), "is for mixi apps only"));
        }
        if m.client_id.trim().is_empty() || m.client_secret.expose().is_empty() {
            return Err(err(key("mixi"), "needs client_id and client_secret"));
        }
        check_http_url(key("mixi.graph_url"), &m.graph_url)?;
        check_http_url(key("mixi.token_url"), &m.token_url)?;
        if m.request_ttl_secs == 0 {
            return Err(err(key("mixi.request_ttl_secs"), "must be at least 1"));
        }
    }
    if kind != PlatformKind::Mixi && !container_scripts.is_empty() {
        return Err(err(key("container_scripts"), "is for mixi apps only"));
    }
    for (j, script) in container_scripts.iter().enumerate() {
        check_http_url(format!("app[{i}].container_scripts[{j}]"), script)?;
        if script.contains([' ', ';', ',', '\'', '"']) {
            return Err(err(
                format!("app[{i}].container_scripts[{j}]"),
                "must be a plain URL",
            ));
        }
    }
    let upstream = match (kind, upstream) {
        (PlatformKind::Mobage | PlatformKind::OpenSocial, None) => {
            return Err(err(key("upstream"), "is required for this platform"));
        }
        (PlatformKind::Sandbox, Some(_)) => {
            return Err(err(
                key("upstream"),
                format!("is not used by platform {}", kind.as_str()),
            ));
        }
        (_, Some(up)) => {
            check_http_url(key("upstream.endpoint"), &up.endpoint)?;
            if let Some(people) = &up.people_url {
                check_http_url(key("upstream.people_url"), people)?;
            }
            if up.graph_ttl_secs == 0 {
                return Err(err(key("upstream.graph_ttl_secs"), "must be at least 1"));
            }
            Some(up)
        }
        (_, None) => None,
    };
    Ok(match (kind, upstream) {
        (PlatformKind::Mobage, Some(up)) => Platform::Mobage(up),
        (PlatformKind::OpenSocial, Some(up)) => Platform::OpenSocial(up),
        (PlatformKind::Mixi, upstream) => Platform::Mixi {
            container_scripts,
            upstream,
            graph: mixi,
        },
        _ => Platform::Sandbox,
    })
}

/// `[app.canvas]` resolved: the entry key falls back to the upstream's, then (sandbox) to
/// a launch secret only fbbridge's own sandbox container knows.
fn canvas(
    i: usize,
    c: RawCanvas,
    platform: &Platform,
    app_secret: &Secret,
) -> Result<CanvasSettings, ConfigError> {
    let key = |field: &str| format!("app[{i}].canvas.{field}");
    let upstream = platform.graph_source();
    let consumer_secret = match (c.consumer_secret, upstream) {
        (Some(s), _) if !s.expose().is_empty() => s,
        (_, Some(up)) => up.consumer_secret.clone(),
        _ => crate::domain::canvas::sandbox_launch_secret(app_secret.expose()),
    };
    let consumer_key = if !c.consumer_key.is_empty() {
        Some(c.consumer_key)
    } else {
        upstream.map(|u| u.consumer_key.clone())
    };
    let container_key = if c.container_cert.trim().is_empty() {
        None
    } else {
        Some(
            crate::domain::entry::key_from_certificate(&c.container_cert).map_err(|e| {
                err(
                    key("container_cert"),
                    format!("is not a PEM RSA certificate: {e}"),
                )
            })?,
        )
    };
    if c.timeout_ms < 100 {
        return Err(err(key("timeout_ms"), "must be at least 100"));
    }
    for host in &c.redirect_hosts {
        if host.is_empty() || host.contains(['/', ' ', ':']) {
            return Err(err(
                key("redirect_hosts"),
                format!("`{host}` is not a host name"),
            ));
        }
    }
    if !c.canvas_name.is_empty()
        && !c
            .canvas_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(err(key("canvas_name"), "may hold only A-Z a-z 0-9 _ -"));
    }
    Ok(CanvasSettings {
        canvas_name: (!c.canvas_name.is_empty()).then_some(c.canvas_name),
        consumer_key,
        consumer_secret,
        container_key,
        locale: c.locale,
        timeout: Duration::from_millis(c.timeout_ms),
        redirect_hosts: c
            .redirect_hosts
            .into_iter()
            .map(|h| h.to_ascii_lowercase())
            .collect(),
        profile_url: (!c.profile_url.is_empty()).then_some(c.profile_url),
    })
}
