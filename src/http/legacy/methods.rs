//! The legacy methods: each call's parameters parsed into a service's typed input, the
//! service called, its answer mapped to a legacy [`Value`].
//!
//! Invariant: the method name is matched without its optional `facebook.` prefix; metric
//! labels are the known methods or `other` (bounded cardinality).

use std::borrow::Cow;
use std::net::IpAddr;

use super::caller::authenticate;
use super::graph_methods;
use super::notify_methods;
use super::params::{parse_bool, Params};
use super::response::Value;
use crate::domain::{LegacyError, Uid};
use crate::http::state::AppState;
use crate::services::allocation::{get_allocation, IntegrationPoint};
use crate::services::caller::unknown_method;
use crate::services::send_request::{send_request, SendRequestAnswer, SendRequestInput};

/// At most this many recipients in one call.
pub const MAX_RECIPIENTS: usize = 10;
const MAX_TYPE_LEN: usize = 100;
const MAX_CONTENT_LEN: usize = 16 * 1024;
const MAX_IMAGE_LEN: usize = 2048;

const SEND_REQUEST: &str = "notifications.sendRequest";
const GET_ALLOCATION: &str = "admin.getAllocation";

/// The method as sent, without the optional `facebook.` prefix.
pub fn method_name(params: &Params) -> String {
    let raw = params.get_str("method").unwrap_or(Cow::Borrowed(""));
    raw.strip_prefix("facebook.").unwrap_or(&raw).to_string()
}

/// The method as a metric label: one of the known methods, or `other`.
pub fn metric_label(method: &str) -> &'static str {
    match method {
        SEND_REQUEST => SEND_REQUEST,
        GET_ALLOCATION => GET_ALLOCATION,
        m => graph_methods::METHODS
            .iter()
            .chain(notify_methods::METHODS.iter())
            .find(|known| **known == m)
            .copied()
            .unwrap_or("other"),
    }
}

/// Answers one legacy call.
pub async fn call(state: &AppState, params: &Params, ip: IpAddr) -> Result<Value, LegacyError> {
    let caller = authenticate(&state.config, params, ip)?;
    let store = &state.store;
    let method = method_name(params);
    if let Some(answer) = graph_methods::call(state, &caller, &method, params).await {
        return answer;
    }
    if let Some(answer) = notify_methods::call(state, &caller, &method, params).await {
        return answer;
    }
    match method.as_str() {
        SEND_REQUEST => {
            let input = parse_send_params(params);
            match send_request(&state.config, store, &state.people, &caller, input).await? {
                SendRequestAnswer::Queued => Ok(Value::Empty),
                SendRequestAnswer::ConfirmationUrl(url) => Ok(Value::Str(url)),
            }
        }
        GET_ALLOCATION => {
            let point = params
                .get_str("integration_point_name")
                .and_then(|p| IntegrationPoint::parse(&p));
            get_allocation(store, &caller, point).await.map(Value::Int)
        }
        _ => Err(unknown_method(store, &caller).await),
    }
}

/// `1001,1002`, `[1001,1002]` or `["1001","1002"]`; duplicates collapse, order is kept.
pub fn parse_to_ids(raw: &str) -> Result<Vec<Uid>, LegacyError> {
    let mut uids: Vec<Uid> = Vec::with_capacity(MAX_RECIPIENTS);
    for item in graph_methods::split_list(raw, "to_ids")? {
        let uid = Uid::parse(&item).ok_or_else(|| {
            LegacyError::invalid_parameter(format!("to_ids: `{item}` is not a user id"))
        })?;
        if !uids.contains(&uid) {
            uids.push(uid);
        }
        if uids.len() > MAX_RECIPIENTS {
            return Err(LegacyError::invalid_parameter("more than 10 recipients"));
        }
    }
    if uids.is_empty() {
        return Err(LegacyError::invalid_parameter("to_ids is empty"));
    }
    Ok(uids)
}

fn required_text(params: &Params, name: &str, max: usize) -> Result<String, LegacyError> {
    let value = params.get_str(name).unwrap_or(Cow::Borrowed(""));
    let value = value.trim();
    if value.is_empty() {
        return Err(LegacyError::invalid_parameter(format!(
            "{name} is required"
        )));
    }
    if value.len() > max {
        return Err(LegacyError::invalid_parameter(format!(
            "{name} is too long"
        )));
    }
    Ok(value.to_string())
}

fn parse_send_params(params: &Params) -> Result<SendRequestInput, LegacyError> {
    let to_ids = params
        .get_str("to_ids")
        .ok_or_else(|| LegacyError::invalid_parameter("to_ids is required"))?;
    let recipients = parse_to_ids(&to_ids)?;
    let kind = required_text(params, "type", MAX_TYPE_LEN)?;
    let content = required_text(params, "content", MAX_CONTENT_LEN)?;
    let image = match params.get_str("image").map(|s| s.trim().to_string()) {
        None => None,
        Some(s) if s.is_empty() => None,
        Some(s) => {
            let lower = s.to_ascii_lowercase();
            if !(lower.starts_with("http://") || lower.starts_with("https://"))
                || s.len() > MAX_IMAGE_LEN
            {
                return Err(LegacyError::invalid_parameter(
                    "image must be an http(s) URL",
                ));
            }
            Some(s)
        }
    };
    let invite = match params.get_str("invite") {
        None => false,
        Some(v) => parse_bool(&v)
            .ok_or_else(|| LegacyError::invalid_parameter("invite is not a boolean"))?,
    };
    Ok(SendRequestInput {
        recipients,
        kind,
        content,
        image,
        invite,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ErrorCode;

    #[test]
    fn to_ids_forms() {
        let want: Vec<Uid> = vec![Uid::new(1001).unwrap(), Uid::new(1002).unwrap()];
        assert_eq!(parse_to_ids("1001,1002").unwrap(), want);
        assert_eq!(parse_to_ids(" 1001 , 1002 ,1001").unwrap(), want);
        assert_eq!(parse_to_ids("[1001,1002]").unwrap(), want);
        assert_eq!(parse_to_ids(r#"["1001","1002"]"#).unwrap(), want);
        for bad in [
            "",
            "[]",
            "1001,x",
            "[1.5]",
            "[null]",
            "1,2,3,4,5,6,7,8,9,10,11",
            "-1",
            "[{}]",
        ] {
            assert_eq!(
                parse_to_ids(bad).unwrap_err().code,
                ErrorCode::InvalidParameter,
                "{bad}"
            );
        }
        assert_eq!(parse_to_ids("1,2,3,4,5,6,7,8,9,10").unwrap().len(), 10);
    }
}
