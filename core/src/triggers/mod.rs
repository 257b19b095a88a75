//! Triggering runs from the portal, the pure part (docs/triggers.md): a form's values checked
//! against its inputs ([`inputs`]), a runbook's command made from its argv template
//! ([`command`]), who may do what ([`grants`]), and where an approval stands ([`approval`]).

pub mod approval;
pub mod command;
pub mod grants;
pub mod inputs;

pub use approval::{decide, standing, ApprovalError, Approver, Standing};
pub use command::{render, CommandError};
pub use grants::{Grants, Missing, Subject};
pub use inputs::{validate, InputError};
