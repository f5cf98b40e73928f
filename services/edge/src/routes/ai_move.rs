//! The AI Move API (`/api/ai-move`): the tenant-aware exercise catalog and
//! client-reported exercise sessions. Errors: `{"error": ...}`; `403` when the
//! `ai_move` module is not enabled for the caller's client.

use std::borrow::Cow;

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fitvision_proto::statuses;
use fitvision_proto::v1::{
    CatalogExercise, ClientResults, CreateSessionRequest, FormViolation, GetCatalogExerciseRequest,
    ListCatalogExercisesRequest, ListSessionsRequest, Session, SessionKind, UpdateSessionRequest,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Family, GrpcResultExt};
use crate::params::{Params, QueryParams, page_limit};
use crate::state::AppState;
use crate::views::{iso_millis, iso_seconds};

use super::sessions::{OtherUsers, SessionLookup, load_session};

const FAMILY: Family = Family::AiMove;
/// Module flag a client needs for every AI Move route.
pub const MODULE: &str = "ai_move";

fn require_module(caller: &Caller) -> ApiResult<()> {
    if caller.has_module(MODULE) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            FAMILY,
            "AI Move module not enabled for this client",
        ))
    }
}

fn exercise_summary(e: &CatalogExercise) -> Value {
    json!({
        "exerciseId": e.exercise_id,
        "clientId": e.client_id,
        "name": e.name,
        "type": e.r#type,
        "targetValue": e.target_value,
        "category": e.category,
        "difficulty": e.difficulty,
        "enabled": e.enabled,
        "sortOrder": e.sort_order,
    })
}

fn exercise_full(e: &CatalogExercise) -> Value {
    let algorithm: Value = if e.algorithm_json.trim().is_empty() {
        json!({})
    } else {
        serde_json::from_str(&e.algorithm_json)
            .unwrap_or_else(|_| json!({ "raw": e.algorithm_json }))
    };
    json!({
        "exerciseId": e.exercise_id,
        "clientId": e.client_id,
        "name": e.name,
        "nameZh": e.name_zh,
        "description": e.description,
        "category": e.category,
        "difficulty": e.difficulty,
        "imageUrl": e.image_url,
        "type": e.r#type,
        "targetValue": e.target_value,
        "estimatedCalories": e.estimated_calories,
        "algorithm": algorithm,
        "enabled": e.enabled,
        "sortOrder": e.sort_order,
    })
}

fn violation_json(v: &FormViolation) -> Value {
    let mut out = json!({
        "key": v.key,
        "label": v.label,
        "weight": v.weight,
        "totalChecks": v.total_checks,
        "violationCount": v.violation_count,
        "violationRate": v.violation_rate,
    });
    if !v.label_zh.is_empty() {
        out["labelZh"] = json!(v.label_zh);
    }
    out
}

/// Full session shape (POST answer and GET `session`).
fn session_full(s: &Session) -> Value {
    let r = s.client_results.clone().unwrap_or_default();
    let mut out = json!({
        "sessionId": s.session_id,
        "clientId": s.tenant_id,
        "userId": s.user_id,
        "exerciseId": s.exercise_id,
        "exerciseType": r.exercise_type,
        "repsCompleted": r.reps_completed,
        "durationSeconds": r.duration_s,
        "caloriesBurned": r.calories_burned_kcal,
        "poseAccuracy": r.pose_accuracy,
        "formScore": r.form_score,
        "holdTimeSeconds": r.hold_time_s,
        "retryCountRemaining": r.retry_count_remaining,
        "retryCountUsed": r.retry_count_used,
        "failureReason": r.failure_reason,
        "formViolations": r.form_violations.iter().map(violation_json).collect::<Vec<_>>(),
        "completionOutcome": r.completion_outcome,
        "status": statuses::session_name_of(s.status),
        "createdAt": iso_seconds(s.created_at.as_ref()),
        "completedAt": iso_seconds(s.completed_at.as_ref()),
    });
    if r.exercise_type == "timer" {
        out["targetDurationSeconds"] = json!(r.target_duration_s);
    } else {
        out["targetReps"] = json!(r.target_reps);
    }
    out
}

