//! Delivery workers: take queued deliveries from the store's outbox and hand them to the
//! app's platform.
//!
//! Invariants:
//! - A delivery is completed (and leaves the outbox) only after its platform accepted it or
//!   refused it for good; a worker that dies mid-way leaves it to be reclaimed.
//! - Delivering twice is harmless: inboxes keep one item per (request, recipient).
//! - Workers stop at the shutdown signal after finishing the delivery in hand.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::config::Config;
use crate::platform::{sandbox, PlatformKind};
use crate::store::{Delivery, DeliveryState, Store};

const BATCH: usize = 32;
const IDLE_WAIT: Duration = Duration::from_secs(1);

pub async fn run_worker<S: Store>(
    store: S,
    config: Arc<Config>,
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
                for delivery in batch {
                    deliver(&store, &config, &delivery).await;
                }
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

async fn deliver<S: Store>(store: &S, config: &Config, d: &Delivery) {
    let outcome = deliver_once(store, config, d).await;
    let (state, detail) = match outcome {
        Ok(Some(done)) => done,
        Ok(None) => return,
        Err(e) => {
            // Left in flight: another attempt comes when the entry is reclaimed.
            tracing::warn!(error = %e, from = %d.from, id = d.id, to = %d.to, "delivery failed; will retry");
            return;
        }
    };
    if let Err(e) = store.complete_delivery(d, state, &detail).await {
        tracing::warn!(error = %e, "could not record a delivery; it will be redone");
    }
}

async fn deliver_once<S: Store>(
    store: &S,
    config: &Config,
    d: &Delivery,
) -> Result<Option<(DeliveryState, String)>, crate::store::StoreError> {
    let Some(app) = config.app(d.api_key.as_str()) else {
        return Ok(Some((
            DeliveryState::Dead,
            "app no longer configured".into(),
        )));
    };
    let Some(record) = store.get_request(&d.api_key, d.from, d.id).await? else {
        return Ok(Some((
            DeliveryState::Dead,
            "request no longer stored".into(),
        )));
    };
    match app.platform {
        PlatformKind::Sandbox => {
            sandbox::deliver(store, d, &record).await?;
            tracing::info!(api_key = %d.api_key, from = %d.from, id = d.id, to = %d.to, "delivered to sandbox inbox");
            Ok(Some((DeliveryState::Delivered, String::new())))
        }
        other => Ok(Some((
            DeliveryState::Dead,
            format!("no server-side delivery to {} yet", other.as_str()),
        ))),
    }
}
