//! One delivery: read the record, skip what is already settled, respect the rate window,
//! send, record the outcome. Requests and notifications go to their recipient, a story to
//! its actor's feed (an activity).
//!
//! Invariants:
//! - A message is (request, recipient): before sending, the request's record is read, and a
//!   recipient already delivered, dropped or dead is not sent again.
//! - Rate windows are taken BEFORE sending; a message that would break one waits for it
//!   (without spending an attempt) instead of burning a 503.
//! - A delivery is sent only by the worker that holds its lease: the lease is renewed just
//!   before sending, and a delivery another worker took over is left to that worker.
//! - The sandbox inbox and feed, and what waits for a mixi user's next canvas page, are
//!   written here, by the worker, in the owner's partition: never inside the legacy call.

use std::time::Duration;

use tracing::Instrument;

use super::WorkerContext;
use crate::domain::story;
use crate::domain::{
    now_ms, rfc3339_ms, App, Delivery, DeliveryState, FeedItem, InboxItem, InboxItemKind,
    MessageKind, Platform, PlatformKind, RateKey, RequestRecord, Story, UserList,
};
use crate::platform::client::{self as upstream, Outcome, Outgoing};
use crate::platform::mixi;
use crate::store::aliases::platform_id_of;
use crate::store::APP_SENDER;
use crate::store::{Store, StoreError};

