//! `notifications.send`: who may be told, the `notifications_per_day` allocation, and the
//! notification queued for delivery.
//!
//! Invariants:
//! - Recipients who are neither friends of the sender nor users of the app are left out,
//!   not refused; the answer names exactly those who will be notified, in the order asked.
//! - `user_to_user` needs a session and counts each recipient against the sender's
//!   `notifications_per_day`, all or nothing (error 4). `app_to_user` reaches users of the
//!   app only and is not counted (Facebook's allocation was user-to-user).
//! - The allocation, the record and its deliveries are one store operation (`publish`).

use super::caller::{gate, Caller};
use super::social::Social;
use crate::domain::quota::{quota_day, Allowance};
use std::collections::HashMap;

use crate::domain::{fbml, ApiKey, ErrorCode, LegacyError, MessageKind, PeopleDirectory, Uid};
use crate::store::{Graph, PublishOp, PublishRefusal, QuotaTake, Requests, Sessions, APP_SENDER};

/// `type`: who speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotificationType {
    UserToUser,
    AppToUser,
}

impl NotificationType {
    /// `user_to_user` (also the old `general`), `app_to_user` (also `announcement`).
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "" | "user_to_user" | "general" => Some(Self::UserToUser),
            "app_to_user" | "announcement" => Some(Self::AppToUser),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserToUser => "user_to_user",
            Self::AppToUser => "app_to_user",
        }
    }
}

/// The call's own parameters, parsed at the boundary.
#[derive(Clone, Debug)]
pub struct NotificationInput {
    /// Empty: the session user.
    pub to_ids: Vec<Uid>,
    pub notification: String,
    pub kind: NotificationType,
}

/// At most this many users are named in one notification or story.
const MAX_NAMED: usize = 20;

/// `content` as its recipients read it: each `<fb:name uid>` (or `uid="loggedinuser"`, the
/// acting user) filled in with the name the graph has, "a friend" otherwise.
pub async fn with_names(
    store: &impl Graph,
    api_key: &ApiKey,
    content: &str,
    acting: Option<Uid>,
) -> Result<String, LegacyError> {
    let wanted = fbml::name_uids(content, MAX_NAMED);
    if wanted.is_empty() {
        return Ok(content.to_string());
    }
    let mut names = HashMap::new();
    for raw in wanted {
        let uid = match raw.as_str() {
            "loggedinuser" => acting,
            other => Uid::parse(other),
        };
        if let Some(uid) = uid {
            if let Some(name) = store
                .profile(api_key, uid)
                .await?
                .and_then(|p| p.display_name())
            {
                names.insert(raw, name);
            }
        }
    }
    Ok(fbml::with_names(content, |raw| names.get(raw).cloned()))
}

/// A 53-bit record id (old clients hold it exactly).
pub fn new_record_id() -> u64 {
    (rand::random::<u64>() >> 11).max(1)
}

/// Runs the call; answers the uids that will be notified.
#[tracing::instrument(name = "notifications_send", skip_all, fields(api_key = %caller.app.api_key, kind))]
pub async fn send_notification<S: Sessions + Graph + Requests>(
    store: &S,
    people: &impl PeopleDirectory,
    caller: &Caller<'_>,
    input: Result<NotificationInput, LegacyError>,
) -> Result<Vec<Uid>, LegacyError> {
    let app = caller.app;
    let kind = input
        .as_ref()
        .map(|i| i.kind)
        .unwrap_or(NotificationType::UserToUser);
    tracing::Span::current().record("kind", kind.as_str());
    let (from, recipients, notification, quota) = match kind {
        NotificationType::UserToUser => {
            // The gate and the sender's graph in one round trip, before the parameters
            // are looked at (the legacy order).
            let asked = input.as_ref().map(|i| i.to_ids.clone()).unwrap_or_default();
            let view = Social { store, people }
                .view_for(caller, false, &asked)
                .await?;
            let input = input?;
            let sender = view.user;
            let asked = if input.to_ids.is_empty() {
                vec![sender]
            } else {
                input.to_ids.clone()
            };
            let strangers: Vec<Uid> = asked
                .iter()
                .copied()
                .filter(|u| *u != sender && !view.is_friend(*u))
                .collect();
            let app_users = if strangers.is_empty() {
                Vec::new()
            } else {
                store.app_users(&app.api_key, &strangers).await?
            };
            let recipients: Vec<Uid> = asked
                .into_iter()
                .filter(|u| !strangers.contains(u) || app_users.contains(u))
                .collect();
            let day = quota_day(chrono::Utc::now(), app.day_offset);
            let quota = QuotaTake {
                counter: Allowance::Notifications.counter(&day.key),
                limit: app.daily_notification_limit,
                amount: recipients.len() as u32,
            };
            (sender, recipients, input.notification, Some(quota))
        }
        NotificationType::AppToUser => {
            if caller.session.is_some() {
                gate(store, caller).await?;
            }
            let input = input?;
            // Empty: the session user, as for user_to_user; without a session, nobody.
            let asked = match (input.to_ids.is_empty(), &caller.session) {
                (false, _) => input.to_ids.clone(),
                (true, Some(session)) => vec![session.uid()],
                (true, None) => {
                    return Err(LegacyError::invalid_parameter(
                        "to_ids is required for app_to_user without a session",
                    ))
                }
            };
            let users = store.app_users(&app.api_key, &asked).await?;
            let recipients: Vec<Uid> = asked
                .iter()
                .copied()
                .filter(|u| users.contains(u))
                .collect();
            let from = Uid::new(APP_SENDER).expect("a positive uid");
            (from, recipients, input.notification, None)
        }
    };
    if recipients.is_empty() {
        return Ok(recipients);
    }
    let acting = (kind == NotificationType::UserToUser).then_some(from);
    let content = with_names(store, &app.api_key, &notification, acting).await?;
    let mut op = PublishOp {
        api_key: app.api_key.clone(),
        from,
        id: new_record_id(),
        message: MessageKind::Notification,
        kind: kind.as_str().to_string(),
        content,
        story: None,
        recipients,
        quota,
        created_at_ms: super::now_ms(),
    };
    for _attempt in 0..3 {
        match store.publish(&op).await? {
            Ok(()) => return Ok(op.recipients),
            Err(PublishRefusal::Quota { used }) => {
                return Err(LegacyError::new(
                    ErrorCode::RequestLimitReached,
                    format!(
                        "{used} of {} notifications used today",
                        app.daily_notification_limit
                    ),
                ))
            }
            Err(PublishRefusal::IdTaken) => op.id = new_record_id(),
        }
    }
    Err(LegacyError::new(
        ErrorCode::Unknown,
        "notifications.send did not settle",
    ))
}
