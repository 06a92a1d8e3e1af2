//! The scripts of notifications, stories, per-user lists and mixi's request clean-up, with
//! one typed argument builder each (as [`super::scripts`] does for requests).
//!
//! Invariant: every key a builder passes shares one hash tag (the sender's partition, the
//! list owner's, or for bundles the app's), so each script runs unchanged on Redis Cluster.

use std::sync::LazyLock;

use ::redis::{Script, ScriptInvocation};

use super::super::keys::Keys;
use super::scripts::flag;
use crate::domain::*;
use crate::store::ops::*;

pub static LIST_DELIVER: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/list_deliver.lua")));
pub static LIST_TAKE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/list_take.lua")));
pub static PUBLISH: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/publish.lua")));
pub static BUNDLE_REGISTER: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/bundle_register.lua")));
pub static MIXI_HOLD: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/mixi_hold.lua")));
pub static MIXI_TAKE_HELD: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/mixi_take_held.lua")));
pub static MIXI_LAUNCHED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        include_str!("lua/record_fn.lua"),
        "\n",
        include_str!("lua/mixi_launched.lua")
    ))
});

/// KEYS: the recipient's list and its seen-set. ARGV: "from:id", item JSON, limit, ttl,
/// now (ms).
pub fn list_deliver(
    keys: &Keys,
    list: UserList,
    d: &Delivery,
    item_json: &str,
) -> ScriptInvocation<'static> {
    let mut inv = LIST_DELIVER.prepare_invoke();
    inv.key(keys.user_list(list, &d.api_key, d.to))
        .key(keys.user_list_seen(list, &d.api_key, d.to))
        .arg(format!("{}:{}", d.from, d.id))
        .arg(item_json)
        .arg(list.limit())
        .arg(list.ttl_secs())
        .arg(chrono::Utc::now().timestamp_millis());
    inv
}

/// KEYS: the list.
pub fn list_take(keys: &Keys, list: UserList, api: &ApiKey, uid: Uid) -> ScriptInvocation<'static> {
    let mut inv = LIST_TAKE.prepare_invoke();
    inv.key(keys.user_list(list, api, uid));
    inv
}

/// KEYS: the allocation's counter, the record, the sender's partition outbox. ARGV: see
/// `lua/publish.lua`; recipients come last.
pub fn publish(keys: &Keys, op: &PublishOp) -> ScriptInvocation<'static> {
    let (api, from) = (&op.api_key, op.from);
    let counter = op.quota.as_ref().map(|q| q.counter.as_str()).unwrap_or("");
    let rc: Vec<String> = op.recipients.iter().map(|u| u.to_string()).collect();
    let mut record = serde_json::json!({
        "k": op.message.code(),
        "ty": op.kind,
        "co": op.content,
        "ca": op.created_at_ms.to_string(),
        "ex": op.created_at_ms.to_string(),
        "qd": counter,
        "rc": rc.join(","),
    });
    if let Some(story) = &op.story {
        record["sj"] = serde_json::to_string(story)
            .expect("stories serialise")
            .into();
    }
    let mut inv = PUBLISH.prepare_invoke();
    inv.key(keys.quota(api, from, counter))
        .key(keys.request(api, from, op.id))
        .key(keys.outbox_of(api, from))
        .arg(api.as_str())
        .arg(from.get())
        .arg(op.id)
        .arg(op.created_at_ms)
        .arg(flag(op.quota.is_some()))
        .arg(op.quota.as_ref().map(|q| q.limit).unwrap_or(0))
        .arg(op.quota.as_ref().map(|q| q.amount).unwrap_or(0))
        .arg(QUOTA_TTL.as_secs())
        .arg(record.to_string())
        .arg(REQUEST_RETENTION.as_secs())
        .arg(keys.wakeup_channel());
    for uid in &op.recipients {
        inv.arg(uid.get());
    }
    inv
}

/// KEYS: the app's bundles. ARGV: id, JSON, limit.
pub fn bundle_register(
    keys: &Keys,
    api: &ApiKey,
    id: u64,
    bundle_json: &str,
) -> ScriptInvocation<'static> {
    let mut inv = BUNDLE_REGISTER.prepare_invoke();
    inv.key(keys.bundles(api))
        .arg(id)
        .arg(bundle_json)
        .arg(BUNDLE_LIMIT);
    inv
}

/// KEYS: the recipient's held requests. ARGV: "from:id", until (ms), ttl (s).
pub fn mixi_hold(
    keys: &Keys,
    api: &ApiKey,
    recipient: Uid,
    from: Uid,
    id: u64,
    until_ms: i64,
) -> ScriptInvocation<'static> {
    let ttl = ((until_ms - now_ms()).max(0) / 1000) as u64 + 86_400;
    let mut inv = MIXI_HOLD.prepare_invoke();
    inv.key(keys.mixi_held(api, recipient))
        .arg(format!("{from}:{id}"))
        .arg(until_ms)
        .arg(ttl);
    inv
}

/// KEYS: the recipient's held requests.
pub fn mixi_take_held(keys: &Keys, api: &ApiKey, recipient: Uid) -> ScriptInvocation<'static> {
    let mut inv = MIXI_TAKE_HELD.prepare_invoke();
    inv.key(keys.mixi_held(api, recipient));
    inv
}

/// KEYS: request, expiring set, outbox (the sender's partition). ARGV: api_key, from, id,
/// recipient, wake-up channel.
pub fn mixi_launched(
    keys: &Keys,
    api: &ApiKey,
    from: Uid,
    id: u64,
    recipient: Uid,
) -> ScriptInvocation<'static> {
    let mut inv = MIXI_LAUNCHED.prepare_invoke();
    inv.key(keys.request(api, from, id))
        .key(keys.expiring_of(api, from))
        .key(keys.outbox_of(api, from))
        .key(keys.request_changes(api, from, id))
        .arg(api.as_str())
        .arg(from.get())
        .arg(id)
        .arg(recipient.get())
        .arg(keys.wakeup_channel());
    inv
}
