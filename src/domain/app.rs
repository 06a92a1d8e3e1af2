//! An application served by the gateway, as the rest of the code uses it.
//!
//! Invariants:
//! - Every field was checked by `config::validate`; an `App` is never half-valid.
//! - The platform's own settings live in its [`Platform`] variant: a Mobage or OpenSocial
//!   app always has its [`Upstream`], a mixi app its container scripts (and, for its
//!   People API, an optional upstream).

use std::net::IpAddr;
use std::time::Duration;

use chrono::FixedOffset;
use ipnet::IpNet;
use serde::Deserialize;

use super::ids::ApiKey;
use super::secrets::Secret;

/// Which kind of container an app runs on (the configuration's `platform` word).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlatformKind {
    Sandbox,
    Mobage,
    Mixi,
    #[serde(rename = "opensocial")]
    OpenSocial,
}

impl PlatformKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PlatformKind::Sandbox => "sandbox",
            PlatformKind::Mobage => "mobage",
            PlatformKind::Mixi => "mixi",
            PlatformKind::OpenSocial => "opensocial",
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum UpstreamMode {
    /// `xoauth_requestor_id` is the sender.
    #[default]
    Proxy,
    /// `xoauth_requestor_id` is the app.
    Trusted,
}

/// A Mobage or OpenSocial container's API, as configured in `[app.upstream]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    pub endpoint: String,
    pub consumer_key: String,
    pub consumer_secret: Secret,
    #[serde(default)]
    pub mode: UpstreamMode,
    #[serde(default = "default_pair_window")]
    pub pair_window_secs: u64,
    #[serde(default = "default_recipient_window")]
    pub recipient_window_secs: u64,
    /// Mobage: at most one activity per user per this many seconds.
    #[serde(default = "default_pair_window")]
    pub activity_window_secs: u64,
    /// OpenSocial 1.0+ containers put the outbox under `@self`.
    #[serde(default)]
    pub outbox_under_self: bool,
    /// The People API base (`{people_url}/people/{guid}/@friends`); see [`Upstream::people_base`].
    #[serde(default)]
    pub people_url: Option<String>,
    /// The first `startIndex` of a page: 1 on Mobage, 0 elsewhere, unless set here.
    #[serde(default)]
    pub people_start_index: Option<u32>,
    /// How long a copy of a user's graph is fresh.
    #[serde(default = "default_graph_ttl")]
    pub graph_ttl_secs: u64,
}

fn default_graph_ttl() -> u64 {
    3600
}

impl Upstream {
    /// `people_url`, else Mobage's `{endpoint}/api/restful/v2`, else the endpoint itself.
    pub fn people_base(&self, kind: PlatformKind) -> String {
        match (&self.people_url, kind) {
            (Some(u), _) => u.trim_end_matches('/').to_string(),
            (None, PlatformKind::Mobage) => {
                format!("{}/api/restful/v2", self.endpoint.trim_end_matches('/'))
            }
            (None, _) => self.endpoint.trim_end_matches('/').to_string(),
        }
    }

    pub fn people_start_index(&self, kind: PlatformKind) -> u32 {
        self.people_start_index
            .unwrap_or(if kind == PlatformKind::Mobage { 1 } else { 0 })
    }
}

/// `[app.mixi]`: the mixi Graph API that deletes requests mixi still holds once they can no
/// longer be accepted (`notify.md`, seed 001).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixiGraph {
    pub client_id: String,
    pub client_secret: Secret,
    #[serde(default = "default_graph_url")]
    pub graph_url: String,
    #[serde(default = "default_token_url")]
    pub token_url: String,
    /// How long after it was sent a request is deleted at the latest.
    #[serde(default = "default_request_ttl")]
    pub request_ttl_secs: u64,
}

fn default_graph_url() -> String {
    "https://api.mixi-platform.com/2".into()
}
fn default_token_url() -> String {
    "https://secure.mixi-platform.com/2/token".into()
}
fn default_request_ttl() -> u64 {
    604_800
}

fn default_pair_window() -> u64 {
    60
}
fn default_recipient_window() -> u64 {
    14_400
}

