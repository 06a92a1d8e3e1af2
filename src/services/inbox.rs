//! The sandbox inbox as its owner reads it.
//!
//! Invariant: an inbox belongs to one (app, user); reading names both, so one app never
//! sees another's inboxes.

use std::collections::HashMap;

use crate::domain::{ApiKey, InboxItem, Profile, Uid};
use crate::store::{Graph, Inboxes, StoreError};

pub async fn read(
    store: &impl Inboxes,
    api_key: &ApiKey,
    uid: Uid,
) -> Result<Vec<InboxItem>, StoreError> {
    store.inbox(api_key, uid).await
}

/// The inbox with the profiles its owner may see (themselves and their friends), for the
/// senders' names and pictures; without them when the graph cannot be read.
pub async fn read_with_people(
    store: &(impl Inboxes + Graph),
    api_key: &ApiKey,
    uid: Uid,
) -> Result<(Vec<InboxItem>, HashMap<Uid, Profile>), StoreError> {
    let items = store.inbox(api_key, uid).await?;
    let people = match store.view(api_key, uid, true).await {
        Ok(view) => view.profiles,
        Err(e) => {
            tracing::warn!(error = %e, "profiles unavailable for the inbox");
            HashMap::new()
        }
    };
    Ok((items, people))
}
