//! The in-process backend, for the embedded demo and one-process use.
//!
//! Invariants:
//! - Same semantics as the Redis backend (one shared conformance suite), each operation one
//!   critical section under one lock.
//! - NOT durable: everything, queued deliveries included, is gone when the process ends.
//!   Expired entries are dropped lazily when touched.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use super::ops::*;
use super::traits::*;
use super::StoreError;
use crate::domain::*;

mod graph;

type UserKey = (ApiKey, Uid);

#[derive(Default)]
struct Inner {
    /// session key -> (record, high-water mark, expiry in ms)
    sessions: HashMap<String, (SessionRecord, Option<String>)>,
    /// (app, user) -> friend -> friend uses the app
    friends: HashMap<UserKey, HashMap<Uid, bool>>,
    installed: HashSet<UserKey>,
    profiles: HashMap<UserKey, Profile>,
    /// (app, user) -> when their view was last copied from the platform (ms)
    synced: HashMap<UserKey, i64>,
    /// (app, platform id) -> alias, and (app, alias) -> platform id
    aliases: HashMap<(ApiKey, String), Uid>,
    alias_owners: HashMap<UserKey, String>,
    nonces: HashMap<(ApiKey, String), std::time::Instant>,
    canvas_sessions: HashMap<UserKey, (SessionKey, i64)>,
    quota: HashMap<(ApiKey, Uid, String), u32>,
    requests: HashMap<(ApiKey, Uid, u64), RequestRecord>,
    outbox: VecDeque<Delivery>,
    in_flight: HashMap<String, Delivery>,
    next_handle: u64,
    delayed: Vec<(i64, Delivery)>,
    dead: VecDeque<DeadLetter>,
    windows: HashMap<String, std::time::Instant>,
    /// (list, app, owner) -> JSON items, newest first.
    lists: HashMap<(UserList, ApiKey, Uid), VecDeque<String>>,
    /// Per list, the (sender, record) pairs put into it, newest first, capped at twice
    /// the list's own limit (as on Redis).
    list_seen: HashMap<(UserList, ApiKey, Uid), VecDeque<(Uid, u64)>>,
    bundles: HashMap<ApiKey, HashMap<u64, TemplateBundle>>,
    /// mixi: (app, recipient) -> the requests mixi holds for them.
    held: HashMap<UserKey, Vec<(Uid, u64)>>,
    /// mixi: request -> its recipients who launched the app since.
    launched: HashMap<(ApiKey, Uid, u64), HashSet<Uid>>,
    /// mixi: request -> when it is deleted at mixi at the latest (ms).
    cleanup_due: HashMap<(ApiKey, Uid, u64), i64>,
    /// session key -> signatures of its calls without call_id, oldest first (bounded).
    replays: HashMap<String, (HashSet<String>, VecDeque<String>)>,
}

#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
    wakeup: Arc<Notify>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-made change: every operation
        // validates before it writes. So a poisoned lock is still consistent.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn gate(inner: &mut Inner, gate: &CallGate) -> Result<(), GateRefusal> {
    let Some((record, hw)) = inner.sessions.get(gate.session.as_str()) else {
        return Err(GateRefusal::Session);
    };
    if record.api_key != gate.api_key
        || record.uid != gate.session.uid()
        || record.expires_at_ms <= gate.now_ms
    {
        return Err(GateRefusal::Session);
    }
    if let (Some(call_id), Some(hw)) = (&gate.call_id, hw) {
        if call_id.sortable() <= hw.as_str() {
            return Err(GateRefusal::CallId);
        }
    }
    if let Some(sig) = &gate.replay_guard {
        if inner
            .replays
            .get(gate.session.as_str())
            .is_some_and(|(seen, _)| seen.contains(sig))
        {
            return Err(GateRefusal::Replay);
        }
    }
    Ok(())
}

/// Drops every recipient of a request that will not be sent; answers how many.
fn drop_all(req: &mut RequestRecord, detail: &str) -> u32 {
    for r in &mut req.recipients {
        r.state = DeliveryState::Dropped;
        r.detail = detail.to_string();
    }
    req.recipients.len() as u32
}

