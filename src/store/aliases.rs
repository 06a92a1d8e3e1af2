//! From legacy uids back to platform ids, for every call fbbridge makes to a platform.
//!
//! Invariant: a uid below 2^53 is its own platform id; above, it is an alias, and only the
//! store's owner record says whose.

use super::traits::Graph;
use super::StoreError;
use crate::domain::profile::direct_uid;
use crate::domain::{ApiKey, Uid};

/// The platform id of a legacy uid (`None`: an alias nobody owns).
pub async fn platform_id_of(
    store: &impl Graph,
    api_key: &ApiKey,
    uid: Uid,
) -> Result<Option<String>, StoreError> {
    if direct_uid(&uid.to_string()).is_some() {
        return Ok(Some(uid.to_string()));
    }
    store.platform_id(api_key, uid).await
}
