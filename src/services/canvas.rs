//! The canvas bridge's rules: who is looking at a canvas page (from a verified container
//! entry or a bridge token), their legacy session, and what the app is told about them.
//!
//! Invariants:
//! - An entry's nonce is claimed in the store before anything else happens, so the same
//!   signed entry is served once across every gateway.
//! - A viewer who launched the app uses it (`fb_sig_added=1`), and has one live legacy
//!   session at a time, minted by the bridge and reused until it expires.
//! - On a platform with a People API, each entry refreshes the viewer's copy of the graph
//!   (`graph.md`); a failing platform leaves the older copy in use.

use std::time::Duration;

use super::graph_sync::{current_view, uid_for, RefreshCause};
use super::now_ms;
use super::sessions::create_session;
use crate::domain::canvas::{fb_sig_params, Bridge, FbSigInput};
use crate::domain::entry::{Entry, TIMESTAMP_WINDOW_SECS};
use crate::domain::{
    App, GraphView, InboxItem, MixiActivity, PeopleDirectory, SessionKey, Uid, UserList,
};
use crate::store::{Graph, Inboxes, Requests, Sessions, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum EnterError {
    #[error("this signed entry was already used")]
    Replayed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who is looking, with the part of the graph they may see.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub uid: Uid,
    pub owner: Option<Uid>,
    pub session: SessionKey,
    pub expires_ms: i64,
    pub view: GraphView,
}

impl Viewer {
    pub fn bridge(&self) -> Bridge {
        Bridge {
            viewer: self.uid,
            owner: self.owner,
            session: self.session.clone(),
            expires_ms: self.expires_ms,
        }
    }
}

async fn session_for<S: Sessions>(
    store: &S,
    app: &App,
    uid: Uid,
) -> Result<(SessionKey, i64), StoreError> {
    // A session with less than a minute left is not handed to the app.
    if let Some((key, exp)) = store.canvas_session(&app.api_key, uid).await? {
        if exp > now_ms() + 60_000 {
            return Ok((key, exp));
        }
    }
    let created = create_session(store, app, uid, None).await?;
    let exp = created.expires.timestamp_millis();
    store
        .remember_canvas_session(&app.api_key, uid, &created.session_key, exp)
        .await?;
    Ok((created.session_key, exp))
}

/// A verified container entry: the nonce claimed, the viewer mapped, marked as a user of
/// the app, given a session, their graph refreshed.
#[tracing::instrument(name = "canvas_enter", skip_all, fields(api_key = %app.api_key))]
pub async fn enter<S: Sessions + Graph + Requests>(
    store: &S,
    people: &impl PeopleDirectory,
    app: &App,
    entry: &Entry,
) -> Result<Viewer, EnterError> {
    let window = Duration::from_secs(2 * TIMESTAMP_WINDOW_SECS as u64);
    if !store
        .claim_nonce(&app.api_key, &entry.nonce, window)
        .await?
    {
        return Err(EnterError::Replayed);
    }
    let uid = uid_for(store, app, &entry.viewer_id).await?;
    let owner = match &entry.owner_id {
        Some(o) => Some(uid_for(store, app, o).await?),
        None => None,
    };
    store.set_installed(&app.api_key, uid, true).await?;
    launched(store, app, uid).await;
    let (session, expires_ms) = session_for(store, app, uid).await?;
    let view = store.view(&app.api_key, uid, true).await?;
    let view = match current_view(store, people, app, view.clone(), RefreshCause::Forced).await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "graph refresh on canvas entry failed");
            view
        }
    };
    Ok(Viewer {
        uid,
        owner,
        session,
        expires_ms,
        view,
    })
}

/// mixi (`notify.md`): the viewer launched the app, so the requests mixi holds for them can
/// no longer be accepted; each is deleted once every one of its recipients has launched.
/// A failure here is logged, never the viewer's problem (expiry deletes them anyway).
async fn launched(store: &impl Requests, app: &App, uid: Uid) {
    if app.platform.mixi_graph().is_none() {
        return;
    }
    let held = match store.take_held(&app.api_key, uid).await {
        Ok(held) => held,
        Err(e) => {
            tracing::warn!(error = %e, "mixi: held requests unreadable on launch");
            return;
        }
    };
    for (from, id) in held {
        match store.recipient_launched(&app.api_key, from, id, uid).await {
            Ok(true) => {
                tracing::info!(api_key = %app.api_key, from = %from, request_id = id, "mixi request to be deleted: every recipient launched the app")
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "mixi: a launch not recorded on its request"),
        }
    }
}

/// A click inside a rendered page: the bridge token's viewer, their current view.
pub async fn resume<S: Graph>(store: &S, app: &App, bridge: Bridge) -> Result<Viewer, StoreError> {
    let view = store.view(&app.api_key, bridge.viewer, true).await?;
    Ok(Viewer {
        uid: bridge.viewer,
        owner: bridge.owner,
        session: bridge.session,
        expires_ms: bridge.expires_ms,
        view,
    })
}

/// The `fb_sig_*` set for a call to the app on behalf of `viewer`.
pub fn fb_sig_for(app: &App, viewer: &Viewer, request_method: &str) -> Vec<(String, String)> {
    let friends: Vec<Uid> = viewer.view.friend_uids().collect();
    let locale = app
        .canvas
        .as_ref()
        .map(|c| c.locale.as_str())
        .unwrap_or("en_US");
    fb_sig_params(
        &FbSigInput {
            api_key: app.api_key.as_str(),
            app_id: &app.app_id,
            user: viewer.uid,
            session: &viewer.session,
            expires_secs: viewer.expires_ms / 1000,
            friends: &friends,
            profile_user: viewer.owner,
            locale,
            request_method,
            time: now_ms() as f64 / 1000.0,
        },
        app.secret.expose(),
    )
}

/// What waits for a mixi viewer's next canvas page (`notify.md`): notifications to show at
/// its top, and the viewer's own stories for the page to post with
/// `opensocial.requestCreateActivity`. Taken once: the page that shows them empties them.
pub async fn take_mixi_pending(
    store: &impl Inboxes,
    app: &App,
    uid: Uid,
) -> Result<(Vec<InboxItem>, Vec<MixiActivity>), StoreError> {
    if !app.platform.is_mixi() {
        return Ok((Vec::new(), Vec::new()));
    }
    let notices = parsed(
        store
            .take_list(UserList::MixiNotices, &app.api_key, uid)
            .await?,
    );
    let mut activities: Vec<MixiActivity> = parsed(
        store
            .take_list(UserList::MixiActivities, &app.api_key, uid)
            .await?,
    );
    // Posted in the order they were published.
    activities.reverse();
    Ok((notices, activities))
}

/// The items that read as `T` (an unreadable one is skipped, and logged).
fn parsed<T: serde::de::DeserializeOwned>(raw: Vec<String>) -> Vec<T> {
    raw.iter()
        .filter_map(|j| {
            serde_json::from_str(j)
                .map_err(|e| tracing::warn!(error = %e, "an unreadable pending item"))
                .ok()
        })
        .collect()
}