/// Where an app's users are, with what that platform needs.
#[derive(Clone, Debug)]
pub enum Platform {
    /// fbbridge plays the container itself.
    Sandbox,
    /// Requests are made in the browser (`requestShareApp`); `container_scripts` provide
    /// `opensocial` and `mixi` to pages not served inside the gadget. With an `upstream`,
    /// the graph comes from mixi's People API (nothing is sent through it).
    Mixi {
        container_scripts: Vec<String>,
        upstream: Option<Upstream>,
        /// Deletes the requests mixi holds; without it they are left to mixi.
        graph: Option<MixiGraph>,
    },
    Mobage(Upstream),
    OpenSocial(Upstream),
}

impl Platform {
    pub fn kind(&self) -> PlatformKind {
        match self {
            Platform::Sandbox => PlatformKind::Sandbox,
            Platform::Mixi { .. } => PlatformKind::Mixi,
            Platform::Mobage(_) => PlatformKind::Mobage,
            Platform::OpenSocial(_) => PlatformKind::OpenSocial,
        }
    }

    pub fn as_str(&self) -> &'static str {
        self.kind().as_str()
    }

    /// mixi creates requests in the browser only; the others are delivered by fbbridge's
    /// outbox workers.
    pub fn delivers_server_side(&self) -> bool {
        !matches!(self, Platform::Mixi { .. })
    }

    pub fn upstream(&self) -> Option<&Upstream> {
        match self {
            Platform::Mobage(u) | Platform::OpenSocial(u) => Some(u),
            Platform::Sandbox | Platform::Mixi { .. } => None,
        }
    }

    /// Where the social graph comes from: the platform's People API, or (`None`) the
    /// admin API.
    pub fn graph_source(&self) -> Option<&Upstream> {
        match self {
            Platform::Mobage(u) | Platform::OpenSocial(u) => Some(u),
            Platform::Mixi { upstream, .. } => upstream.as_ref(),
            Platform::Sandbox => None,
        }
    }

    /// mixi's Graph API, when configured.
    pub fn mixi_graph(&self) -> Option<&MixiGraph> {
        match self {
            Platform::Mixi { graph, .. } => graph.as_ref(),
            _ => None,
        }
    }

    pub fn is_mixi(&self) -> bool {
        matches!(self, Platform::Mixi { .. })
    }

    pub fn is_mobage(&self) -> bool {
        matches!(self, Platform::Mobage(_))
    }
}

/// The PATH of `http(s)://apps.facebook.com/{canvas_name}/PATH` (scheme and host in any case).
pub fn facebook_path<'u>(canvas_name: &str, url: &'u str) -> Option<&'u str> {
    ["http://", "https://"].into_iter().find_map(|scheme| {
        let prefix = format!("{scheme}apps.facebook.com/{canvas_name}/");
        let head = url.get(..prefix.len())?;
        head.eq_ignore_ascii_case(&prefix)
            .then(|| &url[prefix.len()..])
    })
}

/// An application: every field parsed and checked.
#[derive(Clone, Debug)]
pub struct App {
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
    /// `notifications_per_day` (`notify.md`).
    pub daily_notification_limit: u32,
    /// `feed_actions_per_day` (`notify.md`).
    pub daily_feed_limit: u32,
    pub day_offset: FixedOffset,
    pub session_ttl: Duration,
    pub platform: Platform,
    /// `[app.canvas]`: this app's FBML pages are served through `/canvas/`.
    pub canvas: Option<super::canvas::CanvasSettings>,
}

impl App {
    /// The path of `url` inside the app: after its callback or canvas URL, or after its old
    /// `apps.facebook.com/{canvas_name}/` (`notify.md`: such links in content are the app's
    /// own), whatever the scheme's and host's case.
    pub fn path_inside<'u>(&self, url: &'u str) -> Option<&'u str> {
        if let Some(rest) = [&self.callback_url, &self.canvas_url]
            .into_iter()
            .find_map(|base| url.strip_prefix(base.as_str()))
        {
            return Some(rest);
        }
        self.facebook_path(url)
    }

    /// The path of an old `http(s)://apps.facebook.com/{canvas_name}/PATH` link of this app.
    pub fn facebook_path<'u>(&self, url: &'u str) -> Option<&'u str> {
        facebook_path(self.canvas_name()?, url)
    }

    /// `[app.canvas] canvas_name`: the app's name under `apps.facebook.com`.
    pub fn canvas_name(&self) -> Option<&str> {
        self.canvas.as_ref()?.canvas_name.as_deref()
    }

    pub fn ip_allowed(&self, ip: IpAddr) -> bool {
        self.allowed_ips.is_empty() || self.allowed_ips.iter().any(|net| net.contains(&ip))
    }
}
