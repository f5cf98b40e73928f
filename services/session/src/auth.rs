//! Credentials: API keys (only their sha256 is stored), signed access tokens,
//! and the principal every RPC acts for.

use std::time::Duration;

use fitvision_proto::v1 as pb;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tonic::Status;

use crate::db::entity::{api_key, setting, tenant};
use crate::db::now_ms;
use crate::error::{SessionError, db_status};

/// Key id of the admin key configured by `FITVISION_ADMIN_KEY`; also the
/// OAuth client id that goes with it.
pub const ADMIN_KEY_ID: &str = "admin";
pub(crate) const TOKEN_SECRET_SETTING: &str = "token_signing_secret";

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub tenant_id: String,
    pub user_id: String,
    pub role: pb::Role,
    pub scopes: Vec<String>,
    pub enabled_modules: Vec<String>,
    pub key_id: String,
    /// An admin of the default tenant: may act in every tenant.
    pub platform_admin: bool,
    /// Set for the holder of a share link: reads this one session and nothing else.
    pub shared_session: Option<String>,
}

impl Principal {
    /// Admins and sub-admins manage everything in their tenant.
    pub fn is_manager(&self) -> bool {
        matches!(self.role, pb::Role::Admin | pb::Role::SubAdmin)
    }

    pub fn is_admin(&self) -> bool {
        self.role == pb::Role::Admin
    }

    pub fn to_proto(&self) -> pb::Principal {
        pb::Principal {
            tenant_id: self.tenant_id.clone(),
            user_id: self.user_id.clone(),
            role: self.role as i32,
            scopes: self.scopes.clone(),
            enabled_modules: self.enabled_modules.clone(),
            key_id: self.key_id.clone(),
        }
    }

    /// NOT_FOUND for every session but the shared one, for a share link's holder.
    pub fn check_shared(&self, session_id: &str) -> Result<(), Status> {
        match &self.shared_session {
            Some(shared) if shared != session_id => {
                Err(SessionError::not_found("session", session_id).into())
            }
            _ => Ok(()),
        }
    }

    /// NOT_FOUND for objects of another tenant (their existence is not revealed).
    pub fn check_tenant(&self, tenant_id: &str, what: &str, id: &str) -> Result<(), Status> {
        if self.platform_admin || self.tenant_id == tenant_id {
            Ok(())
        } else {
            Err(SessionError::not_found(what, id).into())
        }
    }

    /// Tenant check plus ownership: users only reach their own objects.
    pub fn check_owner(
        &self,
        tenant_id: &str,
        user_id: &str,
        what: &str,
        id: &str,
    ) -> Result<(), Status> {
        self.check_tenant(tenant_id, what, id)?;
        if self.is_manager() || self.user_id == user_id {
            Ok(())
        } else {
            Err(
                SessionError::PermissionDenied(format!("{what} '{id}' belongs to another user"))
                    .into(),
            )
        }
    }

    pub fn require_manager(&self) -> Result<(), Status> {
        if self.is_manager() {
            Ok(())
        } else {
            Err(
                SessionError::PermissionDenied("admin or sub-admin role required".to_owned())
                    .into(),
            )
        }
    }

    pub fn require_admin(&self) -> Result<(), Status> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(SessionError::PermissionDenied("admin role required".to_owned()).into())
        }
    }

    pub fn require_module(&self, module: &str) -> Result<(), Status> {
        if self.enabled_modules.iter().any(|m| m == module) {
            Ok(())
        } else {
            Err(SessionError::PermissionDenied(format!(
                "the {module} module is not enabled for tenant '{}'",
                self.tenant_id
            ))
            .into())
        }
    }
}

pub fn role_name(role: pb::Role) -> &'static str {
    match role {
        pb::Role::Admin => "admin",
        pb::Role::SubAdmin => "sub-admin",
        _ => "user",
    }
}

pub fn role_from_name(name: &str) -> pb::Role {
    match name {
        "admin" => pb::Role::Admin,
        "sub-admin" => pb::Role::SubAdmin,
        _ => pb::Role::User,
    }
}

/// Strips `API-KEY `, `Bearer ` (any case) or nothing from a header value.
pub fn strip_scheme(credential: &str) -> &str {
    let trimmed = credential.trim();
    for scheme in ["api-key ", "bearer ", "token "] {
        if trimmed.len() > scheme.len() && trimmed[..scheme.len()].eq_ignore_ascii_case(scheme) {
            return trimmed[scheme.len()..].trim();
        }
    }
    trimmed
}

pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A fresh high-entropy API key (244 random bits).
pub fn generate_secret() -> String {
    format!(
        "fvk_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    tid: String,
    role: String,
    kid: String,
    scopes: Vec<String>,
    iat: i64,
    nbf: i64,
    exp: i64,
}

/// Issuer of the access tokens this service signs; a token naming another is refused.
pub const TOKEN_ISSUER: &str = "fitvision-session";

/// Longest lifetime (`exp - iat`) of a token that is accepted, whatever the signature:
/// a token minted with the secret for years is refused.
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 24 * 3600;

/// Resolves credentials to principals.
#[derive(Clone)]
pub struct Authenticator {
    db: DatabaseConnection,
    encoding: EncodingKey,
    decoding: DecodingKey,
    default_tenant: String,
    token_ttl: Duration,
}

impl Authenticator {
    /// Loads (or creates on first start) the token signing secret, so every
    /// replica and restart accepts the same tokens. `configured_secret` wins.
    pub async fn new(
        db: DatabaseConnection,
        default_tenant: String,
        token_ttl: Duration,
        configured_secret: Option<String>,
    ) -> Result<Self, sea_orm::DbErr> {
        let secret = match configured_secret.filter(|s| !s.is_empty()) {
            Some(secret) => secret,
            None => load_or_create_setting(&db, TOKEN_SECRET_SETTING, generate_secret).await?,
        };
        Ok(Self {
            db,
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            default_tenant,
            // Tokens longer-lived than the verifier accepts would be useless.
            token_ttl: token_ttl.min(Duration::from_secs(MAX_TOKEN_LIFETIME_SECS as u64)),
        })
    }

    pub fn default_tenant(&self) -> &str {
        &self.default_tenant
    }

    /// The principal of a request's `authorization` metadata.
    pub async fn from_metadata(
        &self,
        metadata: &tonic::metadata::MetadataMap,
    ) -> Result<Principal, Status> {
        let value = metadata.get("authorization").ok_or_else(|| {
            SessionError::Unauthenticated("missing authorization credential".to_owned())
        })?;
        let credential = value.to_str().map_err(|_| {
            SessionError::Unauthenticated("authorization metadata is not text".to_owned())
        })?;
        self.authenticate(credential).await
    }

    /// Accepts `API-KEY <key>`, `Bearer <token-or-key>` or the bare value.
    pub async fn authenticate(&self, credential: &str) -> Result<Principal, Status> {
        let value = strip_scheme(credential);
        if value.is_empty() {
            return Err(SessionError::Unauthenticated("empty credential".to_owned()).into());
        }
        if value.split('.').count() == 3 {
            return self.authenticate_token(value).await;
        }
        let key = api_key::Entity::find()
            .filter(api_key::Column::KeyHash.eq(hash_secret(value)))
            .one(&self.db)
            .await
            .map_err(db_status)?
            .ok_or_else(|| SessionError::Unauthenticated("invalid API key".to_owned()))?;
        if key.revoked_at.is_some() {
            return Err(SessionError::Unauthenticated("API key revoked".to_owned()).into());
        }
        self.principal_for(&key).await
    }

    async fn authenticate_token(&self, token: &str) -> Result<Principal, Status> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.validate_nbf = true;
        validation.set_issuer(&[TOKEN_ISSUER]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "sub"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|e| SessionError::Unauthenticated(format!("invalid token: {e}")))?
            .claims;
        let now = now_ms() / 1000;
        if claims.exp - claims.iat > MAX_TOKEN_LIFETIME_SECS || claims.iat > now + 5 {
            return Err(SessionError::Unauthenticated(format!(
                "invalid token: lifetime over {MAX_TOKEN_LIFETIME_SECS} s or issued in the future"
            ))
            .into());
        }
        let key = api_key::Entity::find_by_id(claims.kid.clone())
            .one(&self.db)
            .await
            .map_err(db_status)?
            .ok_or_else(|| {
                SessionError::Unauthenticated("token's key no longer exists".to_owned())
            })?;
        if key.revoked_at.is_some() {
            return Err(SessionError::Unauthenticated("token's key was revoked".to_owned()).into());
        }
        self.principal_for(&key).await
    }

    async fn principal_for(&self, key: &api_key::Model) -> Result<Principal, Status> {
        let enabled_modules = tenant::Entity::find_by_id(key.tenant_id.clone())
            .one(&self.db)
            .await
            .map_err(db_status)?
            .map(|t| serde_json::from_str(&t.enabled_modules).unwrap_or_default())
            .unwrap_or_default();
        let role = role_from_name(&key.role);
        Ok(Principal {
            platform_admin: role == pb::Role::Admin && key.tenant_id == self.default_tenant,
            tenant_id: key.tenant_id.clone(),
            user_id: key.user_id.clone(),
            role,
            scopes: serde_json::from_str(&key.scopes).unwrap_or_default(),
            enabled_modules,
            key_id: key.id.clone(),
            shared_session: None,
        })
    }

    /// OAuth2 client credentials: client id = key id (`admin` for the
    /// configured admin key), secret = the key.
    pub async fn issue_token(
        &self,
        client_id: &str,
        secret: &str,
    ) -> Result<(String, Duration), Status> {
        let key = api_key::Entity::find_by_id(client_id.to_owned())
            .one(&self.db)
            .await
            .map_err(db_status)?;
        let key = key
            .filter(|k| k.revoked_at.is_none() && k.key_hash == hash_secret(secret))
            .ok_or_else(|| {
                SessionError::Unauthenticated("invalid client credentials".to_owned())
            })?;
        let now = now_ms() / 1000;
        let claims = Claims {
            iss: TOKEN_ISSUER.to_owned(),
            sub: key.user_id.clone(),
            tid: key.tenant_id.clone(),
            role: key.role.clone(),
            kid: key.id.clone(),
            scopes: serde_json::from_str(&key.scopes).unwrap_or_default(),
            iat: now,
            nbf: now,
            exp: now + self.token_ttl.as_secs() as i64,
        };
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
                .map_err(|e| SessionError::Internal(format!("signing the token failed: {e}")))?;
        Ok((token, self.token_ttl))
    }

    /// Stores a key (hash only). Returns the plaintext once.
    pub async fn create_key(
        &self,
        tenant_id: &str,
        user_id: &str,
        role: pb::Role,
        scopes: &[String],
    ) -> Result<(String, String), sea_orm::DbErr> {
        let key_id = format!("key_{}", uuid::Uuid::new_v4().simple());
        let secret = generate_secret();
        store_key(&self.db, &key_id, tenant_id, user_id, role, scopes, &secret).await?;
        Ok((key_id, secret))
    }
}

