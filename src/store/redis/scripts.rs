//! The Lua scripts (files in `lua/`) and one typed argument builder per script, so that
//! the order of KEYS and ARGV is written down once, beside the script it feeds.
//!
//! Invariant: every key a builder passes shares one hash tag (the sender's partition, or
//! for inboxes the recipient's), so each script runs unchanged on Redis Cluster.

use std::sync::LazyLock;
use std::time::Duration;

use ::redis::{Script, ScriptInvocation};

use super::super::keys::{Keys, OUTBOX_GROUP};
use crate::domain::*;
use crate::store::ops::*;

macro_rules! script {
    ($name:ident, $file:literal) => {
        pub static $name: LazyLock<Script> =
            LazyLock::new(|| Script::new(include_str!(concat!("lua/", $file))));
    };
}

/// A script made of shared Lua functions followed by its own body.
macro_rules! script_with {
    ($name:ident, [$($lib:literal),+], $file:literal) => {
        pub static $name: LazyLock<Script> = LazyLock::new(|| {
            Script::new(concat!(
                $(include_str!(concat!("lua/", $lib)), "\n",)+
                include_str!(concat!("lua/", $file))
            ))
        });
    };
}

script!(PUT_SESSION, "put_session.lua");
script_with!(GATE, ["decimal_fn.lua", "gate_fn.lua"], "gate.lua");
script_with!(
    GATE_VIEW,
    ["decimal_fn.lua", "gate_fn.lua", "view_fn.lua"],
    "gate_view.lua"
);
script_with!(VIEW, ["view_fn.lua"], "view.lua");
script!(GRAPH_REPLACE, "graph_replace.lua");
script!(GRAPH_LINK, "graph_link.lua");
script_with!(SEND_REQUEST, ["decimal_fn.lua"], "send_request.lua");
script_with!(SETTLE, ["record_fn.lua"], "settle.lua");
script_with!(RESCHEDULE, ["record_fn.lua"], "reschedule.lua");
script!(PROMOTE, "promote.lua");
script_with!(DEAD_LETTER, ["record_fn.lua"], "dead_letter.lua");
script_with!(
    COMPLETE_DELIVERY,
    ["record_fn.lua"],
    "complete_delivery.lua"
);
script!(RENEW_LEASE, "renew_lease.lua");
script_with!(EXPIRE, ["record_fn.lua"], "expire.lua");

pub(super) fn flag(b: bool) -> &'static str {
    if b {
        "1"
    } else {
        "0"
    }
}

/// KEYS: session, its replay set. ARGV: api_key, uid, expires_at_ms, ttl_ms.
pub fn put_session(
    keys: &Keys,
    key: &SessionKey,
    record: &SessionRecord,
    ttl: Duration,
) -> ScriptInvocation<'static> {
    let mut inv = PUT_SESSION.prepare_invoke();
    inv.key(keys.session(&record.api_key, key))
        .key(keys.replays(&record.api_key, key))
        .arg(record.api_key.as_str())
        .arg(record.uid.get())
        .arg(record.expires_at_ms)
        .arg(ttl.as_millis().max(1) as u64);
    inv
}

/// KEYS: session, its replay set. ARGV: api_key, uid, sortable call_id (or ""), now_ms,
/// signature to remember (or ""), replay memory size.
pub fn gate(keys: &Keys, gate: &CallGate) -> ScriptInvocation<'static> {
    let mut inv = GATE.prepare_invoke();
    inv.key(keys.session(&gate.api_key, &gate.session))
        .key(keys.replays(&gate.api_key, &gate.session))
        .arg(gate.api_key.as_str())
        .arg(gate.session.uid().get())
        .arg(gate.call_id.as_ref().map(|c| c.sortable()).unwrap_or(""))
        .arg(gate.now_ms)
        .arg(gate.replay_guard.as_deref().unwrap_or(""))
        .arg(REPLAY_MEMORY);
    inv
}

