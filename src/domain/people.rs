//! What the social graph needs from a platform's People API, as a port: the services ask
//! a [`PeopleDirectory`] for a user and their friends; `platform::people` answers it over
//! HTTP, and tests or other adapters may answer it otherwise.
//!
//! Invariant: a directory either answers the whole friend list or fails; it never answers
//! a partial list as if it were complete.

use std::future::Future;

use super::app::{App, Upstream};
use super::profile::Profile;

/// One person as the platform described them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformPerson {
    pub id: String,
    pub has_app: bool,
    pub profile: Profile,
}

/// Why the directory could not answer (for logs; never shown to a legacy caller).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PeopleFailure(pub String);

pub trait PeopleDirectory: Send + Sync {
    /// The user `guid` (a platform id) and all of their friends.
    fn person_and_friends(
        &self,
        app: &App,
        upstream: &Upstream,
        guid: &str,
    ) -> impl Future<Output = Result<(PlatformPerson, Vec<PlatformPerson>), PeopleFailure>> + Send;
}
