//! Sandbox inboxes on Redis, in the recipient's partition.

use super::decode::*;
use super::scripts;
use super::RedisStore;
use super::INBOX_TTL_SECS;
use crate::domain::*;
use crate::store::ops::*;
use crate::store::traits::*;
use crate::store::StoreError;

impl Inboxes for RedisStore {
    async fn deliver_to_inbox(&self, d: &Delivery, item: &InboxItem) -> Result<(), StoreError> {
        let keys = &self.shared.keys;
        let json = serde_json::to_string(item).map_err(corrupt)?;
        let inv = scripts::inbox_deliver(keys, d, &json, INBOX_LIMIT, INBOX_TTL_SECS);
        self.run_script::<i64>(&inv).await.map(|_| ())
    }

    async fn inbox(&self, api_key: &ApiKey, uid: Uid) -> Result<Vec<InboxItem>, StoreError> {
        let raw: Vec<String> = self
            .query(
                ::redis::cmd("LRANGE")
                    .arg(self.shared.keys.inbox(api_key, uid))
                    .arg(0)
                    .arg(INBOX_LIMIT as i64 - 1),
            )
            .await?;
        raw.iter()
            .map(|j| serde_json::from_str(j).map_err(corrupt))
            .collect()
    }
}
