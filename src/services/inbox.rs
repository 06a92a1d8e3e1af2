//! The sandbox inbox as its owner reads it.
//!
//! Invariant: an inbox belongs to one (app, user); reading names both, so one app never
//! sees another's inboxes.

use crate::domain::{ApiKey, InboxItem, Uid};
use crate::store::{Inboxes, StoreError};

pub async fn read(
    store: &impl Inboxes,
    api_key: &ApiKey,
    uid: Uid,
) -> Result<Vec<InboxItem>, StoreError> {
    store.inbox(api_key, uid).await
}
