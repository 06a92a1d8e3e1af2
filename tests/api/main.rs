mod helpers;

mod admin;
mod browser;
mod cli;
mod cluster;
mod confirm;
mod delivery;
mod faults;
mod http_server;
mod legacy_errors;
mod metrics;
mod perl_client;
mod properties;
mod resilience;
mod send_request;
mod store_conformance;
mod vectors;
