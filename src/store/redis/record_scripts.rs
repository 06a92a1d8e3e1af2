//! A record's own pieces on Redis (`lua/record_fn.lua`): the JSON a new request's record
//! keeps, and the script that reads a record and its changes in one round trip.
//!
//! Invariant: numbers in a record's JSON are strings, so that Lua's doubles never round
//! them.

use std::sync::LazyLock;

use ::redis::{Script, ScriptInvocation};

use super::super::keys::Keys;
use super::scripts::flag;
use crate::domain::*;
use crate::store::ops::*;

pub static GET_RECORD: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/get_record.lua")));

/// What a new request's record keeps (`lua/record_fn.lua`): numbers as strings, so that
/// Lua's doubles never round them.
pub fn record_json(op: &SendRequestOp) -> String {
    let r = &op.request;
    let rc: Vec<String> = op.recipients.iter().map(|u| u.to_string()).collect();
    serde_json::json!({
        "ty": r.kind,
        "co": r.content,
        "im": r.image.as_deref().unwrap_or(""),
        "inv": flag(r.invite),
        "ca": r.created_at_ms.to_string(),
        "ex": r.expires_at_ms.to_string(),
        "th": r.token_hash,
        "qd": op.quota_day,
        "rc": rc.join(","),
    })
    .to_string()
}

/// KEYS: record, its changes.
pub fn get_record(keys: &Keys, api: &ApiKey, from: Uid, id: u64) -> ScriptInvocation<'static> {
    let mut inv = GET_RECORD.prepare_invoke();
    inv.key(keys.request(api, from, id))
        .key(keys.request_changes(api, from, id));
    inv
}