/// KEYS: session, replay set, friends, installed, sync time, profiles. ARGV: the gate's,
/// then whether to read profiles.
pub fn gate_view(keys: &Keys, gate: &CallGate, with_profiles: bool) -> ScriptInvocation<'static> {
    let api = &gate.api_key;
    let uid = gate.session.uid();
    let mut inv = GATE_VIEW.prepare_invoke();
    inv.key(keys.session(api, &gate.session))
        .key(keys.replays(api, &gate.session))
        .key(keys.friends(api, uid))
        .key(keys.installed(api, uid))
        .key(keys.graph_synced(api, uid))
        .key(keys.profiles(api, uid))
        .arg(api.as_str())
        .arg(uid.get())
        .arg(gate.call_id.as_ref().map(|c| c.sortable()).unwrap_or(""))
        .arg(gate.now_ms)
        .arg(gate.replay_guard.as_deref().unwrap_or(""))
        .arg(REPLAY_MEMORY)
        .arg(flag(with_profiles));
    inv
}

/// KEYS: friends, installed, sync time, profiles. ARGV: whether to read profiles.
pub fn view(keys: &Keys, api: &ApiKey, uid: Uid, with_profiles: bool) -> ScriptInvocation<'static> {
    let mut inv = VIEW.prepare_invoke();
    inv.key(keys.friends(api, uid))
        .key(keys.installed(api, uid))
        .key(keys.graph_synced(api, uid))
        .key(keys.profiles(api, uid))
        .arg(flag(with_profiles));
    inv
}

fn profile_json(p: &Profile) -> String {
    serde_json::to_string(p).expect("profiles serialise")
}

/// KEYS: the user's friends, profiles, installed, sync time. ARGV: uid, flag, profile,
/// synced ms, then (friend, flag, profile) triples.
pub fn graph_replace(keys: &Keys, snap: &GraphSnapshot) -> ScriptInvocation<'static> {
    let api = &snap.api_key;
    let uid = snap.user.uid;
    let mut inv = GRAPH_REPLACE.prepare_invoke();
    inv.key(keys.friends(api, uid))
        .key(keys.profiles(api, uid))
        .key(keys.installed(api, uid))
        .key(keys.graph_synced(api, uid))
        .arg(uid.get())
        .arg(flag(snap.user.uses_app))
        .arg(profile_json(&snap.user.profile))
        .arg(snap.synced_at_ms);
    for f in snap.friends.iter().filter(|f| f.uid != uid) {
        inv.arg(f.uid.get())
            .arg(flag(f.uses_app))
            .arg(profile_json(&f.profile));
    }
    inv
}

/// KEYS: the friend's friends, profiles, installed. ARGV: user, flag, profile, friend,
/// flag, profile.
pub fn graph_link(
    keys: &Keys,
    api: &ApiKey,
    user: &Person,
    friend: &Person,
) -> ScriptInvocation<'static> {
    let mut inv = GRAPH_LINK.prepare_invoke();
    inv.key(keys.friends(api, friend.uid))
        .key(keys.profiles(api, friend.uid))
        .key(keys.installed(api, friend.uid))
        .arg(user.uid.get())
        .arg(flag(user.uses_app))
        .arg(profile_json(&user.profile))
        .arg(friend.uid.get())
        .arg(flag(friend.uses_app))
        .arg(profile_json(&friend.profile));
    inv
}

