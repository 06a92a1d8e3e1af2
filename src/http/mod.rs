//! The HTTP boundary: the only code that names actix types. Each area parses its input
//! here, calls a service, and maps the answer (extract -> service -> answer).
//!
//! Invariants:
//! - `/restserver.php` always answers HTTP 200 with a legacy body, whatever the input.
//! - Pages answer with a typed error (`ConfirmError`, `AdminError`) whose status and text
//!   come from one table per surface.
//! - Every answer carries `X-Request-Id` (see [`request_id`]).

pub mod admin;
pub mod client_ip;
pub mod confirm;
pub mod legacy;
pub mod ops;
pub mod page;
pub mod request_id;
pub mod sandbox;
pub mod server;
pub mod state;

use actix_web::web;

/// Every route of the gateway.
pub fn configure(cfg: &mut web::ServiceConfig) {
    legacy::configure(cfg);
    confirm::configure(cfg);
    sandbox::configure(cfg);
    admin::configure(cfg);
    ops::configure(cfg);
}
