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
use anyhow::Context;
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "x-nagare-signature-256";
pub const DELIVERY_HEADER: &str = "x-nagare-delivery";

pub struct Canonical {
    secrets: Vec<Vec<u8>>,
}

impl Canonical {
    /// The source, when it has at least one secret (from the file, the config or the
    /// environment).
    pub fn from_config(c: &SignedSourceConfig) -> anyhow::Result<Option<Canonical>> {
        let mut secrets: Vec<String> = c.secrets.clone();
        if let Some(file) = &c.secrets_file {
            let text = std::fs::read_to_string(file).with_context(|| {
                format!(
                    "sources.canonical.secrets_file: cannot read {}",
                    file.display()
                )
            })?;
            secrets.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(str::to_owned),
            );
        }
        if let Some(short) = secrets.iter().position(|s| s.len() < 16) {
            anyhow::bail!(
                "sources.canonical: secret {} is shorter than 16 characters; use a long random one (e.g. `openssl rand -hex 32`)",
                short + 1
            );
        }
        Ok((!secrets.is_empty()).then(|| Canonical {
            secrets: secrets.into_iter().map(String::into_bytes).collect(),
        }))
    }
}

impl Source for Canonical {
    fn name(&self) -> &'static str {
        "canonical"
    }

    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
        let given = headers
            .get(SIGNATURE_HEADER)
            .ok_or_else(|| format!("no `{SIGNATURE_HEADER}` header"))?
            .to_str()
            .map_err(|_| format!("`{SIGNATURE_HEADER}` is not text"))?;
        let hex = given
            .strip_prefix("sha256=")
            .ok_or_else(|| format!("`{SIGNATURE_HEADER}` must be `sha256=<hex>`"))?;
        let Some(tag) = decode_hex(hex) else {
            return Err(format!("`{SIGNATURE_HEADER}` is not 64 hex digits"));
        };
        for secret in &self.secrets {
            let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret) else {
                continue;
            };
            mac.update(body);
            // Constant time.
            if mac.verify_slice(&tag).is_ok() {
                return Ok(());
            }
        }
        Err("it matches none of the configured secrets".into())
    }

    fn delivery_id(&self, headers: &HeaderMap) -> Option<String> {
        headers
            .get(DELIVERY_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    fn map(&self, headers: &HeaderMap, payload: &[u8]) -> ApiResult<Mapped> {
        let kind = body::kind(headers, true)?;
        let (lines, events) = ingest::parse(payload, kind == body::Kind::Ndjson)?;
        Ok(Mapped::Events(lines, events))
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 {
        return None;
    }
    (0..32)
        .map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}
