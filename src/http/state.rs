//! What every handler is given: the configuration and the store.
//!
//! Invariant: each actix worker holds its own [`AppState`] ([`AppState::for_worker`]): the
//! memory store is one, shared by all workers; the Redis store is shared too, except its
//! connections, which each worker makes on its own runtime.

use std::sync::Arc;

use crate::config::Config;
use crate::platform::people::PeopleClient;
use crate::store::AnyStore;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: AnyStore,
    /// The platforms' People API, which a legacy call may wait on.
    pub people: PeopleClient,
}

impl AppState {
    /// The state one actix worker serves with (called on that worker's thread).
    pub fn for_worker(&self) -> Self {
        let store = match &self.store {
            AnyStore::Redis(r) => match r.with_own_connections() {
                Ok(own) => AnyStore::Redis(own),
                Err(e) => {
                    // Cannot happen with settings that opened once already; sharing the
                    // composition root's connections still serves.
                    tracing::error!(error = %e, "a worker could not make its own Redis connections");
                    AnyStore::Redis(r.clone())
                }
            },
            AnyStore::Memory(m) => AnyStore::Memory(m.clone()),
        };
        Self {
            config: self.config.clone(),
            store,
            people: self.people.clone(),
        }
    }
}
