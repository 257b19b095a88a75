//! `POST /hooks/canonical`: canonical events (docs/api.md) from anything that can sign its
//! body with a shared secret but should not hold an API token: a CI job's notification step,
//! a deploy tool's webhook, a script on a build machine.
//!
//! - **Signature**: `X-Nagare-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw body
//!   under one of `sources.canonical.secrets` (several while one is rotated), compared in
//!   constant time. The same scheme as GitHub's `X-Hub-Signature-256`.
//! - **Delivery id**: `X-Nagare-Delivery`, optional; a redelivery with the same id changes
//!   nothing.
//! - **Body**: a JSON array or NDJSON, as `POST /api/v1/events` takes. It writes any service:
//!   whoever holds the secret is trusted as an ingest token without limits.

use super::{Mapped, Source};
use crate::config::SignedSourceConfig;
use crate::error::ApiResult;
use crate::http::body;
use crate::ingest;
use axum::http::HeaderMap;

pub const SIGNATURE_HEADER: &str = "x-nagare-signature-256";
pub const DELIVERY_HEADER: &str = "x-nagare-delivery";

pub struct Canonical {
    secrets: Vec<Vec<u8>>,
}

impl Canonical {
    /// The source, when it has at least one secret (from the file, the config or the
    /// environment).
    pub fn from_config(c: &SignedSourceConfig) -> anyhow::Result<Option<Canonical>> {
        let secrets = super::secrets("sources.canonical", &c.secrets, c.secrets_file.as_deref())?;
        Ok((!secrets.is_empty()).then_some(Canonical { secrets }))
    }
}

impl Source for Canonical {
    fn name(&self) -> &'static str {
        "canonical"
    }

    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
        super::verify_sha256(SIGNATURE_HEADER, &self.secrets, headers, body)
    }

    fn delivery_id(&self, headers: &HeaderMap) -> Option<String> {
        super::header_text(headers, DELIVERY_HEADER)
    }

    fn map(&self, headers: &HeaderMap, payload: &[u8]) -> ApiResult<Mapped> {
        let kind = body::kind(headers, true)?;
        let (lines, events) = ingest::parse(payload, kind == body::Kind::Ndjson)?;
        Ok(Mapped::Events(lines, events))
    }
}
