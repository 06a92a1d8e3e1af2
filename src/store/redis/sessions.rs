//! Sessions and the call gate on Redis (one script each, in the session's partition).

use std::time::Duration;

use super::decode::*;
use super::scripts;
use super::RedisStore;
use crate::domain::*;
use crate::store::ops::*;
use crate::store::traits::*;
use crate::store::StoreError;

fn parse_canvas_session(v: &str) -> Option<(SessionKey, i64)> {
    let (key, exp) = v.split_once('|')?;
    Some((SessionKey::parse(key)?, exp.parse().ok()?))
}

impl Sessions for RedisStore {
    async fn claim_nonce(
        &self,
        api_key: &ApiKey,
        nonce: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let set: Option<String> = self
            .query(
                ::redis::cmd("SET")
                    .arg(self.shared.keys.nonce(api_key, nonce))
                    .arg("1")
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl.as_millis().max(1) as u64),
            )
            .await?;
        Ok(set.is_some())
    }

    async fn canvas_session(
        &self,
        api_key: &ApiKey,
        uid: Uid,
    ) -> Result<Option<(SessionKey, i64)>, StoreError> {
        let v: Option<String> = self
            .query(::redis::cmd("GET").arg(self.shared.keys.canvas_session(api_key, uid)))
            .await?;
        Ok(v.as_deref().and_then(parse_canvas_session))
    }

    async fn remember_canvas_session(
        &self,
        api_key: &ApiKey,
        uid: Uid,
        key: &SessionKey,
        expires_at_ms: i64,
    ) -> Result<(), StoreError> {
        let _: () = self
            .query(
                ::redis::cmd("SET")
                    .arg(self.shared.keys.canvas_session(api_key, uid))
                    .arg(format!("{}|{expires_at_ms}", key.as_str()))
                    .arg("PXAT")
                    .arg(expires_at_ms),
            )
            .await?;
        Ok(())
    }

    async fn put_session(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let inv = scripts::put_session(&self.shared.keys, key, record, ttl);
        self.run_script::<i64>(&inv).await.map(|_| ())
    }

    async fn gate_call(&self, gate: &CallGate) -> Result<Result<(), GateRefusal>, StoreError> {
        let keys = &self.shared.keys;
        let inv = scripts::gate(keys, gate);
        let reply: Vec<String> = self.run_script(&inv).await?;
        match first_word(&reply) {
            "OK" => Ok(Ok(())),
            "SESSION" => Ok(Err(GateRefusal::Session)),
            "CALLID" => Ok(Err(GateRefusal::CallId)),
            "REPLAY" => Ok(Err(GateRefusal::Replay)),
            other => Err(corrupt(format!("gate script answered {other}"))),
        }
    }
}
