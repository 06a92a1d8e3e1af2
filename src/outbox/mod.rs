//! Delivery workers: take queued deliveries from the store's outbox and hand them to the
//! app's platform.
//!
//! Invariants:
//! - A delivery leaves the outbox only when its platform accepted it (delivered), refused
//!   that recipient for good (dropped), or the retry budget is spent (dead letter, with its
//!   last error). A worker that dies mid-way leaves it to be reclaimed by another.
//! - A message is (request, recipient): before sending, the request's record is read, and a
//!   recipient already delivered, dropped or dead is not sent again.
//! - Rate windows are taken BEFORE sending; a message that would break one waits for it
//!   (without spending an attempt) instead of burning a 503.
//! - Retries wait `retry_schedule_secs[attempt]`; its length is the retry budget.
//! - At shutdown a worker finishes the delivery in hand and hands the rest of its batch
//!   back to the outbox.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::config::Config;
use crate::platform::upstream::{self, Outcome};
use crate::platform::{sandbox, PlatformKind};
use crate::store::{Delivery, DeliveryState, RateKey, Store, StoreError};

const BATCH: usize = 32;
const IDLE_WAIT: Duration = Duration::from_secs(1);

/// What a worker needs besides the store.
#[derive(Clone)]
pub struct WorkerContext {
    pub config: Arc<Config>,
    pub http: reqwest::Client,
}

pub async fn run_worker<S: Store>(
    store: S,
    ctx: WorkerContext,
    consumer: String,
    mut shutdown: watch::Receiver<bool>,
) {
    tracing::debug!(%consumer, "delivery worker started");
    while !*shutdown.borrow() {
        match store.claim_deliveries(&consumer, BATCH).await {
            Ok(batch) if batch.is_empty() => {
                tokio::select! {
                    _ = store.wait_for_deliveries(IDLE_WAIT) => {}
                    _ = shutdown.changed() => {}
                }
            }
            Ok(batch) => {
                let mut rest = batch.into_iter();
                for delivery in rest.by_ref() {
                    deliver(&store, &ctx, &delivery).await;
                    if *shutdown.borrow() {
                        break;
                    }
                }
                hand_back(&store, rest).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "outbox unavailable; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(IDLE_WAIT) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }
    tracing::debug!(%consumer, "delivery worker stopped");
}

async fn hand_back<S: Store>(store: &S, rest: impl Iterator<Item = Delivery>) {
    let now = chrono::Utc::now().timestamp_millis();
    for d in rest {
        if let Err(e) = store
            .reschedule_delivery(&d, now, d.attempt, "handed back at shutdown")
            .await
        {
            tracing::warn!(error = %e, "could not hand a delivery back; it will be reclaimed");
        }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Delivers one message and records what became of it.
pub async fn deliver<S: Store>(store: &S, ctx: &WorkerContext, d: &Delivery) {
    if let Err(e) = deliver_once(store, ctx, d).await {
        // Left in flight: another attempt comes when the entry is reclaimed.
        tracing::warn!(error = %e, from = %d.from, id = d.id, to = %d.to, "delivery not recorded; will be redone");
    }
}

async fn deliver_once<S: Store>(
    store: &S,
    ctx: &WorkerContext,
    d: &Delivery,
) -> Result<(), StoreError> {
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
    match app.platform {
        PlatformKind::Sandbox => {
            sandbox::deliver(store, d, &record).await?;
            count(PlatformKind::Sandbox, "delivered");
            tracing::debug!(api_key = %d.api_key, from = %d.from, id = d.id, to = %d.to, "delivered to sandbox inbox");
            store
                .complete_delivery(d, DeliveryState::Delivered, "")
                .await
        }
        PlatformKind::Mobage | PlatformKind::OpenSocial => {
            let upstream_cfg = app
                .upstream
                .as_ref()
                .expect("validated: these platforms have an upstream");
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
                    count(app.platform, "rate_window_wait");
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
            let outcome = upstream::send(&ctx.http, app, &record.content, d.from, d.to).await;
            count(
                app.platform,
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
        PlatformKind::Mixi => {
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
