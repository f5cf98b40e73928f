//! Tenants, users and API keys.

use fitvision_proto::v1 as pb;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use tonic::Status;

use crate::auth::{Principal, role_name};
use crate::context::AppContext;
use crate::convert::user_to_proto;
use crate::db::entity::{api_key, library_selection, tenant, user};
use crate::db::now_ms;
use crate::error::{SessionError, db_status};

/// Modules a tenant gets unless configured otherwise.
pub const ALL_MODULES: [&str; 6] = [
    "workout",
    "weightlifting",
    "jumping",
    "running",
    "ai_move",
    "guru",
];

/// Creates the tenant with every module enabled when missing.
pub async fn ensure_tenant<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
) -> Result<tenant::Model, sea_orm::DbErr> {
    if let Some(found) = tenant::Entity::find_by_id(tenant_id.to_owned())
        .one(db)
        .await?
    {
        return Ok(found);
    }
    let inserted = tenant::ActiveModel {
        id: Set(tenant_id.to_owned()),
        name: Set(tenant_id.to_owned()),
        enabled_modules: Set(serde_json::to_string(&ALL_MODULES).unwrap_or_else(|_| "[]".into())),
        created_at: Set(now_ms()),
        pose_model_id: Set(String::new()),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(model) => Ok(model),
        Err(error) if crate::db::is_unique_violation(&error) => {
            tenant::Entity::find_by_id(tenant_id.to_owned())
                .one(db)
                .await?
                .ok_or(error)
        }
        Err(error) => Err(error),
    }
}

