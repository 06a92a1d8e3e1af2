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
        let mut api = None;
        let mut from = None;
        let mut req = None;
        let mut to = None;
        let mut attempt = 0;
        for kv in fields.chunks(2) {
            if kv.len() < 2 {
                continue;
            }
            let value = as_string(&kv[1])?;
            match as_string(&kv[0])?.as_str() {
                "api" => api = ApiKey::parse(&value),
                "from" => from = Uid::parse(&value),
                "id" => req = value.parse::<u64>().ok(),
                "to" => to = Uid::parse(&value),
                "n" => attempt = value.parse().unwrap_or(0),
                _ => {}
            }
        }
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

pub fn record_from_fields(
    api_key: &ApiKey,
    from: Uid,
    id: u64,
    f: &std::collections::HashMap<String, String>,
) -> Result<RequestRecord, StoreError> {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let num = |k: &str| f.get(k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let status = RequestStatus::parse(&get("st"))
        .ok_or_else(|| corrupt(format!("request {from}/{id} has no status")))?;
    let recipients = get("rc")
        .split(',')
        .filter_map(Uid::parse)
        .map(|uid| RecipientView {
            uid,
            state: f
                .get(&format!("r:{uid}"))
                .and_then(|s| DeliveryState::parse(s))
                .unwrap_or(DeliveryState::Pending),
            detail: f.get(&format!("d:{uid}")).cloned().unwrap_or_default(),
        })
        .collect();
    let image = get("im");
    let message = MessageKind::parse(&get("k"))
        .ok_or_else(|| corrupt(format!("record {from}/{id} has an unknown kind")))?;
    let story = match f.get("sj") {
        Some(j) => Some(serde_json::from_str(j).map_err(corrupt)?),
        None => None,
    };
    Ok(RequestRecord {
        api_key: api_key.clone(),
        from,
        id,
        message,
        story,
        status,
        kind: get("ty"),
        content: get("co"),
        image: (!image.is_empty()).then_some(image),
        invite: get("inv") == "1",
        created_at_ms: num("ca"),
        expires_at_ms: num("ex"),
        token_hash: get("th"),
        quota_day: get("qd"),
        platform_request_id: f.get("pr").cloned(),
        recipients,
        cleanup: f
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
}
