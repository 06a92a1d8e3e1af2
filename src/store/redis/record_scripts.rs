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
/// Lua's doubles never round them. Fields in name order, as a JSON object of them always
/// was.
#[derive(serde::Serialize)]
struct NewRecordJson<'a> {
    ca: &'a str,
    co: &'a str,
    ex: &'a str,
    im: &'a str,
    inv: &'a str,
    qd: &'a str,
    rc: &'a str,
    th: &'a str,
    ty: &'a str,
}

/// A new request's record as `send_request.lua` stores it: `STATUS JSON`, with the status
/// it is made with when every recipient uses the app (`sent` where the platform delivers
/// server-side, else `pending`); the script changes `sent` to `pending` otherwise.
pub fn new_record(op: &SendRequestOp) -> String {
    let r = &op.request;
    let mut recipients = String::with_capacity(op.recipients.len() * 12);
    let mut n = itoa::Buffer::new();
    for (i, uid) in op.recipients.iter().enumerate() {
        if i > 0 {
            recipients.push(',');
        }
        recipients.push_str(n.format(uid.get()));
    }
    let (mut created, mut expires) = (itoa::Buffer::new(), itoa::Buffer::new());
    let fields = NewRecordJson {
        ca: created.format(r.created_at_ms),
        co: &r.content,
        ex: expires.format(r.expires_at_ms),
        im: r.image.as_deref().unwrap_or(""),
        inv: flag(r.invite),
        qd: &op.quota_day,
        rc: &recipients,
        th: &r.token_hash,
        ty: &r.kind,
    };
    let status: &[u8] = if op.direct_delivery {
        b"sent "
    } else {
        b"pending "
    };
    let mut out = Vec::with_capacity(256 + r.content.len());
    out.extend_from_slice(status);
    serde_json::to_writer(&mut out, &fields).expect("a struct of strings always serialises");
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// KEYS: record, its changes.
pub fn get_record(keys: &Keys, api: &ApiKey, from: Uid, id: u64) -> ScriptInvocation<'static> {
    let mut inv = GET_RECORD.prepare_invoke();
    inv.key(keys.request(api, from, id))
        .key(keys.request_changes(api, from, id));
    inv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_record_is_its_status_then_the_object_of_its_fields_in_name_order() {
        let uid = Uid::new(1001).unwrap();
        let op = SendRequestOp {
            gate: CallGate {
                api_key: ApiKey::parse("app").unwrap(),
                session: SessionKey::mint(uid),
                call_id: None,
                replay_guard: None,
                now_ms: 1,
            },
            recipients: vec![
                Uid::new(1002).unwrap(),
                Uid::new(9_007_199_254_740_993).unwrap(),
            ],
            known_app_users: Vec::new(),
            recipients_resolved: false,
            quota_day: "20261206".into(),
            quota_limit: 20,
            request: NewRequest {
                id: 7,
                kind: "cake \"party\"".into(),
                content: "<fb:req-choice url=\"http://x/?a=1&b=2\" label=\"Go\"/> \u{2603}\n"
                    .into(),
                image: None,
                invite: true,
                token_hash: "ab".repeat(32),
                created_at_ms: 1_795_376_067_267,
                expires_at_ms: 1_795_462_467_267,
            },
            direct_delivery: true,
        };
        let expected = serde_json::json!({
            "ty": op.request.kind, "co": op.request.content, "im": "", "inv": "1",
            "ca": "1795376067267", "ex": "1795462467267", "th": op.request.token_hash,
            "qd": "20261206", "rc": "1002,9007199254740993",
        });
        assert_eq!(new_record(&op), format!("sent {expected}"));
        let op = SendRequestOp {
            direct_delivery: false,
            ..op
        };
        assert_eq!(new_record(&op), format!("pending {expected}"));
    }
}
