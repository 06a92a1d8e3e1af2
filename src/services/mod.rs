//! The business rules, with no HTTP in them: what a legacy call, a confirmation page or an
//! admin call may do, and what it changes in the store.
//!
//! Invariants:
//! - Services take parsed, typed inputs (the boundary in `http/` did the parsing) and
//!   answer typed outcomes or a surface's error; they never name actix or HTTP types.
//! - Every store change a rule needs happens in one store operation (one Lua script), so a
//!   failure half-way changes nothing.

pub mod allocation;
pub mod caller;
pub mod canvas;
pub mod confirmation;
pub mod feed;
pub mod graph;
pub mod graph_sync;
pub mod inbox;
pub mod notify;
pub mod requests;
pub mod send_request;
pub mod sessions;
pub mod social;

pub(crate) use crate::domain::now_ms;

/// A store failure reaches a legacy caller as error 2 (its detail only in the log).
impl From<crate::store::StoreError> for crate::domain::LegacyError {
    fn from(e: crate::store::StoreError) -> Self {
        crate::domain::LegacyError::unavailable(e.to_string())
    }
}
