//! Requests on Redis: the one-round-trip sendRequest script, settlement, the sender's index.

use super::decode::*;
use super::publish_scripts;
use super::record_scripts;
use super::scripts;
use super::RedisStore;
use crate::domain::*;
use crate::store::ops::*;
use crate::store::traits::*;
use crate::store::StoreError;

impl RedisStore {
    /// Deliveries were queued in the sender's partition: read it on the next claim.
    fn woke(&self, api: &ApiKey, from: Uid) {
        self.shared
            .hot_partitions
            .lock()
            .expect("lock")
            .insert(self.shared.keys.partition(api, from));
        self.shared.wakeup.notify_waiters();
    }
}

impl Requests for RedisStore {
    async fn send_request(
        &self,
        op: &SendRequestOp,
    ) -> Result<Result<SendOutcome, SendRefusal>, StoreError> {
        let keys = &self.shared.keys;
        let api = &op.gate.api_key;
        let from = op.gate.session.uid();
        let inv = scripts::send_request(keys, op);
        let reply: Vec<String> = self.run_script(&inv).await?;
        let outcome = match first_word(&reply) {
            "PENDING" => Ok(SendOutcome::Pending),
            "QUEUED" => {
                self.woke(api, from);
                Ok(SendOutcome::Queued)
            }
            "SESSION" => Err(SendRefusal::Gate(GateRefusal::Session)),
            "CALLID" => Err(SendRefusal::Gate(GateRefusal::CallId)),
            "REPLAY" => Err(SendRefusal::Gate(GateRefusal::Replay)),
            "RESOLVE" => Err(SendRefusal::Unresolved(
                reply[1..].iter().filter_map(|u| Uid::parse(u)).collect(),
            )),
            "INVALID_USER" => Err(SendRefusal::InvalidUser),
            "QUOTA" => Err(SendRefusal::Quota {
                used: reply.get(1).and_then(|u| u.parse().ok()).unwrap_or(0),
            }),
            "ID_TAKEN" => Err(SendRefusal::IdTaken),
            other => return Err(corrupt(format!("send script answered {other}"))),
        };
        Ok(outcome)
    }

    async fn get_request(
        &self,
        api_key: &ApiKey,
        from: Uid,
        id: u64,
    ) -> Result<Option<RequestRecord>, StoreError> {
        let inv = record_scripts::get_record(&self.shared.keys, api_key, from, id);
        let (raw, changes): (Option<String>, std::collections::HashMap<String, String>) =
            self.run_script(&inv).await?;
        match raw {
            None => Ok(None),
            Some(raw) => record_from(api_key, from, id, &raw, &changes).map(Some),
        }
    }

    async fn settle_request(
        &self,
        record: &RequestRecord,
        settlement: &Settlement,
        now_ms: i64,
    ) -> Result<SettleOutcome, StoreError> {
        let keys = &self.shared.keys;
        let (api, from) = (&record.api_key, record.from);
        let enqueue = matches!(settlement, Settlement::Send { enqueue: true });
        let inv = scripts::settle(keys, record, settlement, now_ms);
        let reply: Vec<String> = self.run_script(&inv).await?;
        match first_word(&reply) {
            "OK" => {
                if enqueue {
                    self.woke(api, from);
                }
                Ok(SettleOutcome::Settled {
                    refunded: reply.get(1).and_then(|r| r.parse().ok()).unwrap_or(0),
                })
            }
            "MISSING" => Ok(SettleOutcome::Missing),
            "EXPIRED" => Ok(SettleOutcome::Expired),
            "DONE" => reply
                .get(1)
                .and_then(|s| RequestStatus::parse(s))
                .map(SettleOutcome::AlreadySettled)
                .ok_or_else(|| corrupt("settle script answered an unknown status")),
            other => Err(corrupt(format!("settle script answered {other}"))),
        }
    }

