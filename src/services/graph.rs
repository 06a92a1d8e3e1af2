//! The social graph as operators set it (sandbox apps, the admin API).
//!
//! Invariants: friendship is symmetric (both sides are written); nobody is their own
//! friend; a friend list holds each uid once.

use crate::domain::{App, Profile, Uid};
use crate::store::{Graph, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("a user cannot befriend themselves")]
    SelfFriend,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub async fn set_friends(
    store: &impl Graph,
    app: &App,
    uid: Uid,
    friends: &[Uid],
) -> Result<(), GraphError> {
    let mut unique = Vec::with_capacity(friends.len());
    for &f in friends {
        if f == uid {
            return Err(GraphError::SelfFriend);
        }
        if !unique.contains(&f) {
            unique.push(f);
        }
    }
    store.set_friends(&app.api_key, uid, &unique).await?;
    Ok(())
}

pub async fn set_installed(
    store: &impl Graph,
    app: &App,
    uid: Uid,
    installed: bool,
) -> Result<(), StoreError> {
    store.set_installed(&app.api_key, uid, installed).await
}

/// Stores `uid`'s profile (normalised: trimmed, unsafe URLs dropped).
pub async fn set_profile(
    store: &impl Graph,
    app: &App,
    uid: Uid,
    profile: Profile,
) -> Result<Profile, StoreError> {
    let profile = profile.normalised();
    store.set_profile(&app.api_key, uid, &profile).await?;
    Ok(profile)
}

pub async fn profile(
    store: &impl Graph,
    app: &App,
    uid: Uid,
) -> Result<Option<Profile>, StoreError> {
    store.profile(&app.api_key, uid).await
}
