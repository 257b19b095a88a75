//! Nagare's domain: canonical events, the shapes of the public API, and the metric math.
//!
//! Everything here is pure (no I/O) and compiles for both the server and the WebAssembly app.

pub mod access;
pub mod api;
pub mod cost;
#[cfg(any(test, feature = "demo"))]
pub mod demo;
pub mod dora;
pub mod events;
#[cfg(any(test, feature = "github"))]
pub mod github;
pub mod model;
pub mod names;
pub mod pipelines;
pub mod query;
pub mod slo;
pub mod stats;
pub mod text;
pub mod time;
#[cfg(any(test, feature = "triggers"))]
pub mod triggers;
pub mod valuestream;

pub use events::Event;
pub use time::Timestamp;
