//! Daily allocations: `admin.getAllocation` and the admin API's allocation view.
//!
//! Invariant: the day counted and `resets_at` come from one [`quota_day`] computation in the
//! app's own zone, so a counter is never read under one day and reported under another.

use chrono::Utc;
use serde::Serialize;

use super::caller::{gate, Caller};
use crate::domain::quota::{quota_day, Allowance};
use crate::domain::{App, ErrorCode, LegacyError, Uid};
use crate::store::{Quotas, Sessions, StoreError};

/// Which allocation `admin.getAllocation` is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntegrationPoint {
    /// The app's daily limit (as Facebook answered).
    RequestsPerDay,
    /// What the session's user has left today.
    RequestsRemaining,
    /// User-to-user notifications a sender may send a day.
    NotificationsPerDay,
    /// Feed stories a user may publish a day.
    FeedActionsPerDay,
}

impl IntegrationPoint {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "requests_per_day" => Some(Self::RequestsPerDay),
            "requests_remaining" => Some(Self::RequestsRemaining),
            "notifications_per_day" => Some(Self::NotificationsPerDay),
            "feed_actions_per_day" => Some(Self::FeedActionsPerDay),
            _ => None,
        }
    }
}

/// `admin.getAllocation`. `point` is `None` when the name was not one of the known ones.
#[tracing::instrument(name = "get_allocation", skip_all, fields(api_key = %caller.app.api_key))]
pub async fn get_allocation<S: Sessions + Quotas>(
    store: &S,
    caller: &Caller<'_>,
    point: Option<IntegrationPoint>,
) -> Result<i64, LegacyError> {
    let app = caller.app;
    if caller.session.is_some() {
        gate(store, caller).await?;
    }
    match point {
        Some(IntegrationPoint::RequestsPerDay) => Ok(i64::from(app.daily_request_limit)),
        Some(IntegrationPoint::NotificationsPerDay) => {
            Ok(i64::from(app.daily_notification_limit))
        }
        Some(IntegrationPoint::FeedActionsPerDay) => Ok(i64::from(app.daily_feed_limit)),
        Some(IntegrationPoint::RequestsRemaining) => {
            let session = caller.session.as_ref().ok_or_else(|| {
                LegacyError::new(
                    ErrorCode::InvalidSession,
                    "requests_remaining needs a session",
                )
            })?;
            let used = user_allocation(store, app, session.uid()).await?.used;
            Ok(i64::from(app.daily_request_limit.saturating_sub(used)))
        }
        None => Err(LegacyError::invalid_parameter(
            "integration_point_name must be requests_per_day, requests_remaining, notifications_per_day or feed_actions_per_day",
        )),
    }
}

/// A user's allocations today: requests at the top level (the shape operators had first),
/// notifications and feed stories beside them.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Allocation {
    pub limit: u32,
    pub used: u32,
    pub remaining: u32,
    pub resets_at: String,
    pub notifications: Usage,
    pub feed_actions: Usage,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct Usage {
    pub limit: u32,
    pub used: u32,
    pub remaining: u32,
}

impl Usage {
    fn new(limit: u32, used: u32) -> Self {
        Usage {
            limit,
            used,
            remaining: limit.saturating_sub(used),
        }
    }
}

pub async fn user_allocation(
    store: &impl Quotas,
    app: &App,
    uid: Uid,
) -> Result<Allocation, StoreError> {
    let day = quota_day(Utc::now(), app.day_offset);
    let used = |allowance: Allowance| {
        let counter = allowance.counter(&day.key);
        async move { store.quota_used(&app.api_key, uid, &counter).await }
    };
    let requests = used(Allowance::Requests).await?;
    let notifications = used(Allowance::Notifications).await?;
    let feed = used(Allowance::FeedActions).await?;
    Ok(Allocation {
        limit: app.daily_request_limit,
        used: requests,
        remaining: app.daily_request_limit.saturating_sub(requests),
        resets_at: day.resets_at.to_rfc3339(),
        notifications: Usage::new(app.daily_notification_limit, notifications),
        feed_actions: Usage::new(app.daily_feed_limit, feed),
    })
}
