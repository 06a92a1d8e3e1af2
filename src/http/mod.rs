//! The HTTP boundary: the only code that names actix types. Each area parses its input
//! here, calls a service, and maps the answer (extract -> service -> answer).
//!
//! Invariants:
//! - `/restserver.php` always answers HTTP 200 with a legacy body, whatever the input.
//! - Pages answer with a typed error (`ConfirmError`, `AdminError`) whose status and text
//!   come from one table per surface.
//! - Every answer carries `X-Request-Id` (see [`request_id`]).

pub mod admin;
pub mod body;
pub mod canvas;
pub mod client_ip;
pub mod confirm;
pub mod demo_app;
pub mod legacy;
pub mod listener;
pub mod ops;
pub mod page;
pub mod request_id;
pub mod sandbox;
pub mod server;
pub mod state;

use actix_web::web;

/// Which routes one listener serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Routes {
    /// The legacy API, confirmation and sandbox pages, `/healthz`, `/readyz`.
    pub public: bool,
    pub metrics: bool,
    pub admin: bool,
    /// The demo's own FBML app (`server.demo_app`).
    pub demo_app: bool,
}

impl Routes {
    /// The main listener's routes and, when there is one, the internal listener's.
    pub fn split(settings: &crate::config::ServerSettings) -> (Routes, Option<Routes>) {
        match settings.metrics_listen {
            None => (
                Routes {
                    public: true,
                    metrics: true,
                    admin: true,
                    demo_app: settings.demo_app,
                },
                None,
            ),
            Some(_) => {
                let admin_inside = settings.admin_on_metrics_listen;
                (
                    Routes {
                        public: true,
                        metrics: false,
                        admin: !admin_inside,
                        demo_app: settings.demo_app,
                    },
                    Some(Routes {
                        public: false,
                        metrics: true,
                        admin: admin_inside,
                        demo_app: false,
                    }),
                )
            }
        }
    }
}

/// The routes of one listener.
pub fn configure(cfg: &mut web::ServiceConfig, routes: Routes) {
    if routes.public {
        legacy::configure(cfg);
        confirm::configure(cfg);
        sandbox::configure(cfg);
        canvas::configure(cfg);
    }
    if routes.demo_app {
        demo_app::configure(cfg);
    }
    if routes.admin {
        admin::configure(cfg);
    }
    ops::configure(cfg, routes.metrics);
}
