//! [`AnyStore`]: the backend chosen by configuration, behind the same traits.

use std::time::Duration;

use super::ops::*;
use super::traits::*;
use super::{MemoryStore, RedisStore, StoreError};
use crate::domain::*;

type Res<T> = Result<T, StoreError>;

/// The store chosen by configuration.
#[derive(Clone)]
pub enum AnyStore {
    Memory(MemoryStore),
    Redis(RedisStore),
}

macro_rules! delegate {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            AnyStore::Memory($s) => $call.await,
            AnyStore::Redis($s) => $call.await,
        }
    };
}

impl Sessions for AnyStore {
    async fn put_session(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        ttl: Duration,
    ) -> Res<()> {
        delegate!(self, s => s.put_session(key, record, ttl))
    }
    async fn claim_nonce(&self, api_key: &ApiKey, nonce: &str, ttl: Duration) -> Res<bool> {
        delegate!(self, s => s.claim_nonce(api_key, nonce, ttl))
    }
    async fn canvas_session(&self, api_key: &ApiKey, uid: Uid) -> Res<Option<(SessionKey, i64)>> {
        delegate!(self, s => s.canvas_session(api_key, uid))
    }
    async fn remember_canvas_session(
        &self,
        api_key: &ApiKey,
        uid: Uid,
        key: &SessionKey,
        expires_at_ms: i64,
    ) -> Res<()> {
        delegate!(self, s => s.remember_canvas_session(api_key, uid, key, expires_at_ms))
    }
    async fn gate_call(&self, gate: &CallGate) -> Res<Result<(), GateRefusal>> {
        delegate!(self, s => s.gate_call(gate))
    }
}

impl Requests for AnyStore {
    async fn send_request(&self, op: &SendRequestOp) -> Res<Result<SendOutcome, SendRefusal>> {
        delegate!(self, s => s.send_request(op))
    }
    async fn get_request(
        &self,
        api_key: &ApiKey,
        from: Uid,
        id: u64,
    ) -> Res<Option<RequestRecord>> {
        delegate!(self, s => s.get_request(api_key, from, id))
    }
    async fn settle_request(
        &self,
        record: &RequestRecord,
        settlement: &Settlement,
        now_ms: i64,
    ) -> Res<SettleOutcome> {
        delegate!(self, s => s.settle_request(record, settlement, now_ms))
    }
    async fn due_expiries(&self, now_ms: i64, max: usize) -> Res<Vec<(ApiKey, Uid, u64)>> {
        delegate!(self, s => s.due_expiries(now_ms, max))
    }
    async fn expire_request(&self, record: &RequestRecord, now_ms: i64) -> Res<Option<u32>> {
        delegate!(self, s => s.expire_request(record, now_ms))
    }
    async fn recent_requests(&self, api_key: &ApiKey, from: Uid, limit: usize) -> Res<Vec<u64>> {
        delegate!(self, s => s.recent_requests(api_key, from, limit))
    }
    async fn publish(&self, op: &PublishOp) -> Res<Result<(), PublishRefusal>> {
        delegate!(self, s => s.publish(op))
    }
    async fn hold_for_recipient(
        &self,
        api_key: &ApiKey,
        recipient: Uid,
        from: Uid,
        id: u64,
        until_ms: i64,
    ) -> Res<()> {
        delegate!(self, s => s.hold_for_recipient(api_key, recipient, from, id, until_ms))
    }
    async fn take_held(&self, api_key: &ApiKey, recipient: Uid) -> Res<Vec<(Uid, u64)>> {
        delegate!(self, s => s.take_held(api_key, recipient))
    }
    async fn recipient_launched(
        &self,
        api_key: &ApiKey,
        from: Uid,
        id: u64,
        recipient: Uid,
    ) -> Res<bool> {
        delegate!(self, s => s.recipient_launched(api_key, from, id, recipient))
    }
}

