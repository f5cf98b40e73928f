//! Who is calling: credential extraction, resolution through the session
//! service's `Authenticate` RPC (cached briefly), rate limiting, role checks.
//!
//! API keys and our own `/oauth2/token` tokens are forwarded verbatim: the
//! session service verifies them. External JWTs (Firebase, OIDC) are verified
//! here ([`crate::jwt`]); the session service is then called with the edge's
//! service key plus the verified tenant and user in `x-fitvision-on-behalf-of-*`
//! metadata, and it decides that identity's role and modules.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fitvision_proto::v1::{AuthenticateRequest, Principal, Role};
use sha2::{Digest, Sha256};
use tonic::metadata::{AsciiMetadataValue, MetadataMap, MetadataValue};

use crate::error::{ApiError, Family};
use crate::state::AppState;

/// How long a resolved credential is trusted without asking again.
const PRINCIPAL_TTL: Duration = Duration::from_secs(30);
const PRINCIPAL_CACHE_MAX: usize = 10_000;

/// Metadata naming the tenant the edge's service key acts for.
pub const ON_BEHALF_OF_TENANT: &str = "x-fitvision-on-behalf-of-tenant";
/// Metadata naming the user the edge's service key acts for.
pub const ON_BEHALF_OF_USER: &str = "x-fitvision-on-behalf-of-user";

/// The credential metadata every RPC made for a caller carries.
#[derive(Clone, Debug)]
pub struct ForwardedCredential {
    authorization: AsciiMetadataValue,
    on_behalf_of: Option<(AsciiMetadataValue, AsciiMetadataValue)>,
}

impl ForwardedCredential {
    /// A credential header value (API key or our own token), passed on as is.
    pub fn verbatim(credential: &str) -> Result<Self, InvalidCredential> {
        Ok(Self {
            authorization: MetadataValue::try_from(credential).map_err(|_| InvalidCredential)?,
            on_behalf_of: None,
        })
    }

    /// The edge's service key acting for a verified external identity.
    pub fn on_behalf_of(
        service_key: &str,
        tenant: &str,
        user: &str,
    ) -> Result<Self, InvalidCredential> {
        let value = |text: &str| MetadataValue::try_from(text).map_err(|_| InvalidCredential);
        Ok(Self {
            authorization: value(&format!("API-KEY {service_key}"))?,
            on_behalf_of: Some((value(tenant)?, value(user)?)),
        })
    }

    pub fn apply(&self, metadata: &mut MetadataMap) {
        metadata.insert("authorization", self.authorization.clone());
        if let Some((tenant, user)) = &self.on_behalf_of {
            metadata.insert(ON_BEHALF_OF_TENANT, tenant.clone());
            metadata.insert(ON_BEHALF_OF_USER, user.clone());
        }
    }
}

/// A credential that cannot travel as gRPC metadata (not visible ASCII).
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("credential is not visible ASCII text")]
pub struct InvalidCredential;

/// The authenticated caller, put in request extensions by [`authenticate`].
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Principal,
    /// Sent as metadata on every RPC made for this caller.
    pub forwarded: ForwardedCredential,
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
        self.forwarded.apply(request.metadata_mut());
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
        None => crate::failed_auth::peer_ip(request)
            .map(|ip| format!("ip:{ip}"))
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

/// Longest credential accepted: far above any API key or signed token we issue or
/// verify, and below what the gRPC metadata towards the session service carries (a
/// longer one would fail there as an internal error instead of a clear 431).
pub const MAX_CREDENTIAL_BYTES: usize = 8 * 1024;

/// Resolves a credential to a caller (401 when missing or refused, 431 when too long).
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
    if credential.len() > MAX_CREDENTIAL_BYTES {
        return Err(ApiError::new(
            family,
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!("the credential is longer than {MAX_CREDENTIAL_BYTES} bytes"),
        ));
    }
    if let Some(verifier) = state.jwt() {
        let token = strip_scheme(&credential);
        if crate::jwt::is_external_token(token) {
            return resolve_external(state, family, verifier, token).await;
        }
    }
    let forwarded = ForwardedCredential::verbatim(&credential)
        .map_err(|_| ApiError::unauthorized(family, "malformed Authorization header"))?;
    let request = tonic::Request::new(AuthenticateRequest {
        credential: credential.clone(),
    });
    let principal =
        cached_principal(state, family, fingerprint(&credential), &forwarded, request).await?;
    Ok(Caller {
        principal,
        forwarded,
    })
}

/// A verified external JWT: the session service resolves the identity it names.
async fn resolve_external(
    state: &AppState,
    family: Family,
    verifier: &crate::jwt::JwtVerifier,
    token: &str,
) -> Result<Caller, ApiError> {
    let identity = verifier.verify(token).await.map_err(|error| match error {
        crate::jwt::JwtError::KeysUnavailable(_) => {
            tracing::error!(%error, "external JWT could not be checked");
            ApiError::new(
                family,
                StatusCode::SERVICE_UNAVAILABLE,
                "token signing keys are unavailable; try again later",
            )
        }
        _ => ApiError::unauthorized(family, format!("invalid token: {error}")),
    })?;
    let service_key = state
        .config()
        .service_key
        .as_deref()
        .filter(|key| !key.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                family,
                StatusCode::SERVICE_UNAVAILABLE,
                "JWT sign-in needs the edge's service key (FITVISION_ADMIN_KEY)",
            )
        })?;
    let forwarded =
        ForwardedCredential::on_behalf_of(service_key, &identity.tenant, &identity.user).map_err(
            |_| ApiError::unauthorized(family, "the token's tenant or user is not ASCII text"),
        )?;
    let mut request = tonic::Request::new(AuthenticateRequest {
        credential: format!("API-KEY {service_key}"),
    });
    forwarded.apply(request.metadata_mut());
    let key: [u8; 32] = Sha256::digest(format!(
        "on-behalf-of\n{}\n{}",
        identity.tenant, identity.user
    ))
    .into();
    let principal = cached_principal(state, family, key, &forwarded, request).await?;
    // A session service that ignored the on-behalf-of metadata answers for the
    // service key itself: acting on that would make every token holder an admin.
    if principal.tenant_id != identity.tenant || principal.user_id != identity.user {
        tracing::error!(
            tenant = %identity.tenant,
            user = %identity.user,
            "session service did not act for the token's identity"
        );
        return Err(ApiError::new(
            family,
            StatusCode::SERVICE_UNAVAILABLE,
            "the session service does not accept identities verified by the edge",
        ));
    }
    Ok(Caller {
        principal,
        forwarded,
    })
}

/// The principal for `key`, from the cache or the session's `Authenticate`.
async fn cached_principal(
    state: &AppState,
    family: Family,
    key: [u8; 32],
    forwarded: &ForwardedCredential,
    mut request: tonic::Request<AuthenticateRequest>,
) -> Result<Principal, ApiError> {
    if let Some(principal) = state.principals().get(&key) {
        return Ok(principal);
    }
    forwarded.apply(request.metadata_mut());
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
    Ok(principal)
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
    // The opt-in public trainer: an anonymous client of that API acts with the public
    // key, still limited by its own address (the key above).
    let credential = credential.or_else(|| {
        (family == Family::Trainer)
            .then(|| state.config().public_trainer_key.as_deref())
            .flatten()
            .map(|key| format!("API-KEY {key}"))
    });
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
