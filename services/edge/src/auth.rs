//! Who is calling: credential extraction, resolution through the session
//! service's `Authenticate` RPC (cached briefly), rate limiting, role checks.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fitvision_proto::v1::{AuthenticateRequest, Principal, Role};
use sha2::{Digest, Sha256};
use tonic::metadata::{AsciiMetadataValue, MetadataValue};

use crate::error::{ApiError, Family};
use crate::state::AppState;

/// How long a resolved credential is trusted without asking again.
const PRINCIPAL_TTL: Duration = Duration::from_secs(30);
const PRINCIPAL_CACHE_MAX: usize = 10_000;

/// The authenticated caller, put in request extensions by [`authenticate`].
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Principal,
    /// Forwarded verbatim as `authorization` metadata on every RPC.
    pub authorization: AsciiMetadataValue,
}

impl Caller {
    pub fn role(&self) -> Role {
        self.principal.role()
    }

    pub fn is_admin(&self) -> bool {
        matches!(self.role(), Role::Admin | Role::SubAdmin)
    }

    pub fn has_module(&self, module: &str) -> bool {
        self.principal.enabled_modules.iter().any(|m| m == module)
    }

    /// Wraps a message in a request carrying the caller's credential.
    pub fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request
            .metadata_mut()
            .insert("authorization", self.authorization.clone());
        request
    }
}

/// The credential of a request: `Authorization` (`API-KEY k`, `Bearer t`,
/// `Token t` or the bare key), else `X-API-Key`.
pub fn credential(headers: &HeaderMap) -> Option<String> {
    let raw = headers
        .get(header::AUTHORIZATION)
        .or_else(|| headers.get("x-api-key"))?
        .to_str()
        .ok()?
        .trim();
    let secret = strip_scheme(raw);
    (!secret.is_empty()).then(|| raw.to_owned())
}

/// The secret part of a credential header value.
pub fn strip_scheme(raw: &str) -> &str {
    let raw = raw.trim();
    for scheme in ["api-key", "bearer", "token", "apikey"] {
        if raw.eq_ignore_ascii_case(scheme) {
            return "";
        }
        if raw.len() > scheme.len()
            && raw[..scheme.len()].eq_ignore_ascii_case(scheme)
            && raw.as_bytes()[scheme.len()].is_ascii_whitespace()
        {
            return raw[scheme.len()..].trim();
        }
    }
    raw
}

fn fingerprint(credential: &str) -> [u8; 32] {
    Sha256::digest(strip_scheme(credential).as_bytes()).into()
}

/// Short-lived cache of credential -> principal.
#[derive(Default)]
pub struct PrincipalCache {
    entries: Mutex<HashMap<[u8; 32], (Principal, Instant)>>,
}

impl PrincipalCache {
    fn get(&self, key: &[u8; 32]) -> Option<Principal> {
        let entries = self.entries.lock().ok()?;
        let (principal, at) = entries.get(key)?;
        (at.elapsed() < PRINCIPAL_TTL).then(|| principal.clone())
    }

    fn put(&self, key: [u8; 32], principal: Principal) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= PRINCIPAL_CACHE_MAX {
                entries.retain(|_, (_, at)| at.elapsed() < PRINCIPAL_TTL);
                if entries.len() >= PRINCIPAL_CACHE_MAX {
                    entries.clear();
                }
            }
            entries.insert(key, (principal, Instant::now()));
        }
    }
}

/// Rate-limit key for a request: the credential's fingerprint, else the peer.
pub fn rate_key(request: &Request, credential: Option<&str>) -> String {
    match credential {
        Some(credential) => hex::encode(&fingerprint(credential)[..12]),
        None => request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| format!("ip:{}", addr.ip()))
            .unwrap_or_else(|| "anonymous".to_owned()),
    }
}

/// Applies the per-key rate limit; `Err` is the 429 response.
pub fn enforce_rate_limit(state: &AppState, family: Family, key: &str) -> Result<(), ApiError> {
    state.limiter().check(key).map_err(|retry_after_s| {
        let mut error = ApiError::new(
            family,
            StatusCode::TOO_MANY_REQUESTS,
            format!("rate limit exceeded, retry in {retry_after_s} s"),
        );
        error.retry_after_s = Some(retry_after_s);
        error
    })
}

