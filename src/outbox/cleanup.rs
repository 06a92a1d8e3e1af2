//! A request's clean-up at its platform: a request mixi still holds that can no longer be
//! accepted (every recipient launched the app, or it expired) is deleted through mixi's
//! Graph API. It is a delivery to the request's own sender, with the outbox's retries and
//! dead letters; 2xx and 404 both mean done.

use super::deliver::{count, record_outcome};
use super::WorkerContext;
use crate::domain::{now_ms, App, Delivery, RequestRecord};
use crate::platform::client::Outcome;
use crate::store::{Store, StoreError};

/// A request mixi holds that can no longer be accepted: deleted through the Graph API.
pub(super) async fn clean_up<S: Store>(
    store: &S,
    ctx: &WorkerContext,
    app: &App,
    record: &RequestRecord,
    d: &Delivery,
) -> Result<(), StoreError> {
    let kind = app.platform.kind();
    let (Some(graph), Some(request_id)) = (
        app.platform.mixi_graph(),
        record.platform_request_id.as_deref(),
    ) else {
        return store
            .dead_letter(d, "no mixi Graph API to delete the request with", now_ms())
            .await;
    };
    let outcome = ctx
        .mixi_tokens
        .delete_request(&ctx.http, app, graph, request_id)
        .await;
    count(
        kind,
        match &outcome {
            Outcome::Delivered => "request_deleted",
            Outcome::Retry { .. } => "retry",
            _ => "dead",
        },
    );
    record_outcome(store, ctx, d, outcome).await
}
