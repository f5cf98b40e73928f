//! Catalog RPCs.

use fitvision_proto::v1 as pb;
use tonic::Status;

use crate::auth::Principal;
use crate::context::AppContext;
use crate::convert::exercise_to_proto;
use crate::error::db_status;

pub async fn list(
    ctx: &AppContext,
    principal: &Principal,
) -> Result<pb::ListCatalogExercisesResponse, Status> {
    let exercises = crate::catalog::visible(&ctx.db, &principal.tenant_id, ctx.library_tenant())
        .await
        .map_err(db_status)?;
    Ok(pb::ListCatalogExercisesResponse { exercises })
}

pub async fn get(
    ctx: &AppContext,
    principal: &Principal,
    exercise_id: &str,
) -> Result<pb::GetCatalogExerciseResponse, Status> {
    let found = crate::catalog::visible_one(
        &ctx.db,
        &principal.tenant_id,
        ctx.library_tenant(),
        exercise_id,
    )
    .await
    .map_err(db_status)?
    .ok_or_else(|| Status::not_found(format!("exercise '{exercise_id}' not found")))?;
    Ok(pb::GetCatalogExerciseResponse {
        exercise: Some(found),
    })
}

pub async fn upsert(
    ctx: &AppContext,
    principal: &Principal,
    request: pb::UpsertCatalogExerciseRequest,
) -> Result<pb::UpsertCatalogExerciseResponse, Status> {
    principal.require_admin()?;
    let input = request
        .exercise
        .ok_or_else(|| Status::invalid_argument("exercise is required"))?;
    if input.exercise_id.trim().is_empty() || input.name.trim().is_empty() {
        return Err(Status::invalid_argument(
            "exercise_id and name are required",
        ));
    }
    if !matches!(input.r#type.as_str(), "" | "rep" | "timer") {
        return Err(Status::invalid_argument("type must be 'rep' or 'timer'"));
    }
    if serde_json::from_str::<serde_json::Value>(&input.algorithm_json).is_err() {
        return Err(Status::invalid_argument(
            "algorithm_json must be valid JSON",
        ));
    }
    if principal.tenant_id == ctx.library_tenant() {
        return Err(Status::failed_precondition(
            "the library tenant's exercises are the built-in library",
        ));
    }
    let saved = crate::catalog::upsert_custom(&ctx.db, &principal.tenant_id, &input)
        .await
        .map_err(db_status)?;
    Ok(pb::UpsertCatalogExerciseResponse {
        exercise: Some(exercise_to_proto(&saved, saved.enabled, saved.sort_order)),
    })
}
