//! fbbridge: legacy Facebook Platform REST calls answered on OpenSocial platforms.

pub mod admin;
pub mod cli;
pub mod config;
pub mod confirm;
pub mod demo;
pub mod domain;
pub mod legacy;
pub mod outbox;
pub mod platform;
pub mod quota;
pub mod session;
pub mod startup;
pub mod store;
pub mod telemetry;