/// Creates the user (role user, empty profile) when missing, so sessions can
/// reference it and carry its profile.
pub async fn ensure_user<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    user_id: &str,
) -> Result<user::Model, sea_orm::DbErr> {
    if let Some(found) = user::Entity::find_by_id((tenant_id.to_owned(), user_id.to_owned()))
        .one(db)
        .await?
    {
        return Ok(found);
    }
    let now = now_ms();
    let inserted = user::ActiveModel {
        tenant_id: Set(tenant_id.to_owned()),
        id: Set(user_id.to_owned()),
        role: Set("user".into()),
        display_name: Set(String::new()),
        age_years: Set(0),
        weight_kg: Set(0.0),
        height_cm: Set(0.0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(model) => Ok(model),
        Err(error) if crate::db::is_unique_violation(&error) => {
            user::Entity::find_by_id((tenant_id.to_owned(), user_id.to_owned()))
                .one(db)
                .await?
                .ok_or(error)
        }
        Err(error) => Err(error),
    }
}

pub async fn upsert_user(
    ctx: &AppContext,
    principal: &Principal,
    request: pb::UpsertUserRequest,
) -> Result<pb::UpsertUserResponse, Status> {
    principal.require_manager()?;
    let profile = request
        .user
        .ok_or_else(|| SessionError::InvalidArgument("user is required".to_owned()))?;
    if profile.user_id.trim().is_empty() {
        return Err(SessionError::InvalidArgument("user.user_id is required".to_owned()).into());
    }
    if !(0.0..=500.0).contains(&profile.weight_kg)
        || !(0.0..=300.0).contains(&profile.height_cm)
        || profile.age_years > 150
    {
        return Err(SessionError::InvalidArgument(
            "user profile out of range (age 0-150, weight 0-500 kg, height 0-300 cm)".to_owned(),
        )
        .into());
    }
    let role = pb::Role::try_from(profile.role).unwrap_or(pb::Role::User);
    if role == pb::Role::Admin {
        principal.require_admin()?;
    }
    let existing = ensure_user(&ctx.db, &principal.tenant_id, &profile.user_id)
        .await
        .map_err(db_status)?;
    let mut active: user::ActiveModel = existing.into();
    active.display_name = Set(profile.display_name.clone());
    active.age_years = Set(profile.age_years as i32);
    active.weight_kg = Set(profile.weight_kg);
    active.height_cm = Set(profile.height_cm);
    if role != pb::Role::Unspecified {
        active.role = Set(role_name(role).to_owned());
    }
    active.updated_at = Set(now_ms());
    let saved = active.update(&ctx.db).await.map_err(db_status)?;
    Ok(pb::UpsertUserResponse {
        user: Some(user_to_proto(&saved)),
    })
}

pub async fn create_api_key(
    ctx: &AppContext,
    principal: &Principal,
    request: pb::CreateApiKeyRequest,
) -> Result<pb::CreateApiKeyResponse, Status> {
    principal.require_admin()?;
    let tenant_id = if request.tenant_id.is_empty() || request.tenant_id == principal.tenant_id {
        principal.tenant_id.clone()
    } else if request.tenant_id == crate::demo::DEMO_TENANT {
        // Demo sessions are readable by everyone because nobody can write them.
        return Err(SessionError::InvalidArgument(format!(
            "tenant '{}' holds the deployment's demo sessions and has no keys",
            crate::demo::DEMO_TENANT
        ))
        .into());
    } else if principal.platform_admin {
        request.tenant_id.clone()
    } else {
        return Err(SessionError::PermissionDenied(
            "only platform admins create keys in other tenants".to_owned(),
        )
        .into());
    };
    if request.user_id.trim().is_empty() {
        return Err(SessionError::InvalidArgument("user_id is required".to_owned()).into());
    }
    let role = pb::Role::try_from(request.role).unwrap_or(pb::Role::User);
    let role = if role == pb::Role::Unspecified {
        pb::Role::User
    } else {
        role
    };
    ensure_tenant(&ctx.db, &tenant_id)
        .await
        .map_err(db_status)?;
    let stored_user = ensure_user(&ctx.db, &tenant_id, &request.user_id)
        .await
        .map_err(db_status)?;
    if stored_user.role != role_name(role) && role != pb::Role::User {
        let mut active: user::ActiveModel = stored_user.into();
        active.role = Set(role_name(role).to_owned());
        active.update(&ctx.db).await.map_err(db_status)?;
    }
    let (key_id, api_key) = ctx
        .auth
        .create_key(&tenant_id, &request.user_id, role, &request.scopes)
        .await
        .map_err(db_status)?;
    Ok(pb::CreateApiKeyResponse { key_id, api_key })
}

pub async fn revoke_api_key(
    ctx: &AppContext,
    principal: &Principal,
    request: pb::RevokeApiKeyRequest,
) -> Result<pb::RevokeApiKeyResponse, Status> {
    principal.require_admin()?;
    let key = api_key::Entity::find_by_id(request.key_id.clone())
        .one(&ctx.db)
        .await
        .map_err(db_status)?
        .ok_or_else(|| SessionError::NotFound(format!("API key '{}' not found", request.key_id)))?;
    principal.check_tenant(&key.tenant_id, "API key", &key.id)?;
    if key.revoked_at.is_none() {
        let mut active: api_key::ActiveModel = key.into();
        active.revoked_at = Set(Some(now_ms()));
        active.update(&ctx.db).await.map_err(db_status)?;
    }
    Ok(pb::RevokeApiKeyResponse {})
}

pub async fn upsert_tenant(
    ctx: &AppContext,
    principal: &Principal,
    request: pb::UpsertTenantRequest,
) -> Result<pb::UpsertTenantResponse, Status> {
    if !principal.platform_admin {
        return Err(SessionError::PermissionDenied("platform admin required".to_owned()).into());
    }
    let input = request
        .tenant
        .ok_or_else(|| SessionError::InvalidArgument("tenant is required".to_owned()))?;
    if input.tenant_id.trim().is_empty() {
        return Err(
            SessionError::InvalidArgument("tenant.tenant_id is required".to_owned()).into(),
        );
    }
    if input.tenant_id == crate::demo::DEMO_TENANT {
        return Err(SessionError::InvalidArgument(format!(
            "tenant id '{}' is reserved for the deployment's demo sessions",
            crate::demo::DEMO_TENANT
        ))
        .into());
    }
    if let Some(unknown) = input
        .enabled_modules
        .iter()
        .find(|m| !ALL_MODULES.contains(&m.as_str()))
    {
        return Err(SessionError::InvalidArgument(format!(
            "unknown module '{unknown}' (known: {})",
            ALL_MODULES.join(", ")
        ))
        .into());
    }
    if let Some(model_id) = input.pose_model_id.as_deref().filter(|id| !id.is_empty()) {
        crate::pose_model::ensure_known(ctx, model_id).await?;
    }
    let txn = crate::db::begin_write(&ctx.db).await.map_err(db_status)?;
    let existing = ensure_tenant(&txn, &input.tenant_id)
        .await
        .map_err(db_status)?;
    let mut active: tenant::ActiveModel = existing.into();
    if !input.name.is_empty() {
        active.name = Set(input.name.clone());
    }
    active.enabled_modules =
        Set(serde_json::to_string(&input.enabled_modules).unwrap_or_else(|_| "[]".into()));
    if let Some(model_id) = &input.pose_model_id {
        active.pose_model_id = Set(model_id.trim().to_owned());
    }
    let saved = active.update(&txn).await.map_err(db_status)?;
    if request.replace_library_selection {
        library_selection::Entity::delete_many()
            .filter(library_selection::Column::TenantId.eq(input.tenant_id.as_str()))
            .exec(&txn)
            .await
            .map_err(db_status)?;
        for chosen in &input.library_selection {
            library_selection::ActiveModel {
                tenant_id: Set(input.tenant_id.clone()),
                exercise_id: Set(chosen.exercise_id.clone()),
                sort_order: Set(chosen.sort_order),
                enabled: Set(chosen.enabled),
            }
            .insert(&txn)
            .await
            .map_err(db_status)?;
        }
    }
    let selection = library_selection::Entity::find()
        .filter(library_selection::Column::TenantId.eq(input.tenant_id.as_str()))
        .all(&txn)
        .await
        .map_err(db_status)?;
    txn.commit().await.map_err(db_status)?;
    Ok(pb::UpsertTenantResponse {
        tenant: Some(pb::Tenant {
            tenant_id: saved.id,
            name: saved.name,
            enabled_modules: serde_json::from_str(&saved.enabled_modules).unwrap_or_default(),
            pose_model_id: Some(saved.pose_model_id),
            library_selection: selection
                .into_iter()
                .map(|s| pb::LibrarySelection {
                    exercise_id: s.exercise_id,
                    sort_order: s.sort_order,
                    enabled: s.enabled,
                })
                .collect(),
        }),
    })
}

/// The tenant a policy or limits call is about: admins reach their own tenant
/// (empty = the caller's), platform admins any existing tenant.
async fn policy_tenant(
    ctx: &AppContext,
    principal: &Principal,
    requested: &str,
) -> Result<String, Status> {
    principal.require_admin()?;
    let requested = requested.trim();
    let tenant_id = if requested.is_empty() || requested == principal.tenant_id {
        principal.tenant_id.clone()
    } else if principal.platform_admin {
        requested.to_owned()
    } else {
        return Err(SessionError::PermissionDenied(
            "only platform admins configure other tenants".to_owned(),
        )
        .into());
    };
    tenant::Entity::find_by_id(tenant_id.clone())
        .one(&ctx.db)
        .await
        .map_err(db_status)?
        .ok_or_else(|| SessionError::NotFound(format!("tenant '{tenant_id}' not found")))?;
    Ok(tenant_id)
}

pub async fn get_blocking_policy(
    ctx: &AppContext,
    principal: &Principal,
    request: pb::GetBlockingPolicyRequest,
) -> Result<pb::GetBlockingPolicyResponse, Status> {
    let tenant_id = policy_tenant(ctx, principal, &request.tenant_id).await?;
    let policy = crate::blocking::in_force(&ctx.db, &tenant_id)
        .await
        .map_err(db_status)?;
    Ok(pb::GetBlockingPolicyResponse {
        tenant_id,
        policy: Some(policy),
    })
}

pub async fn set_blocking_policy(
    ctx: &AppContext,
    principal: &Principal,
    request: pb::SetBlockingPolicyRequest,
) -> Result<pb::SetBlockingPolicyResponse, Status> {
    let tenant_id = policy_tenant(ctx, principal, &request.tenant_id).await?;
    let policy = request.policy.unwrap_or_default();
    fitvision_proto::blocking::validate(&policy).map_err(SessionError::InvalidArgument)?;
    crate::blocking::store(&ctx.db, &tenant_id, &policy)
        .await
        .map_err(db_status)?;
    let in_force = fitvision_proto::blocking::effective(Some(&policy));
    tracing::info!(
        tenant = %tenant_id,
        by = %principal.user_id,
        block_score = in_force.block_score,
        block_risk = in_force.block_risk().as_str_name(),
        mode = in_force.mode().as_str_name(),
        "authenticity policy set"
    );
    Ok(pb::SetBlockingPolicyResponse {
        tenant_id,
        policy: Some(in_force),
    })
}

pub async fn get_analysis_limits(
    ctx: &AppContext,
    principal: &Principal,
    request: pb::GetAnalysisLimitsRequest,
) -> Result<pb::GetAnalysisLimitsResponse, Status> {
    let tenant_id = policy_tenant(ctx, principal, &request.tenant_id).await?;
    let limits = crate::limits::in_force(&ctx.db, &tenant_id, &ctx.settings.analysis_limits)
        .await
        .map_err(db_status)?;
    Ok(pb::GetAnalysisLimitsResponse {
        tenant_id,
        limits: Some(limits),
    })
}

pub async fn set_analysis_limits(
    ctx: &AppContext,
    principal: &Principal,
    request: pb::SetAnalysisLimitsRequest,
) -> Result<pb::SetAnalysisLimitsResponse, Status> {
    let tenant_id = policy_tenant(ctx, principal, &request.tenant_id).await?;
    let limits = request.limits.unwrap_or_default();
    let deployment = &ctx.settings.analysis_limits;
    // The deployment's limits protect every tenant's share of the machines: a
    // tenant admin may tighten its own, only the platform may loosen them.
    let raised = crate::limits::above_deployment(&limits, deployment);
    if !raised.is_empty() && !principal.platform_admin {
        return Err(SessionError::PermissionDenied(format!(
            "only platform admins raise limits above the deployment's: {}",
            raised.join(", ")
        ))
        .into());
    }
    crate::limits::store(&ctx.db, &tenant_id, &limits)
        .await
        .map_err(db_status)?;
    let in_force = crate::limits::effective(Some(&limits), deployment);
    tracing::info!(
        tenant = %tenant_id,
        by = %principal.user_id,
        max_video_seconds = in_force.max_video_seconds,
        max_video_frames = in_force.max_video_frames,
        max_concurrent_analyses = in_force.max_concurrent_analyses,
        "analysis limits set"
    );
    Ok(pb::SetAnalysisLimitsResponse {
        tenant_id,
        limits: Some(in_force),
    })
}