/// Gives `n` invitations back to the sender's count of `quota_day`.
fn give_back(inner: &mut Inner, record: &RequestRecord, quota_day: String, n: u32) {
    let quota_key = (record.api_key.clone(), record.from, quota_day);
    if let Some(used) = inner.quota.get_mut(&quota_key) {
        *used = used.saturating_sub(n);
    }
}

/// Queues one delivery of record (`api_key`, `from`, `id`) to `to`.
fn enqueue(inner: &mut Inner, api_key: &ApiKey, from: Uid, id: u64, to: Uid) {
    inner.next_handle += 1;
    let handle = inner.next_handle.to_string();
    inner.outbox.push_back(Delivery {
        api_key: api_key.clone(),
        from,
        id,
        to,
        attempt: 0,
        handle,
    });
}

impl MemoryStore {
    /// Queues the deletion at the platform of the request `key` (a delivery to its sender).
    fn queue_cleanup(&self, inner: &mut Inner, key: &(ApiKey, Uid, u64)) {
        enqueue(inner, &key.0, key.1, key.2, key.1);
        self.wakeup.notify_waiters();
    }
}

/// Records what became of a delivery on its request: a recipient's state, or (a delivery
/// to the sender) the request's clean-up at the platform.
fn record_state(inner: &mut Inner, d: &Delivery, state: Option<DeliveryState>, detail: &str) {
    let Some(req) = inner.requests.get_mut(&(d.api_key.clone(), d.from, d.id)) else {
        return;
    };
    if req.cleans_up(d) {
        if let Some(state) = state {
            req.cleanup = Some(state);
        }
        return;
    }
    if let Some(r) = req.recipients.iter_mut().find(|r| r.uid == d.to) {
        if let Some(state) = state {
            r.state = state;
        }
        if !detail.is_empty() {
            r.detail = detail.to_string();
        }
    }
}

fn advance(inner: &mut Inner, gate: &CallGate) {
    if let (Some(call_id), Some(entry)) =
        (&gate.call_id, inner.sessions.get_mut(gate.session.as_str()))
    {
        entry.1 = Some(call_id.sortable().to_string());
    }
    if let Some(sig) = &gate.replay_guard {
        let (seen, order) = inner
            .replays
            .entry(gate.session.as_str().to_string())
            .or_default();
        if seen.insert(sig.clone()) {
            order.push_back(sig.clone());
            if order.len() > REPLAY_MEMORY {
                if let Some(oldest) = order.pop_front() {
                    seen.remove(&oldest);
                }
            }
        }
    }
}

impl Sessions for MemoryStore {
    async fn put_session(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        _ttl: Duration,
    ) -> Result<(), StoreError> {
        self.lock()
            .sessions
            .insert(key.as_str().to_string(), (record.clone(), None));
        Ok(())
    }

    async fn claim_nonce(
        &self,
        api_key: &ApiKey,
        nonce: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let now = std::time::Instant::now();
        inner.nonces.retain(|_, until| *until > now);
        let key = (api_key.clone(), nonce.to_string());
        if inner.nonces.contains_key(&key) {
            return Ok(false);
        }
        inner.nonces.insert(key, now + ttl);
        Ok(true)
    }

    async fn canvas_session(
        &self,
        api_key: &ApiKey,
        uid: Uid,
    ) -> Result<Option<(SessionKey, i64)>, StoreError> {
        let now = now_ms();
        Ok(self
            .lock()
            .canvas_sessions
            .get(&(api_key.clone(), uid))
            .filter(|(_, exp)| *exp > now)
            .cloned())
    }

    async fn remember_canvas_session(
        &self,
        api_key: &ApiKey,
        uid: Uid,
        key: &SessionKey,
        expires_at_ms: i64,
    ) -> Result<(), StoreError> {
        self.lock()
            .canvas_sessions
            .insert((api_key.clone(), uid), (key.clone(), expires_at_ms));
        Ok(())
    }

    async fn gate_call(&self, g: &CallGate) -> Result<Result<(), GateRefusal>, StoreError> {
        let mut inner = self.lock();
        let res = gate(&mut inner, g);
        if res.is_ok() {
            advance(&mut inner, g);
        }
        Ok(res)
    }
}

