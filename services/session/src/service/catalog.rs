//! Catalog RPCs.

use fitvision_exercise_engine::ExerciseDefinition;
use fitvision_proto::v1 as pb;
use tonic::Status;

use crate::auth::Principal;
use crate::context::AppContext;
use crate::convert::exercise_to_proto;
use crate::error::{SessionError, db_status};

/// The exercise's definition as the metrics engine will run it: parsed and
/// validated by the engine itself, so a tenant learns every problem now rather
/// than from a failed analysis later.
fn validated_definition(input: &pb::CatalogExercise) -> Result<ExerciseDefinition, Status> {
    let definition = ExerciseDefinition::from_json(&input.algorithm_json).map_err(|error| {
        SessionError::InvalidArgument(format!(
            "algorithm_json is not a valid exercise definition: {}",
            error.messages().join("; ")
        ))
    })?;
    let mode = definition.mode.as_str();
    if !input.r#type.is_empty() && input.r#type != mode {
        return Err(SessionError::InvalidArgument(format!(
            "type '{}' contradicts the definition's mode '{mode}'",
            input.r#type
        ))
        .into());
    }
    Ok(definition)
}

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
    .ok_or_else(|| SessionError::NotFound(format!("exercise '{exercise_id}' not found")))?;
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
    let mut input = request
        .exercise
        .ok_or_else(|| SessionError::InvalidArgument("exercise is required".to_owned()))?;
    if input.exercise_id.trim().is_empty() || input.name.trim().is_empty() {
        return Err(
            SessionError::InvalidArgument("exercise_id and name are required".to_owned()).into(),
        );
    }
    if !matches!(input.r#type.as_str(), "" | "rep" | "timer") {
        return Err(
            SessionError::InvalidArgument("type must be 'rep' or 'timer'".to_owned()).into(),
        );
    }
    let definition = validated_definition(&input)?;
    if input.r#type.is_empty() {
        input.r#type = definition.mode.as_str().to_owned();
    }
    if principal.tenant_id == ctx.library_tenant() {
        return Err(SessionError::FailedPrecondition(
            "the library tenant's exercises are the built-in library".to_owned(),
        )
        .into());
    }
    let saved = crate::catalog::upsert_custom(&ctx.db, &principal.tenant_id, &input)
        .await
        .map_err(db_status)?;
    Ok(pb::UpsertCatalogExerciseResponse {
        exercise: Some(exercise_to_proto(&saved, saved.enabled, saved.sort_order)),
    })
}
