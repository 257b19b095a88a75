//! Query-string parsing shared by the list and metric endpoints: known keys only, and an
//! error naming the parameter and the fix for anything else.

use crate::error::ApiError;
use nagare_core::Timestamp;
use std::collections::HashMap;

pub struct Params {
    map: HashMap<String, String>,
}

impl Params {
    /// Rejects any parameter not in `known`, so a typo is not silently ignored.
    pub fn new(map: HashMap<String, String>, known: &[&str]) -> Result<Params, ApiError> {
        if let Some(k) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(ApiError::bad_param(
                k,
                format!(
                    "unknown query parameter `{k}`; this endpoint accepts {}",
                    known.join(", ")
                ),
            ));
        }
        Ok(Params { map })
    }

    /// The value, with empty strings read as absent.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.map
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn string(&self, key: &str) -> Option<String> {
        self.get(key).map(str::to_owned)
    }

    pub fn time(&self, key: &str) -> Result<Option<Timestamp>, ApiError> {
        self.get(key)
            .map(|v| {
                Timestamp::parse(v).map_err(|e| ApiError::bad_param(key, format!("`{key}`: {e}")))
            })
            .transpose()
    }

    pub fn parse_with<T>(
        &self,
        key: &str,
        expected: &str,
        f: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, ApiError> {
        self.get(key)
            .map(|v| {
                f(v).ok_or_else(|| {
                    ApiError::bad_param(key, format!("`{key}` is `{v}`; expected {expected}"))
                })
            })
            .transpose()
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        self.parse_with(key, "true or false", |v| match v {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        })
    }

    /// `page` (1-based) and `per_page` (1–500, default 50).
    pub fn paging(&self) -> Result<(u32, u32), ApiError> {
        let page = self.parse_with("page", "a page number from 1", |v| {
            v.parse::<u32>().ok().filter(|p| *p >= 1)
        })?;
        let per_page = self.parse_with("per_page", "a number from 1 to 500", |v| {
            v.parse::<u32>().ok().filter(|p| (1..=500).contains(p))
        })?;
        Ok((page.unwrap_or(1), per_page.unwrap_or(50)))
    }
}
