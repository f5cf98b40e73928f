//! Verification of externally issued JWTs (Firebase Auth and other OIDC
//! issuers): the signature against a JWKS (file or URL, cached and refetched
//! when a token names an unknown `kid`) or a static public key, then `exp`,
//! `iss` and `aud`. A verified token yields who the caller is (user and
//! tenant); what that identity may do is the session service's decision
//! (see `auth::resolve`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

/// Signature algorithms accepted from external issuers. Symmetric ones are
/// excluded on purpose: an HS256 token could otherwise be forged with a
/// public key, and our own HS256 tokens are verified by the session service.
const ACCEPTED_ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Algorithm of the tokens the session service issues (`/oauth2/token`).
const OWN_TOKEN_ALGORITHM: &str = "HS256";

/// Keys are refetched at least this often, so rotated-out keys stop working.
const JWKS_MAX_AGE: Duration = Duration::from_secs(3600);
const JWKS_FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Clock skew tolerated on `exp`.
const LEEWAY_S: u64 = 5;

/// Settings of external JWT verification (`FITVISION_JWT_*`). Verification is
/// on when a JWKS or a public key is configured.
#[derive(Debug, Clone, clap::Args)]
pub struct JwtConfig {
    /// JWKS the signatures are checked against: a file path or an http(s) URL
    /// (Firebase: https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com).
    #[arg(long = "jwt-jwks", env = "FITVISION_JWT_JWKS")]
    pub jwks: Option<String>,
    /// PEM file of a static public key (RSA, EC or Ed25519), used for tokens
    /// the JWKS does not cover (no JWKS configured, or no `kid` in the token).
    #[arg(long = "jwt-public-key", env = "FITVISION_JWT_PUBLIC_KEY")]
    pub public_key: Option<PathBuf>,
    /// Required `iss` (Firebase: `https://securetoken.google.com/<project-id>`).
    #[arg(long = "jwt-issuer", env = "FITVISION_JWT_ISSUER")]
    pub issuer: Option<String>,
    /// Required `aud` (Firebase: the project id).
    #[arg(long = "jwt-audience", env = "FITVISION_JWT_AUDIENCE")]
    pub audience: Option<String>,
    /// Claim naming the caller's tenant; dots descend into objects
    /// (Firebase multi-tenancy: `firebase.tenant`).
    #[arg(
        long = "jwt-tenant-claim",
        env = "FITVISION_JWT_TENANT_CLAIM",
        default_value = "tenant_id"
    )]
    pub tenant_claim: String,
    /// Tenant of tokens without the tenant claim; without it they are refused.
    #[arg(long = "jwt-default-tenant", env = "FITVISION_JWT_DEFAULT_TENANT")]
    pub default_tenant: Option<String>,
    /// Least seconds between JWKS refetches caused by unknown `kid`s (bounds
    /// the fetches a caller can trigger with made-up key ids).
    #[arg(
        long = "jwt-jwks-min-refresh-s",
        env = "FITVISION_JWT_JWKS_MIN_REFRESH_S",
        default_value_t = 30
    )]
    pub jwks_min_refresh_s: u64,
}

impl Default for JwtConfig {
    fn default() -> Self {
        Self {
            jwks: None,
            public_key: None,
            issuer: None,
            audience: None,
            tenant_claim: "tenant_id".to_owned(),
            default_tenant: None,
            jwks_min_refresh_s: 30,
        }
    }
}

impl JwtConfig {
    pub fn enabled(&self) -> bool {
        self.jwks.is_some() || self.public_key.is_some()
    }
}

/// A configuration that cannot work (reported at start-up).
#[derive(Debug, thiserror::Error)]
pub enum JwtSetupError {
    #[error("JWT verification needs both FITVISION_JWT_ISSUER and FITVISION_JWT_AUDIENCE")]
    MissingIssuerOrAudience,
    #[error("cannot read the JWT public key {path}: {source}")]
    ReadKey {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the JWT public key {0} is not an RSA, EC or Ed25519 PEM public key")]
    ParseKey(PathBuf),
    #[error("building the JWKS client failed: {0}")]
    Client(String),
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("malformed token")]
    Malformed,
    #[error("token algorithm '{0}' is not accepted")]
    Algorithm(String),
    #[error("no trusted key for the token's kid {0:?}")]
    UnknownKey(Option<String>),
    #[error("{0}")]
    Invalid(jsonwebtoken::errors::Error),
    #[error("the token names no user (claims sub / user_id)")]
    NoUser,
    #[error("the token names no tenant (claim '{0}')")]
    NoTenant(String),
    /// The keys could not be loaded: our problem, not the caller's.
    #[error("the signing keys could not be loaded: {0}")]
    KeysUnavailable(String),
}

/// Who a verified token says the caller is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalIdentity {
    pub tenant: String,
    pub user: String,
}

/// The two header fields routing depends on.
#[derive(serde::Deserialize)]
struct RawHeader {
    alg: String,
}

