//! Service level objectives (docs/slo.md). The math is in `nagare_core::slo`; here: reading
//! definitions ([`defs`]: OpenSLO, Sloth, Pyrra), the Prometheus client ([`prom`], signed with
//! [`sigv4`] for Amazon Managed Service for Prometheus), the rules and OpenSLO exports
//! ([`rules`], [`export`]) and Slack messages ([`slack`]).

pub mod defs;
pub mod export;
pub mod notify;
mod openslo;
pub mod prom;
mod pyrra;
pub mod rules;
pub mod runtime;
pub mod samples;
pub mod sigv4;
pub mod slack;
mod sloth;
pub mod sync;
pub mod view;

pub use runtime::{Entry, Slos};
