//! `notifications.sendRequest`: recipients checked, quota taken, the request stored and
//! either queued for delivery or waiting for its confirmation page.
//!
//! Invariants:
//! - One store round trip on the common path; a recipient who uses the app without being
//!   the sender's friend costs one lookup and a second script run, and the first run
//!   changes nothing. On a platform with a People API, the sender's graph is copied again
//!   first (once), since the unknown recipient may be a new friend.
//! - Checks in the legacy order: session and call_id (102, 103) come before the call's own
//!   parameters (100) and the recipients (110), then the quota (4).
//! - The confirmation URL carries an unguessable token; only its SHA-256 is stored.

use chrono::Utc;

use super::caller::{gate, refusal, Caller};
use super::graph_sync;
use crate::config::Config;
use crate::domain::quota::quota_day;
use crate::domain::secrets::{random_token, token_hash};
use crate::domain::{ErrorCode, LegacyError, PeopleDirectory, Platform, Uid};
use crate::store::{
    Graph, NewRequest, Requests, SendOutcome, SendRefusal, SendRequestOp, Sessions,
};

/// The call's own parameters, parsed at the boundary.
#[derive(Clone, Debug)]
pub struct SendRequestInput {
    pub recipients: Vec<Uid>,
    pub kind: String,
    pub content: String,
    pub image: Option<String>,
    pub invite: bool,
}

/// What a successful call answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendRequestAnswer {
    /// Every recipient uses the app and the platform delivers server-side: queued.
    Queued,
    /// The sender must confirm on this page first.
    ConfirmationUrl(String),
}

fn new_request_id() -> u64 {
    // 53 bits: a whole number every old client (PHP, JavaScript) holds exactly.
    (rand::random::<u64>() >> 11).max(1)
}

/// `{public_url}/send_req.php?from=UID&id=N&api_key=K&t=TOKEN`.
pub fn confirmation_url(config: &Config, from: Uid, id: u64, api_key: &str, token: &str) -> String {
    let query = serde_urlencoded::to_string([
        ("from", from.to_string().as_str()),
        ("id", id.to_string().as_str()),
        ("api_key", api_key),
        ("t", token),
    ])
    .expect("plain pairs always encode");
    format!("{}/send_req.php?{query}", config.public_base())
}

/// Runs the call. `input` is the parameters as parsed: a parameter error is answered only
/// once the session and call_id have passed (the legacy order).
#[tracing::instrument(
    name = "send_request",
    skip_all,
    fields(api_key = %caller.app.api_key, sender = caller.session.as_ref().map(|s| s.uid().get()), request_id)
)]
pub async fn send_request<S: Sessions + Requests + Graph>(
    config: &Config,
    store: &S,
    people: &impl PeopleDirectory,
    caller: &Caller<'_>,
    input: Result<SendRequestInput, LegacyError>,
) -> Result<SendRequestAnswer, LegacyError> {
    let app = caller.app;
    let gate_base = caller.call_gate()?;
    let send = match input {
        Ok(s) => s,
        Err(e) => {
            gate(store, caller).await?;
            return Err(e);
        }
    };
    if let Some(problem) = caller.call_id_problem() {
        gate(store, caller).await?;
        return Err(problem);
    }
    let sender = gate_base.session.uid();
    if send.recipients.contains(&sender) {
        gate(store, caller).await?;
        return Err(LegacyError::new(
            ErrorCode::InvalidUserId,
            "sender among the recipients",
        ));
    }
    let now = Utc::now();
    let day = quota_day(now, app.day_offset);
    let token = random_token();
    // Mobage delivers only to app users, so invitations (to non-users) always go through
    // the page, which says so when nobody could receive them.
    let direct_delivery = app.platform.delivers_server_side()
        && !(matches!(app.platform, Platform::Mobage(_)) && send.invite);
    let mut op = SendRequestOp {
        gate: gate_base,
        recipients: send.recipients,
        known_app_users: Vec::new(),
        recipients_resolved: false,
        quota_day: day.key,
        quota_limit: app.daily_request_limit,
        request: NewRequest {
            id: new_request_id(),
            kind: send.kind,
            content: send.content,
            image: send.image,
            invite: send.invite,
            token_hash: token_hash(&token),
            created_at_ms: now.timestamp_millis(),
            expires_at_ms: now.timestamp_millis() + config.confirm.expiry_secs as i64 * 1000,
        },
        direct_delivery,
    };
    let mut refreshed = app.platform.graph_source().is_none();
    for _attempt in 0..5 {
        tracing::Span::current().record("request_id", op.request.id);
        match store.send_request(&op).await? {
            Ok(SendOutcome::Queued) => return Ok(SendRequestAnswer::Queued),
            Ok(SendOutcome::Pending) => {
                return Ok(SendRequestAnswer::ConfirmationUrl(confirmation_url(
                    config,
                    sender,
                    op.request.id,
                    app.api_key.as_str(),
                    &token,
                )))
            }
            Err(SendRefusal::Gate(r)) => return Err(refusal(r)),
            Err(SendRefusal::Unresolved(strangers)) => {
                // A recipient the copy of the graph lacks may be a new friend: copy it
                // again from the platform once, then look up whoever is still unknown.
                if !refreshed {
                    refreshed = true;
                    if let Some(upstream) = app.platform.graph_source() {
                        if let Err(e) =
                            graph_sync::refresh(store, people, app, upstream, sender).await
                        {
                            tracing::warn!(error = %e, "graph refresh for unknown recipients failed");
                        }
                    }
                    continue;
                }
                op.known_app_users = store.app_users(&app.api_key, &strangers).await?;
                op.recipients_resolved = true;
            }
            Err(SendRefusal::InvalidUser) => {
                return Err(LegacyError::new(
                    ErrorCode::InvalidUserId,
                    "recipient neither friend nor app user",
                ))
            }
            Err(SendRefusal::Quota { used }) => {
                return Err(LegacyError::new(
                    ErrorCode::RequestLimitReached,
                    format!("{used} of {} used today", app.daily_request_limit),
                ))
            }
            Err(SendRefusal::IdTaken) => op.request.id = new_request_id(),
        }
    }
    Err(LegacyError::new(
        ErrorCode::Unknown,
        "sendRequest did not settle",
    ))
}