/// True for a compact JWS whose algorithm is not the one our own tokens use:
/// such a token is for [`JwtVerifier::verify`], anything else (API keys, our
/// HS256 tokens) for the session service.
pub fn is_external_token(token: &str) -> bool {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<RawHeader>(&bytes).ok())
        .is_some_and(|header| header.alg != OWN_TOKEN_ALGORITHM)
}

struct TrustedKey {
    key: DecodingKey,
    /// The JWK's own `alg`, when it pins one.
    algorithm: Option<Algorithm>,
}

#[derive(Default)]
struct JwksState {
    keys: HashMap<String, TrustedKey>,
    fetched_at: Option<Instant>,
}

/// Verifies external JWTs; cheap to share behind an `Arc`.
pub struct JwtVerifier {
    issuer: String,
    audience: String,
    tenant_claim: String,
    default_tenant: Option<String>,
    static_key: Option<DecodingKey>,
    jwks_source: Option<String>,
    jwks_min_refresh: Duration,
    jwks: tokio::sync::Mutex<JwksState>,
    http: reqwest::Client,
}

impl JwtVerifier {
    /// `None` when no key source is configured.
    pub fn from_config(config: &JwtConfig) -> Result<Option<Self>, JwtSetupError> {
        if !config.enabled() {
            return Ok(None);
        }
        let (Some(issuer), Some(audience)) = (
            config.issuer.clone().filter(|s| !s.is_empty()),
            config.audience.clone().filter(|s| !s.is_empty()),
        ) else {
            return Err(JwtSetupError::MissingIssuerOrAudience);
        };
        let static_key = config.public_key.as_ref().map(load_pem_key).transpose()?;
        let http = reqwest::Client::builder()
            .timeout(JWKS_FETCH_TIMEOUT)
            .build()
            .map_err(|e| JwtSetupError::Client(e.to_string()))?;
        Ok(Some(Self {
            issuer,
            audience,
            tenant_claim: config.tenant_claim.clone(),
            default_tenant: config.default_tenant.clone().filter(|s| !s.is_empty()),
            static_key,
            jwks_source: config.jwks.clone().filter(|s| !s.is_empty()),
            jwks_min_refresh: Duration::from_secs(config.jwks_min_refresh_s),
            jwks: tokio::sync::Mutex::new(JwksState::default()),
            http,
        }))
    }

    /// Checks signature, `exp`, `iss` and `aud`; returns the caller's identity.
    pub async fn verify(&self, token: &str) -> Result<ExternalIdentity, JwtError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| {
            // `none` and unknown algorithms fail header parsing: name them.
            match token.split('.').next().and_then(|h| {
                let bytes = URL_SAFE_NO_PAD.decode(h.trim_end_matches('=')).ok()?;
                serde_json::from_slice::<RawHeader>(&bytes).ok()
            }) {
                Some(raw) => JwtError::Algorithm(raw.alg),
                None => JwtError::Malformed,
            }
        })?;
        if !ACCEPTED_ALGORITHMS.contains(&header.alg) {
            return Err(JwtError::Algorithm(format!("{:?}", header.alg)));
        }
        let key = self.key_for(header.kid.as_deref(), header.alg).await?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.leeway = LEEWAY_S;
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(JwtError::Invalid)?
            .claims;
        self.identity(&claims)
    }

    fn identity(&self, claims: &Map<String, Value>) -> Result<ExternalIdentity, JwtError> {
        let non_empty = |value: Option<&Value>| {
            value
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        // Firebase puts the uid in both; other issuers only in `sub`.
        let user = non_empty(claims.get("sub"))
            .or_else(|| non_empty(claims.get("user_id")))
            .ok_or(JwtError::NoUser)?;
        let tenant = non_empty(claim_at_path(claims, &self.tenant_claim))
            .or_else(|| self.default_tenant.clone())
            .ok_or_else(|| JwtError::NoTenant(self.tenant_claim.clone()))?;
        Ok(ExternalIdentity { tenant, user })
    }

    async fn key_for(
        &self,
        kid: Option<&str>,
        algorithm: Algorithm,
    ) -> Result<DecodingKey, JwtError> {
        let (Some(kid), Some(source)) = (kid, self.jwks_source.as_deref()) else {
            return self
                .static_key
                .clone()
                .ok_or_else(|| JwtError::UnknownKey(kid.map(str::to_owned)));
        };
        let mut state = self.jwks.lock().await;
        let stale = state
            .fetched_at
            .is_none_or(|at| at.elapsed() >= JWKS_MAX_AGE);
        let may_refresh_for_unknown = state
            .fetched_at
            .is_none_or(|at| at.elapsed() >= self.jwks_min_refresh);
        if stale || (!state.keys.contains_key(kid) && may_refresh_for_unknown) {
            match self.fetch_jwks(source).await {
                Ok(keys) => {
                    state.keys = keys;
                    state.fetched_at = Some(Instant::now());
                }
                // Keep serving the keys we have; only with none at all is it fatal.
                Err(error) if !state.keys.is_empty() => {
                    tracing::warn!(%error, "JWKS refresh failed; keeping the cached keys");
                }
                Err(error) => return Err(JwtError::KeysUnavailable(error)),
            }
        }
        let trusted = state
            .keys
            .get(kid)
            .ok_or_else(|| JwtError::UnknownKey(Some(kid.to_owned())))?;
        if trusted.algorithm.is_some_and(|pinned| pinned != algorithm) {
            return Err(JwtError::Algorithm(format!("{algorithm:?}")));
        }
        Ok(trusted.key.clone())
    }

    async fn fetch_jwks(&self, source: &str) -> Result<HashMap<String, TrustedKey>, String> {
        let body = if source.starts_with("http://") || source.starts_with("https://") {
            let response = self
                .http
                .get(source)
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(|e| format!("GET {source}: {e}"))?;
            response
                .bytes()
                .await
                .map_err(|e| format!("GET {source}: {e}"))?
                .to_vec()
        } else {
            tokio::fs::read(source)
                .await
                .map_err(|e| format!("reading {source}: {e}"))?
        };
        let set: JwkSet =
            serde_json::from_slice(&body).map_err(|e| format!("{source} is not a JWKS: {e}"))?;
        Ok(trusted_keys(&set))
    }
}

