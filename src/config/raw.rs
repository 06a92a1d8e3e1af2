//! The configuration as written: what serde reads before validation.

use serde::Deserialize;

use super::{ConfirmSettings, OutboxSettings, ServerSettings, StoreSettings};
use crate::domain::{PlatformKind, Secret, Upstream};

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
    #[serde(default = "default_notification_limit")]
    pub daily_notification_limit: u32,
    #[serde(default = "default_feed_limit")]
    pub daily_feed_limit: u32,
    #[serde(default = "default_offset")]
    pub day_starts_utc_offset: String,
    #[serde(default = "default_session_ttl")]
    pub session_ttl_secs: u64,
    #[serde(default = "default_platform")]
    pub platform: PlatformKind,
    #[serde(default)]
    pub upstream: Option<Upstream>,
    /// mixi: scripts the confirmation page loads to get the container's `opensocial` and
    /// `mixi` objects when it is not served inside the gadget already.
    #[serde(default)]
    pub container_scripts: Vec<String>,
    /// mixi: the Graph API that deletes the requests mixi holds (`notify.md`).
    #[serde(default)]
    pub mixi: Option<crate::domain::MixiGraph>,
    /// Present: `/canvas/{api_key}/` serves this app's FBML pages (`canvas.md`).
    #[serde(default)]
    pub canvas: Option<RawCanvas>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCanvas {
    #[serde(default)]
    pub canvas_name: String,
    #[serde(default)]
    pub consumer_key: String,
    #[serde(default)]
    pub consumer_secret: Option<Secret>,
    #[serde(default)]
    pub container_cert: String,
    #[serde(default = "default_locale")]
    pub locale: String,
    #[serde(default = "default_canvas_timeout")]
    pub timeout_ms: u64,
    #[serde(default)]
    pub redirect_hosts: Vec<String>,
    #[serde(default)]
    pub profile_url: String,
}

fn default_locale() -> String {
    "en_US".into()
}
fn default_canvas_timeout() -> u64 {
    10_000
}

fn default_true() -> bool {
    true
}
fn default_daily_limit() -> u32 {
    10
}
fn default_notification_limit() -> u32 {
    20
}
fn default_feed_limit() -> u32 {
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
