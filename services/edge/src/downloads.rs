//! Signed, expiring downloads of stored objects with HTTP Range support
//! (browsers seek in the analysed video).

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::error::{ApiError, Family};
use crate::signing::{SignatureError, now_s};
use crate::state::AppState;

/// Where stored objects are read from for downloads.
#[derive(Clone, Debug)]
pub enum ObjectFiles {
    /// The suite's object store (local directory or S3-compatible).
    Store(fitvision_storage::Storage),
    /// No store configured: downloads answer 503.
    Unconfigured,
}

impl ObjectFiles {
    pub fn from_url(url: Option<&str>) -> anyhow::Result<Self> {
        match url {
            None | Some("") => Ok(Self::Unconfigured),
            Some(url) => Ok(Self::Store(fitvision_storage::Storage::from_url(url)?)),
        }
    }
}

/// Whether a key is a plain relative path (no `..`, no root).
pub fn is_safe_key(key: &str) -> bool {
    !key.is_empty()
        && Path::new(key)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

/// `GET /files/{*key}?expires=..&sig=..`
pub async fn download(
    State(state): State<AppState>,
    UrlPath(key): UrlPath<String>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let family = Family::Plain;
    let expires = query.get("expires").and_then(|v| v.parse::<u64>().ok());
    let (Some(expires), Some(sig)) = (expires, query.get("sig")) else {
        return ApiError::forbidden(family, "missing expires/sig: request a fresh signed URL")
            .into_response();
    };
    match state.signer().verify_download(&key, expires, sig, now_s()) {
        Ok(()) => {}
        Err(SignatureError::Expired) => {
            return ApiError::forbidden(family, "this download URL has expired").into_response();
        }
        Err(_) => {
            return ApiError::forbidden(family, "invalid download signature").into_response();
        }
    }
    let ObjectFiles::Store(storage) = state.files() else {
        return ApiError::new(
            family,
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "downloads are not configured on this edge (set FITVISION_STORAGE_URL)",
        )
        .into_response();
    };
    if !is_safe_key(&key) {
        return ApiError::not_found(family, "object not found").into_response();
    }
    let copy = match storage.local_copy(&key).await {
        Ok(copy) => copy,
        Err(fitvision_storage::StorageError::NotFound { .. }) => {
            return ApiError::not_found(family, "object not found").into_response();
        }
        Err(error) => {
            return ApiError::internal(family, format!("could not read the object: {error}"))
                .into_response();
        }
    };
    let path: PathBuf = copy.as_ref().to_path_buf();
    // ServeFile answers Range, If-Modified-Since and HEAD itself.
    // ServeFile opens the file before answering, so a temporary copy may be
    // dropped (unlinked) once the response exists: the open handle stays valid.
    let served = ServeFile::new(&path).oneshot(request).await;
    drop(copy);
    match served {
        Ok(response) => {
            let mut response = response.into_response();
            response.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("private, max-age=300"),
            );
            response
        }
        Err(error) => ApiError::internal(family, format!("could not read the object: {error}"))
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_keys_escaping_the_store() {
        assert!(is_safe_key("videos/a/original.mp4"));
        assert!(!is_safe_key("../etc/passwd"));
        assert!(!is_safe_key("/etc/passwd"));
        assert!(!is_safe_key("a/../../b"));
        assert!(!is_safe_key(""));
    }
}
