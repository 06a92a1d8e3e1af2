//! Copies of each user's graph from the platform's People API, and the mapping between
//! platform ids and legacy uids.
//!
//! Invariants:
//! - A platform id that is a decimal integer below 2^53 is the uid itself; any other id
//!   has an alias from the store (the same on every gateway), and every platform call
//!   maps an alias back first.
//! - A copy older than `graph_ttl_secs` is refreshed before it is answered from; if the
//!   platform cannot be reached the older copy is served, and only a user with no copy at
//!   all gets error 2.
//! - Sandbox apps (and mixi apps without an upstream) have no platform copy: their graph
//!   is the admin API's, always current.

use super::now_ms;
use crate::domain::profile::direct_uid;
use crate::domain::{
    App, GraphView, LegacyError, PeopleDirectory, PeopleFailure, Person, PlatformPerson, Uid,
    Upstream,
};
use crate::store::aliases::platform_id_of;
use crate::store::{Graph, GraphSnapshot, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("People API: {0}")]
    People(#[from] PeopleFailure),
    #[error("uid {0} has no platform id")]
    NoPlatformId(Uid),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The legacy uid of a platform id.
pub async fn uid_for(store: &impl Graph, app: &App, platform_id: &str) -> Result<Uid, StoreError> {
    match direct_uid(platform_id) {
        Some(uid) => Ok(uid),
        None => store.alias(&app.api_key, platform_id).await,
    }
}

fn is_stale(upstream: &Upstream, synced_at_ms: i64, now: i64) -> bool {
    now.saturating_sub(synced_at_ms) >= (upstream.graph_ttl_secs as i64).saturating_mul(1000)
}

async fn person(store: &impl Graph, app: &App, p: PlatformPerson) -> Result<Person, StoreError> {
    Ok(Person {
        uid: uid_for(store, app, &p.id).await?,
        uses_app: p.has_app,
        profile: p.profile,
    })
}

/// Copies `uid`'s graph from the platform into the store; answers the new view.
#[tracing::instrument(name = "graph_refresh", skip_all, fields(api_key = %app.api_key, uid = uid.get()))]
pub async fn refresh(
    store: &impl Graph,
    people: &impl PeopleDirectory,
    app: &App,
    upstream: &Upstream,
    uid: Uid,
) -> Result<GraphView, SyncError> {
    let guid = platform_id_of(store, &app.api_key, uid)
        .await?
        .ok_or(SyncError::NoPlatformId(uid))?;
    let (me, friends) = people.person_and_friends(app, upstream, &guid).await?;
    // The user is whoever the session says, whatever id the platform echoes.
    let user = Person {
        uid,
        uses_app: me.has_app,
        profile: me.profile,
    };
    let mut mapped = Vec::with_capacity(friends.len());
    for f in friends {
        let p = person(store, app, f).await?;
        if p.uid != uid {
            mapped.push(p);
        }
    }
    let snapshot = GraphSnapshot {
        api_key: app.api_key.clone(),
        user,
        friends: mapped,
        synced_at_ms: now_ms(),
    };
    store.replace_graph(&snapshot).await?;
    let mut friends: Vec<(Uid, bool)> = snapshot
        .friends
        .iter()
        .map(|p| (p.uid, p.uses_app))
        .collect();
    friends.sort_unstable();
    friends.dedup_by_key(|(u, _)| *u);
    let profiles = std::iter::once(&snapshot.user)
        .chain(&snapshot.friends)
        .map(|p| (p.uid, p.profile.clone()))
        .collect();
    Ok(GraphView {
        user: uid,
        uses_app: snapshot.user.uses_app,
        friends,
        profiles,
        synced_at_ms: Some(snapshot.synced_at_ms),
    })
}

/// Why a refresh was asked for (a label of the refresh metric).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshCause {
    /// The copy is missing or older than its time to live.
    Expired,
    /// The user launched a canvas page, or a sendRequest named someone the copy lacks.
    Forced,
}

/// `view` as it should be answered: itself when it is current (or the app has no People
/// API), else a fresh copy, else (platform down) the stale copy; error 2 with no copy.
pub async fn current_view(
    store: &impl Graph,
    people: &impl PeopleDirectory,
    app: &App,
    view: GraphView,
    cause: RefreshCause,
) -> Result<GraphView, LegacyError> {
    let Some(upstream) = app.platform.graph_source() else {
        return Ok(view);
    };
    let now = now_ms();
    if cause == RefreshCause::Expired
        && view
            .synced_at_ms
            .is_some_and(|t| !is_stale(upstream, t, now))
    {
        return Ok(view);
    }
    match refresh(store, people, app, upstream, view.user).await {
        Ok(fresh) => {
            metrics::counter!(crate::telemetry::GRAPH_REFRESHES, "outcome" => "fresh").increment(1);
            Ok(fresh)
        }
        Err(e) if view.synced_at_ms.is_some() => {
            metrics::counter!(crate::telemetry::GRAPH_REFRESHES, "outcome" => "stale_served")
                .increment(1);
            tracing::warn!(error = %e, uid = view.user.get(), "People API failed; serving the older copy");
            Ok(view)
        }
        Err(e) => {
            metrics::counter!(crate::telemetry::GRAPH_REFRESHES, "outcome" => "failed")
                .increment(1);
            Err(LegacyError::unavailable(format!(
                "no copy of the graph: {e}"
            )))
        }
    }
}