impl Requests for MemoryStore {
    async fn send_request(
        &self,
        op: &SendRequestOp,
    ) -> Result<Result<SendOutcome, SendRefusal>, StoreError> {
        let mut inner = self.lock();
        if let Err(r) = gate(&mut inner, &op.gate) {
            return Ok(Err(SendRefusal::Gate(r)));
        }
        let api = &op.gate.api_key;
        let from = op.gate.session.uid();
        let friends = inner.friends.get(&(api.clone(), from));
        let mut unresolved = Vec::new();
        let mut invalid = false;
        let mut all_installed = true;
        for r in &op.recipients {
            match friends.and_then(|f| f.get(r)) {
                Some(uses_app) => all_installed &= *uses_app,
                None if op.known_app_users.contains(r) => {}
                None if op.recipients_resolved => invalid = true,
                None => unresolved.push(*r),
            }
        }
        if !unresolved.is_empty() {
            return Ok(Err(SendRefusal::Unresolved(unresolved)));
        }
        let req_key = (api.clone(), from, op.request.id);
        if inner.requests.contains_key(&req_key) {
            return Ok(Err(SendRefusal::IdTaken));
        }
        advance(&mut inner, &op.gate);
        if invalid {
            return Ok(Err(SendRefusal::InvalidUser));
        }
        let quota_key = (api.clone(), from, op.quota_day.clone());
        let used = inner.quota.get(&quota_key).copied().unwrap_or(0);
        let n = op.recipients.len() as u32;
        if used + n > op.quota_limit {
            return Ok(Err(SendRefusal::Quota { used }));
        }
        inner.quota.insert(quota_key, used + n);
        let direct = op.direct_delivery && all_installed;
        let (status, state) = if direct {
            (RequestStatus::Sent, DeliveryState::Queued)
        } else {
            (RequestStatus::Pending, DeliveryState::Pending)
        };
        let r = &op.request;
        inner.requests.insert(
            req_key,
            RequestRecord {
                api_key: api.clone(),
                from,
                id: r.id,
                message: MessageKind::Request,
                story: None,
                status,
                kind: r.kind.clone(),
                content: r.content.clone(),
                image: r.image.clone(),
                invite: r.invite,
                created_at_ms: r.created_at_ms,
                expires_at_ms: r.expires_at_ms,
                token_hash: r.token_hash.clone(),
                quota_day: op.quota_day.clone(),
                platform_request_id: None,
                cleanup: None,
                recipients: op
                    .recipients
                    .iter()
                    .map(|uid| RecipientView {
                        uid: *uid,
                        state,
                        detail: String::new(),
                    })
                    .collect(),
            },
        );
        if !direct {
            return Ok(Ok(SendOutcome::Pending));
        }
        for to in &op.recipients {
            enqueue(&mut inner, api, from, r.id, *to);
        }
        drop(inner);
        self.wakeup.notify_waiters();
        Ok(Ok(SendOutcome::Queued))
    }

    async fn get_request(
        &self,
        api_key: &ApiKey,
        from: Uid,
        id: u64,
    ) -> Result<Option<RequestRecord>, StoreError> {
        Ok(self
            .lock()
            .requests
            .get(&(api_key.clone(), from, id))
            .cloned())
    }

    async fn settle_request(
        &self,
        record: &RequestRecord,
        settlement: &Settlement,
        now_ms: i64,
    ) -> Result<SettleOutcome, StoreError> {
        let mut inner = self.lock();
        let key = (record.api_key.clone(), record.from, record.id);
        let Some(req) = inner.requests.get_mut(&key) else {
            return Ok(SettleOutcome::Missing);
        };
        if req.status != RequestStatus::Pending {
            return Ok(SettleOutcome::AlreadySettled(req.status));
        }
        if req.expires_at_ms <= now_ms {
            return Ok(SettleOutcome::Expired);
        }
        let mut refund = 0u32;
        let mut enqueue_to = Vec::new();
        let mut cleanup_at = None;
        match settlement {
            Settlement::Send { enqueue } => {
                req.status = RequestStatus::Sent;
                if *enqueue {
                    for r in &mut req.recipients {
                        r.state = DeliveryState::Queued;
                        enqueue_to.push(r.uid);
                    }
                }
            }
            Settlement::Cancel { detail } => {
                req.status = RequestStatus::Cancelled;
                refund = drop_all(req, detail);
            }
            Settlement::Mixi {
                platform_request_id,
                chosen,
                cleanup_at_ms,
            } => {
                req.status = RequestStatus::Sent;
                req.platform_request_id = Some(platform_request_id.clone());
                if let Some(at) =
                    cleanup_at_ms.filter(|_| !chosen.is_empty() && !platform_request_id.is_empty())
                {
                    req.cleanup = Some(DeliveryState::Pending);
                    cleanup_at = Some(at);
                }
                for r in &mut req.recipients {
                    if chosen.contains(&r.uid) {
                        r.state = DeliveryState::Delivered;
                    } else {
                        r.state = DeliveryState::Dropped;
                        r.detail = "not chosen in the mixi dialog".into();
                        refund += 1;
                    }
                }
            }
        }
        let quota_day = req.quota_day.clone();
        give_back(&mut inner, record, quota_day, refund);
        if let Some(at) = cleanup_at {
            inner.cleanup_due.insert(key.clone(), at);
        }
        for to in &enqueue_to {
            enqueue(&mut inner, &record.api_key, record.from, record.id, *to);
        }
        drop(inner);
        if !enqueue_to.is_empty() {
            self.wakeup.notify_waiters();
        }
        Ok(SettleOutcome::Settled { refunded: refund })
    }

