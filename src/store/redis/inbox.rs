//! The per-user lists on Redis (sandbox inboxes and feeds, mixi's notices and activities),
//! each in its owner's partition; and the apps' template bundles.

use super::decode::*;
use super::publish_scripts;
use super::RedisStore;
use crate::domain::*;
use crate::store::traits::*;
use crate::store::StoreError;

impl Inboxes for RedisStore {
    async fn deliver_to_list(
        &self,
        list: UserList,
        d: &Delivery,
        item_json: &str,
    ) -> Result<(), StoreError> {
        let inv = publish_scripts::list_deliver(&self.shared.keys, list, d, item_json);
        self.run_script::<i64>(&inv).await.map(|_| ())
    }

    async fn list_items(
        &self,
        list: UserList,
        api_key: &ApiKey,
        uid: Uid,
    ) -> Result<Vec<String>, StoreError> {
        self.query(
            ::redis::cmd("LRANGE")
                .arg(self.shared.keys.user_list(list, api_key, uid))
                .arg(0)
                .arg(list.limit() as i64 - 1),
        )
        .await
    }

    async fn take_list(
        &self,
        list: UserList,
        api_key: &ApiKey,
        uid: Uid,
    ) -> Result<Vec<String>, StoreError> {
        let inv = publish_scripts::list_take(&self.shared.keys, list, api_key, uid);
        self.run_script(&inv).await
    }
}

impl Bundles for RedisStore {
    async fn register_bundle(
        &self,
        api_key: &ApiKey,
        id: u64,
        bundle: &TemplateBundle,
    ) -> Result<bool, StoreError> {
        let json = serde_json::to_string(bundle).map_err(corrupt)?;
        let inv = publish_scripts::bundle_register(&self.shared.keys, api_key, id, &json);
        Ok(self.run_script::<i64>(&inv).await? == 1)
    }

    async fn bundle(
        &self,
        api_key: &ApiKey,
        id: u64,
    ) -> Result<Option<TemplateBundle>, StoreError> {
        let raw: Option<String> = self
            .query(
                ::redis::cmd("HGET")
                    .arg(self.shared.keys.bundles(api_key))
                    .arg(id),
            )
            .await?;
        raw.map(|j| serde_json::from_str(&j).map_err(corrupt))
            .transpose()
    }
}