/// List item shape (`GET /sessions`).
fn session_item(s: &Session) -> Value {
    let r = s.client_results.clone().unwrap_or_default();
    json!({
        "sessionId": s.session_id,
        "exerciseId": s.exercise_id,
        "exerciseType": r.exercise_type,
        "status": statuses::session_name_of(s.status),
        "repsCompleted": r.reps_completed,
        "durationSeconds": r.duration_s,
        "caloriesBurned": r.calories_burned_kcal,
        "poseAccuracy": r.pose_accuracy,
        "formScore": r.form_score,
        "createdAt": iso_seconds(s.created_at.as_ref()),
        "completedAt": iso_seconds(s.completed_at.as_ref()),
    })
}

fn parse_body(body: &Bytes) -> ApiResult<Map<String, Value>> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request(
            FAMILY,
            "the request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::bad_request(
            FAMILY,
            format!("invalid JSON body: {e}"),
        )),
    }
}

fn number(map: &Map<String, Value>, field: &str, min: f64, max: f64) -> ApiResult<Option<f64>> {
    match map.get(field) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            let v = n.as_f64().unwrap_or(f64::NAN);
            if v.is_finite() && v >= min && v <= max {
                Ok(Some(v))
            } else if max.is_finite() {
                Err(ApiError::bad_request(
                    FAMILY,
                    format!("{field} must be between {min} and {max}"),
                ))
            } else {
                Err(ApiError::bad_request(
                    FAMILY,
                    format!("{field} must be a number >= {min}"),
                ))
            }
        }
        Some(_) => Err(ApiError::bad_request(
            FAMILY,
            format!("{field} must be a number"),
        )),
    }
}

fn integer(map: &Map<String, Value>, field: &str, min: u32) -> ApiResult<Option<u32>> {
    match number(map, field, f64::from(min), f64::INFINITY)? {
        None => Ok(None),
        Some(v) if v.fract() == 0.0 && v <= f64::from(u32::MAX) => Ok(Some(v as u32)),
        Some(_) => Err(ApiError::bad_request(
            FAMILY,
            format!("{field} must be an integer >= {min}"),
        )),
    }
}

fn text<'a>(map: &'a Map<String, Value>, field: &str) -> ApiResult<Option<&'a str>> {
    match map.get(field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::bad_request(
            FAMILY,
            format!("{field} must be a string"),
        )),
    }
}

fn violations(map: &Map<String, Value>) -> ApiResult<Option<Vec<FormViolation>>> {
    let Some(value) = map.get("formViolations") else {
        return Ok(None);
    };
    let Value::Array(items) = value else {
        return Err(ApiError::bad_request(
            FAMILY,
            "formViolations must be an array",
        ));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Value::Object(record) = item else {
            return Err(ApiError::bad_request(
                FAMILY,
                format!("formViolations[{i}] must be an object"),
            ));
        };
        let key = text(record, "key")?.ok_or_else(|| {
            ApiError::bad_request(FAMILY, format!("formViolations[{i}].key is required"))
        })?;
        let label = text(record, "label")?.unwrap_or(key);
        let total = integer(record, "totalChecks", 0)?.unwrap_or(0);
        let count = integer(record, "violationCount", 0)?.unwrap_or(0);
        if count > total && record.contains_key("totalChecks") {
            return Err(ApiError::bad_request(
                FAMILY,
                format!("formViolations[{i}].violationCount exceeds totalChecks"),
            ));
        }
        out.push(FormViolation {
            key: key.to_owned(),
            label: label.to_owned(),
            label_zh: text(record, "labelZh")?.unwrap_or("").to_owned(),
            weight: number(record, "weight", 0.0, f64::INFINITY)?.unwrap_or(0.0),
            total_checks: total,
            violation_count: count,
            violation_rate: number(record, "violationRate", 0.0, 1.0)?.unwrap_or(0.0),
        });
    }
    Ok(Some(out))
}

