//! Who is calling: the app (101), its allowed addresses (5), the signature (104) and the
//! shape of the session key (102), checked in that order before any store access.
//!
//! Invariant: the signature is checked with the app secret, or with the session secret for
//! desktop apps and `ss=1` calls (derived, so no store lookup is needed).

use std::borrow::Cow;
use std::net::IpAddr;

use super::params::{parse_bool, Params};
use super::signature::{session_secret, verify};
use crate::config::Config;
use crate::domain::{ApiKey, CallId, ErrorCode, LegacyError, SessionKey};
use crate::services::caller::Caller;

pub fn authenticate<'a>(
    config: &'a Config,
    params: &Params,
    ip: IpAddr,
) -> Result<Caller<'a>, LegacyError> {
    let api_key = params.get_str("api_key").unwrap_or(Cow::Borrowed(""));
    let app = ApiKey::parse(&api_key)
        .and_then(|k| config.app(k.as_str()))
        .ok_or_else(|| LegacyError::new(ErrorCode::InvalidApiKey, "unknown api_key"))?;
    if !app.ip_allowed(ip) {
        return Err(LegacyError::new(
            ErrorCode::UnauthorizedSourceIp,
            format!("caller {ip}"),
        ));
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
        return Err(LegacyError::new(
            ErrorCode::IncorrectSignature,
            "signature mismatch",
        ));
    }
    let session = (!session_text.is_empty())
        .then(|| SessionKey::parse(&session_text))
        .flatten();
    if !session_text.is_empty() && session.is_none() {
        return Err(LegacyError::new(
            ErrorCode::InvalidSession,
            "malformed session key",
        ));
    }
    Ok(Caller {
        app,
        session,
        signature: params
            .get_str("sig")
            .map(|s| s.to_ascii_lowercase())
            .unwrap_or_default(),
        call_id: match params.get_str("call_id") {
            None => Ok(None),
            Some(c) => CallId::parse(&c).map(Some),
        },
        bridge: false,
    })
}
