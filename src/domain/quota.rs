//! Quota days: each app counts invitations per calendar day in its own zone
//! (`day_starts_utc_offset`).
//!
//! Invariant: the day key and `resets_at` come from one computation, so a counter is never
//! read under one day and written under another.

use chrono::{DateTime, Days, FixedOffset, NaiveTime, TimeZone, Utc};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaDay {
    /// `YYYYMMDD` in the app's zone.
    pub key: String,
    /// The next start of the app's quota day.
    pub resets_at: DateTime<FixedOffset>,
}

pub fn quota_day(now: DateTime<Utc>, offset: FixedOffset) -> QuotaDay {
    let local = now.with_timezone(&offset);
    let date = local.date_naive();
    let next = date
        .checked_add_days(Days::new(1))
        .expect("dates far from the end of time")
        .and_time(NaiveTime::MIN);
    QuotaDay {
        key: date.format("%Y%m%d").to_string(),
        resets_at: offset
            .from_local_datetime(&next)
            .single()
            .expect("fixed offsets have no gaps"),
    }
}

/// The daily allocations, each counted per (app, user) on its own counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allowance {
    /// `requests_per_day`: recipients of requests and invitations.
    Requests,
    /// `notifications_per_day`: recipients of user-to-user notifications.
    Notifications,
    /// `feed_actions_per_day`: stories published.
    FeedActions,
}

impl Allowance {
    /// The counter's name for `day` (`YYYYMMDD`): the day itself for requests (the layout
    /// before schema 3), `nYYYYMMDD` and `fYYYYMMDD` for the others.
    pub fn counter(self, day: &str) -> String {
        match self {
            Allowance::Requests => day.to_string(),
            Allowance::Notifications => format!("n{day}"),
            Allowance::FeedActions => format!("f{day}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_boundaries_follow_the_offset() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 16, 30, 0).unwrap();
        let utc = quota_day(now, FixedOffset::east_opt(0).unwrap());
        assert_eq!(utc.key, "20261122");
        assert_eq!(utc.resets_at.to_rfc3339(), "2026-11-23T00:00:00+00:00");
        let tokyo = quota_day(now, FixedOffset::east_opt(9 * 3600).unwrap());
        assert_eq!(tokyo.key, "20261123");
        assert_eq!(tokyo.resets_at.to_rfc3339(), "2026-11-24T00:00:00+09:00");
    }
}