/// KEYS: session, friends, quota, request, outbox, request index, replay set, expiring set.
/// ARGV: see `lua/send_request.lua`; recipients, then known app users, come last.
pub fn send_request(keys: &Keys, op: &SendRequestOp) -> ScriptInvocation<'static> {
    let api = &op.gate.api_key;
    let from = op.gate.session.uid();
    let r = &op.request;
    let retention =
        (r.expires_at_ms - r.created_at_ms).max(0) as u64 / 1000 + REQUEST_RETENTION.as_secs();
    let mut inv = SEND_REQUEST.prepare_invoke();
    inv.key(keys.session(api, &op.gate.session))
        .key(keys.friends(api, from))
        .key(keys.quota(api, from, &op.quota_day))
        .key(keys.request(api, from, r.id))
        .key(keys.outbox_of(api, from))
        .key(keys.request_index(api, from))
        .key(keys.replays(api, &op.gate.session))
        .key(keys.expiring_of(api, from))
        .arg(api.as_str())
        .arg(from.get())
        .arg(op.gate.call_id.as_ref().map(|c| c.sortable()).unwrap_or(""))
        .arg(op.gate.now_ms)
        .arg(op.quota_limit)
        .arg(QUOTA_TTL.as_secs())
        .arg(flag(op.direct_delivery))
        .arg(flag(op.recipients_resolved))
        .arg(r.id)
        .arg(super::record_scripts::new_record(op))
        .arg(r.expires_at_ms)
        .arg(retention)
        .arg(keys.wakeup_channel())
        .arg(op.recipients.len())
        .arg(op.gate.replay_guard.as_deref().unwrap_or(""))
        .arg(REPLAY_MEMORY);
    for uid in &op.recipients {
        inv.arg(uid.get());
    }
    for uid in &op.known_app_users {
        inv.arg(uid.get());
    }
    inv
}

/// KEYS: request, outbox, quota of the request's day. ARGV: action (send | cancel | mixi),
/// now_ms, wake-up channel, api_key, from, id, enqueue, platform request id, detail, chosen...
pub fn settle(
    keys: &Keys,
    record: &RequestRecord,
    settlement: &Settlement,
    now_ms: i64,
) -> ScriptInvocation<'static> {
    let (api, from, id) = (&record.api_key, record.from, record.id);
    let (action, enqueue, platform_id, detail, chosen, cleanup): (
        &str,
        bool,
        &str,
        &str,
        &[Uid],
        Option<i64>,
    ) = match settlement {
        Settlement::Send { enqueue } => ("send", *enqueue, "", "", &[], None),
        Settlement::Cancel { detail } => ("cancel", false, "", detail.as_str(), &[], None),
        Settlement::Mixi {
            platform_request_id,
            chosen,
            cleanup_at_ms,
        } => (
            "mixi",
            false,
            platform_request_id.as_str(),
            "not chosen in the mixi dialog",
            chosen.as_slice(),
            *cleanup_at_ms,
        ),
    };
    let mut inv = SETTLE.prepare_invoke();
    inv.key(keys.request(api, from, id))
        .key(keys.outbox_of(api, from))
        .key(keys.quota(api, from, &record.quota_day))
        .key(keys.expiring_of(api, from))
        .key(keys.request_changes(api, from, id))
        .arg(action)
        .arg(now_ms)
        .arg(keys.wakeup_channel())
        .arg(api.as_str())
        .arg(from.get())
        .arg(id)
        .arg(flag(enqueue))
        .arg(platform_id)
        .arg(detail)
        .arg(cleanup.map(|t| t.to_string()).unwrap_or_default());
    for uid in chosen {
        inv.arg(uid.get());
    }
    inv
}

/// KEYS: outbox, delayed set, record, its changes. ARGV: group, entry id, due_ms, member,
/// to, reason.
pub fn reschedule(
    keys: &Keys,
    d: &Delivery,
    due_ms: i64,
    attempt: u32,
    reason: &str,
) -> ScriptInvocation<'static> {
    let p = keys.partition(&d.api_key, d.from);
    let member = serde_json::json!({
        "api": d.api_key.as_str(),
        "from": d.from.to_string(),
        "id": d.id.to_string(),
        "to": d.to.to_string(),
        "n": attempt.to_string(),
        // Keeps two waits of the same message apart in the set.
        "h": d.handle,
    })
    .to_string();
    let mut inv = RESCHEDULE.prepare_invoke();
    inv.key(keys.outbox(p))
        .key(keys.delayed(p))
        .key(keys.request(&d.api_key, d.from, d.id))
        .key(keys.request_changes(&d.api_key, d.from, d.id))
        .arg(OUTBOX_GROUP)
        .arg(&d.handle)
        .arg(due_ms)
        .arg(member)
        .arg(d.to.get())
        .arg(reason);
    inv
}

