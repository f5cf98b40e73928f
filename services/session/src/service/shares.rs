//! Share links: a revocable, read-only link to one session's result for someone
//! without an API key (a coach sends it to the athlete). The token is shown once;
//! only its sha256 is stored. Its holder reads the shared session through the
//! read RPCs and nothing else (see [`Principal::shared_session`]).

use fitvision_proto::v1 as pb;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use tonic::Status;

use crate::auth::{Principal, hash_secret};
use crate::context::AppContext;
use crate::convert::timestamp;
use crate::db::entity::{session, share_link};
use crate::db::{new_id, now_ms};
use crate::error::{SessionError, db_status};
use crate::service::sessions::{load_authorized, load_session_proto};

/// Lifetime of a link created without one.
pub const DEFAULT_TTL_SECS: u32 = 30 * 24 * 3600;
/// The longest lifetime a link may be given.
pub const MAX_TTL_SECS: u32 = 365 * 24 * 3600;
/// Scheme of the `authorization` metadata that carries a share token.
pub const SHARE_SCHEME: &str = "share ";

/// A fresh share token (244 random bits), recognisable in logs and leak scanners.
fn generate_token() -> String {
    format!(
        "fvshare_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn to_proto(model: &share_link::Model, now: i64) -> pb::ShareLink {
    pb::ShareLink {
        share_id: model.id.clone(),
        session_id: model.session_id.clone(),
        created_by: model.created_by.clone(),
        created_at: Some(timestamp(model.created_at)),
        expires_at: Some(timestamp(model.expires_at)),
        revoked_at: model.revoked_at.map(timestamp),
        active: model.revoked_at.is_none() && model.expires_at > now,
    }
}

pub async fn create(
    ctx: &AppContext,
    principal: &Principal,
    request: pb::CreateShareLinkRequest,
) -> Result<pb::CreateShareLinkResponse, Status> {
    let ttl = match request.ttl_seconds {
        0 => DEFAULT_TTL_SECS,
        ttl if ttl > MAX_TTL_SECS => {
            return Err(SessionError::InvalidArgument(format!(
                "ttl_seconds {ttl} is over the longest lifetime of a share link ({MAX_TTL_SECS} s = 365 days)"
            ))
            .into());
        }
        ttl => ttl,
    };
    let session = load_authorized(ctx, principal, &request.session_id).await?;
    let token = generate_token();
    let now = now_ms();
    let model = share_link::ActiveModel {
        id: Set(new_id()),
        tenant_id: Set(session.tenant_id.clone()),
        session_id: Set(session.id.clone()),
        created_by: Set(principal.user_id.clone()),
        token_hash: Set(hash_secret(&token)),
        created_at: Set(now),
        expires_at: Set(now + i64::from(ttl) * 1000),
        revoked_at: Set(None),
    }
    .insert(&ctx.db)
    .await
    .map_err(db_status)?;
    Ok(pb::CreateShareLinkResponse {
        share: Some(to_proto(&model, now)),
        token,
    })
}

pub async fn list(
    ctx: &AppContext,
    principal: &Principal,
    session_id: &str,
) -> Result<pb::ListShareLinksResponse, Status> {
    load_authorized(ctx, principal, session_id).await?;
    let now = now_ms();
    let shares = share_link::Entity::find()
        .filter(share_link::Column::SessionId.eq(session_id))
        .order_by_desc(share_link::Column::CreatedAt)
        .all(&ctx.db)
        .await
        .map_err(db_status)?;
    Ok(pb::ListShareLinksResponse {
        shares: shares.iter().map(|s| to_proto(s, now)).collect(),
    })
}

/// Revoked by whoever may manage the shared session (its owner, a manager of its
/// tenant); revoking twice keeps the first revocation time.
pub async fn revoke(
    ctx: &AppContext,
    principal: &Principal,
    share_id: &str,
) -> Result<pb::RevokeShareLinkResponse, Status> {
    let model = share_link::Entity::find_by_id(share_id.to_owned())
        .one(&ctx.db)
        .await
        .map_err(db_status)?
        .ok_or_else(|| SessionError::not_found("share link", share_id))?;
    principal.check_tenant(&model.tenant_id, "share link", share_id)?;
    load_authorized(ctx, principal, &model.session_id)
        .await
        .map_err(|status| match status.code() {
            // The link of a session the caller cannot see does not exist for them.
            tonic::Code::NotFound => SessionError::not_found("share link", share_id).into(),
            _ => status,
        })?;
    let now = now_ms();
    let model = if model.revoked_at.is_none() {
        let mut active = model.into_active_model();
        active.revoked_at = Set(Some(now));
        active.update(&ctx.db).await.map_err(db_status)?
    } else {
        model
    };
    Ok(pb::RevokeShareLinkResponse {
        share: Some(to_proto(&model, now)),
    })
}

/// The link a token opens and its session: NOT_FOUND for an unknown token (or a
/// deleted session), FAILED_PRECONDITION for a revoked or expired link.
async fn resolve(
    ctx: &AppContext,
    token: &str,
) -> Result<(share_link::Model, session::Model), Status> {
    let unknown = || SessionError::NotFound("share link not found".to_owned());
    let token = token.trim();
    if token.is_empty() {
        return Err(unknown().into());
    }
    let model = share_link::Entity::find()
        .filter(share_link::Column::TokenHash.eq(hash_secret(token)))
        .one(&ctx.db)
        .await
        .map_err(db_status)?
        .ok_or_else(unknown)?;
    if model.revoked_at.is_some() {
        return Err(SessionError::FailedPrecondition("share link revoked".to_owned()).into());
    }
    if model.expires_at <= now_ms() {
        return Err(SessionError::FailedPrecondition("share link expired".to_owned()).into());
    }
    let session = session::Entity::find_by_id(model.session_id.clone())
        .one(&ctx.db)
        .await
        .map_err(db_status)?
        .ok_or_else(unknown)?;
    Ok((model, session))
}

pub async fn open(ctx: &AppContext, token: &str) -> Result<pb::OpenShareLinkResponse, Status> {
    let (model, session) = resolve(ctx, token).await?;
    Ok(pb::OpenShareLinkResponse {
        share: Some(to_proto(&model, now_ms())),
        session: Some(load_session_proto(ctx, &session).await?),
    })
}

/// The token of `authorization: Share <token>` metadata, if that is its scheme.
pub fn share_token(metadata: &tonic::metadata::MetadataMap) -> Option<&str> {
    let value = metadata.get("authorization")?.to_str().ok()?.trim();
    let scheme = value.get(..SHARE_SCHEME.len())?;
    scheme
        .eq_ignore_ascii_case(SHARE_SCHEME)
        .then(|| value[SHARE_SCHEME.len()..].trim())
}

/// The principal of a share link's holder: the session owner's identity, confined to
/// the shared session, with no role beyond a user's and no module.
pub async fn reader(ctx: &AppContext, token: &str) -> Result<Principal, Status> {
    let (model, session) = resolve(ctx, token)
        .await
        .map_err(|status| Status::unauthenticated(format!("share link: {}", status.message())))?;
    Ok(Principal {
        tenant_id: session.tenant_id,
        user_id: session.user_id,
        role: pb::Role::User,
        scopes: Vec::new(),
        enabled_modules: Vec::new(),
        key_id: format!("share:{}", model.id),
        platform_admin: false,
        shared_session: Some(model.session_id),
    })
}
