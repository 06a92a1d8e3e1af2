//! The read methods of the social graph: `friends.*`, `users.*` and `fql.query`.
//!
//! Invariants:
//! - Each call passes the session/call_id gate and reads the session user's view in one
//!   store round trip (a refresh from the People API only when the copy is missing or
//!   expired).
//! - Only the session user and their friends are visible: anyone else is left out of
//!   lists, `nil` in `friends.areFriends`, a permissions error (200) where a single user
//!   is asked for. Apps never see each other's graphs (every key carries the api_key).

pub mod fql;
pub mod rows;

use std::collections::HashMap;

use self::rows::{user_row, Row};
use super::caller::{refusal, Caller};
use super::graph_sync::{current_view, RefreshCause};
use crate::domain::{GraphView, LegacyError, PeopleDirectory, Uid, UserField};
use crate::store::{Graph, Sessions};

/// What the social methods need: the store, and the platforms' People API.
pub struct Social<'a, S, P> {
    pub store: &'a S,
    pub people: &'a P,
}

/// One `friends.areFriends` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FriendInfo {
    pub uid1: Uid,
    pub uid2: Uid,
    /// `None`: not the session user's to know.
    pub are_friends: Option<bool>,
}

impl<S: Sessions + Graph, P: PeopleDirectory> Social<'_, S, P> {
    /// The gate, then the session user's view as stored (one round trip).
    async fn gated(
        &self,
        caller: &Caller<'_>,
        with_profiles: bool,
    ) -> Result<GraphView, LegacyError> {
        let gate = caller.call_gate()?;
        let view = self
            .store
            .gated_view(&gate, with_profiles)
            .await?
            .map_err(refusal)?;
        if let Some(problem) = caller.call_id_problem() {
            return Err(problem);
        }
        Ok(view)
    }

    /// The gate, then the session user's current view.
    pub async fn view(
        &self,
        caller: &Caller<'_>,
        with_profiles: bool,
    ) -> Result<GraphView, LegacyError> {
        let view = self.gated(caller, with_profiles).await?;
        current_view(
            self.store,
            self.people,
            caller.app,
            view,
            RefreshCause::Expired,
        )
        .await
    }

    /// The gate, then the session user's view as stored; refreshed from the platform (once)
    /// only when `wanted` names someone the copy does not have as a friend, as
    /// sendRequest does. A failing platform leaves the stored copy in use: the caller
    /// treats the unknown as strangers.
    pub async fn view_for(
        &self,
        caller: &Caller<'_>,
        with_profiles: bool,
        wanted: &[Uid],
    ) -> Result<GraphView, LegacyError> {
        let view = self.gated(caller, with_profiles).await?;
        if wanted.iter().all(|u| *u == view.user || view.is_friend(*u)) {
            return Ok(view);
        }
        Ok(current_view(
            self.store,
            self.people,
            caller.app,
            view.clone(),
            RefreshCause::Forced,
        )
        .await
        .unwrap_or(view))
    }

    /// `friends.get`: `uid`, when given, must be the session user.
    #[tracing::instrument(name = "friends_get", skip_all, fields(api_key = %caller.app.api_key))]
    pub async fn friends(
        &self,
        caller: &Caller<'_>,
        uid: Option<Uid>,
    ) -> Result<Vec<Uid>, LegacyError> {
        let view = self.view(caller, false).await?;
        if uid.is_some_and(|u| u != view.user) {
            return Err(LegacyError::permission("friends.get of another user"));
        }
        Ok(view.friend_uids().collect())
    }

    #[tracing::instrument(name = "friends_get_app_users", skip_all, fields(api_key = %caller.app.api_key))]
    pub async fn app_user_friends(&self, caller: &Caller<'_>) -> Result<Vec<Uid>, LegacyError> {
        Ok(self.view(caller, false).await?.app_user_friends().collect())
    }

    /// `friends.areFriends`: a pair is answered when one side is the session user or one
    /// of their friends (the friend's own list is read for the latter).
    #[tracing::instrument(name = "friends_are_friends", skip_all, fields(api_key = %caller.app.api_key))]
    pub async fn are_friends(
        &self,
        caller: &Caller<'_>,
        pairs: &[(Uid, Uid)],
    ) -> Result<Vec<FriendInfo>, LegacyError> {
        let view = self.view(caller, false).await?;
        let mut others: HashMap<Uid, GraphView> = HashMap::new();
        let mut out = Vec::with_capacity(pairs.len());
        for &(uid1, uid2) in pairs {
            let are_friends = if uid1 == view.user {
                Some(view.is_friend(uid2))
            } else if uid2 == view.user {
                Some(view.is_friend(uid1))
            } else if let Some(side) = [uid1, uid2].into_iter().find(|u| view.is_friend(*u)) {
                let other = if side == uid1 { uid2 } else { uid1 };
                let known = match others.get(&side) {
                    Some(v) => v.is_friend(other),
                    None => {
                        let v = self.store.view(&caller.app.api_key, side, false).await?;
                        let known = v.is_friend(other);
                        others.insert(side, v);
                        known
                    }
                };
                Some(known)
            } else {
                None
            };
            out.push(FriendInfo {
                uid1,
                uid2,
                are_friends,
            });
        }
        Ok(out)
    }

    /// `users.getInfo`: visible users only, `uid` first, then `fields` in order.
    #[tracing::instrument(name = "users_get_info", skip_all, fields(api_key = %caller.app.api_key))]
    pub async fn user_info(
        &self,
        caller: &Caller<'_>,
        uids: &[Uid],
        fields: &[UserField],
    ) -> Result<Vec<Row>, LegacyError> {
        let view = self.view(caller, true).await?;
        let mut columns = vec![UserField::Uid];
        columns.extend(fields.iter().filter(|f| **f != UserField::Uid));
        Ok(uids
            .iter()
            .filter_map(|u| view.person(*u))
            .map(|p| user_row(&p, &columns))
            .collect())
    }

    /// `users.isAppUser` (`uid` visible to the session user) and `users.isAppAdded`.
    #[tracing::instrument(name = "users_is_app_user", skip_all, fields(api_key = %caller.app.api_key))]
    pub async fn is_app_user(
        &self,
        caller: &Caller<'_>,
        uid: Option<Uid>,
    ) -> Result<bool, LegacyError> {
        let view = self.view(caller, false).await?;
        view.uses_app(uid.unwrap_or(view.user))
            .ok_or_else(|| LegacyError::permission("isAppUser of a user not visible"))
    }

    /// `users.getLoggedInUser`.
    pub async fn logged_in_user(&self, caller: &Caller<'_>) -> Result<Uid, LegacyError> {
        super::caller::gate(self.store, caller).await?;
        caller.session.as_ref().map(|s| s.uid()).ok_or_else(|| {
            LegacyError::new(crate::domain::ErrorCode::InvalidSession, "no session_key")
        })
    }

    /// `fql.query`: parsed before the store is touched, answered from the session user's
    /// view.
    #[tracing::instrument(name = "fql_query", skip_all, fields(api_key = %caller.app.api_key))]
    pub async fn fql(
        &self,
        caller: &Caller<'_>,
        query: Result<fql::Select, LegacyError>,
    ) -> Result<fql::Answer, LegacyError> {
        let select = match query {
            Ok(s) => s,
            Err(e) => {
                super::caller::gate(self.store, caller).await?;
                return Err(e);
            }
        };
        let view = self.view(caller, select.needs_profiles()).await?;
        fql::run(&select, &view)
    }
}