    async fn due_expiries(
        &self,
        now_ms: i64,
        max: usize,
    ) -> Result<Vec<(ApiKey, Uid, u64)>, StoreError> {
        let keys = &self.shared.keys;
        let mut due = Vec::new();
        for p in 0..keys.partitions() {
            if due.len() >= max {
                break;
            }
            let members: Vec<String> = self
                .query(
                    ::redis::cmd("ZRANGEBYSCORE")
                        .arg(keys.expiring(p))
                        .arg("-inf")
                        .arg(now_ms)
                        .arg("LIMIT")
                        .arg(0)
                        .arg(max - due.len()),
                )
                .await?;
            for m in members {
                let mut parts = m.rsplitn(3, ':');
                let (id, from, api) = (parts.next(), parts.next(), parts.next());
                match (
                    api.and_then(ApiKey::parse),
                    from.and_then(Uid::parse),
                    id.and_then(|i| i.parse().ok()),
                ) {
                    (Some(a), Some(f), Some(i)) => due.push((a, f, i)),
                    _ => return Err(corrupt(format!("expiring member `{m}`"))),
                }
            }
        }
        Ok(due)
    }

    async fn expire_request(
        &self,
        record: &RequestRecord,
        now_ms: i64,
    ) -> Result<Option<u32>, StoreError> {
        let inv = scripts::expire(&self.shared.keys, record, now_ms);
        let reply: Vec<String> = self.run_script(&inv).await?;
        match first_word(&reply) {
            "OK" => Ok(Some(reply.get(1).and_then(|r| r.parse().ok()).unwrap_or(0))),
            "CLEANUP" => {
                self.woke(&record.api_key, record.from);
                Ok(None)
            }
            "MISSING" | "DONE" | "NOTYET" => Ok(None),
            other => Err(corrupt(format!("expire script answered {other}"))),
        }
    }

    async fn publish(&self, op: &PublishOp) -> Result<Result<(), PublishRefusal>, StoreError> {
        let keys = &self.shared.keys;
        let reply: Vec<String> = self.run_script(&publish_scripts::publish(keys, op)).await?;
        match first_word(&reply) {
            "QUEUED" => {
                self.woke(&op.api_key, op.from);
                Ok(Ok(()))
            }
            "QUOTA" => Ok(Err(PublishRefusal::Quota {
                used: reply.get(1).and_then(|u| u.parse().ok()).unwrap_or(0),
            })),
            "ID_TAKEN" => Ok(Err(PublishRefusal::IdTaken)),
            other => Err(corrupt(format!("publish script answered {other}"))),
        }
    }

    async fn hold_for_recipient(
        &self,
        api_key: &ApiKey,
        recipient: Uid,
        from: Uid,
        id: u64,
        until_ms: i64,
    ) -> Result<(), StoreError> {
        let inv =
            publish_scripts::mixi_hold(&self.shared.keys, api_key, recipient, from, id, until_ms);
        self.run_script::<i64>(&inv).await.map(|_| ())
    }

    async fn take_held(
        &self,
        api_key: &ApiKey,
        recipient: Uid,
    ) -> Result<Vec<(Uid, u64)>, StoreError> {
        let inv = publish_scripts::mixi_take_held(&self.shared.keys, api_key, recipient);
        let members: Vec<String> = self.run_script(&inv).await?;
        members
            .iter()
            .map(|m| {
                m.split_once(':')
                    .and_then(|(f, i)| Some((Uid::parse(f)?, i.parse().ok()?)))
                    .ok_or_else(|| corrupt(format!("held member `{m}`")))
            })
            .collect()
    }

    async fn recipient_launched(
        &self,
        api_key: &ApiKey,
        from: Uid,
        id: u64,
        recipient: Uid,
    ) -> Result<bool, StoreError> {
        let inv = publish_scripts::mixi_launched(&self.shared.keys, api_key, from, id, recipient);
        let reply: Vec<String> = self.run_script(&inv).await?;
        let queued = first_word(&reply) == "QUEUED";
        if queued {
            self.woke(api_key, from);
        }
        Ok(queued)
    }

    async fn recent_requests(
        &self,
        api_key: &ApiKey,
        from: Uid,
        limit: usize,
    ) -> Result<Vec<u64>, StoreError> {
        let ids: Vec<String> = self
            .query(
                ::redis::cmd("LRANGE")
                    .arg(self.shared.keys.request_index(api_key, from))
                    .arg(0)
                    .arg(limit.max(1) as i64 - 1),
            )
            .await?;
        Ok(ids.iter().filter_map(|i| i.parse().ok()).collect())
    }
}
