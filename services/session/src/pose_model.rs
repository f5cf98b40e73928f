//! Which pose model analyses a video: the session's `pose_model` attribute (per
//! request), else the tenant's `pose_model_id` (per tenant), else the pose service's
//! default (`FITVISION_POSE_MODEL`, per deployment). Ids are checked against the pose
//! service's registry when they are set, so a typo is a 400 at upload, not a failed
//! analysis later.

use std::collections::HashMap;

use fitvision_proto::v1 as pb;
use sea_orm::{DbErr, EntityTrait};
use tonic::Status;

use crate::context::AppContext;
use crate::db::entity::{session, tenant, video};
use crate::error::SessionError;

use fitvision_proto::session_attributes::POSE_MODEL as POSE_MODEL_ATTRIBUTE;

/// INVALID_ARGUMENT unless the pose service has `model_id` loaded.
pub async fn ensure_known(ctx: &AppContext, model_id: &str) -> Result<(), Status> {
    let models = ctx
        .clients
        .pose
        .clone()
        .list_models(pb::ListModelsRequest {})
        .await
        .map_err(|status| {
            Status::unavailable(format!(
                "cannot check pose model '{model_id}': pose-inference: {}",
                status.message()
            ))
        })?
        .into_inner();
    if models.models.iter().any(|m| m.id == model_id) {
        return Ok(());
    }
    let known: Vec<&str> = models.models.iter().map(|m| m.id.as_str()).collect();
    Err(SessionError::InvalidArgument(format!(
        "unknown pose model '{model_id}' (known: {})",
        known.join(", ")
    ))
    .into())
}

/// Checks the `pose_model` attribute of session attributes, when one is set.
pub async fn check_attributes(
    ctx: &AppContext,
    attributes: &HashMap<String, String>,
) -> Result<(), Status> {
    match attributes.get(POSE_MODEL_ATTRIBUTE).map(|id| id.trim()) {
        Some(id) if !id.is_empty() => ensure_known(ctx, id).await,
        _ => Ok(()),
    }
}

/// The model for `video` ("" = the pose service's default).
pub async fn for_video(ctx: &AppContext, video: &video::Model) -> Result<String, DbErr> {
    let chosen = session::Entity::find_by_id(video.session_id.clone())
        .one(&ctx.db)
        .await?
        .and_then(|s| {
            crate::convert::attributes_from_json(&s.attributes)
                .remove(POSE_MODEL_ATTRIBUTE)
                .map(|id| id.trim().to_owned())
        })
        .filter(|id| !id.is_empty());
    if let Some(id) = chosen {
        return Ok(id);
    }
    Ok(tenant::Entity::find_by_id(video.tenant_id.clone())
        .one(&ctx.db)
        .await?
        .map(|t| t.pose_model_id)
        .unwrap_or_default())
}

/// The tenant's pose model ("" = the pose service's default).
pub async fn for_tenant(ctx: &AppContext, tenant_id: &str) -> Result<String, DbErr> {
    Ok(tenant::Entity::find_by_id(tenant_id.to_owned())
        .one(&ctx.db)
        .await?
        .map(|t| t.pose_model_id)
        .unwrap_or_default())
}
