//! One delivery: read the request, skip what is already settled, respect the rate window,
//! send, record the outcome.
//!
//! Invariants:
//! - A message is (request, recipient): before sending, the request's record is read, and a
//!   recipient already delivered, dropped or dead is not sent again.
//! - Rate windows are taken BEFORE sending; a message that would break one waits for it
//!   (without spending an attempt) instead of burning a 503.
//! - A delivery is sent only by the worker that holds its lease: the lease is renewed just
//!   before sending, and a delivery another worker took over is left to that worker.
//! - The sandbox inbox is written here, by the worker, in the recipient's partition: never
//!   inside the legacy call.

use std::time::Duration;

use tracing::Instrument;

use super::WorkerContext;
use crate::domain::{
    now_ms, Delivery, DeliveryState, InboxItem, Platform, PlatformKind, RateKey, RequestRecord,
};
use crate::platform::client::{self as upstream, Outcome};
use crate::store::aliases::platform_id_of;
use crate::store::{Store, StoreError};

/// What the recipient finds in their sandbox inbox.
pub fn inbox_item(
    record: &RequestRecord,
    delivered_at: chrono::DateTime<chrono::Utc>,
) -> InboxItem {
    InboxItem {
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
    if let Some(r) = record.recipients.iter().find(|r| r.uid == d.to) {
        if matches!(
            r.state,
            DeliveryState::Delivered | DeliveryState::Dropped | DeliveryState::Dead
        ) {
            // Already settled by an earlier run of this delivery: release it, send nothing.
            return store.complete_delivery(d, r.state, "").await;
        }
    }
    let kind = app.platform.kind();
    match &app.platform {
        Platform::Sandbox => {
            store
                .deliver_to_inbox(d, &inbox_item(&record, chrono::Utc::now()))
                .await?;
            count(kind, "delivered");
            tracing::debug!(api_key = %d.api_key, from = %d.from, id = d.id, to = %d.to, "delivered to sandbox inbox");
            store
                .complete_delivery(d, DeliveryState::Delivered, "")
                .await
        }
        Platform::Mobage(upstream_cfg) | Platform::OpenSocial(upstream_cfg) => {
            // Aliases are fbbridge's own numbers: the platform is told its own ids.
            let from_id = platform_id_of(store, &app.api_key, d.from).await?;
            let to_id = platform_id_of(store, &app.api_key, d.to).await?;
            let (Some(from_id), Some(to_id)) = (from_id, to_id) else {
                count(kind, "dead");
                let outcome = Outcome::Dead("a uid alias with no platform id".into());
                return record_outcome(store, ctx, d, outcome).await;
            };
            let mut window_taken = None;
            if let Some((window, per_pair)) = upstream::rate_window(app, upstream_cfg) {
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
                if let Some(wait) = store.take_rate_window(&key, window).await? {
                    count(kind, "rate_window_wait");
                    let due = now_ms() + wait.as_millis() as i64;
                    return store
                        .reschedule_delivery(
                            d,
                            due,
                            d.attempt,
                            "waiting for the platform's rate window",
                        )
                        .await;
                }
                window_taken = Some(key);
            }
            let outcome = upstream::send(&ctx.http, app, &record.content, &from_id, &to_id).await;
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
        Platform::Mixi { .. } => {
            store
                .dead_letter(
                    d,
                    "mixi requests are sent from the browser, not by the server",
                    now_ms(),
                )
                .await
        }
    }
}

fn count(platform: PlatformKind, outcome: &'static str) {
    metrics::counter!(crate::telemetry::DELIVERIES, "platform" => platform.as_str(), "outcome" => outcome)
        .increment(1);
}

async fn record_outcome<S: Store>(
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