/// An AI Move session is the client's own record: another user's is refused (403),
/// and so is a session the caller reaches only as an admin.
async fn load_owned(state: &AppState, caller: &Caller, session_id: &str) -> ApiResult<Session> {
    let lookup = SessionLookup {
        family: FAMILY,
        kind: Some(SessionKind::AiMove),
        not_found: Cow::Borrowed("Session not found"),
        other_users: OtherUsers::Forbidden,
    };
    let session = load_session(state, &caller.forwarded, session_id, &lookup).await?;
    if session.user_id != caller.principal.user_id {
        return Err(ApiError::forbidden(
            FAMILY,
            "User does not own this session",
        ));
    }
    Ok(session)
}

/// `GET /api/ai-move/exercises`
#[utoipa::path(get, path = "/api/ai-move/exercises", tag = "AI Move",
    responses((status = 200, description = "{exercises: [...]} visible to the client", body = Object),
        (status = 401, description = "Unauthorized"), (status = 403, description = "AI Move module not enabled for this client")),
    security(("bearer" = [])))]
pub async fn list_exercises(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Value>> {
    require_module(&caller)?;
    let list = state
        .session()
        .list_catalog_exercises(caller.request(ListCatalogExercisesRequest {}))
        .await
        .api(FAMILY)?;
    let exercises: Vec<Value> = list
        .exercises
        .iter()
        .filter(|e| e.enabled)
        .map(exercise_summary)
        .collect();
    Ok(Json(json!({ "exercises": exercises })))
}

/// `GET /api/ai-move/exercises/{exercise_id}`
#[utoipa::path(get, path = "/api/ai-move/exercises/{exercise_id}", tag = "AI Move",
    params(("exercise_id" = String, Path, description = "Exercise id")),
    responses((status = 200, description = "{exercise: {...}} with algorithm data", body = Object),
        (status = 401, description = "Unauthorized"), (status = 403, description = "AI Move module not enabled for this client"),
        (status = 404, description = "Exercise not found")),
    security(("bearer" = [])))]
pub async fn get_exercise(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(exercise_id): Path<String>,
) -> ApiResult<Json<Value>> {
    require_module(&caller)?;
    let exercise = state
        .session()
        .get_catalog_exercise(caller.request(GetCatalogExerciseRequest { exercise_id }))
        .await
        .map_err(|s| match s.code() {
            tonic::Code::NotFound | tonic::Code::PermissionDenied => {
                ApiError::not_found(FAMILY, "Exercise not found")
            }
            _ => ApiError::from_status(FAMILY, &s),
        })?
        .into_inner()
        .exercise
        .filter(|e| e.enabled)
        .ok_or_else(|| ApiError::not_found(FAMILY, "Exercise not found"))?;
    Ok(Json(json!({ "exercise": exercise_full(&exercise) })))
}

/// `POST /api/ai-move/sessions`
#[utoipa::path(post, path = "/api/ai-move/sessions", tag = "AI Move",
    request_body(content = Object, description = "{exerciseId, exerciseType: rep|timer, targetReps? (>=1), targetDurationSeconds? (>=1)}"),
    responses((status = 201, description = "The created session", body = Object),
        (status = 400, description = "Invalid body"), (status = 401, description = "Unauthorized"),
        (status = 403, description = "AI Move module not enabled for this client"), (status = 404, description = "Exercise not found")),
    security(("bearer" = [])))]
