//! The legacy methods: `notifications.sendRequest` and `admin.getAllocation`.
//!
//! Invariants:
//! - A sendRequest costs one store round trip on the common path; a recipient who uses the
//!   app without being the sender's friend costs one lookup and a second script run, and the
//!   first run changes nothing.
//! - The call_id high-water mark advances on every correctly signed call with a valid
//!   session, whatever the call's outcome after that.
//! - The confirmation URL carries an unguessable token; only its SHA-256 is stored.

use std::borrow::Cow;
use std::net::IpAddr;

use chrono::Utc;
use sha2::{Digest, Sha256};

use super::error::{ErrorCode, LegacyError};
use super::params::{parse_bool, Params};
use super::response::Value;
use super::signature::{session_secret, verify};
use crate::config::AppConfig;
use crate::domain::{ApiKey, CallId, SessionKey, Uid};
use crate::quota::quota_day;
use crate::startup::AppState;
use crate::store::{
    CallGate, GateRefusal, NewRequest, SendOutcome, SendRefusal, SendRequestOp, Store,
};

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
        _ => "other",
    }
}

fn err(code: ErrorCode, detail: impl Into<String>) -> LegacyError {
    LegacyError::new(code, detail)
}

/// What the signature and session checks established about the caller.
struct Caller<'a> {
    app: &'a AppConfig,
    session: Option<SessionKey>,
    call_id: Result<Option<CallId>, ()>,
}

pub async fn call(state: &AppState, params: &Params, ip: IpAddr) -> Result<Value, LegacyError> {
    let api_key = params.get_str("api_key").unwrap_or(Cow::Borrowed(""));
    let app = ApiKey::parse(&api_key)
        .and_then(|k| state.config.app(k.as_str()))
        .ok_or_else(|| err(ErrorCode::InvalidApiKey, "unknown api_key"))?;
    if !app.ip_allowed(ip) {
        return Err(err(ErrorCode::UnauthorizedSourceIp, format!("caller {ip}")));
    }
    let session_text = params.get_str("session_key").unwrap_or(Cow::Borrowed(""));
    let use_session_secret = app.desktop
        || params
            .get_str("ss")
            .and_then(|v| parse_bool(&v))
            .unwrap_or(false);
    let secret: Cow<'_, str> = if use_session_secret {
        Cow::Owned(session_secret(app.secret.expose(), &session_text))
    } else {
        Cow::Borrowed(app.secret.expose())
    };
    if !verify(params, secret.as_bytes()) {
        return Err(err(ErrorCode::IncorrectSignature, "signature mismatch"));
    }
    let caller = Caller {
        app,
        session: (!session_text.is_empty())
            .then(|| SessionKey::parse(&session_text))
            .flatten(),
        call_id: match params.get_str("call_id") {
            None => Ok(None),
            Some(c) => CallId::parse(&c).map(Some).ok_or(()),
        },
    };
    if !session_text.is_empty() && caller.session.is_none() {
        return Err(err(ErrorCode::InvalidSession, "malformed session key"));
    }
    match method_name(params).as_str() {
        SEND_REQUEST => send_request(state, &caller, params).await,
        GET_ALLOCATION => get_allocation(state, &caller, params).await,
        _ => {
            if caller.session.is_some() {
                gate(state, &caller).await?;
            }
            Err(err(ErrorCode::UnknownMethod, "unknown method"))
        }
    }
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// The call gate to pass to the store, or the refusal that needs no store at all.
fn call_gate(caller: &Caller<'_>) -> Result<CallGate, LegacyError> {
    let session = caller
        .session
        .clone()
        .ok_or_else(|| err(ErrorCode::InvalidSession, "no session_key"))?;
    Ok(CallGate {
        api_key: caller.app.api_key.clone(),
        session,
        call_id: caller.call_id.clone().unwrap_or(None),
        now_ms: now_ms(),
    })
}

/// The call_id problems that are known without the store, in legacy order after the
/// session check.
fn call_id_problem(caller: &Caller<'_>) -> Option<LegacyError> {
    match &caller.call_id {
        Err(()) => Some(err(ErrorCode::InvalidCallId, "call_id is not a decimal")),
        Ok(None) if caller.app.require_call_id => {
            Some(LegacyError::invalid_parameter("call_id is required"))
        }
        Ok(_) => None,
    }
}

fn refusal(r: GateRefusal) -> LegacyError {
    match r {
        GateRefusal::Session => err(ErrorCode::InvalidSession, "session unknown or expired"),
        GateRefusal::CallId => err(
            ErrorCode::InvalidCallId,
            "call_id not greater than the last",
        ),
    }
}

/// Session and call_id only (for calls that fail before they reach their own work).
async fn gate(state: &AppState, caller: &Caller<'_>) -> Result<(), LegacyError> {
    let g = call_gate(caller)?;
    state.store.gate_call(&g).await?.map_err(refusal)?;
    if let Some(problem) = call_id_problem(caller) {
        return Err(problem);
    }
    Ok(())
}

struct SendParams {
    recipients: Vec<Uid>,
    kind: String,
    content: String,
    image: Option<String>,
    invite: bool,
}

