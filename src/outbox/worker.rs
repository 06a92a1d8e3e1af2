//! The claim loop of one delivery worker.
//!
//! Invariants:
//! - Between batches (at least every second when idle) the worker also runs the expiry
//!   sweeper (`expiry`).
//! - At shutdown a worker finishes the delivery in hand and hands the rest of its batch
//!   back to the outbox (due now), so another worker takes them without waiting for the
//!   reclaim delay.

use std::time::Duration;

use tokio::sync::watch;

use super::{deliver, WorkerContext};
use crate::domain::Delivery;
use crate::store::Store;

const BATCH: usize = 32;
const IDLE_WAIT: Duration = Duration::from_secs(1);

pub async fn run_worker<S: Store>(
    store: S,
    ctx: WorkerContext,
    consumer: String,
    mut shutdown: watch::Receiver<bool>,
) {
    tracing::debug!(%consumer, "delivery worker started");
    let mut last_sweep = tokio::time::Instant::now();
    while !*shutdown.borrow() {
        if last_sweep.elapsed() >= super::expiry::SWEEP_EVERY {
            last_sweep = tokio::time::Instant::now();
            super::expiry::sweep(&store).await;
        }
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
                    deliver(&store, &ctx, &delivery, &consumer).await;
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
    let now = crate::domain::now_ms();
    for d in rest {
        if let Err(e) = store
            .reschedule_delivery(&d, now, d.attempt, "handed back at shutdown")
            .await
        {
            tracing::warn!(error = %e, "could not hand a delivery back; it will be reclaimed");
        }
    }
}
