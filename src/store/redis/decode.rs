//! Reading Redis replies into the store's records.
//!
//! Invariant: a reply that does not have the expected shape is [`StoreError::Corrupt`],
//! never a panic and never a silently defaulted record.

use ::redis::Value;

use crate::domain::*;
use crate::store::StoreError;

pub fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// `fbb:{17}:outbox` -> 17
pub fn partition_of_stream(stream: &str) -> Option<u16> {
    let start = stream.find('{')? + 1;
    let end = start + stream[start..].find('}')?;
    stream[start..end].parse().ok()
}

pub fn as_string(v: &Value) -> Result<String, StoreError> {
    match v {
        Value::BulkString(b) => Ok(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Ok(s.clone()),
        Value::Int(i) => Ok(i.to_string()),
        other => Err(corrupt(format!("expected a string, got {other:?}"))),
    }
}

pub fn parse_xread(reply: &Value, out: &mut Vec<Delivery>) -> Result<(), StoreError> {
    let streams = match reply {
        Value::Nil => return Ok(()),
        Value::Array(s) => s,
        Value::Map(m) => {
            for (_, entries) in m {
                if let Value::Array(entries) = entries {
                    parse_entries(entries, out)?;
                }
            }
            return Ok(());
        }
        other => return Err(corrupt(format!("XREADGROUP answered {other:?}"))),
    };
    for stream in streams {
        if let Value::Array(pair) = stream {
            if let Some(Value::Array(entries)) = pair.get(1) {
                parse_entries(entries, out)?;
            }
        }
    }
    Ok(())
}

pub fn parse_entries(entries: &[Value], out: &mut Vec<Delivery>) -> Result<(), StoreError> {
    for entry in entries {
        let Value::Array(parts) = entry else { continue };
        let (Some(id), Some(Value::Array(fields))) = (parts.first(), parts.get(1)) else {
            continue;
        };
        let handle = as_string(id)?;
        // One field `d`: "api from id to attempt" (keys.rs, schema 4).
        let packed = match fields.as_slice() {
            [name, value] if as_string(name)? == "d" => as_string(value)?,
            _ => String::new(),
        };
        let mut parts = packed.split(' ');
        let api = parts.next().and_then(ApiKey::parse);
        let from = parts.next().and_then(Uid::parse);
        let req = parts.next().and_then(|v| v.parse::<u64>().ok());
        let to = parts.next().and_then(Uid::parse);
        let attempt = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        match (api, from, req, to) {
            (Some(api_key), Some(from), Some(id), Some(to)) => out.push(Delivery {
                api_key,
                from,
                id,
                to,
                attempt,
                handle,
            }),
            _ => return Err(corrupt(format!("outbox entry {handle} is incomplete"))),
        }
    }
    Ok(())
}

pub fn first_word(reply: &[String]) -> &str {
    reply.first().map(String::as_str).unwrap_or("")
}

/// What a record keeps from when it was made (`lua/record_fn.lua`).
#[derive(serde::Deserialize)]
struct Made {
    #[serde(default)]
    k: String,
    #[serde(default)]
    ty: String,
    #[serde(default)]
    co: String,
    #[serde(default)]
    im: String,
    #[serde(default)]
    inv: String,
    #[serde(default)]
    ca: String,
    #[serde(default)]
    ex: String,
    #[serde(default)]
    th: String,
    #[serde(default)]
    qd: String,
    #[serde(default)]
    rc: String,
    #[serde(default)]
    sj: Option<String>,
}

/// A record from its two keys: `raw` ("STATUS JSON", made once) and `changes` (what
/// changed since).
pub fn record_from(
    api_key: &ApiKey,
    from: Uid,
    id: u64,
    raw: &str,
    changes: &std::collections::HashMap<String, String>,
) -> Result<RequestRecord, StoreError> {
    let (made_status, json) = raw
        .split_once(' ')
        .ok_or_else(|| corrupt(format!("record {from}/{id} has no status")))?;
    let made: Made = serde_json::from_str(json).map_err(corrupt)?;
    let status = RequestStatus::parse(changes.get("st").map(String::as_str).unwrap_or(made_status))
        .ok_or_else(|| corrupt(format!("record {from}/{id} has an unknown status")))?;
    // Recipients are queued when the record was made sent, pending otherwise, until a
    // change says more.
    let initial = if made_status == "sent" {
        DeliveryState::Queued
    } else {
        DeliveryState::Pending
    };
    let recipients = made
        .rc
        .split(',')
        .filter_map(Uid::parse)
        .map(|uid| RecipientView {
            uid,
            state: changes
                .get(&format!("r:{uid}"))
                .and_then(|s| DeliveryState::parse(s))
                .unwrap_or(initial),
            detail: changes
                .get(&format!("d:{uid}"))
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    let message = MessageKind::parse(&made.k)
        .ok_or_else(|| corrupt(format!("record {from}/{id} has an unknown kind")))?;
    let story = match &made.sj {
        Some(j) => Some(serde_json::from_str(j).map_err(corrupt)?),
        None => None,
    };
    let num = |v: &str| v.parse::<i64>().unwrap_or(0);
    Ok(RequestRecord {
        api_key: api_key.clone(),
        from,
        id,
        message,
        story,
        status,
        kind: made.ty,
        content: made.co,
        image: (!made.im.is_empty()).then_some(made.im),
        invite: made.inv == "1",
        created_at_ms: num(&made.ca),
        expires_at_ms: num(&made.ex),
        token_hash: made.th,
        quota_day: made.qd,
        platform_request_id: changes.get("pr").cloned(),
        recipients,
        cleanup: changes
            .get(&format!("r:{from}"))
            .filter(|_| message == MessageKind::Request)
            .and_then(|s| DeliveryState::parse(s)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_give_their_partition() {
        assert_eq!(partition_of_stream("fbb:{17}:outbox"), Some(17));
        assert_eq!(partition_of_stream("nope"), None);
    }

    #[test]
    fn an_outbox_entry_is_one_packed_field() {
        let text = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        let entry = |fields: Vec<Value>| Value::Array(vec![text("1-0"), Value::Array(fields)]);
        let mut out = Vec::new();
        parse_entries(
            &[entry(vec![
                text("d"),
                text("app 1001 9007199254740993 1002 3"),
            ])],
            &mut out,
        )
        .unwrap();
        assert_eq!(
            (
                out[0].api_key.as_str(),
                out[0].from.get(),
                out[0].id,
                out[0].to.get()
            ),
            ("app", 1001, 9_007_199_254_740_993, 1002)
        );
        assert_eq!((out[0].attempt, out[0].handle.as_str()), (3, "1-0"));
        // An entry of another layout (schema 3's five fields) is refused, not guessed at.
        let old = entry(vec![text("api"), text("app"), text("from"), text("1001")]);
        assert!(parse_entries(&[old], &mut out).is_err());
    }
}
