//! The bottom layer: the types every other layer speaks in. Nothing here imports another
//! module of the crate, does I/O, or knows about HTTP.
//!
//! Invariants:
//! - Values are parsed at the boundary into these newtypes; past that, code never handles
//!   raw strings for ids, keys or call_ids.
//! - An [`App`] carries its platform's settings inside [`Platform`], so code that needs an
//!   upstream has one by construction (no run-time "validated already" expects).

pub mod app;
pub mod canvas;
pub mod canvas_render;
pub mod entry;
pub mod fbml;
pub mod ids;
pub mod legacy_error;
pub mod oauth;
pub mod people;
pub mod profile;
pub mod quota;
pub mod records;
pub mod secrets;
pub mod story;

pub use app::{App, MixiGraph, Platform, PlatformKind, Upstream, UpstreamMode};
pub use ids::{ApiKey, CallId, CallIdError, SessionKey, SessionTtl, Uid};
pub use legacy_error::{ErrorCode, LegacyError};
pub use people::{PeopleDirectory, PeopleFailure, PlatformPerson};
pub use profile::{GraphView, Person, Profile, UserField};
pub use records::*;
pub use secrets::Secret;
pub use story::{Story, StoryImage, TemplateBundle};
