//! One file per page.

pub mod audit;
pub mod costs;
pub mod deployments;
pub mod incidents;
pub mod journey;
pub mod not_found;
pub mod overview;
pub mod pipelines;
pub mod runs;
pub mod slos;
pub mod sources;
pub mod teams;
pub mod tokens;
pub mod valuestream;
