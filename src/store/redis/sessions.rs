//! Sessions and the call gate on Redis (one script each, in the session's partition).

use std::time::Duration;

use super::decode::*;
use super::scripts;
use super::RedisStore;
use crate::domain::*;
use crate::store::ops::*;
use crate::store::traits::*;
use crate::store::StoreError;

impl Sessions for RedisStore {
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
