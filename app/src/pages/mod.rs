//! One file per page.

pub mod deployments;
pub mod incidents;
pub mod not_found;
pub mod overview;
