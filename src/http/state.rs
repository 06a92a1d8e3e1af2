//! What every handler is given: the configuration and the store.
//!
//! Invariant: every actix worker holds a clone of one [`AppState`]: the memory store is one,
//! shared by all workers, and the Redis store's connections live on the composition root's
//! runtime, which outlives the workers.

use std::sync::Arc;

use crate::config::Config;
use crate::store::AnyStore;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: AnyStore,
}
