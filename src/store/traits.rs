//! The store's operations, one trait per role, and [`Store`], which is all of them.
//!
//! Invariants:
//! - Every operation is atomic on its own (one Lua script or one command on Redis, one
//!   critical section in memory); none leaves a half-made change behind on failure.
//! - Code that needs one role asks for that role; the composition root hands out a
//!   [`Store`], which has them all.

use std::future::Future;
use std::time::Duration;

use super::ops::*;
use super::StoreError;
use crate::domain::*;

type Res<T> = Result<T, StoreError>;

/// Sessions and the call gate every authenticated legacy call passes.
pub trait Sessions: Clone + Send + Sync + 'static {
    fn put_session(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        ttl: Duration,
    ) -> impl Future<Output = Res<()>> + Send;
    /// Claims an entry request's nonce for `ttl`; false when it was claimed already (on
    /// any gateway).
    fn claim_nonce(
        &self,
        api_key: &ApiKey,
        nonce: &str,
        ttl: Duration,
    ) -> impl Future<Output = Res<bool>> + Send;
    /// The session the canvas bridge minted for `uid`, with its expiry (ms), while live.
    fn canvas_session(
        &self,
        api_key: &ApiKey,
        uid: Uid,
    ) -> impl Future<Output = Res<Option<(SessionKey, i64)>>> + Send;
    fn remember_canvas_session(
        &self,
        api_key: &ApiKey,
        uid: Uid,
        key: &SessionKey,
        expires_at_ms: i64,
    ) -> impl Future<Output = Res<()>> + Send;
    /// Checks the session and call_id; advances the high-water mark on success.
    fn gate_call(
        &self,
        gate: &CallGate,
    ) -> impl Future<Output = Res<Result<(), GateRefusal>>> + Send;
}

/// Requests: created by sendRequest, settled by the confirmation page.
pub trait Requests: Clone + Send + Sync + 'static {
    fn send_request(
        &self,
        op: &SendRequestOp,
    ) -> impl Future<Output = Res<Result<SendOutcome, SendRefusal>>> + Send;
    fn get_request(
        &self,
        api_key: &ApiKey,
        from: Uid,
        id: u64,
    ) -> impl Future<Output = Res<Option<RequestRecord>>> + Send;
    /// Settles a pending, unexpired request; at most one settlement ever succeeds.
    fn settle_request(
        &self,
        record: &RequestRecord,
        settlement: &Settlement,
        now_ms: i64,
    ) -> impl Future<Output = Res<SettleOutcome>> + Send;
    /// Pending requests whose confirmation page expired by `now_ms` (at most `max`).
    fn due_expiries(
        &self,
        now_ms: i64,
        max: usize,
    ) -> impl Future<Output = Res<Vec<(ApiKey, Uid, u64)>>> + Send;
    /// Expires a pending request past its expiry: status `expired`, recipients dropped,
    /// quota given back. `Some(refunded)` when this call expired it.
    fn expire_request(
        &self,
        record: &RequestRecord,
        now_ms: i64,
    ) -> impl Future<Output = Res<Option<u32>>> + Send;
    /// Stores a notification or a story, takes its allocation and queues its deliveries.
    fn publish(
        &self,
        op: &PublishOp,
    ) -> impl Future<Output = Res<Result<(), PublishRefusal>>> + Send;
    /// mixi: remembers, in `recipient`'s partition, that mixi holds request (`from`, `id`)
    /// for them until `until_ms`.
    fn hold_for_recipient(
        &self,
        api_key: &ApiKey,
        recipient: Uid,
        from: Uid,
        id: u64,
        until_ms: i64,
    ) -> impl Future<Output = Res<()>> + Send;
    /// mixi: the requests held for `recipient`, forgotten as they are read.
    fn take_held(
        &self,
        api_key: &ApiKey,
        recipient: Uid,
    ) -> impl Future<Output = Res<Vec<(Uid, u64)>>> + Send;
    /// mixi: `recipient` launched the app. Once every recipient mixi delivered the request
    /// to has, its deletion is queued (true when this call queued it).
    fn recipient_launched(
        &self,
        api_key: &ApiKey,
        from: Uid,
        id: u64,
        recipient: Uid,
    ) -> impl Future<Output = Res<bool>> + Send;
    /// The ids of `from`'s latest requests (100 to 110 are kept), newest first.
    fn recent_requests(
        &self,
        api_key: &ApiKey,
        from: Uid,
        limit: usize,
    ) -> impl Future<Output = Res<Vec<u64>>> + Send;
}

