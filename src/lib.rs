//! fbbridge: legacy Facebook Platform REST calls answered on OpenSocial platforms.
//!
//! Layers, each importing only those below it (checked by `scripts/check-layers`):
//! `cli`/`demo` -> `app` -> `http`, `outbox` -> `services` -> `store`, `platform` ->
//! `config` -> `domain`; `telemetry` is a leaf every layer may use.
#![forbid(unsafe_code)]

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod http;
pub mod outbox;
pub mod platform;
pub mod services;
pub mod store;
pub mod telemetry;
