//! Request bodies of the JSON endpoints: the content type they accept, gzip, and the size limit.
//!
//! A JSON endpoint answers any other content type with 415. That is also what keeps a page of
//! another site from posting here: the types a form or a `fetch` without preflight may send
//! (`text/plain`, form encodings) are refused before anything is parsed.

use crate::error::ApiError;
use axum::body::{to_bytes, Body, Bytes};
use axum::http::{header, HeaderMap};
use nagare_core::text::printable;
use std::io::Read;

/// What a body holds, by its content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `application/json`: an array, or one object.
    Json,
    /// `application/x-ndjson` (or `application/ndjson`, `application/jsonlines`): one event a line.
    Ndjson,
}

/// The kind of body `headers` announce, or 415 naming the accepted types. `ndjson` says
/// whether the endpoint takes NDJSON too.
pub fn kind(headers: &HeaderMap, ndjson: bool) -> Result<Kind, ApiError> {
    let accepted = if ndjson {
        "`application/json` or `application/x-ndjson`"
    } else {
        "`application/json`"
    };
    let given = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("?"));
    let essence = given
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    match essence.as_str() {
        "application/json" => Ok(Kind::Json),
        "application/x-ndjson"
        | "application/ndjson"
        | "application/jsonlines"
        | "application/x-jsonlines"
            if ndjson =>
        {
            Ok(Kind::Ndjson)
        }
        _ => Err(ApiError::UnsupportedMediaType(match given {
            Some(t) => format!(
                "Content-Type `{}` is not accepted here; send {accepted}",
                printable(t, 80)
            ),
            None => format!("the request has no Content-Type; send {accepted}"),
        })),
    }
}

/// The body, at most `limit` bytes once decoded. `Content-Encoding: gzip` is decoded (CI tools
/// send it); any other encoding is refused with 415.
pub async fn read(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    too_large: impl Fn() -> ApiError,
) -> Result<Bytes, ApiError> {
    let gzip = match headers
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("identity") | Some("") => false,
        Some("gzip") | Some("x-gzip") => true,
        Some(other) => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "Content-Encoding `{}` is not supported; send the body plain, or gzip-compressed with `Content-Encoding: gzip`",
                printable(other, 40)
            )))
        }
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
    {
        if len > limit {
            return Err(too_large());
        }
    }
    let bytes = to_bytes(body, limit).await.map_err(|_| too_large())?;
    if !gzip {
        return Ok(bytes);
    }
    // Decoded up to one byte past the limit, so that a gzip bomb costs at most `limit` bytes.
    tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes.as_ref())
            .take(limit as u64 + 1)
            .read_to_end(&mut out)
            .map(|_| out)
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("gzip decoder task: {e}")))?
    .map_err(|e| ApiError::BadRequest {
        error: format!("the body is not valid gzip ({e}); send it plain, or compress it with gzip"),
        line: None,
        field: None,
    })
    .and_then(|out| {
        if out.len() > limit {
            Err(too_large())
        } else {
            Ok(Bytes::from(out))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn only_json_types_are_accepted() {
        assert_eq!(
            kind(
                &with(&[("content-type", "application/json; charset=utf-8")]),
                true
            )
            .unwrap(),
            Kind::Json
        );
        assert_eq!(
            kind(&with(&[("content-type", "Application/X-NDJSON")]), true).unwrap(),
            Kind::Ndjson
        );
        for t in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonx",
        ] {
            let e = kind(&with(&[("content-type", t)]), true).unwrap_err();
            assert!(e.to_string().contains("application/x-ndjson"), "{t}: {e}");
        }
        assert!(kind(&HeaderMap::new(), true).is_err());
        assert!(kind(&with(&[("content-type", "application/x-ndjson")]), false).is_err());
    }
}