/// The social graph the gateway knows: friendships, who uses the app, profiles, and the
/// numeric aliases of platform ids. Each user's view (their friends with flags and the
/// profiles of themselves and their friends) lives in their own partition, so reading it
/// is one round trip; writes fan out to the friends' partitions.
pub trait Graph: Clone + Send + Sync + 'static {
    /// Which of `uids` use the app.
    fn app_users(
        &self,
        api_key: &ApiKey,
        uids: &[Uid],
    ) -> impl Future<Output = Res<Vec<Uid>>> + Send;
    /// Replaces `uid`'s friends; friendship is symmetric, so both sides change, and each
    /// side's copy of the other's profile follows.
    fn set_friends(
        &self,
        api_key: &ApiKey,
        uid: Uid,
        friends: &[Uid],
    ) -> impl Future<Output = Res<()>> + Send;
    fn set_installed(
        &self,
        api_key: &ApiKey,
        uid: Uid,
        installed: bool,
    ) -> impl Future<Output = Res<()>> + Send;
    /// Stores `uid`'s profile, and its copy in each friend's view.
    fn set_profile(
        &self,
        api_key: &ApiKey,
        uid: Uid,
        profile: &Profile,
    ) -> impl Future<Output = Res<()>> + Send;
    fn profile(
        &self,
        api_key: &ApiKey,
        uid: Uid,
    ) -> impl Future<Output = Res<Option<Profile>>> + Send;
    /// In one round trip: the call gate, then (when it passes) the session user's view.
    fn gated_view(
        &self,
        gate: &CallGate,
        with_profiles: bool,
    ) -> impl Future<Output = Res<Result<GraphView, GateRefusal>>> + Send;
    /// `uid`'s view, without a gate (pages, and friends of friends for areFriends).
    fn view(
        &self,
        api_key: &ApiKey,
        uid: Uid,
        with_profiles: bool,
    ) -> impl Future<Output = Res<GraphView>> + Send;
    /// Replaces a user's view with what the platform gave, on both sides of every
    /// friendship, and records when (`snapshot.synced_at_ms`).
    fn replace_graph(&self, snapshot: &GraphSnapshot) -> impl Future<Output = Res<()>> + Send;
    /// The legacy uid of a platform id that is not one itself: found, or allocated so that
    /// every gateway agrees (the same id always gets the same alias).
    fn alias(&self, api_key: &ApiKey, platform_id: &str) -> impl Future<Output = Res<Uid>> + Send;
    /// The platform id an alias stands for.
    fn platform_id(
        &self,
        api_key: &ApiKey,
        alias: Uid,
    ) -> impl Future<Output = Res<Option<String>>> + Send;
}

/// Daily allocations.
pub trait Quotas: Clone + Send + Sync + 'static {
    /// What `uid` used of the allocation counted on `counter` (a day, see
    /// [`crate::domain::quota::Allowance::counter`]).
    fn quota_used(
        &self,
        api_key: &ApiKey,
        uid: Uid,
        counter: &str,
    ) -> impl Future<Output = Res<u32>> + Send;
}

/// Feed template bundles, per app.
pub trait Bundles: Clone + Send + Sync + 'static {
    /// Stores a bundle under `id`; false when the app has [`BUNDLE_LIMIT`] already.
    fn register_bundle(
        &self,
        api_key: &ApiKey,
        id: u64,
        bundle: &TemplateBundle,
    ) -> impl Future<Output = Res<bool>> + Send;
    fn bundle(
        &self,
        api_key: &ApiKey,
        id: u64,
    ) -> impl Future<Output = Res<Option<TemplateBundle>>> + Send;
}