/// The verification keys of a JWKS, by `kid`: symmetric keys, encryption keys
/// and keys without a `kid` are left out.
fn trusted_keys(set: &JwkSet) -> HashMap<String, TrustedKey> {
    set.keys
        .iter()
        .filter(|jwk| !matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)))
        .filter(|jwk| !matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)))
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            let key = DecodingKey::from_jwk(jwk).ok()?;
            let algorithm = jwk
                .common
                .key_algorithm
                .and_then(|alg| alg.to_string().parse::<Algorithm>().ok());
            Some((kid, TrustedKey { key, algorithm }))
        })
        .collect()
}

fn load_pem_key(path: &PathBuf) -> Result<DecodingKey, JwtSetupError> {
    let pem = std::fs::read(path).map_err(|source| JwtSetupError::ReadKey {
        path: path.clone(),
        source,
    })?;
    DecodingKey::from_rsa_pem(&pem)
        .or_else(|_| DecodingKey::from_ec_pem(&pem))
        .or_else(|_| DecodingKey::from_ed_pem(&pem))
        .map_err(|_| JwtSetupError::ParseKey(path.clone()))
}

/// The value at a dotted claim path (`firebase.tenant`).
fn claim_at_path<'a>(claims: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut segments = path.split('.');
    let mut value = claims.get(segments.next()?)?;
    for segment in segments {
        value = value.as_object()?.get(segment)?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode_part(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn only_non_hs256_compact_tokens_are_external() {
        let body = encode_part(r#"{"sub":"u"}"#);
        let rs = format!("{}.{body}.sig", encode_part(r#"{"alg":"RS256","kid":"k"}"#));
        let hs = format!("{}.{body}.sig", encode_part(r#"{"alg":"HS256"}"#));
        let none = format!("{}.{body}.", encode_part(r#"{"alg":"none"}"#));
        assert!(is_external_token(&rs));
        assert!(is_external_token(&none));
        assert!(!is_external_token(&hs));
        assert!(!is_external_token("fvk_0123456789abcdef"));
        assert!(!is_external_token("a.b"));
        assert!(!is_external_token("not-base64!.b.c"));
    }

    #[test]
    fn dotted_claim_paths_descend_into_objects() {
        let claims: Map<String, Value> =
            serde_json::from_str(r#"{"tenant_id":"t1","firebase":{"tenant":"t2"}}"#).unwrap();
        assert_eq!(
            claim_at_path(&claims, "tenant_id"),
            Some(&Value::from("t1"))
        );
        assert_eq!(
            claim_at_path(&claims, "firebase.tenant"),
            Some(&Value::from("t2"))
        );
        assert_eq!(claim_at_path(&claims, "firebase.missing"), None);
        assert_eq!(claim_at_path(&claims, "tenant_id.deeper"), None);
    }

    #[test]
    fn issuer_and_audience_are_required_once_a_key_source_is_set() {
        let config = JwtConfig {
            jwks: Some("/nonexistent.json".into()),
            ..JwtConfig::default()
        };
        assert!(matches!(
            JwtVerifier::from_config(&config),
            Err(JwtSetupError::MissingIssuerOrAudience)
        ));
        assert!(
            JwtVerifier::from_config(&JwtConfig::default())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn symmetric_and_encryption_keys_of_a_jwks_are_not_trusted() {
        let set: JwkSet = serde_json::from_str(
            r#"{"keys":[
                {"kty":"oct","kid":"h","k":"c2VjcmV0"},
                {"kty":"EC","kid":"enc","use":"enc","crv":"P-256",
                 "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                 "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
                {"kty":"EC","kid":"sig","alg":"ES256","crv":"P-256",
                 "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                 "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#,
        )
        .unwrap();
        let keys = trusted_keys(&set);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys["sig"].algorithm, Some(Algorithm::ES256));
    }
}