async fn store_key(
    db: &DatabaseConnection,
    key_id: &str,
    tenant_id: &str,
    user_id: &str,
    role: pb::Role,
    scopes: &[String],
    secret: &str,
) -> Result<(), sea_orm::DbErr> {
    api_key::ActiveModel {
        id: Set(key_id.to_owned()),
        tenant_id: Set(tenant_id.to_owned()),
        user_id: Set(user_id.to_owned()),
        role: Set(role_name(role).to_owned()),
        scopes: Set(serde_json::to_string(scopes).unwrap_or_else(|_| "[]".into())),
        key_hash: Set(hash_secret(secret)),
        created_at: Set(now_ms()),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Makes the admin key valid: the configured one (replacing an older hash),
/// or, when none is configured and none exists yet, a generated one that is
/// returned so it can be printed once.
pub async fn ensure_admin_key(
    db: &DatabaseConnection,
    tenant_id: &str,
    configured: Option<&str>,
) -> Result<Option<String>, sea_orm::DbErr> {
    let existing = api_key::Entity::find_by_id(ADMIN_KEY_ID.to_owned())
        .one(db)
        .await?;
    match (configured.filter(|k| !k.is_empty()), existing) {
        (Some(key), Some(existing)) => {
            if existing.key_hash != hash_secret(key) || existing.revoked_at.is_some() {
                let mut active: api_key::ActiveModel = existing.into();
                active.key_hash = Set(hash_secret(key));
                active.revoked_at = Set(None);
                active.update(db).await?;
            }
            Ok(None)
        }
        (Some(key), None) => {
            store_key(
                db,
                ADMIN_KEY_ID,
                tenant_id,
                ADMIN_KEY_ID,
                pb::Role::Admin,
                &[],
                key,
            )
            .await?;
            Ok(None)
        }
        (None, Some(_)) => Ok(None),
        (None, None) => {
            let key = generate_secret();
            store_key(
                db,
                ADMIN_KEY_ID,
                tenant_id,
                ADMIN_KEY_ID,
                pb::Role::Admin,
                &[],
                &key,
            )
            .await?;
            Ok(Some(key))
        }
    }
}

async fn load_or_create_setting(
    db: &DatabaseConnection,
    key: &str,
    create: impl Fn() -> String,
) -> Result<String, sea_orm::DbErr> {
    if let Some(found) = setting::Entity::find_by_id(key.to_owned()).one(db).await? {
        return Ok(found.value);
    }
    let value = create();
    let inserted = setting::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.clone()),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => Ok(value),
        // Another replica created it first: use theirs.
        Err(error) if crate::db::is_unique_violation(&error) => {
            setting::Entity::find_by_id(key.to_owned())
                .one(db)
                .await?
                .map(|s| s.value)
                .ok_or(error)
        }
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_are_stripped() {
        assert_eq!(strip_scheme("API-KEY abc"), "abc");
        assert_eq!(strip_scheme("api-key  abc "), "abc");
        assert_eq!(strip_scheme("Bearer a.b.c"), "a.b.c");
        assert_eq!(strip_scheme("abc"), "abc");
        assert_eq!(strip_scheme("  "), "");
    }

    #[test]
    fn generated_secrets_are_unique_and_long() {
        let a = generate_secret();
        assert_ne!(a, generate_secret());
        assert!(a.len() > 60);
        assert_eq!(hash_secret("x").len(), 64);
    }
}