/// KEYS: delayed set, outbox of partition `p`. ARGV: now_ms, at most this many.
pub fn promote(keys: &Keys, p: u16, now_ms: i64, max: usize) -> ScriptInvocation<'static> {
    let mut inv = PROMOTE.prepare_invoke();
    inv.key(keys.delayed(p))
        .key(keys.outbox(p))
        .arg(now_ms)
        .arg(max);
    inv
}

/// KEYS: record, outbox, dead letters, its changes. ARGV: group, entry id, to, last error,
/// item, limit.
pub fn dead_letter(
    keys: &Keys,
    d: &Delivery,
    last_error: &str,
    item_json: &str,
    limit: usize,
) -> ScriptInvocation<'static> {
    let p = keys.partition(&d.api_key, d.from);
    let mut inv = DEAD_LETTER.prepare_invoke();
    inv.key(keys.request(&d.api_key, d.from, d.id))
        .key(keys.outbox(p))
        .key(keys.dead(p))
        .key(keys.request_changes(&d.api_key, d.from, d.id))
        .arg(OUTBOX_GROUP)
        .arg(&d.handle)
        .arg(d.to.get())
        .arg(last_error)
        .arg(item_json)
        .arg(limit);
    inv
}

/// The expiring-set member of a request.
pub fn expiring_member(api_key: &ApiKey, from: Uid, id: u64) -> String {
    format!("{api_key}:{from}:{id}")
}

/// KEYS: record, quota of its day, expiring set, outbox, its changes. ARGV: now_ms, member, detail,
/// api_key, from, id, wake-up channel.
pub fn expire(keys: &Keys, record: &RequestRecord, now_ms: i64) -> ScriptInvocation<'static> {
    let (api, from) = (&record.api_key, record.from);
    let mut inv = EXPIRE.prepare_invoke();
    inv.key(keys.request(api, from, record.id))
        .key(keys.quota(api, from, &record.quota_day))
        .key(keys.expiring_of(api, from))
        .key(keys.outbox_of(api, from))
        .key(keys.request_changes(api, from, record.id))
        .arg(now_ms)
        .arg(expiring_member(api, from, record.id))
        .arg("the confirmation page expired unconfirmed")
        .arg(api.as_str())
        .arg(from.get())
        .arg(record.id)
        .arg(keys.wakeup_channel());
    inv
}

/// KEYS: outbox. ARGV: group, consumer, entry id.
pub fn renew_lease(keys: &Keys, d: &Delivery, consumer: &str) -> ScriptInvocation<'static> {
    let mut inv = RENEW_LEASE.prepare_invoke();
    inv.key(keys.outbox_of(&d.api_key, d.from))
        .arg(OUTBOX_GROUP)
        .arg(consumer)
        .arg(&d.handle);
    inv
}

/// KEYS: record, outbox, its changes. ARGV: group, entry id, to, final state, detail.
pub fn complete_delivery(
    keys: &Keys,
    d: &Delivery,
    state: DeliveryState,
    detail: &str,
) -> ScriptInvocation<'static> {
    let mut inv = COMPLETE_DELIVERY.prepare_invoke();
    inv.key(keys.request(&d.api_key, d.from, d.id))
        .key(keys.outbox_of(&d.api_key, d.from))
        .key(keys.request_changes(&d.api_key, d.from, d.id))
        .arg(OUTBOX_GROUP)
        .arg(&d.handle)
        .arg(d.to.get())
        .arg(state.as_str())
        .arg(detail);
    inv
}
