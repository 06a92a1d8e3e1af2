//! Sending one message to a Mobage or OpenSocial container, and what its answer means.
//!
//! Invariants:
//! - One shared HTTP client with connect and total timeouts; a timeout is a retryable
//!   failure, never a hang.
//! - Answers map to outcomes exactly once, here: 2xx accepted -> delivered; 403 -> that
//!   recipient dropped; 400 and 401 -> dead (401 logged loudly: the consumer key is
//!   rejected); 429, 5xx, timeouts, refused connections -> retry (Mobage's 503 after the
//!   rate window).

use std::time::Duration;

use super::{mobage, oauth, opensocial, percent_encode};
use crate::domain::{App, Platform, Story, Upstream, UpstreamMode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    Dropped(String),
    Dead(String),
    /// Try again, not before `min_wait`. `maybe_recorded`: the container may have taken the
    /// message (a timeout, or its rate limit), so its rate window stays taken.
    Retry {
        reason: String,
        min_wait: Duration,
        maybe_recorded: bool,
    },
}

impl Outcome {
    /// Whether the container may count this message against its rate window.
    pub fn maybe_recorded(&self) -> bool {
        match self {
            Outcome::Delivered => true,
            Outcome::Retry { maybe_recorded, .. } => *maybe_recorded,
            Outcome::Dropped(_) | Outcome::Dead(_) => false,
        }
    }
}

pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("fbbridge/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("an HTTP client")
}

/// `xoauth_requestor_id`: the sender in proxy mode, the app in trusted mode.
pub fn requestor(app: &App, upstream: &Upstream, from: &str) -> String {
    match upstream.mode {
        UpstreamMode::Proxy => from.to_string(),
        UpstreamMode::Trusted => app.app_id.clone(),
    }
}

/// The rate window that applies before sending from `from` to `to`, if any: its length and
/// whether it is per (sender, recipient) pair (proxy) or per recipient (trusted).
pub fn rate_window(app: &App, upstream: &Upstream) -> Option<(Duration, bool)> {
    if !app.platform.is_mobage() {
        return None;
    }
    Some(match upstream.mode {
        UpstreamMode::Proxy => (Duration::from_secs(upstream.pair_window_secs), true),
        UpstreamMode::Trusted => (Duration::from_secs(upstream.recipient_window_secs), false),
    })
}

fn snippet(body: &str) -> String {
    let s: String = body.chars().filter(|c| !c.is_control()).take(200).collect();
    if s.is_empty() {
        String::new()
    } else {
        format!(": {s}")
    }
}

/// What goes to the container: a message (a request or a notification) to one recipient,
/// or a story as an activity of its actor.
#[derive(Clone, Copy, Debug)]
pub enum Outgoing<'a> {
    Message {
        content: &'a str,
        to: &'a str,
        /// `{public_url}/canvas/{api_key}/`: where an old apps.facebook.com link leads.
        canvas_base: &'a str,
    },
    Activity {
        story: &'a Story,
    },
}

/// The rate window a Mobage activity of one user waits for.
pub fn activity_window(app: &App, upstream: &Upstream) -> Option<Duration> {
    app.platform
        .is_mobage()
        .then(|| Duration::from_secs(upstream.activity_window_secs))
}

/// Sends `outgoing` on behalf of `from` (a platform id).
pub async fn send(
    client: &reqwest::Client,
    app: &App,
    outgoing: Outgoing<'_>,
    from: &str,
) -> Outcome {
    let (upstream, mobage) = match &app.platform {
        Platform::Mobage(u) => (u, true),
        Platform::OpenSocial(u) => (u, false),
        other => return Outcome::Dead(format!("{} has no server-side delivery", other.as_str())),
    };
    let requestor = requestor(app, upstream, from);
    let base = upstream.endpoint.trim_end_matches('/');
    let (url, body) = match (outgoing, mobage) {
        (Outgoing::Message { content, to, .. }, true) => (
            format!("{base}/api/restful/v1/messages/@me/@outbox"),
            mobage::message_body(app, content, to),
        ),
        (
            Outgoing::Message {
                content,
                to,
                canvas_base,
            },
            false,
        ) => (
            opensocial::outbox_url(upstream, &requestor),
            opensocial::message_body(app, content, to, canvas_base),
        ),
        (Outgoing::Activity { story }, true) => (
            format!("{base}/api/restful/v1/activities/@me/@self/@app"),
            mobage::activity_body(story),
        ),
        (Outgoing::Activity { story }, false) => (
            opensocial::activity_url(upstream, &requestor),
            opensocial::activity_body(app, story),
        ),
    };
    let url = format!("{url}?xoauth_requestor_id={}", percent_encode(&requestor));
    let content_type = if mobage {
        "application/json; charset=utf8"
    } else {
        "application/json"
    };
    let timestamp = chrono::Utc::now().timestamp().max(0) as u64;
    let auth = match oauth::authorization(&oauth::Request {
        method: "POST",
        url: &url,
        consumer_key: &upstream.consumer_key,
        consumer_secret: upstream.consumer_secret.expose(),
        body: &body,
        nonce: oauth::nonce(),
        timestamp,
    }) {
        Ok(a) => a,
        Err(e) => return Outcome::Dead(e.to_string()),
    };
    let response = client
        .post(&url)
        .header("authorization", auth)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await;
    let response = match response {
        Ok(r) => r,
        Err(e) => {
            let (reason, maybe_recorded) = if e.is_connect() {
                ("connection failed".to_string(), false)
            } else if e.is_timeout() {
                ("timed out".to_string(), true)
            } else {
                (format!("request failed: {e}"), true)
            };
            return Outcome::Retry {
                reason,
                min_wait: Duration::ZERO,
                maybe_recorded,
            };
        }
    };
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let window = match outgoing {
        Outgoing::Message { .. } => rate_window(app, upstream).map(|w| w.0),
        Outgoing::Activity { .. } => activity_window(app, upstream),
    };
    classify(app, upstream, status, &text, window.unwrap_or_default())
}

/// What the container's answer means; `window` is how long a rate-limited (503) Mobage
/// call waits before it is tried again.
pub fn classify(
    app: &App,
    upstream: &Upstream,
    status: u16,
    body: &str,
    window: Duration,
) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered,
        403 => Outcome::Dropped(format!(
            "403: recipient cannot receive (app not installed){}",
            snippet(body)
        )),
        400 => Outcome::Dead(format!("400 bad request{}", snippet(body))),
        401 => {
            tracing::error!(
                api_key = %app.api_key,
                endpoint = %upstream.endpoint,
                "the container rejected fbbridge's OAuth signature (401): check consumer_key and consumer_secret"
            );
            Outcome::Dead(format!("401 unauthorized{}", snippet(body)))
        }
        503 if app.platform.is_mobage() => Outcome::Retry {
            reason: format!("503 rate limit{}", snippet(body)),
            min_wait: window,
            maybe_recorded: true,
        },
        429 | 500..=599 => Outcome::Retry {
            reason: format!("{status}{}", snippet(body)),
            min_wait: Duration::ZERO,
            maybe_recorded: false,
        },
        other => Outcome::Dead(format!("unexpected status {other}{}", snippet(body))),
    }
}