    async fn due_expiries(
        &self,
        now_ms: i64,
        max: usize,
    ) -> Result<Vec<(ApiKey, Uid, u64)>, StoreError> {
        let inner = self.lock();
        let cleanups = inner
            .cleanup_due
            .iter()
            .filter(|(_, at)| **at <= now_ms)
            .map(|(k, _)| k.clone());
        Ok(inner
            .requests
            .values()
            .filter(|r| r.status == RequestStatus::Pending && r.expires_at_ms <= now_ms)
            .map(|r| (r.api_key.clone(), r.from, r.id))
            .chain(cleanups)
            .take(max)
            .collect())
    }

    async fn expire_request(
        &self,
        record: &RequestRecord,
        now_ms: i64,
    ) -> Result<Option<u32>, StoreError> {
        let mut inner = self.lock();
        let key = (record.api_key.clone(), record.from, record.id);
        let cleanup_due = inner.cleanup_due.get(&key).is_some_and(|at| *at <= now_ms);
        let Some(req) = inner.requests.get_mut(&key) else {
            return Ok(None);
        };
        if cleanup_due && req.cleanup == Some(DeliveryState::Pending) {
            req.cleanup = Some(DeliveryState::Queued);
            inner.cleanup_due.remove(&key);
            self.queue_cleanup(&mut inner, &key);
            return Ok(None);
        }
        if req.status != RequestStatus::Pending || req.expires_at_ms > now_ms {
            return Ok(None);
        }
        req.status = RequestStatus::Expired;
        let refund = drop_all(req, "the confirmation page expired unconfirmed");
        let quota_day = req.quota_day.clone();
        give_back(&mut inner, record, quota_day, refund);
        Ok(Some(refund))
    }

    async fn publish(&self, op: &PublishOp) -> Result<Result<(), PublishRefusal>, StoreError> {
        let mut inner = self.lock();
        let key = (op.api_key.clone(), op.from, op.id);
        if inner.requests.contains_key(&key) {
            return Ok(Err(PublishRefusal::IdTaken));
        }
        if let Some(q) = &op.quota {
            let quota_key = (op.api_key.clone(), op.from, q.counter.clone());
            let used = inner.quota.get(&quota_key).copied().unwrap_or(0);
            if used + q.amount > q.limit {
                return Ok(Err(PublishRefusal::Quota { used }));
            }
            inner.quota.insert(quota_key, used + q.amount);
        }
        inner.requests.insert(
            key,
            RequestRecord {
                api_key: op.api_key.clone(),
                from: op.from,
                id: op.id,
                message: op.message,
                story: op.story.clone(),
                status: RequestStatus::Sent,
                kind: op.kind.clone(),
                content: op.content.clone(),
                image: None,
                invite: false,
                created_at_ms: op.created_at_ms,
                expires_at_ms: op.created_at_ms,
                token_hash: String::new(),
                quota_day: op
                    .quota
                    .as_ref()
                    .map(|q| q.counter.clone())
                    .unwrap_or_default(),
                platform_request_id: None,
                cleanup: None,
                recipients: op
                    .recipients
                    .iter()
                    .map(|uid| RecipientView {
                        uid: *uid,
                        state: DeliveryState::Queued,
                        detail: String::new(),
                    })
                    .collect(),
            },
        );
        for to in &op.recipients {
            enqueue(&mut inner, &op.api_key, op.from, op.id, *to);
        }
        drop(inner);
        self.wakeup.notify_waiters();
        Ok(Ok(()))
    }

