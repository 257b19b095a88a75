//! Query-string parsing shared by every endpoint: known keys only, each at most once, no control
//! characters, and an error naming the parameter and the fix for anything else.
//!
//! Parameters are read from the raw query string here, once, and never again elsewhere: a
//! repeated parameter (`?team=own&team=other`) is refused, so that no two readers of the same
//! URL can disagree about which value counts.

use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use nagare_core::query::{fields_of, from_pairs};
use nagare_core::text::printable;
use serde::de::DeserializeOwned;

/// The decoded `(key, value)` pairs of a query string, or the first key given twice.
pub fn pairs(query: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if out.iter().any(|(seen, _)| *seen == k) {
            let k = printable(&k, 40);
            return Err(ApiError::bad_param(
                &k,
                format!("query parameter `{k}` is given more than once; give each parameter once"),
            ));
        }
        out.push((k.into_owned(), v.into_owned()));
    }
    Ok(out)
}

/// Refuses a repeated query parameter on every route, before anything reads the query.
pub async fn refuse_repeated(req: Request, next: Next) -> Response {
    match pairs(req.uri().query()) {
        Ok(_) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses `query`, refusing any parameter not in `known` (so a typo is not silently
    /// ignored), any given twice, and control characters in values.
    pub fn parse(query: Option<&str>, known: &[&str]) -> Result<Params, ApiError> {
        let pairs = pairs(query)?;
        if let Some((k, _)) = pairs.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            let k = printable(k, 40);
            let accepted = if known.is_empty() {
                "this endpoint takes no query parameters".to_owned()
            } else {
                format!("this endpoint accepts {}", known.join(", "))
            };
            return Err(ApiError::bad_param(
                &k,
                format!("unknown query parameter `{k}`; {accepted}"),
            ));
        }
        if let Some((k, _)) = pairs.iter().find(|(_, v)| v.chars().any(char::is_control)) {
            return Err(ApiError::bad_param(
                k,
                format!("`{k}` holds a control character; send plain text"),
            ));
        }
        Ok(Params { pairs })
    }

    /// Like [`Params::parse`], but other parameters are allowed and ignored (an identity
    /// provider's callback adds its own, such as `iss` or `session_state`).
    pub fn lenient(query: Option<&str>) -> Result<Params, ApiError> {
        Ok(Params {
            pairs: pairs(query)?,
        })
    }

    /// The value, with empty strings read as absent.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// A query struct of `nagare_core::query` read from the request: every parameter one of its
/// fields, each at most once, no control characters, each value of its field's type.
pub fn typed<T: DeserializeOwned>(query: Option<&str>) -> Result<T, ApiError> {
    let p = Params::parse(query, fields_of::<T>())?;
    Ok(from_pairs(&p.pairs)?)
}

/// The extractor form of [`typed`]: `Query(q): Query<DeploymentQuery>`.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        typed(parts.uri.query()).map(Query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(e: ApiError) -> Option<String> {
        match e {
            ApiError::BadRequest { field, .. } => field,
            _ => None,
        }
    }

    #[test]
    fn repeated_unknown_and_control_parameters_are_named() {
        for q in [
            "team=own&team=other",
            "team=own&team=",
            "service=a&service=b",
            "team=a&x=1&team=b",
        ] {
            let e = Params::parse(Some(q), &["team", "service", "x"])
                .err()
                .unwrap_or_else(|| panic!("{q} accepted"));
            assert!(e.to_string().contains("more than once"), "{q}: {e}");
        }
        let e = Params::parse(Some("tema=a"), &["team"]).err().unwrap();
        assert_eq!(field(e).as_deref(), Some("tema"));
        let e = Params::parse(Some("team=a%00b"), &["team"]).err().unwrap();
        assert_eq!(field(e).as_deref(), Some("team"));
        let p = Params::parse(Some("team=a+b&service="), &["team", "service"]).unwrap();
        assert_eq!((p.get("team"), p.get("service")), (Some("a b"), None));
        assert!(Params::lenient(Some("state=s&iss=x&session_state=y")).is_ok());
        assert!(Params::lenient(Some("state=s&state=t")).is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_query_string_parses_or_names_the_parameter(q in "\\PC{0,80}") {
            match typed::<nagare_core::query::IncidentQuery>(Some(&q)) {
                Ok(_) => {}
                Err(ApiError::BadRequest { error, field, .. }) => {
                    proptest::prop_assert!(!error.is_empty());
                    proptest::prop_assert!(field.is_some());
                }
                Err(other) => proptest::prop_assert!(false, "unexpected {other:?}"),
            }
        }
    }
}