impl Graph for AnyStore {
    async fn app_users(&self, api_key: &ApiKey, uids: &[Uid]) -> Res<Vec<Uid>> {
        delegate!(self, s => s.app_users(api_key, uids))
    }
    async fn set_friends(&self, api_key: &ApiKey, uid: Uid, friends: &[Uid]) -> Res<()> {
        delegate!(self, s => s.set_friends(api_key, uid, friends))
    }
    async fn set_installed(&self, api_key: &ApiKey, uid: Uid, installed: bool) -> Res<()> {
        delegate!(self, s => s.set_installed(api_key, uid, installed))
    }
    async fn set_profile(&self, api_key: &ApiKey, uid: Uid, profile: &Profile) -> Res<()> {
        delegate!(self, s => s.set_profile(api_key, uid, profile))
    }
    async fn profile(&self, api_key: &ApiKey, uid: Uid) -> Res<Option<Profile>> {
        delegate!(self, s => s.profile(api_key, uid))
    }
    async fn gated_view(
        &self,
        gate: &CallGate,
        with_profiles: bool,
    ) -> Res<Result<GraphView, GateRefusal>> {
        delegate!(self, s => s.gated_view(gate, with_profiles))
    }
    async fn view(&self, api_key: &ApiKey, uid: Uid, with_profiles: bool) -> Res<GraphView> {
        delegate!(self, s => s.view(api_key, uid, with_profiles))
    }
    async fn replace_graph(&self, snapshot: &GraphSnapshot) -> Res<()> {
        delegate!(self, s => s.replace_graph(snapshot))
    }
    async fn alias(&self, api_key: &ApiKey, platform_id: &str) -> Res<Uid> {
        delegate!(self, s => s.alias(api_key, platform_id))
    }
    async fn platform_id(&self, api_key: &ApiKey, alias: Uid) -> Res<Option<String>> {
        delegate!(self, s => s.platform_id(api_key, alias))
    }
}

impl Quotas for AnyStore {
    async fn quota_used(&self, api_key: &ApiKey, uid: Uid, counter: &str) -> Res<u32> {
        delegate!(self, s => s.quota_used(api_key, uid, counter))
    }
}

impl Outbox for AnyStore {
    async fn claim_deliveries(&self, consumer: &str, max: usize) -> Res<Vec<Delivery>> {
        delegate!(self, s => s.claim_deliveries(consumer, max))
    }
    async fn renew_lease(&self, d: &Delivery, consumer: &str) -> Res<bool> {
        delegate!(self, s => s.renew_lease(d, consumer))
    }
    async fn reschedule_delivery(
        &self,
        d: &Delivery,
        due_ms: i64,
        attempt: u32,
        reason: &str,
    ) -> Res<()> {
        delegate!(self, s => s.reschedule_delivery(d, due_ms, attempt, reason))
    }
    async fn dead_letter(&self, d: &Delivery, last_error: &str, now_ms: i64) -> Res<()> {
        delegate!(self, s => s.dead_letter(d, last_error, now_ms))
    }
    async fn complete_delivery(
        &self,
        delivery: &Delivery,
        state: DeliveryState,
        detail: &str,
    ) -> Res<()> {
        delegate!(self, s => s.complete_delivery(delivery, state, detail))
    }
    async fn outbox_counts(&self) -> Res<OutboxCounts> {
        delegate!(self, s => s.outbox_counts())
    }
    async fn dead_letters(&self, limit: usize) -> Res<Vec<DeadLetter>> {
        delegate!(self, s => s.dead_letters(limit))
    }
    async fn wait_for_deliveries(&self, timeout: Duration) {
        delegate!(self, s => s.wait_for_deliveries(timeout))
    }
}

impl RateWindows for AnyStore {
    async fn take_rate_window(&self, key: &RateKey, window: Duration) -> Res<Option<Duration>> {
        delegate!(self, s => s.take_rate_window(key, window))
    }
    async fn release_rate_window(&self, key: &RateKey) -> Res<()> {
        delegate!(self, s => s.release_rate_window(key))
    }
}

impl Inboxes for AnyStore {
    async fn deliver_to_list(&self, list: UserList, delivery: &Delivery, item: &str) -> Res<()> {
        delegate!(self, s => s.deliver_to_list(list, delivery, item))
    }
    async fn list_items(&self, list: UserList, api_key: &ApiKey, uid: Uid) -> Res<Vec<String>> {
        delegate!(self, s => s.list_items(list, api_key, uid))
    }
    async fn take_list(&self, list: UserList, api_key: &ApiKey, uid: Uid) -> Res<Vec<String>> {
        delegate!(self, s => s.take_list(list, api_key, uid))
    }
}

impl Bundles for AnyStore {
    async fn register_bundle(
        &self,
        api_key: &ApiKey,
        id: u64,
        bundle: &TemplateBundle,
    ) -> Res<bool> {
        delegate!(self, s => s.register_bundle(api_key, id, bundle))
    }
    async fn bundle(&self, api_key: &ApiKey, id: u64) -> Res<Option<TemplateBundle>> {
        delegate!(self, s => s.bundle(api_key, id))
    }
}

impl Store for AnyStore {
    async fn ping(&self) -> Res<()> {
        delegate!(self, s => s.ping())
    }
}