    async fn hold_for_recipient(
        &self,
        api_key: &ApiKey,
        recipient: Uid,
        from: Uid,
        id: u64,
        _until_ms: i64,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let held = inner.held.entry((api_key.clone(), recipient)).or_default();
        if !held.contains(&(from, id)) {
            held.push((from, id));
        }
        Ok(())
    }

    async fn take_held(
        &self,
        api_key: &ApiKey,
        recipient: Uid,
    ) -> Result<Vec<(Uid, u64)>, StoreError> {
        Ok(self
            .lock()
            .held
            .remove(&(api_key.clone(), recipient))
            .unwrap_or_default())
    }

    async fn recipient_launched(
        &self,
        api_key: &ApiKey,
        from: Uid,
        id: u64,
        recipient: Uid,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let key = (api_key.clone(), from, id);
        let Some(req) = inner.requests.get(&key) else {
            return Ok(false);
        };
        if req.cleanup != Some(DeliveryState::Pending) {
            return Ok(false);
        }
        let waiting_for: Vec<Uid> = req
            .recipients
            .iter()
            .filter(|r| r.state == DeliveryState::Delivered)
            .map(|r| r.uid)
            .collect();
        let launched = inner.launched.entry(key.clone()).or_default();
        launched.insert(recipient);
        if !waiting_for.iter().all(|u| launched.contains(u)) {
            return Ok(false);
        }
        inner.launched.remove(&key);
        inner.cleanup_due.remove(&key);
        if let Some(req) = inner.requests.get_mut(&key) {
            req.cleanup = Some(DeliveryState::Queued);
        }
        self.queue_cleanup(&mut inner, &key);
        Ok(true)
    }

    async fn recent_requests(
        &self,
        api_key: &ApiKey,
        from: Uid,
        limit: usize,
    ) -> Result<Vec<u64>, StoreError> {
        let inner = self.lock();
        let mut mine: Vec<(i64, u64)> = inner
            .requests
            .values()
            .filter(|r| {
                &r.api_key == api_key && r.from == from && r.message == MessageKind::Request
            })
            .map(|r| (r.created_at_ms, r.id))
            .collect();
        mine.sort_by(|a, b| b.cmp(a));
        Ok(mine.into_iter().take(limit).map(|(_, id)| id).collect())
    }
}

impl Quotas for MemoryStore {
    async fn quota_used(
        &self,
        api_key: &ApiKey,
        uid: Uid,
        counter: &str,
    ) -> Result<u32, StoreError> {
        Ok(self
            .lock()
            .quota
            .get(&(api_key.clone(), uid, counter.to_string()))
            .copied()
            .unwrap_or(0))
    }
}

