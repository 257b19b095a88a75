//! Nagare's server: HTTP API, event store, and the `nagare` command line.

pub mod auth;
pub mod cli;
pub mod config;
pub mod cost;
pub mod error;
pub mod http;
pub mod import;
pub mod ingest;
pub mod jobs;
pub mod seed;
pub mod serve;
pub mod slo;
pub mod sources;
pub mod state;
pub mod store;
pub mod triggers;

pub use http::app;
pub use state::AppState;