pub async fn create_session(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> ApiResult<Response> {
    require_module(&caller)?;
    let map = parse_body(&body)?;
    let exercise_id = text(&map, "exerciseId")?
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::bad_request(FAMILY, "exerciseId is required"))?;
    let exercise_type = text(&map, "exerciseType")?
        .ok_or_else(|| ApiError::bad_request(FAMILY, "exerciseType is required"))?;
    if exercise_type != "rep" && exercise_type != "timer" {
        return Err(ApiError::bad_request(
            FAMILY,
            "exerciseType must be 'rep' or 'timer'",
        ));
    }
    let target_reps = integer(&map, "targetReps", 1)?;
    let target_duration = integer(&map, "targetDurationSeconds", 1)?;
    let exercise = state
        .session()
        .get_catalog_exercise(caller.request(GetCatalogExerciseRequest {
            exercise_id: exercise_id.to_owned(),
        }))
        .await
        .map_err(|s| match s.code() {
            tonic::Code::NotFound | tonic::Code::PermissionDenied => {
                ApiError::not_found(FAMILY, "Exercise not found")
            }
            _ => ApiError::from_status(FAMILY, &s),
        })?
        .into_inner()
        .exercise
        .filter(|e| e.enabled)
        .ok_or_else(|| ApiError::not_found(FAMILY, "Exercise not found"))?;
    let results = ClientResults {
        exercise_type: exercise_type.to_owned(),
        target_reps: target_reps.unwrap_or(if exercise_type == "rep" {
            exercise.target_value
        } else {
            0
        }),
        target_duration_s: target_duration.unwrap_or(if exercise_type == "timer" {
            exercise.target_value
        } else {
            0
        }),
        ..Default::default()
    };
    let session = state
        .session()
        .create_session(caller.request(CreateSessionRequest {
            kind: SessionKind::AiMove as i32,
            exercise_id: exercise.exercise_id.clone(),
            title: exercise.name.clone(),
            client_results: Some(results),
            ..Default::default()
        }))
        .await
        .api(FAMILY)?
        .session
        .ok_or_else(|| ApiError::internal(FAMILY, "session service returned no session"))?;
    Ok((StatusCode::CREATED, Json(session_full(&session))).into_response())
}

/// `GET /api/ai-move/sessions?limit=&startAfter=`
#[utoipa::path(get, path = "/api/ai-move/sessions", tag = "AI Move",
    params(ListParams),
    responses((status = 200, description = "{sessions: [...], nextCursor}", body = Object),
        (status = 400, description = "Invalid limit"), (status = 401, description = "Unauthorized"),
        (status = 403, description = "AI Move module not enabled for this client")),
    security(("bearer" = [])))]
pub async fn list_sessions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Params(params): Params<ListParams>,
) -> ApiResult<Json<Value>> {
    require_module(&caller)?;
    let limit = page_limit(params.limit.as_deref(), 20, 100, FAMILY)?;
    let page = state
        .session()
        .list_sessions(caller.request(ListSessionsRequest {
            kind: SessionKind::AiMove as i32,
            user_id: caller.principal.user_id.clone(),
            limit,
            start_after: params.start_after.unwrap_or_default(),
            newest_first: true,
            ..Default::default()
        }))
        .await
        .api(FAMILY)?;
    Ok(Json(json!({
        "sessions": page.sessions.iter().map(session_item).collect::<Vec<_>>(),
        "nextCursor": (!page.next_cursor.is_empty()).then_some(page.next_cursor),
    })))
}

/// Query of `GET /api/ai-move/sessions`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
#[into_params(rename_all = "camelCase")]
pub struct ListParams {
    /// Max results per page (1-100, default 20)
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
    /// Session id cursor
    pub start_after: Option<String>,
}

impl QueryParams for ListParams {
    const FAMILY: Family = FAMILY;
}

/// Query of `GET /api/ai-move/records`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
#[into_params(rename_all = "camelCase")]
pub struct RecordsParams {
    /// Target client id (default: the caller's)
    pub client_id: Option<String>,
    /// Max results (1-500, default 50)
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
}

impl QueryParams for RecordsParams {
    const FAMILY: Family = FAMILY;
}

/// `GET /api/ai-move/sessions/{session_id}`
#[utoipa::path(get, path = "/api/ai-move/sessions/{session_id}", tag = "AI Move",
    params(("session_id" = String, Path, description = "Session id")),
    responses((status = 200, description = "{session: {...}}", body = Object),
        (status = 401, description = "Unauthorized"), (status = 403, description = "User does not own this session"),
        (status = 404, description = "Session not found")),
    security(("bearer" = [])))]
pub async fn get_session(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(session_id): Path<String>,
) -> ApiResult<Json<Value>> {
    require_module(&caller)?;
    let session = load_owned(&state, &caller, &session_id).await?;
    Ok(Json(json!({ "session": session_full(&session) })))
}