/// What the recipient finds in their sandbox inbox (or, for a mixi notification, at the
/// top of their next canvas page).
pub fn inbox_item(
    record: &RequestRecord,
    delivered_at: chrono::DateTime<chrono::Utc>,
) -> InboxItem {
    InboxItem {
        item: match record.message {
            MessageKind::Notification => InboxItemKind::Notification,
            MessageKind::Request | MessageKind::Story => InboxItemKind::Request,
        },
        api_key: record.api_key.to_string(),
        from: record.from.to_string(),
        request_id: record.id.to_string(),
        kind: record.kind.clone(),
        content: record.content.clone(),
        image: record.image.clone(),
        invite: record.invite,
        received_at: delivered_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

/// A story in its actor's sandbox feed.
pub fn feed_item(story: &Story, created_at_ms: i64) -> FeedItem {
    FeedItem {
        title: story.title.clone(),
        body: story.body.clone(),
        images: story.images.clone(),
        targets: story.targets.iter().map(u64::to_string).collect(),
        created_at: rfc3339_ms(created_at_ms),
    }
}

/// Delivers one message and records what became of it.
pub async fn deliver<S: Store>(store: &S, ctx: &WorkerContext, d: &Delivery, consumer: &str) {
    let span = tracing::info_span!(
        "delivery",
        api_key = %d.api_key, from = %d.from, request_id = d.id, to = %d.to, attempt = d.attempt
    );
    if let Err(e) = deliver_once(store, ctx, d, consumer).instrument(span).await {
        // Left in flight: another attempt comes when the entry is reclaimed.
        tracing::warn!(error = %e, from = %d.from, id = d.id, to = %d.to, "delivery not recorded; will be redone");
    }
}

async fn deliver_once<S: Store>(
    store: &S,
    ctx: &WorkerContext,
    d: &Delivery,
    consumer: &str,
) -> Result<(), StoreError> {
    // The batch was claimed a while ago: hold this one afresh, or leave it to the worker
    // that took it over (sending it here too would send it twice).
    if !store.renew_lease(d, consumer).await? {
        tracing::info!("taken over by another worker; not sent here");
        return Ok(());
    }
    let Some(app) = ctx.config.app(d.api_key.as_str()) else {
        return store
            .dead_letter(d, "app no longer configured", now_ms())
            .await;
    };
    let Some(record) = store.get_request(&d.api_key, d.from, d.id).await? else {
        return store
            .dead_letter(d, "request no longer stored", now_ms())
            .await;
    };
    let cleanup = record.cleans_up(d);
    let state = if cleanup {
        record.cleanup
    } else {
        record
            .recipients
            .iter()
            .find(|r| r.uid == d.to)
            .map(|r| r.state)
    };
    if let Some(state @ (DeliveryState::Delivered | DeliveryState::Dropped | DeliveryState::Dead)) =
        state
    {
        // Already settled by an earlier run of this delivery: release it, send nothing.
        return store.complete_delivery(d, state, "").await;
    }
    if cleanup {
        return super::cleanup::clean_up(store, ctx, app, &record, d).await;
    }
    match record.message {
        MessageKind::Request | MessageKind::Notification => {
            deliver_message(store, ctx, app, &record, d).await
        }
        MessageKind::Story => deliver_story(store, ctx, app, &record, d).await,
    }
}

/// A request or a notification to one recipient.
async fn deliver_message<S: Store>(
    store: &S,
    ctx: &WorkerContext,
    app: &App,
    record: &RequestRecord,
    d: &Delivery,
) -> Result<(), StoreError> {
    let kind = app.platform.kind();
    let notification = record.message == MessageKind::Notification;
    match &app.platform {
        Platform::Sandbox => {
            store
                .deliver_to_inbox(d, &inbox_item(record, chrono::Utc::now()))
                .await?;
            delivered_into(store, kind, d, "sandbox inbox").await
        }
        Platform::Mixi { .. } if notification => {
            let item = json(&inbox_item(record, chrono::Utc::now()))?;
            store
                .deliver_to_list(UserList::MixiNotices, d, &item)
                .await?;
            delivered_into(store, kind, d, "the recipient's next mixi canvas page").await
        }
        Platform::Mixi { .. } => {
            store
                .dead_letter(
                    d,
                    "mixi requests are sent from the browser, not by the server",
                    now_ms(),
                )
                .await
        }
        Platform::Mobage(upstream_cfg) | Platform::OpenSocial(upstream_cfg) => {
            // Aliases are fbbridge's own numbers: the platform is told its own ids.
            let from_id = platform_id_of(store, &app.api_key, d.from).await?;
            let to_id = platform_id_of(store, &app.api_key, d.to).await?;
            let from_id = if d.from.get() == APP_SENDER {
                // An app-to-user notification: the app itself speaks (trusted requestor).
                Some(app.app_id.clone())
            } else {
                from_id
            };
            let (Some(from_id), Some(to_id)) = (from_id, to_id) else {
                count(kind, "dead");
                let outcome = Outcome::Dead("a uid alias with no platform id".into());
                return record_outcome(store, ctx, d, outcome).await;
            };
            let window = upstream::rate_window(app, upstream_cfg).map(|(window, per_pair)| {
                let key = if per_pair {
                    RateKey::Pair {
                        api_key: d.api_key.clone(),
                        from: d.from,
                        to: d.to,
                    }
                } else {
                    RateKey::Recipient {
                        api_key: d.api_key.clone(),
                        to: d.to,
                    }
                };
                (key, window)
            });
            let canvas_base = format!("{}/canvas/{}/", ctx.config.public_base(), app.api_key);
            let outgoing = Outgoing::Message {
                content: &record.content,
                to: &to_id,
                canvas_base: &canvas_base,
            };
            send_upstream(store, ctx, app, d, window, outgoing, &from_id).await
        }
    }
}

/// A story, delivered once, as an activity of its actor (`d.to` is the actor).
async fn deliver_story<S: Store>(
    store: &S,
    ctx: &WorkerContext,
    app: &App,
    record: &RequestRecord,
    d: &Delivery,
) -> Result<(), StoreError> {
    let kind = app.platform.kind();
    let Some(story) = &record.story else {
        return store
            .dead_letter(d, "a story record without its story", now_ms())
            .await;
    };
    match &app.platform {
        Platform::Sandbox => {
            let item = json(&feed_item(story, record.created_at_ms))?;
            store.deliver_to_list(UserList::Feed, d, &item).await?;
            delivered_into(store, kind, d, "sandbox feed").await
        }
        Platform::Mixi { .. } => {
            let mut recipients = Vec::new();
            for target in story::target_uids(story)
                .into_iter()
                .take(MIXI_ACTIVITY_RECIPIENTS)
            {
                if let Some(id) = platform_id_of(store, &app.api_key, target).await? {
                    recipients.push(id);
                }
            }
            let activity = mixi::activity(app, story, recipients);
            store
                .deliver_to_list(UserList::MixiActivities, d, &json(&activity)?)
                .await?;
            delivered_into(store, kind, d, "the actor's next mixi canvas page").await
        }
        Platform::Mobage(upstream_cfg) | Platform::OpenSocial(upstream_cfg) => {
            let Some(actor) = platform_id_of(store, &app.api_key, d.to).await? else {
                count(kind, "dead");
                let outcome = Outcome::Dead("a uid alias with no platform id".into());
                return record_outcome(store, ctx, d, outcome).await;
            };
            let window = upstream::activity_window(app, upstream_cfg).map(|w| {
                let key = RateKey::Activity {
                    api_key: d.api_key.clone(),
                    actor: d.to,
                };
                (key, w)
            });
            let outgoing = Outgoing::Activity { story };
            send_upstream(store, ctx, app, d, window, outgoing, &actor).await
        }
    }
}

/// At most this many mixi friends are named in one activity (seed 002).
const MIXI_ACTIVITY_RECIPIENTS: usize = 2;

/// An item as its list keeps it.
fn json(item: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}

async fn delivered_into<S: Store>(
    store: &S,
    kind: PlatformKind,
    d: &Delivery,
    place: &str,
) -> Result<(), StoreError> {
    count(kind, "delivered");
    tracing::debug!(api_key = %d.api_key, from = %d.from, id = d.id, to = %d.to, "delivered to {place}");
    store
        .complete_delivery(d, DeliveryState::Delivered, "")
        .await
}

/// Takes the rate window (waiting for it without spending an attempt), sends, gives the
/// window back when the container cannot have counted the call, records the outcome.
async fn send_upstream<S: Store>(
    store: &S,
    ctx: &WorkerContext,
    app: &App,
    d: &Delivery,
    window: Option<(RateKey, Duration)>,
    outgoing: Outgoing<'_>,
    from_id: &str,
) -> Result<(), StoreError> {
    let kind = app.platform.kind();
    let mut window_taken = None;
    if let Some((key, length)) = window {
        if let Some(wait) = store.take_rate_window(&key, length).await? {
            count(kind, "rate_window_wait");
            let due = now_ms() + wait.as_millis() as i64;
            return store
                .reschedule_delivery(d, due, d.attempt, "waiting for the platform's rate window")
                .await;
        }
        window_taken = Some(key);
    }
    let outcome = upstream::send(&ctx.http, app, outgoing, from_id).await;
    count(
        kind,
        match &outcome {
            Outcome::Delivered => "delivered",
            Outcome::Dropped(_) => "dropped",
            Outcome::Dead(_) => "dead",
            Outcome::Retry { .. } => "retry",
        },
    );
    if let Some(key) = window_taken.filter(|_| !outcome.maybe_recorded()) {
        // The container cannot have counted it: the window is free again.
        store.release_rate_window(&key).await?;
    }
    record_outcome(store, ctx, d, outcome).await
}

pub(super) fn count(platform: PlatformKind, outcome: &'static str) {
    metrics::counter!(crate::telemetry::DELIVERIES, "platform" => platform.as_str(), "outcome" => outcome)
        .increment(1);
}

pub(super) async fn record_outcome<S: Store>(
    store: &S,
    ctx: &WorkerContext,
    d: &Delivery,
    outcome: Outcome,
) -> Result<(), StoreError> {
    let log = |what: &str, detail: &str| {
        tracing::info!(api_key = %d.api_key, from = %d.from, id = d.id, to = %d.to, attempt = d.attempt, detail, "{what}");
    };
    match outcome {
        Outcome::Delivered => {
            log("delivered", "");
            store
                .complete_delivery(d, DeliveryState::Delivered, "")
                .await
        }
        Outcome::Dropped(why) => {
            log("recipient dropped", &why);
            store
                .complete_delivery(d, DeliveryState::Dropped, &why)
                .await
        }
        Outcome::Dead(why) => {
            tracing::warn!(api_key = %d.api_key, from = %d.from, id = d.id, to = %d.to, error = %why, "delivery dead");
            store.dead_letter(d, &why, now_ms()).await
        }
        Outcome::Retry {
            reason, min_wait, ..
        } => {
            let schedule = &ctx.config.outbox.retry_schedule_secs;
            match schedule.get(d.attempt as usize) {
                None => {
                    tracing::warn!(api_key = %d.api_key, from = %d.from, id = d.id, to = %d.to, error = %reason, "retries spent; delivery dead");
                    store.dead_letter(d, &reason, now_ms()).await
                }
                Some(secs) => {
                    let wait = Duration::from_secs(*secs).max(min_wait);
                    log("will retry", &reason);
                    let due = now_ms() + wait.as_millis() as i64;
                    store
                        .reschedule_delivery(
                            d,
                            due,
                            d.attempt + 1,
                            &format!("retrying after: {reason}"),
                        )
                        .await
                }
            }
        }
    }
}
