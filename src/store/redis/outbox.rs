//! The outbox on Redis: per-partition streams read by one consumer group, a delayed-retry
//! sorted set, dead letters; wake-ups by pub/sub with a periodic sweep behind them.

use std::time::{Duration, Instant};

use ::redis::Value;

use super::super::keys::OUTBOX_GROUP;
use super::decode::*;
use super::scripts;
use super::RedisStore;
use super::{PROMOTE_EVERY, SWEEP_EVERY};
use crate::domain::*;
use crate::store::ops::*;
use crate::store::traits::*;
use crate::store::StoreError;

impl RedisStore {
    /// Moves due retries of every partition back into their streams.
    async fn promote_due(&self, now_ms: i64) -> Result<(), StoreError> {
        let keys = &self.shared.keys;
        let mut conn = self.conn().await?;
        if self.shared.is_cluster {
            for p in 0..keys.partitions() {
                let inv = scripts::promote(keys, p, now_ms, 100);
                let moved = self.bounded(inv.invoke_async::<i64>(&mut conn)).await?;
                if moved > 0 {
                    // Read this partition's stream on the next claim, not at the next sweep.
                    self.shared.hot_partitions.lock().expect("lock").insert(p);
                }
            }
            return Ok(());
        }
        // One round trip on a single server: the scripts are loaded once, then pipelined.
        let sha = scripts::PROMOTE.get_hash().to_string();
        let mut pipe = ::redis::pipe();
        for p in 0..keys.partitions() {
            pipe.cmd("EVALSHA")
                .arg(&sha)
                .arg(2)
                .arg(keys.delayed(p))
                .arg(keys.outbox(p))
                .arg(now_ms)
                .arg(100)
                .ignore();
        }
        match self.bounded(pipe.query_async::<()>(&mut conn)).await {
            Err(e) if e.code() == Some("NOSCRIPT") => {
                // First use on this server (or it restarted without the script cache).
                let _: String = self
                    .bounded(scripts::PROMOTE.prepare_invoke().load_async(&mut conn))
                    .await?;
                self.bounded(pipe.query_async::<()>(&mut conn)).await
            }
            other => other,
        }
    }

