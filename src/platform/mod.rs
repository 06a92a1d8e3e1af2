//! Platforms: the outgoing adapters to each container (Mobage, OpenSocial, mixi) and the
//! HTTP client that talks to them.
//!
//! Invariants:
//! - Nothing here reads or writes the store: the outbox decides what to send and records
//!   what happened; a platform module only builds and sends one message and says what the
//!   answer means.
//! - Every outgoing request is signed here (OAuth 1.0, `oauth`), and every URL fbbridge
//!   builds for a platform is built here.

pub mod app_server;
pub mod client;
pub mod mixi;
pub mod mixi_graph;
pub mod mobage;
pub mod oauth;
pub mod opensocial;
pub mod people;
pub mod url;

pub use self::url::percent_encode;
