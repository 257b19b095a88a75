//! Triggering runs from the portal (docs/triggers.md): runbooks run by the server as child
//! processes (`exec`, `runner`), GitHub Actions workflows (`github`, `workflow`) and GitLab
//! pipelines (`gitlab`) started at their provider (`providers`); what a caller may ask
//! (`requests`) and see (`view`); the dispatcher that starts, follows and recovers runs in
//! every process (`dispatch`). The pure rules (forms, commands, grants, approvals) are in
//! `nagare_core::triggers`.

pub mod dispatch;
pub mod exec;
pub mod github;
pub mod gitlab;
pub mod providers;
pub mod requests;
pub mod runner;
mod runtime;
pub mod targets;
pub mod view;
pub mod workflow;

pub use runtime::Runtime;
pub use targets::Targets;