    /// Listens for wake-up messages until the process ends; run it once per process that
    /// has workers. Reconnects after a failure.
    pub async fn listen_for_wakeups(self) {
        loop {
            if let Err(e) = self.listen_once().await {
                tracing::debug!(error = %e, "wake-up subscription lost; retrying");
            }
            // Whatever broke the subscription may have broken the other connections too.
            self.connections_broken();
            // Whatever arrived meanwhile is found by the periodic sweep.
            self.shared.wakeup.notify_waiters();
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn listen_once(&self) -> ::redis::RedisResult<()> {
        use futures_util::StreamExt;
        let client = ::redis::Client::open(self.shared.pubsub_url.as_str())?;
        let mut pubsub = tokio::time::timeout(self.shared.timeout * 3, client.get_async_pubsub())
            .await
            .map_err(|_| {
                ::redis::RedisError::from((::redis::ErrorKind::Io, "connect timed out"))
            })??;
        pubsub.subscribe(self.shared.keys.wakeup_channel()).await?;
        let mut messages = pubsub.on_message();
        while let Some(msg) = messages.next().await {
            let stream: String = msg.get_payload().unwrap_or_default();
            if let Some(p) = partition_of_stream(&stream) {
                self.shared.hot_partitions.lock().expect("lock").insert(p);
            }
            self.shared.wakeup.notify_waiters();
        }
        Ok(())
    }

    async fn ensure_groups(&self) -> Result<(), StoreError> {
        if *self.shared.groups_ready.lock().expect("lock") {
            return Ok(());
        }
        for p in 0..self.shared.keys.partitions() {
            let res: Result<Value, StoreError> = self
                .query(
                    ::redis::cmd("XGROUP")
                        .arg("CREATE")
                        .arg(self.shared.keys.outbox(p))
                        .arg(OUTBOX_GROUP)
                        .arg("0")
                        .arg("MKSTREAM"),
                )
                .await;
            match res {
                Ok(_) => {}
                Err(e) if e.code() == Some("BUSYGROUP") => {}
                Err(e) => return Err(e),
            }
        }
        *self.shared.groups_ready.lock().expect("lock") = true;
        Ok(())
    }

    fn partitions_to_read(&self) -> Vec<u16> {
        let now = Instant::now();
        let mut last = self.shared.last_sweep.lock().expect("lock");
        let sweep =
            !self.shared.is_cluster || last.is_none_or(|t| now.duration_since(t) >= SWEEP_EVERY);
        let mut hot = self.shared.hot_partitions.lock().expect("lock");
        if sweep {
            *last = Some(now);
            hot.clear();
            (0..self.shared.keys.partitions()).collect()
        } else {
            std::mem::take(&mut *hot).into_iter().collect()
        }
    }

    fn reclaim_due(&self) -> bool {
        Self::due(
            &self.shared.last_reclaim,
            (self.reclaim_idle() / 2).max(Duration::from_millis(100)),
        )
    }

    async fn read_group(
        &self,
        consumer: &str,
        max: usize,
        partitions: &[u16],
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut out = Vec::new();
        // One command for all streams on one server; one per stream on a cluster, where
        // a command's keys must share a slot.
        let groups: Vec<&[u16]> = if self.shared.is_cluster {
            partitions.chunks(1).collect()
        } else {
            vec![partitions]
        };
        for group in groups {
            if out.len() >= max || group.is_empty() {
                continue;
            }
            let mut cmd = ::redis::cmd("XREADGROUP");
            cmd.arg("GROUP")
                .arg(OUTBOX_GROUP)
                .arg(consumer)
                .arg("COUNT")
                .arg(max - out.len())
                .arg("STREAMS");
            for p in group {
                cmd.arg(self.shared.keys.outbox(*p));
            }
            for _ in group {
                cmd.arg(">");
            }
            let reply: Value = match self.query(&cmd).await {
                Ok(v) => v,
                Err(e) if e.code() == Some("NOGROUP") => {
                    *self.shared.groups_ready.lock().expect("lock") = false;
                    self.ensure_groups().await?;
                    return Ok(out);
                }
                Err(e) => return Err(e),
            };
            parse_xread(&reply, &mut out)?;
        }
        Ok(out)
    }

    async fn reclaim(&self, consumer: &str, max: usize) -> Result<Vec<Delivery>, StoreError> {
        let mut out = Vec::new();
        for p in 0..self.shared.keys.partitions() {
            if out.len() >= max {
                break;
            }
            let reply: Value = self
                .query(
                    ::redis::cmd("XAUTOCLAIM")
                        .arg(self.shared.keys.outbox(p))
                        .arg(OUTBOX_GROUP)
                        .arg(consumer)
                        .arg(self.reclaim_idle().as_millis() as u64)
                        .arg("0-0")
                        .arg("COUNT")
                        .arg(max - out.len()),
                )
                .await?;
            // [next-cursor, [[id, [field, value...]], ...], deleted-ids]
            if let Value::Array(parts) = reply {
                if let Some(Value::Array(entries)) = parts.get(1) {
                    parse_entries(entries, &mut out)?;
                }
            }
        }
        Ok(out)
    }
}

impl Outbox for RedisStore {
    async fn claim_deliveries(
        &self,
        consumer: &str,
        max: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.ensure_groups().await?;
        if Self::due(&self.shared.last_promote, PROMOTE_EVERY) {
            self.promote_due(chrono::Utc::now().timestamp_millis())
                .await?;
        }
        let mut out = Vec::new();
        if self.reclaim_due() {
            out = self.reclaim(consumer, max).await?;
        }
        if out.len() < max {
            let partitions = self.partitions_to_read();
            out.extend(
                self.read_group(consumer, max - out.len(), &partitions)
                    .await?,
            );
        }
        Ok(out)
    }

    async fn renew_lease(&self, d: &Delivery, consumer: &str) -> Result<bool, StoreError> {
        let inv = scripts::renew_lease(&self.shared.keys, d, consumer);
        Ok(self.run_script::<i64>(&inv).await? == 1)
    }

    async fn reschedule_delivery(
        &self,
        d: &Delivery,
        due_ms: i64,
        attempt: u32,
        reason: &str,
    ) -> Result<(), StoreError> {
        let keys = &self.shared.keys;
        let inv = scripts::reschedule(keys, d, due_ms, attempt, reason);
        self.run_script::<i64>(&inv).await.map(|_| ())
    }

    async fn dead_letter(
        &self,
        d: &Delivery,
        last_error: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let keys = &self.shared.keys;
        let item =
            serde_json::to_string(&DeadLetter::new(d, last_error, now_ms)).map_err(corrupt)?;
        let inv = scripts::dead_letter(keys, d, last_error, &item, DEAD_LETTER_LIMIT);
        self.run_script::<i64>(&inv).await.map(|_| ())
    }

    async fn complete_delivery(
        &self,
        d: &Delivery,
        state: DeliveryState,
        detail: &str,
    ) -> Result<(), StoreError> {
        let keys = &self.shared.keys;
        let inv = scripts::complete_delivery(keys, d, state, detail);
        self.run_script::<i64>(&inv).await.map(|_| ())
    }

    async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let keys = &self.shared.keys;
        let mut counts = OutboxCounts::default();
        for p in 0..keys.partitions() {
            let stream_len: u64 = self.query(::redis::cmd("XLEN").arg(keys.outbox(p))).await?;
            let pending: Value = self
                .query(
                    ::redis::cmd("XPENDING")
                        .arg(keys.outbox(p))
                        .arg(OUTBOX_GROUP),
                )
                .await
                .unwrap_or(Value::Nil);
            let in_flight = match &pending {
                Value::Array(parts) => match parts.first() {
                    Some(Value::Int(n)) => *n as u64,
                    _ => 0,
                },
                _ => 0,
            };
            let scheduled: u64 = self
                .query(::redis::cmd("ZCARD").arg(keys.delayed(p)))
                .await?;
            let dead: u64 = self.query(::redis::cmd("LLEN").arg(keys.dead(p))).await?;
            counts.in_flight += in_flight;
            counts.pending += stream_len.saturating_sub(in_flight);
            counts.scheduled += scheduled;
            counts.dead += dead;
        }
        Ok(counts)
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, StoreError> {
        let keys = &self.shared.keys;
        let mut all = Vec::new();
        for p in 0..keys.partitions() {
            let raw: Vec<String> = self
                .query(
                    ::redis::cmd("LRANGE")
                        .arg(keys.dead(p))
                        .arg(0)
                        .arg(limit as i64 - 1),
                )
                .await?;
            for item in raw {
                all.push(serde_json::from_str::<DeadLetter>(&item).map_err(corrupt)?);
            }
        }
        all.sort_by(|a, b| b.dead_at.cmp(&a.dead_at));
        all.truncate(limit);
        Ok(all)
    }

    async fn wait_for_deliveries(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.shared.wakeup.notified()).await;
    }
}
