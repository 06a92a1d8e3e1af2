//! The sandbox inbox and feed as their owner reads them.
//!
//! Invariant: an inbox belongs to one (app, user); reading names both, so one app never
//! sees another's inboxes.

use std::collections::HashMap;

use crate::domain::{ApiKey, FeedItem, InboxItem, Profile, Uid, UserList};
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
    Ok((items, people_of(store, api_key, uid).await))
}

/// The stories `uid` published, newest first, with the profiles they may see.
pub async fn feed_with_people(
    store: &(impl Inboxes + Graph),
    api_key: &ApiKey,
    uid: Uid,
) -> Result<(Vec<FeedItem>, HashMap<Uid, Profile>), StoreError> {
    let items = store
        .list_items(UserList::Feed, api_key, uid)
        .await?
        .iter()
        .map(|j| serde_json::from_str(j).map_err(|e| StoreError::Corrupt(e.to_string())))
        .collect::<Result<Vec<FeedItem>, _>>()?;
    Ok((items, people_of(store, api_key, uid).await))
}

/// The profiles `uid` may see; none when the graph cannot be read (the page still shows).
async fn people_of(store: &impl Graph, api_key: &ApiKey, uid: Uid) -> HashMap<Uid, Profile> {
    match store.view(api_key, uid, true).await {
        Ok(view) => view.profiles,
        Err(e) => {
            tracing::warn!(error = %e, "profiles unavailable for the page");
            HashMap::new()
        }
    }
}
