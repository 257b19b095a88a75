//! Nagare's domain: canonical events, the shapes of the public API, and the metric math.
//!
//! Everything here is pure (no I/O) and compiles for both the server and the WebAssembly app.

pub mod access;
pub mod api;
pub mod bands;
pub mod demo;
mod derive;
pub mod dora;
pub mod events;
mod graph;
mod index;
pub mod model;
pub mod stats;
pub mod text;
pub mod time;

pub use events::Event;
pub use time::Timestamp;
