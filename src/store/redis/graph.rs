//! The social graph and quota counters on Redis. Friendships are written on both sides,
//! each in its own user's partition, so a sender's script reads only its own partition.

use super::RedisStore;
use crate::domain::*;
use crate::store::traits::*;
use crate::store::StoreError;

impl Graph for RedisStore {
    async fn app_users(&self, api_key: &ApiKey, uids: &[Uid]) -> Result<Vec<Uid>, StoreError> {
        let mut users = Vec::new();
        for uid in uids {
            let v: Option<String> = self
                .query(::redis::cmd("GET").arg(self.shared.keys.installed(api_key, *uid)))
                .await?;
            if v.as_deref() == Some("1") {
                users.push(*uid);
            }
        }
        Ok(users)
    }

    async fn set_friends(
        &self,
        api_key: &ApiKey,
        uid: Uid,
        friends: &[Uid],
    ) -> Result<(), StoreError> {
        let keys = &self.shared.keys;
        let own = keys.friends(api_key, uid);
        let old: Vec<String> = self.query(::redis::cmd("HKEYS").arg(&own)).await?;
        for gone in old.iter().filter_map(|u| Uid::parse(u)) {
            if !friends.contains(&gone) {
                let _: i64 = self
                    .query(
                        ::redis::cmd("HDEL")
                            .arg(keys.friends(api_key, gone))
                            .arg(uid.get()),
                    )
                    .await?;
            }
        }
        let installed = self.app_users(api_key, &[uid]).await?.contains(&uid);
        let friends_installed = self.app_users(api_key, friends).await?;
        let _: i64 = self.query(::redis::cmd("DEL").arg(&own)).await?;
        for f in friends {
            let flag = if friends_installed.contains(f) {
                "1"
            } else {
                "0"
            };
            let _: i64 = self
                .query(::redis::cmd("HSET").arg(&own).arg(f.get()).arg(flag))
                .await?;
            let _: i64 = self
                .query(
                    ::redis::cmd("HSET")
                        .arg(keys.friends(api_key, *f))
                        .arg(uid.get())
                        .arg(if installed { "1" } else { "0" }),
                )
                .await?;
        }
        Ok(())
    }

    async fn set_installed(
        &self,
        api_key: &ApiKey,
        uid: Uid,
        installed: bool,
    ) -> Result<(), StoreError> {
        let keys = &self.shared.keys;
        let key = keys.installed(api_key, uid);
        if installed {
            let _: () = self.query(::redis::cmd("SET").arg(&key).arg("1")).await?;
        } else {
            let _: i64 = self.query(::redis::cmd("DEL").arg(&key)).await?;
        }
        let friends: Vec<String> = self
            .query(::redis::cmd("HKEYS").arg(keys.friends(api_key, uid)))
            .await?;
        for f in friends.iter().filter_map(|u| Uid::parse(u)) {
            let _: i64 = self
                .query(
                    ::redis::cmd("HSET")
                        .arg(keys.friends(api_key, f))
                        .arg(uid.get())
                        .arg(if installed { "1" } else { "0" }),
                )
                .await?;
        }
        Ok(())
    }
}

impl Quotas for RedisStore {
    async fn quota_used(&self, api_key: &ApiKey, uid: Uid, day: &str) -> Result<u32, StoreError> {
        let v: Option<u32> = self
            .query(::redis::cmd("GET").arg(self.shared.keys.quota(api_key, uid, day)))
            .await?;
        Ok(v.unwrap_or(0))
    }
}