/// `PATCH /api/ai-move/sessions/{session_id}`
#[utoipa::path(patch, path = "/api/ai-move/sessions/{session_id}", tag = "AI Move",
    params(("session_id" = String, Path, description = "Session id")),
    request_body(content = Object, description = "Any of status, completionOutcome, repsCompleted, durationSeconds, caloriesBurned, poseAccuracy (0-1), formScore (0-1), holdTimeSeconds, retryCountRemaining, retryCountUsed, failureReason, formViolations"),
    responses((status = 200, description = "{success: true}", body = Object),
        (status = 400, description = "A field is out of range"), (status = 401, description = "Unauthorized"),
        (status = 403, description = "User does not own this session"), (status = 404, description = "Session not found")),
    security(("bearer" = [])))]
pub async fn update_session(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(session_id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    require_module(&caller)?;
    let map = parse_body(&body)?;
    let (update, mask) = build_update(&map)?;
    load_owned(&state, &caller, &session_id).await?;
    let status = match text(&map, "status")? {
        Some(s) => match statuses::session_from_name(s) {
            Some(status) => Some(status as i32),
            None => {
                let names: Vec<&str> = statuses::SESSION.iter().map(|(_, n)| *n).collect();
                return Err(ApiError::bad_request(
                    FAMILY,
                    format!("status '{s}' must be one of {}", names.join(", ")),
                ));
            }
        },
        None => None,
    };
    state
        .session()
        .update_session(caller.request(UpdateSessionRequest {
            session_id,
            status,
            client_results: Some(update),
            client_result_fields: mask,
            ..Default::default()
        }))
        .await
        .api(FAMILY)?;
    Ok(Json(json!({ "success": true })))
}

/// Validates every PATCH field; returns the results and the field mask
/// (ClientResults field names) of what was present.
pub fn build_update(map: &Map<String, Value>) -> ApiResult<(ClientResults, Vec<String>)> {
    let known = [
        "status",
        "completionOutcome",
        "repsCompleted",
        "durationSeconds",
        "caloriesBurned",
        "poseAccuracy",
        "formScore",
        "holdTimeSeconds",
        "retryCountRemaining",
        "retryCountUsed",
        "failureReason",
        "formViolations",
    ];
    if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(ApiError::bad_request(
            FAMILY,
            format!("unknown field '{unknown}'"),
        ));
    }
    let mut results = ClientResults::default();
    let mut mask = Vec::new();
    if let Some(outcome) = text(map, "completionOutcome")? {
        if outcome != "success" && outcome != "failed" {
            return Err(ApiError::bad_request(
                FAMILY,
                "completionOutcome must be 'success' or 'failed'",
            ));
        }
        results.completion_outcome = Some(outcome.to_owned());
        mask.push("completion_outcome".to_owned());
    }
    if let Some(v) = integer(map, "repsCompleted", 0)? {
        results.reps_completed = v;
        mask.push("reps_completed".to_owned());
    }
    if let Some(v) = number(map, "durationSeconds", 0.0, f64::INFINITY)? {
        results.duration_s = v;
        mask.push("duration_s".to_owned());
    }
    if let Some(v) = number(map, "caloriesBurned", 0.0, f64::INFINITY)? {
        results.calories_burned_kcal = v;
        mask.push("calories_burned_kcal".to_owned());
    }
    if let Some(v) = number(map, "poseAccuracy", 0.0, 1.0)? {
        results.pose_accuracy = v;
        mask.push("pose_accuracy".to_owned());
    }
    if let Some(v) = number(map, "formScore", 0.0, 1.0)? {
        results.form_score = Some(v);
        mask.push("form_score".to_owned());
    }
    if let Some(v) = number(map, "holdTimeSeconds", 0.0, f64::INFINITY)? {
        results.hold_time_s = v;
        mask.push("hold_time_s".to_owned());
    }
    if let Some(v) = integer(map, "retryCountRemaining", 0)? {
        results.retry_count_remaining = Some(v);
        mask.push("retry_count_remaining".to_owned());
    }
    if let Some(v) = integer(map, "retryCountUsed", 0)? {
        results.retry_count_used = v;
        mask.push("retry_count_used".to_owned());
    }
    if let Some(v) = text(map, "failureReason")? {
        results.failure_reason = Some(v.to_owned());
        mask.push("failure_reason".to_owned());
    }
    if let Some(v) = violations(map)? {
        results.form_violations = v;
        mask.push("form_violations".to_owned());
    }
    Ok((results, mask))
}