/// `1001,1002`, `[1001,1002]` or `["1001","1002"]`; duplicates collapse, order is kept.
pub fn parse_to_ids(raw: &str) -> Result<Vec<Uid>, LegacyError> {
    let raw = raw.trim();
    let items: Vec<String> = if raw.starts_with('[') {
        let json: Vec<serde_json::Value> = serde_json::from_str(raw)
            .map_err(|_| LegacyError::invalid_parameter("to_ids is not a JSON array"))?;
        json.into_iter()
            .map(|v| match v {
                serde_json::Value::Number(n) => Ok(n.to_string()),
                serde_json::Value::String(s) => Ok(s),
                _ => Err(LegacyError::invalid_parameter("to_ids holds a non-id")),
            })
            .collect::<Result<_, _>>()?
    } else {
        raw.split(',').map(|s| s.trim().to_string()).collect()
    };
    let mut uids: Vec<Uid> = Vec::with_capacity(items.len());
    for item in items {
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

fn parse_send_params(params: &Params) -> Result<SendParams, LegacyError> {
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
    Ok(SendParams {
        recipients,
        kind,
        content,
        image,
        invite,
    })
}

fn new_request_id() -> u64 {
    // 53 bits: a whole number every old client (PHP, JavaScript) holds exactly.
    (rand::random::<u64>() >> 11).max(1)
}

async fn send_request(
    state: &AppState,
    caller: &Caller<'_>,
    params: &Params,
) -> Result<Value, LegacyError> {
    let app = caller.app;
    let gate_base = call_gate(caller)?;
    let send = match parse_send_params(params) {
        Ok(s) => s,
        Err(e) => {
            gate(state, caller).await?;
            return Err(e);
        }
    };
    if let Some(problem) = call_id_problem(caller) {
        gate(state, caller).await?;
        return Err(problem);
    }
    let sender = gate_base.session.uid();
    if send.recipients.contains(&sender) {
        gate(state, caller).await?;
        return Err(err(ErrorCode::InvalidUserId, "sender among the recipients"));
    }
    let now = Utc::now();
    let day = quota_day(now, app.day_offset);
    let token: [u8; 16] = rand::random();
    let token = hex::encode(token);
    let invite = send.invite;
    let mut op = SendRequestOp {
        gate: gate_base,
        recipients: send.recipients,
        known_app_users: Vec::new(),
        recipients_resolved: false,
        quota_day: day.key,
        quota_limit: app.daily_request_limit,
        request: NewRequest {
            id: new_request_id(),
            kind: send.kind,
            content: send.content,
            image: send.image,
            invite: send.invite,
            token_hash: hex::encode(Sha256::digest(token.as_bytes())),
            created_at_ms: now.timestamp_millis(),
            expires_at_ms: now.timestamp_millis() + state.config.confirm.expiry_secs as i64 * 1000,
        },
        // Mobage delivers only to app users, so invitations (to non-users) always go
        // through the page, which says so when nobody could receive them.
        direct_delivery: app.platform.delivers_server_side()
            && !(app.platform == crate::platform::PlatformKind::Mobage && invite),
    };
    for _attempt in 0..4 {
        match state.store.send_request(&op).await? {
            Ok(SendOutcome::Queued) => return Ok(Value::Empty),
            Ok(SendOutcome::Pending) => {
                return Ok(Value::Str(format!(
                    "{}/send_req.php?from={sender}&id={}&api_key={}&t={token}",
                    state.config.public_base(),
                    op.request.id,
                    app.api_key
                )))
            }
            Err(SendRefusal::Gate(r)) => return Err(refusal(r)),
            Err(SendRefusal::Unresolved(strangers)) => {
                op.known_app_users = state.store.app_users(&app.api_key, &strangers).await?;
                op.recipients_resolved = true;
            }
            Err(SendRefusal::InvalidUser) => {
                return Err(err(
                    ErrorCode::InvalidUserId,
                    "recipient neither friend nor app user",
                ))
            }
            Err(SendRefusal::Quota { used }) => {
                return Err(err(
                    ErrorCode::RequestLimitReached,
                    format!("{used} of {} used today", app.daily_request_limit),
                ))
            }
            Err(SendRefusal::IdTaken) => op.request.id = new_request_id(),
        }
    }
    Err(err(ErrorCode::Unknown, "sendRequest did not settle"))
}

/// `integration_point_name=requests_per_day`: the app's daily limit (as Facebook answered).
/// `integration_point_name=requests_remaining`: what the session's user has left today.
async fn get_allocation(
    state: &AppState,
    caller: &Caller<'_>,
    params: &Params,
) -> Result<Value, LegacyError> {
    let app = caller.app;
    if caller.session.is_some() {
        gate(state, caller).await?;
    }
    let point = params
        .get_str("integration_point_name")
        .unwrap_or(Cow::Borrowed(""));
    match point.as_ref() {
        "requests_per_day" => Ok(Value::Int(i64::from(app.daily_request_limit))),
        "requests_remaining" => {
            let session = caller.session.as_ref().ok_or_else(|| {
                err(
                    ErrorCode::InvalidSession,
                    "requests_remaining needs a session",
                )
            })?;
            let day = quota_day(Utc::now(), app.day_offset);
            let used = state
                .store
                .quota_used(&app.api_key, session.uid(), &day.key)
                .await?;
            Ok(Value::Int(i64::from(
                app.daily_request_limit.saturating_sub(used),
            )))
        }
        _ => Err(LegacyError::invalid_parameter(
            "integration_point_name must be requests_per_day or requests_remaining",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