/// The durable outbox of deliveries.
pub trait Outbox: Clone + Send + Sync + 'static {
    /// Takes up to `max` deliveries for `consumer`; they stay in flight until completed.
    fn claim_deliveries(
        &self,
        consumer: &str,
        max: usize,
    ) -> impl Future<Output = Res<Vec<Delivery>>> + Send;
    /// Renews `consumer`'s hold on an in-flight delivery just before sending it, so that no
    /// other worker takes it over meanwhile; false when another worker already has (then
    /// this one must not send it).
    fn renew_lease(
        &self,
        delivery: &Delivery,
        consumer: &str,
    ) -> impl Future<Output = Res<bool>> + Send;
    /// Puts an in-flight delivery aside until `due_ms`, with `attempt` failures so far.
    fn reschedule_delivery(
        &self,
        delivery: &Delivery,
        due_ms: i64,
        attempt: u32,
        reason: &str,
    ) -> impl Future<Output = Res<()>> + Send;
    /// Gives up on an in-flight delivery: dead on its request, and in the dead letters.
    fn dead_letter(
        &self,
        delivery: &Delivery,
        last_error: &str,
        now_ms: i64,
    ) -> impl Future<Output = Res<()>> + Send;
    /// Records the recipient's final state on the request and releases the delivery.
    fn complete_delivery(
        &self,
        delivery: &Delivery,
        state: DeliveryState,
        detail: &str,
    ) -> impl Future<Output = Res<()>> + Send;
    fn outbox_counts(&self) -> impl Future<Output = Res<OutboxCounts>> + Send;
    /// The newest dead letters first.
    fn dead_letters(&self, limit: usize) -> impl Future<Output = Res<Vec<DeadLetter>>> + Send;
    /// Returns when deliveries may be waiting, or after `timeout`.
    fn wait_for_deliveries(&self, timeout: Duration) -> impl Future<Output = ()> + Send;
}

/// Platforms' rate windows, taken before sending.
pub trait RateWindows: Clone + Send + Sync + 'static {
    /// Takes the rate window of `key` for `window`; when it is already taken, answers how
    /// long until it is free.
    fn take_rate_window(
        &self,
        key: &RateKey,
        window: Duration,
    ) -> impl Future<Output = Res<Option<Duration>>> + Send;
    /// Frees a rate window taken for a message the platform cannot have counted.
    fn release_rate_window(&self, key: &RateKey) -> impl Future<Output = Res<()>> + Send;
}

/// The per-user lists the outbox fills ([`UserList`]): sandbox inboxes and feeds, and
/// what waits for a mixi user's next canvas page. Items are JSON, newest first.
pub trait Inboxes: Clone + Send + Sync + 'static {
    /// Puts `item_json` into the delivery's recipient's `list`, once per (list, sender,
    /// record).
    fn deliver_to_list(
        &self,
        list: UserList,
        delivery: &Delivery,
        item_json: &str,
    ) -> impl Future<Output = Res<()>> + Send;
    fn list_items(
        &self,
        list: UserList,
        api_key: &ApiKey,
        uid: Uid,
    ) -> impl Future<Output = Res<Vec<String>>> + Send;
    /// Reads and empties the list (what a page shows once).
    fn take_list(
        &self,
        list: UserList,
        api_key: &ApiKey,
        uid: Uid,
    ) -> impl Future<Output = Res<Vec<String>>> + Send;

    /// Puts `item` into the recipient's sandbox inbox, once per (record, recipient).
    fn deliver_to_inbox(
        &self,
        delivery: &Delivery,
        item: &InboxItem,
    ) -> impl Future<Output = Res<()>> + Send {
        async move {
            let json =
                serde_json::to_string(item).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            self.deliver_to_list(UserList::Inbox, delivery, &json).await
        }
    }

    fn inbox(
        &self,
        api_key: &ApiKey,
        uid: Uid,
    ) -> impl Future<Output = Res<Vec<InboxItem>>> + Send {
        async move {
            let raw = self.list_items(UserList::Inbox, api_key, uid).await?;
            raw.iter()
                .map(|j| serde_json::from_str(j).map_err(|e| StoreError::Corrupt(e.to_string())))
                .collect()
        }
    }
}

/// Every role of the store. Implemented by `MemoryStore`, `RedisStore` and `AnyStore`.
pub trait Store:
    Sessions
    + Requests
    + Graph
    + Quotas
    + Outbox
    + RateWindows
    + Inboxes
    + Bundles
    + Clone
    + Send
    + Sync
    + 'static
{
    fn ping(&self) -> impl Future<Output = Res<()>> + Send;
}
