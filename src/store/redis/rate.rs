//! Rate windows on Redis: `SET NX PX`, one key per window.

use std::time::Duration;

use super::RedisStore;
use crate::domain::*;
use crate::store::traits::*;
use crate::store::StoreError;

impl RateWindows for RedisStore {
    async fn take_rate_window(
        &self,
        key: &RateKey,
        window: Duration,
    ) -> Result<Option<Duration>, StoreError> {
        let k = self.shared.keys.rate_window(key);
        let ms = window.as_millis().max(1) as u64;
        let taken: Option<String> = self
            .query(
                ::redis::cmd("SET")
                    .arg(&k)
                    .arg("1")
                    .arg("NX")
                    .arg("PX")
                    .arg(ms),
            )
            .await?;
        if taken.is_some() {
            return Ok(None);
        }
        let left: i64 = self.query(::redis::cmd("PTTL").arg(&k)).await?;
        Ok(Some(Duration::from_millis(left.max(1) as u64)))
    }

    async fn release_rate_window(&self, key: &RateKey) -> Result<(), StoreError> {
        let _: i64 = self
            .query(::redis::cmd("DEL").arg(self.shared.keys.rate_window(key)))
            .await?;
        Ok(())
    }
}
