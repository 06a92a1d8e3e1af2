//! Creating sessions (admin API, `fbbridge session create`, the demo).
//!
//! Invariant: a session key is minted here, carries its uid, and its secret is derived
//! (see `domain::secrets::session_secret`), so nothing secret is stored.

use chrono::{DateTime, Utc};

use crate::domain::secrets::session_secret;
use crate::domain::{App, SessionKey, SessionRecord, SessionTtl, Uid};
use crate::store::{Sessions, StoreError};

#[derive(Clone, Debug)]
pub struct CreatedSession {
    pub session_key: SessionKey,
    pub session_secret: String,
    pub uid: Uid,
    pub expires: DateTime<Utc>,
}

#[tracing::instrument(name = "create_session", skip_all, fields(api_key = %app.api_key, uid = %uid))]
pub async fn create_session<S: Sessions>(
    store: &S,
    app: &App,
    uid: Uid,
    ttl: Option<SessionTtl>,
) -> Result<CreatedSession, StoreError> {
    let ttl = ttl.map(SessionTtl::get).unwrap_or(app.session_ttl);
    let key = SessionKey::mint(uid);
    let expires = Utc::now() + chrono::Duration::milliseconds(ttl.as_millis() as i64);
    let record = SessionRecord {
        api_key: app.api_key.clone(),
        uid,
        expires_at_ms: expires.timestamp_millis(),
    };
    store.put_session(&key, &record, ttl).await?;
    Ok(CreatedSession {
        session_secret: session_secret(app.secret.expose(), key.as_str()),
        session_key: key,
        uid,
        expires,
    })
}