/// Resolves a credential to a caller (401 when missing or refused).
pub async fn resolve(
    state: &AppState,
    family: Family,
    credential: Option<String>,
) -> Result<Caller, ApiError> {
    let Some(credential) = credential else {
        return Err(ApiError::unauthorized(
            family,
            "missing credentials: send Authorization: API-KEY <key> or Bearer <token>",
        ));
    };
    let authorization: AsciiMetadataValue = MetadataValue::try_from(credential.as_str())
        .map_err(|_| ApiError::unauthorized(family, "malformed Authorization header"))?;
    let key = fingerprint(&credential);
    if let Some(principal) = state.principals().get(&key) {
        return Ok(Caller {
            principal,
            authorization,
        });
    }
    let mut request = tonic::Request::new(AuthenticateRequest {
        credential: credential.clone(),
    });
    request
        .metadata_mut()
        .insert("authorization", authorization.clone());
    let principal = match state.session().authenticate(request).await {
        Ok(response) => response.into_inner().principal,
        Err(status) => {
            return Err(match status.code() {
                tonic::Code::Unauthenticated
                | tonic::Code::NotFound
                | tonic::Code::InvalidArgument
                | tonic::Code::PermissionDenied => {
                    ApiError::unauthorized(family, "invalid or expired credentials")
                }
                _ => ApiError::from_status(family, &status),
            });
        }
    };
    let Some(principal) = principal else {
        return Err(ApiError::unauthorized(
            family,
            "invalid or expired credentials",
        ));
    };
    state.principals().put(key, principal.clone());
    Ok(Caller {
        principal,
        authorization,
    })
}

/// Middleware: rate limit, then authenticate; puts [`Caller`] in extensions.
pub async fn authenticate(
    State((state, family)): State<(AppState, Family)>,
    mut request: Request,
    next: Next,
) -> Response {
    let credential = credential(request.headers());
    let key = rate_key(&request, credential.as_deref());
    if let Err(error) = enforce_rate_limit(&state, family, &key) {
        return error.into_response();
    }
    match resolve(&state, family, credential).await {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

/// Middleware for public routes: rate limit by credential or client address.
pub async fn rate_limit_only(
    State((state, family)): State<(AppState, Family)>,
    request: Request,
    next: Next,
) -> Response {
    let credential = credential(request.headers());
    let key = rate_key(&request, credential.as_deref());
    if let Err(error) = enforce_rate_limit(&state, family, &key) {
        return error.into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_known_schemes_case_insensitively() {
        assert_eq!(strip_scheme("API-KEY abc"), "abc");
        assert_eq!(strip_scheme("Bearer  t.o.k"), "t.o.k");
        assert_eq!(strip_scheme("bearer x"), "x");
        assert_eq!(strip_scheme("abc"), "abc");
        // A bare key that merely starts with a scheme name stays whole.
        assert_eq!(strip_scheme("bearerish"), "bearerish");
    }

    #[test]
    fn same_secret_in_any_scheme_shares_a_fingerprint() {
        assert_eq!(fingerprint("API-KEY k1"), fingerprint("Bearer k1"));
        assert_eq!(fingerprint("k1"), fingerprint("Bearer k1"));
        assert_ne!(fingerprint("k1"), fingerprint("k2"));
    }

    #[test]
    fn credential_reads_authorization_then_x_api_key() {
        let mut headers = HeaderMap::new();
        assert_eq!(credential(&headers), None);
        headers.insert("x-api-key", "xk".parse().unwrap());
        assert_eq!(credential(&headers).as_deref(), Some("xk"));
        headers.insert(header::AUTHORIZATION, "Bearer tok".parse().unwrap());
        assert_eq!(credential(&headers).as_deref(), Some("Bearer tok"));
        headers.insert(header::AUTHORIZATION, "Bearer ".parse().unwrap());
        assert_eq!(credential(&headers), None);
    }
}
