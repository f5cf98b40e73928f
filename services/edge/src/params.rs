//! Typed query parameters for every API family. Values stay text until the family's
//! own checks read them, so that a bad value gets that family's JSON 400 (its error
//! key and wording), not serde's or axum's plain-text rejection.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, ApiResult, Family};

/// Query parameters of one family's endpoint.
pub trait QueryParams: DeserializeOwned {
    /// The family whose error shape a bad query gets.
    const FAMILY: Family;
}

/// Extracts `T` from the query. The query is read as a map first so that a repeated
/// parameter keeps its last value, as the APIs always have (serde would refuse the
/// repeat).
pub struct Params<T>(pub T);

impl<T: QueryParams, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(map) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| ApiError::bad_request(T::FAMILY, rejection.body_text()))?;
        let object = map
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        serde_json::from_value(Value::Object(object))
            .map(Params)
            .map_err(|error| ApiError::bad_request(T::FAMILY, error.to_string()))
    }
}

/// A page size: `default` when absent, else an integer in 1..=`max`.
pub fn page_limit(raw: Option<&str>, default: u32, max: u32, family: Family) -> ApiResult<u32> {
    match raw {
        None => Ok(default),
        Some(raw) => match raw.trim().parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::bad_request(
                family,
                format!("limit must be an integer between 1 and {max}"),
            )),
        },
    }
}

/// The items of a comma-separated list, trimmed, empty items dropped.
pub fn comma_list(raw: Option<&str>) -> Vec<&str> {
    raw.map(|v| {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_bounded() {
        let family = Family::AiMove;
        assert_eq!(page_limit(None, 20, 100, family).unwrap(), 20);
        assert_eq!(page_limit(Some(" 100"), 20, 100, family).unwrap(), 100);
        assert!(page_limit(Some("101"), 20, 100, family).is_err());
        assert!(page_limit(Some("0"), 20, 100, family).is_err());
        assert!(page_limit(Some("x"), 50, 500, family).is_err());
    }

    #[test]
    fn comma_lists_drop_blanks() {
        assert_eq!(comma_list(Some(" j2p, ,analysis ")), ["j2p", "analysis"]);
        assert!(comma_list(None).is_empty());
    }
}
