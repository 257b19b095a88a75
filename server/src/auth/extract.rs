//! Who is asking, as extractors a handler takes as arguments, so that a check cannot be
//! forgotten in the body:
//!
//! - [`Signed`]: the signed-in principal (401 without one);
//! - [`Requires<R>`]: the principal, holding what `R` names: a role ([`Admin`], [`Engineer`])
//!   or a token scope ([`Ingest`], [`Trigger`]); 403 with what is missing otherwise;
//! - [`ReadScope`](super::ReadScope): which teams' data it may read (see `state::TeamView`).

use super::principal::principal;
use super::Principal;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use nagare_core::api::{Role, TokenScope};
use std::marker::PhantomData;

/// The signed-in principal.
pub struct Signed(pub Principal);

fn from_parts(parts: &Parts) -> ApiResult<Principal> {
    principal(
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(axum::Extension),
    )
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> ApiResult<Signed> {
        from_parts(parts).map(Signed)
    }
}

/// What a route needs of its caller.
pub trait Requirement {
    fn check(p: &Principal) -> ApiResult<()>;
}

/// A signed-in admin (tokens never act as users).
pub struct Admin;
/// A signed-in engineer or admin.
pub struct Engineer;
/// Sending events: engineers and admins, or a token with the `ingest` scope.
pub struct Ingest;
/// Triggering runs and runbooks: engineers and admins, or a token with the `trigger` scope.
pub struct Trigger;

impl Requirement for Admin {
    fn check(p: &Principal) -> ApiResult<()> {
        p.require_role(Role::Admin)
    }
}
impl Requirement for Engineer {
    fn check(p: &Principal) -> ApiResult<()> {
        p.require_role(Role::Engineer)
    }
}
impl Requirement for Ingest {
    fn check(p: &Principal) -> ApiResult<()> {
        p.require_scope(TokenScope::Ingest)
    }
}
impl Requirement for Trigger {
    fn check(p: &Principal) -> ApiResult<()> {
        p.require_scope(TokenScope::Trigger)
    }
}

/// The principal, once it holds what `R` requires.
pub struct Requires<R>(pub Principal, pub PhantomData<R>);

impl<R: Requirement> FromRequestParts<AppState> for Requires<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> ApiResult<Requires<R>> {
        let p = from_parts(parts)?;
        R::check(&p)?;
        Ok(Requires(p, PhantomData))
    }
}
