//! Who is calling: the authenticated app, session and call_id of a legacy call, and the
//! session/call_id gate every call with a session passes through.
//!
//! Invariants:
//! - The gate runs in the store, atomically: a live session of this app, a call_id above
//!   the high-water mark, which then advances (on every correctly signed call that names a
//!   valid session, whatever the call's outcome after that: the legacy rule).
//! - Refusals come in the legacy order: session (102), then call_id (103), then a missing
//!   call_id when the app requires one (100).

use crate::domain::{App, CallId, CallIdError, ErrorCode, LegacyError, SessionKey};
use crate::store::{CallGate, GateRefusal, Sessions};

/// What the signature and session checks established about the caller.
pub struct Caller<'a> {
    pub app: &'a App,
    pub session: Option<SessionKey>,
    /// The call's signature, as sent (lower-case hex).
    pub signature: String,
    /// `Err`: a call_id was sent but is not one that can be accepted.
    pub call_id: Result<Option<CallId>, CallIdError>,
    /// Made by the canvas bridge for a viewer it verified: no call_id (the app's own
    /// sequence is not the bridge's), a unique replay guard instead.
    pub bridge: bool,
}

impl<'a> Caller<'a> {
    /// The canvas bridge acting for `session` (a request form's Send).
    pub fn for_bridge(app: &'a App, session: SessionKey) -> Self {
        Caller {
            app,
            session: Some(session),
            signature: format!("bridge:{}", crate::domain::secrets::random_token()),
            call_id: Ok(None),
            bridge: true,
        }
    }
}

impl Caller<'_> {
    /// The call gate to pass to the store, or the refusal that needs no store at all.
    pub fn call_gate(&self) -> Result<CallGate, LegacyError> {
        let session = self
            .session
            .clone()
            .ok_or_else(|| LegacyError::new(ErrorCode::InvalidSession, "no session_key"))?;
        Ok(CallGate {
            api_key: self.app.api_key.clone(),
            session,
            call_id: self.call_id.clone().unwrap_or(None),
            replay_guard: match &self.call_id {
                Ok(None) => Some(self.signature.clone()),
                _ => None,
            },
            now_ms: super::now_ms(),
        })
    }

    /// The call_id problems known without the store, in legacy order after the session.
    pub fn call_id_problem(&self) -> Option<LegacyError> {
        match &self.call_id {
            Err(CallIdError::NotDecimal) => Some(LegacyError::new(
                ErrorCode::InvalidCallId,
                "call_id is not a decimal",
            )),
            Err(CallIdError::TooLong) => Some(LegacyError::invalid_parameter(
                "call_id has more than 20 integer digits or 6 decimals",
            )),
            Ok(None) if self.app.require_call_id && !self.bridge => {
                Some(LegacyError::invalid_parameter("call_id is required"))
            }
            Ok(_) => None,
        }
    }
}

pub fn refusal(r: GateRefusal) -> LegacyError {
    match r {
        GateRefusal::Session => {
            LegacyError::new(ErrorCode::InvalidSession, "session unknown or expired")
        }
        GateRefusal::CallId => LegacyError::new(
            ErrorCode::InvalidCallId,
            "call_id not greater than the last",
        ),
        GateRefusal::Replay => LegacyError::new(
            ErrorCode::InvalidCallId,
            "the same call (same signature) was already answered on this session",
        ),
    }
}

/// Session and call_id only (for calls that fail before they reach their own work).
pub async fn gate(store: &impl Sessions, caller: &Caller<'_>) -> Result<(), LegacyError> {
    let g = caller.call_gate()?;
    store.gate_call(&g).await?.map_err(refusal)?;
    if let Some(problem) = caller.call_id_problem() {
        return Err(problem);
    }
    Ok(())
}

/// A method fbbridge does not answer: the session is still gated (so the call_id advances),
/// then error 3.
pub async fn unknown_method(store: &impl Sessions, caller: &Caller<'_>) -> LegacyError {
    if caller.session.is_some() {
        if let Err(e) = gate(store, caller).await {
            return e;
        }
    }
    LegacyError::new(ErrorCode::UnknownMethod, "unknown method")
}
