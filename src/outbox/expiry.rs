//! The expiry sweeper: confirmation pages that expire unconfirmed give their quota back.
//!
//! Invariants:
//! - One sweep in the workers, not a timer per request: pending requests are indexed by
//!   expiry in their partition, and every worker sweeps now and then (each expiry is one
//!   atomic script, so two workers sweeping the same request refund it once).
//! - Only a request still pending past its expiry is expired; one the sender settled in
//!   the meantime is left as it is.

use std::time::Duration;

use crate::store::Store;

/// How often a worker sweeps.
pub const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// At most this many expiries per sweep, so that a backlog cannot stall deliveries.
const SWEEP_MAX: usize = 200;

/// Expires what is due; answers how many requests it expired.
pub async fn sweep<S: Store>(store: &S) -> u32 {
    let now = crate::domain::now_ms();
    let due = match store.due_expiries(now, SWEEP_MAX).await {
        Ok(due) => due,
        Err(e) => {
            tracing::debug!(error = %e, "expiry sweep skipped");
            return 0;
        }
    };
    let mut expired = 0;
    for (api_key, from, id) in due {
        let record = match store.get_request(&api_key, from, id).await {
            Ok(Some(record)) => record,
            Ok(None) => continue,
            Err(e) => {
                tracing::debug!(error = %e, "expiry sweep interrupted");
                break;
            }
        };
        match store.expire_request(&record, now).await {
            Ok(Some(refunded)) => {
                expired += 1;
                tracing::info!(api_key = %api_key, from = %from, request_id = id, refunded, "confirmation page expired; quota given back");
            }
            Ok(None) => {}
            Err(e) => {
                tracing::debug!(error = %e, "expiry sweep interrupted");
                break;
            }
        }
    }
    expired
}