/// `GET /api/ai-move/records?clientId=&limit=` (admin)
#[utoipa::path(get, path = "/api/ai-move/records", tag = "AI Move",
    params(RecordsParams),
    responses((status = 200, description = "{data: [...], count}, newest first", body = Object),
        (status = 400, description = "Invalid limit"),
        (status = 401, description = "Unauthorized - admin authentication required"),
        (status = 403, description = "AI Move module not enabled for this client")),
    security(("bearer" = [])))]
pub async fn records(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Params(params): Params<RecordsParams>,
) -> ApiResult<Json<Value>> {
    if !caller.is_admin() {
        return Err(ApiError::unauthorized(
            FAMILY,
            "Unauthorized - admin authentication required",
        ));
    }
    let limit = page_limit(params.limit.as_deref(), 50, 500, FAMILY)?;
    let client_id = params
        .client_id
        .as_deref()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| caller.principal.tenant_id.clone());
    if client_id == caller.principal.tenant_id {
        require_module(&caller)?;
    }
    let page = state
        .session()
        .list_sessions(caller.request(ListSessionsRequest {
            kind: SessionKind::AiMove as i32,
            tenant_id: client_id,
            limit,
            newest_first: true,
            ..Default::default()
        }))
        .await
        .map_err(|s| match s.code() {
            tonic::Code::FailedPrecondition => {
                ApiError::forbidden(FAMILY, "AI Move module not enabled for this client")
            }
            _ => ApiError::from_status(FAMILY, &s),
        })?
        .into_inner();
    let data: Vec<Value> = page
        .sessions
        .iter()
        .map(|s| {
            let r = s.client_results.clone().unwrap_or_default();
            json!({
                "id": s.session_id,
                "clientId": s.tenant_id,
                "userId": s.user_id,
                "exerciseId": s.exercise_id,
                "exerciseType": r.exercise_type,
                "status": statuses::session_name_of(s.status),
                "repsCompleted": r.reps_completed,
                "durationSeconds": r.duration_s,
                "caloriesBurned": r.calories_burned_kcal,
                "createdAt": iso_millis(s.created_at.as_ref()),
                "completedAt": iso_millis(s.completed_at.as_ref()),
            })
        })
        .collect();
    Ok(Json(json!({ "count": data.len(), "data": data })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn patch_validation_rejects_out_of_range_fields() {
        for bad in [
            json!({"poseAccuracy": 1.2}),
            json!({"formScore": -0.1}),
            json!({"repsCompleted": -1}),
            json!({"repsCompleted": 1.5}),
            json!({"durationSeconds": "10"}),
            json!({"completionOutcome": "maybe"}),
            json!({"formViolations": [{"label": "no key"}]}),
            json!({"formViolations": [{"key": "k", "violationRate": 2}]}),
            json!({"bogus": 1}),
        ] {
            assert!(
                build_update(&body(bad.clone())).is_err(),
                "{bad} should be rejected"
            );
        }
    }

    #[test]
    fn patch_mask_lists_present_fields() {
        let (results, mask) = build_update(&body(json!({
            "status": "completed", "completionOutcome": "success", "repsCompleted": 10,
            "durationSeconds": 45, "poseAccuracy": 0.92, "formScore": 0.88
        })))
        .unwrap();
        assert_eq!(results.reps_completed, 10);
        assert_eq!(results.form_score, Some(0.88));
        assert_eq!(
            mask,
            [
                "completion_outcome",
                "reps_completed",
                "duration_s",
                "pose_accuracy",
                "form_score"
            ]
        );
    }
}