impl Outbox for MemoryStore {
    async fn claim_deliveries(
        &self,
        _consumer: &str,
        max: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut inner = self.lock();
        let now = chrono::Utc::now().timestamp_millis();
        let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut inner.delayed)
            .into_iter()
            .partition(|(at, _)| *at <= now);
        inner.delayed = waiting;
        inner.outbox.extend(due.into_iter().map(|(_, d)| d));
        let n = max.min(inner.outbox.len());
        let taken: Vec<Delivery> = inner.outbox.drain(..n).collect();
        for d in &taken {
            inner.in_flight.insert(d.handle.clone(), d.clone());
        }
        Ok(taken)
    }

    async fn renew_lease(&self, d: &Delivery, _consumer: &str) -> Result<bool, StoreError> {
        // One process, and nothing is ever reclaimed: a delivery in flight is its taker's.
        Ok(self.lock().in_flight.contains_key(&d.handle))
    }

    async fn reschedule_delivery(
        &self,
        d: &Delivery,
        due_ms: i64,
        attempt: u32,
        reason: &str,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner.in_flight.remove(&d.handle);
        record_state(&mut inner, d, None, reason);
        inner.next_handle += 1;
        let handle = inner.next_handle.to_string();
        inner.delayed.push((
            due_ms,
            Delivery {
                attempt,
                handle,
                ..d.clone()
            },
        ));
        Ok(())
    }

    async fn dead_letter(
        &self,
        d: &Delivery,
        last_error: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner.in_flight.remove(&d.handle);
        record_state(&mut inner, d, Some(DeliveryState::Dead), last_error);
        inner
            .dead
            .push_front(DeadLetter::new(d, last_error, now_ms));
        inner.dead.truncate(DEAD_LETTER_LIMIT);
        Ok(())
    }

    async fn complete_delivery(
        &self,
        d: &Delivery,
        state: DeliveryState,
        detail: &str,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        record_state(&mut inner, d, Some(state), detail);
        inner.in_flight.remove(&d.handle);
        Ok(())
    }

    async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let inner = self.lock();
        Ok(OutboxCounts {
            pending: inner.outbox.len() as u64,
            scheduled: inner.delayed.len() as u64,
            in_flight: inner.in_flight.len() as u64,
            dead: inner.dead.len() as u64,
        })
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, StoreError> {
        Ok(self.lock().dead.iter().take(limit).cloned().collect())
    }

    async fn wait_for_deliveries(&self, timeout: Duration) {
        {
            let inner = self.lock();
            let now = chrono::Utc::now().timestamp_millis();
            if !inner.outbox.is_empty() || inner.delayed.iter().any(|(at, _)| *at <= now) {
                return;
            }
        }
        let _ = tokio::time::timeout(timeout, self.wakeup.notified()).await;
    }
}

impl RateWindows for MemoryStore {
    async fn take_rate_window(
        &self,
        key: &RateKey,
        window: Duration,
    ) -> Result<Option<Duration>, StoreError> {
        let mut inner = self.lock();
        let now = std::time::Instant::now();
        let name = format!("{key:?}");
        match inner.windows.get(&name) {
            Some(until) if *until > now => Ok(Some(*until - now)),
            _ => {
                inner.windows.insert(name, now + window);
                Ok(None)
            }
        }
    }

    async fn release_rate_window(&self, key: &RateKey) -> Result<(), StoreError> {
        self.lock().windows.remove(&format!("{key:?}"));
        Ok(())
    }
}

impl Inboxes for MemoryStore {
    async fn deliver_to_list(
        &self,
        list: UserList,
        d: &Delivery,
        item_json: &str,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let owner = (list, d.api_key.clone(), d.to);
        let seen = inner.list_seen.entry(owner.clone()).or_default();
        if !seen.contains(&(d.from, d.id)) {
            seen.push_front((d.from, d.id));
            seen.truncate(2 * list.limit());
            let items = inner.lists.entry(owner).or_default();
            items.push_front(item_json.to_string());
            items.truncate(list.limit());
        }
        Ok(())
    }

    async fn list_items(
        &self,
        list: UserList,
        api_key: &ApiKey,
        uid: Uid,
    ) -> Result<Vec<String>, StoreError> {
        Ok(self
            .lock()
            .lists
            .get(&(list, api_key.clone(), uid))
            .map(|i| i.iter().cloned().collect())
            .unwrap_or_default())
    }

    async fn take_list(
        &self,
        list: UserList,
        api_key: &ApiKey,
        uid: Uid,
    ) -> Result<Vec<String>, StoreError> {
        Ok(self
            .lock()
            .lists
            .remove(&(list, api_key.clone(), uid))
            .map(|i| i.into_iter().collect())
            .unwrap_or_default())
    }
}

impl Bundles for MemoryStore {
    async fn register_bundle(
        &self,
        api_key: &ApiKey,
        id: u64,
        bundle: &TemplateBundle,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let app = inner.bundles.entry(api_key.clone()).or_default();
        if !app.contains_key(&id) && app.len() >= BUNDLE_LIMIT {
            return Ok(false);
        }
        app.insert(id, bundle.clone());
        Ok(true)
    }

    async fn bundle(
        &self,
        api_key: &ApiKey,
        id: u64,
    ) -> Result<Option<TemplateBundle>, StoreError> {
        Ok(self
            .lock()
            .bundles
            .get(api_key)
            .and_then(|b| b.get(&id))
            .cloned())
    }
}

impl Store for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
