//! The AI Exercise Trainer API: workout sessions with several exercises,
//! a synchronous submit (authenticity check first, 403 when blocked), AI
//! coaching and a summary. FastAPI-style errors: `{"detail": ...}`.

use std::borrow::Cow;
use std::time::Duration;

use axum::Extension;
use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use fitvision_proto::v1::{
    AuthenticityReport, CreateSessionRequest, DeleteSessionRequest, FailureCode,
    ListSessionsRequest, MeasurementSystem, RiskLevel, Session, SessionKind, ThreadStatus,
    UploadMetadata, Video, VideoStatus,
};
use serde_json::{Value, json};

use fitvision_exercise_engine::definition::normalise_id;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Family, GrpcResultExt};
use crate::params::{Params, QueryParams};
use crate::progress::wait_for_video;
use crate::state::AppState;
use crate::threads::{
    NewThreads, create_threads, recorded_threads, thread_language, wait_for_thread,
};
use crate::upload::{UploadPlan, multipart_body, stream_form_upload};
use crate::views::{cheat_detection, iso_seconds, video_status_name};

use super::sessions::{OtherUsers, SessionLookup, load_session};

const FAMILY: Family = Family::Trainer;
const AI_PURPOSE: &str = "trainer";
const AI_TOPIC: &str = "overall";

/// The documented exercise types (pushup, squat, situp, ...), in the API's order:
/// the catalog's exercises that carry a trainer entry.
pub fn exercise_types() -> Vec<&'static str> {
    super::catalog()
        .trainer_exercises()
        .filter_map(|d| d.trainer.as_ref())
        .map(|t| t.exercise_type.as_str())
        .collect()
}

/// Catalog id for a documented exercise type: the type (`pushup`), the names the API
/// document lists ("Pushups", "Sit-ups", "Sit & Reach", "Broad Jump"), or any catalog id
/// or alias of a trainer exercise (`push_up`, `press_up`), also written without `_`.
pub fn catalog_exercise(exercise_type: &str) -> Option<&'static str> {
    let catalog = super::catalog();
    let trainer = |d: &&fitvision_exercise_engine::ExerciseDefinition| d.trainer.is_some();
    if let Some(definition) = catalog.get(exercise_type).filter(trainer) {
        return Some(definition.id.as_str());
    }
    let squashed = normalise_id(exercise_type).replace('_', "");
    catalog
        .trainer_exercises()
        .find(|d| {
            d.trainer
                .as_ref()
                .is_some_and(|t| t.exercise_type.replace('_', "") == squashed)
        })
        .map(|d| d.id.as_str())
}

/// The exercise type reported for a catalog id (the id itself when the API has no name for it).
fn exercise_type_of(catalog_id: &str) -> &str {
    super::catalog()
        .trainer_exercises()
        .find(|d| d.id == catalog_id)
        .and_then(|d| d.trainer.as_ref())
        .map_or(catalog_id, |t| t.exercise_type.as_str())
}

/// FastAPI's only documented miss is 404: another user's session is not found.
async fn load(state: &AppState, caller: &Caller, session_id: &str) -> ApiResult<Session> {
    let lookup = SessionLookup {
        family: FAMILY,
        kind: Some(SessionKind::Workout),
        not_found: Cow::Borrowed("Session not found"),
        other_users: OtherUsers::Hidden,
    };
    load_session(state, &caller.forwarded, session_id, &lookup).await
}

/// Metrics of one analysed video in the AI Exercise Trainer API's flat shape.
fn metrics_json(video: &Video) -> Value {
    let mut metrics = serde_json::Map::new();
    if let Some(result) = &video.result {
        let mut keys: Vec<_> = result.metrics.keys().collect();
        keys.sort();
        for key in keys {
            metrics.insert(key.clone(), json!(result.metrics[key]));
        }
        metrics.insert("rep_count".into(), json!(result.rep_count));
        metrics.insert("form_score".into(), json!(result.form_score));
        metrics.insert("pose_accuracy".into(), json!(result.pose_accuracy));
        metrics.insert("duration_s".into(), json!(result.duration_s));
        metrics.insert("hold_time_s".into(), json!(result.hold_time_s));
        metrics.insert("calories_kcal".into(), json!(result.calories_kcal));
        metrics.insert("mode".into(), json!(result.mode));
    }
    Value::Object(metrics)
}

fn exercise_json(index: usize, video: &Video) -> Value {
    let result = video.result.as_ref();
    json!({
        "exercise_number": index + 1,
        "exercise_type": exercise_type_of(&video.exercise_id),
        "video_id": video.video_id,
        "status": video_status_name(video.status()),
        "submitted_at": iso_seconds(video.created_at.as_ref()),
        "completed_at": iso_seconds(video.completed_at.as_ref()),
        "metrics": metrics_json(video),
        "reps": result.map(|r| r.reps.iter().map(|rep| json!({
            "index": rep.index,
            "start_time_s": rep.start_timestamp_ms / 1000.0,
            "mid_time_s": rep.mid_timestamp_ms / 1000.0,
            "end_time_s": rep.end_timestamp_ms / 1000.0,
            "range_of_motion": rep.range_of_motion,
            "eccentric_s": rep.eccentric_s,
            "concentric_s": rep.concentric_s,
            "good_form": rep.good_form,
        })).collect::<Vec<_>>()).unwrap_or_default(),
        "form_violations": result.map(|r| r.form_violations.iter().map(|v| json!({
            "key": v.key, "label": v.label, "weight": v.weight,
            "total_checks": v.total_checks, "violation_count": v.violation_count,
            "violation_rate": v.violation_rate,
        })).collect::<Vec<_>>()).unwrap_or_default(),
        "warnings": result.map(|r| r.warnings.clone()).unwrap_or_default(),
        "cheat_detection": cheat_detection(video.authenticity.as_ref()),
    })
}

/// Why a video was blocked, in the terms of the policy it was checked under.
fn blocked_message(report: Option<&AuthenticityReport>) -> String {
    let policy = fitvision_proto::blocking::effective(report.and_then(|r| r.policy.as_ref()));
    let risks = match policy.block_risk() {
        RiskLevel::High => "HIGH",
        RiskLevel::Low => "any",
        RiskLevel::Medium | RiskLevel::Unspecified => "MEDIUM/HIGH",
    };
    format!(
        "Video blocked: authenticity score >= {} or {risks} risk",
        policy.block_score
    )
}

fn completed(session: &Session) -> Vec<&Video> {
    let mut videos: Vec<&Video> = session
        .videos
        .iter()
        .filter(|v| v.status() == VideoStatus::Complete)
        .collect();
    videos.sort_by_key(|v| v.created_at.as_ref().map(|t| (t.seconds, t.nanos)));
    videos
}

/// `POST /session/create`
#[utoipa::path(post, path = "/session/create", tag = "AI Exercise Trainer",
    responses((status = 200, description = "Session created: {session_id, status, created_at, message}", body = Object),
        (status = 401, description = "Missing or invalid credentials")),
    security(("api_key" = [])))]
pub async fn create_session(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Value>> {
    let session = state
        .session()
        .create_session(caller.request(CreateSessionRequest {
            kind: SessionKind::Workout as i32,
            title: "Workout session".to_owned(),
            ..Default::default()
        }))
        .await
        .api(FAMILY)?
        .session
        .ok_or_else(|| ApiError::internal(FAMILY, "session service returned no session"))?;
    Ok(Json(json!({
        "session_id": session.session_id,
        "status": "active",
        "created_at": iso_seconds(session.created_at.as_ref()),
        "message": "Session created successfully",
    })))
}

/// `POST /session/{session_id}/submit-exercise`
#[utoipa::path(post, path = "/session/{session_id}/submit-exercise", tag = "AI Exercise Trainer",
    params(("session_id" = String, Path, description = "Workout session id")),
    request_body(content_type = "multipart/form-data", description = "exercise_type (pushup, squat, situp, sit_and_reach, skipping, jumping_jacks, vertical_jump, broad_jump; the listed names such as Pushups, Sit-ups or Sit & Reach and catalog aliases are accepted too) and video (file)", content = Object),
    responses((status = 200, description = "Analysed exercise: metrics.rep_count (+ jump_height_cm / jump_distance_cm for jumps) and cheat_detection {score, risk_level, blocked, over_threshold, checks[], policy}; under a tenant policy of mode `flag` a video over the thresholds is analysed too (blocked false, over_threshold true)", body = Object),
        (status = 400, description = "Missing field, unknown exercise type or unreadable video"),
        (status = 401, description = "Missing or invalid credentials"),
        (status = 403, description = "Cheat detection failed (video blocked): detail carries the report"),
        (status = 404, description = "Session not found"),
        (status = 413, description = "Video too large, or longer than the tenant's analysis limits"),
        (status = 429, description = "The tenant's analyses in flight are at its limit; retry after Retry-After seconds"),
        (status = 422, description = "No confident pose found in the video"),
        (status = 500, description = "Analysis error")),
    security(("api_key" = [])))]
pub async fn submit_exercise(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(session_id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<Value>> {
    let session = load(&state, &caller, &session_id).await?;
    let plan = UploadPlan {
        family: FAMILY,
        file_fields: &["video", "file"],
        required_before_file: &["exercise_type"],
        list_fields: &[],
        file_after_required: false,
        credential: caller.forwarded.clone(),
        declared_size: None,
    };
    let form = stream_form_upload(
        &state,
        multipart_body(FAMILY, multipart)?,
        plan,
        async |fields| {
            let exercise_type = fields
                .get("exercise_type")
                .map(String::as_str)
                .unwrap_or("");
            let exercise_id = catalog_exercise(exercise_type).ok_or_else(|| {
                ApiError::bad_request(
                    FAMILY,
                    format!(
                        "Invalid exercise_type '{exercise_type}'. Supported: {}",
                        exercise_types().join(", ")
                    ),
                )
            })?;
            Ok(UploadMetadata {
                session_id: session.session_id.clone(),
                kind: SessionKind::Workout as i32,
                exercise_id: exercise_id.to_owned(),
                filename: fields
                    .get("__filename")
                    .cloned()
                    .unwrap_or_else(|| "video.mp4".into()),
                ..Default::default()
            })
        },
    )
    .await?;
    if !form.fields.contains_key("exercise_type") {
        return Err(ApiError::bad_request(
            FAMILY,
            "Field required: exercise_type",
        ));
    }
    let Some(uploaded) = form.video else {
        return Err(ApiError::bad_request(FAMILY, "Field required: video"));
    };
    let video = wait_for_video(
        &state,
        &caller,
        FAMILY,
        &uploaded.video_id,
        Duration::from_secs(state.config().pipeline_timeout_s),
    )
    .await?;
    let exercise_number = load(&state, &caller, &session_id)
        .await
        .map(|s| completed(&s).len())
        .unwrap_or(1);
    match video.status() {
        VideoStatus::Blocked => Err(ApiError::forbidden(FAMILY, "Cheat detection failed")
            .with_detail(json!({
                "error": "Cheat detection failed",
                "message": blocked_message(video.authenticity.as_ref()),
                "exercise_type": exercise_type_of(&video.exercise_id),
                "video_id": video.video_id,
                "cheat_detection": cheat_detection(video.authenticity.as_ref()),
            }))),
        VideoStatus::Failed => {
            let (status, reason) = match video.failure_code() {
                FailureCode::LowQualityPoseEstimate => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "LOW_QUALITY_POSE_ESTIMATE",
                ),
                FailureCode::UnreadableVideo => (StatusCode::BAD_REQUEST, "UNREADABLE_VIDEO"),
                FailureCode::UnknownExercise => (StatusCode::BAD_REQUEST, "UNKNOWN_EXERCISE"),
                FailureCode::VideoTooLong => (StatusCode::PAYLOAD_TOO_LARGE, "VIDEO_TOO_LONG"),
                FailureCode::BlockedByAuthenticity => {
                    (StatusCode::FORBIDDEN, "BLOCKED_BY_AUTHENTICITY")
                }
                _ => (StatusCode::INTERNAL_SERVER_ERROR, "ANALYSIS_ERROR"),
            };
            Err(
                ApiError::new(FAMILY, status, "Analysis error").with_detail(json!({
                    "error": format!("Analysis error: {}", video.failure_reason),
                    "reason": reason,
                    "video_id": video.video_id,
                    "cheat_detection": cheat_detection(video.authenticity.as_ref()),
                })),
            )
        }
        _ => {
            let mut body = exercise_json(exercise_number.saturating_sub(1), &video);
            body["session_id"] = json!(session_id);
            body["success"] = json!(true);
            body["message"] = json!("Exercise analysed successfully");
            Ok(Json(body))
        }
    }
}

/// `GET /session/{session_id}/status`
#[utoipa::path(get, path = "/session/{session_id}/status", tag = "AI Exercise Trainer",
    params(("session_id" = String, Path, description = "Workout session id")),
    responses((status = 200, description = "Completed exercises of the session", body = Object),
        (status = 401, description = "Missing or invalid credentials"), (status = 404, description = "Session not found")),
    security(("api_key" = [])))]
pub async fn session_status(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(session_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let session = load(&state, &caller, &session_id).await?;
    let done = completed(&session);
    Ok(Json(json!({
        "session_id": session.session_id,
        "status": fitvision_proto::statuses::session_name_of(session.status),
        "created_at": iso_seconds(session.created_at.as_ref()),
        "exercises_completed": done.len(),
        "completed_exercises": done.iter().map(|v| exercise_type_of(&v.exercise_id)).collect::<Vec<_>>(),
        "exercises": session.videos.iter().enumerate().map(|(i, v)| json!({
            "exercise_number": i + 1,
            "exercise_type": exercise_type_of(&v.exercise_id),
            "video_id": v.video_id,
            "status": video_status_name(v.status()),
            "rep_count": v.result.as_ref().map(|r| r.rep_count),
        })).collect::<Vec<_>>(),
        "ai_analysis_generated": !recorded_threads(&session, AI_PURPOSE).is_empty(),
        "can_generate_ai_analysis": !done.is_empty(),
    })))
}

/// Query parameters of `generate-ai-analysis`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AiAnalysisParams {
    /// Language of the feedback: 'en' or 'zh' (BCP-47 tags such as zh-Hant are read by
    /// their language); default: the Accept-Language header's preference, else 'en'
    pub language: Option<String>,
}

impl QueryParams for AiAnalysisParams {
    const FAMILY: Family = FAMILY;
}

/// `POST /session/{session_id}/generate-ai-analysis`
#[utoipa::path(post, path = "/session/{session_id}/generate-ai-analysis", tag = "AI Exercise Trainer",
    params(("session_id" = String, Path, description = "Workout session id"), AiAnalysisParams),
    responses((status = 200, description = "AI coaching feedback for the completed exercises", body = Object),
        (status = 400, description = "No completed exercise yet"),
        (status = 401, description = "Missing or invalid credentials"), (status = 404, description = "Session not found"),
        (status = 500, description = "Analysis error")),
    security(("api_key" = [])))]
pub async fn generate_ai_analysis(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(session_id): Path<String>,
    Params(params): Params<AiAnalysisParams>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let language = thread_language(FAMILY, params.language.as_deref(), &headers)?;
    let session = load(&state, &caller, &session_id).await?;
    let done = completed(&session);
    if done.is_empty() {
        return Err(ApiError::bad_request(
            FAMILY,
            "No completed exercises in this session. Submit at least one exercise first.",
        ));
    }
    let threads = create_threads(
        &state,
        &caller,
        FAMILY,
        &session_id,
        &NewThreads {
            purpose: AI_PURPOSE,
            topics: &[AI_TOPIC],
            measurement_system: MeasurementSystem::Metric,
            language,
        },
    )
    .await?;
    let thread_id = threads
        .get(AI_TOPIC)
        .ok_or_else(|| ApiError::internal(FAMILY, "no coaching thread was created"))?;
    let thread =
        wait_for_thread(&state, &caller, FAMILY, thread_id, Duration::from_secs(120)).await?;
    if thread.status() == ThreadStatus::Failed {
        return Err(ApiError::internal(
            FAMILY,
            format!("AI analysis failed: {}", thread.error),
        ));
    }
    Ok(Json(json!({
        "session_id": session_id,
        "status": thread.status,
        "ai_analysis": thread.text,
        "provider": thread.provider,
        "language": thread.language,
        "thread_id": thread.thread_id,
        "exercises_analyzed": done.len(),
        "exercise_types": done.iter().map(|v| exercise_type_of(&v.exercise_id)).collect::<Vec<_>>(),
        "generated_at": iso_seconds(thread.completed_at.as_ref()),
    })))
}

/// `GET /session/{session_id}/summary`
#[utoipa::path(get, path = "/session/{session_id}/summary", tag = "AI Exercise Trainer",
    params(("session_id" = String, Path, description = "Workout session id")),
    responses((status = 200, description = "Complete session data: exercises with metrics and cheat detection; ai_analysis is the coaching text as generate-ai-analysis returns it (null until generated), with ai_analysis_status, ai_analysis_provider and ai_analysis_generated_at", body = Object),
        (status = 401, description = "Missing or invalid credentials"), (status = 404, description = "Session not found")),
    security(("api_key" = [])))]
pub async fn session_summary(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(session_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let session = load(&state, &caller, &session_id).await?;
    // `ai_analysis` is the coaching text, as `generate-ai-analysis` returns it (null until
    // generated and complete); the thread's state sits beside it.
    let mut ai_analysis = json!({
        "ai_analysis": null,
        "ai_analysis_status": null,
        "ai_analysis_provider": null,
        "ai_analysis_generated_at": null,
    });
    if let Some(thread_id) = recorded_threads(&session, AI_PURPOSE).get(AI_TOPIC) {
        let thread = crate::threads::get_thread(&state, &caller, FAMILY, thread_id).await?;
        ai_analysis = json!({
            "ai_analysis": (thread.status() == ThreadStatus::Complete).then_some(&thread.text),
            "ai_analysis_status": fitvision_proto::statuses::thread_name_of(thread.status),
            "ai_analysis_provider": thread.provider,
            "ai_analysis_generated_at": iso_seconds(thread.completed_at.as_ref()),
        });
    }
    let done = completed(&session);
    let total_reps: u32 = done
        .iter()
        .filter_map(|v| v.result.as_ref())
        .map(|r| r.rep_count)
        .sum();
    let mut summary = json!({
        "session_id": session.session_id,
        "status": fitvision_proto::statuses::session_name_of(session.status),
        "created_at": iso_seconds(session.created_at.as_ref()),
        "total_exercises": done.len(),
        "total_reps": total_reps,
        "exercises": done.iter().enumerate().map(|(i, v)| exercise_json(i, v)).collect::<Vec<_>>(),
    });
    if let (Some(summary), Value::Object(ai)) = (summary.as_object_mut(), ai_analysis) {
        summary.extend(ai);
    }
    Ok(Json(summary))
}

/// `DELETE /session/{session_id}`
#[utoipa::path(delete, path = "/session/{session_id}", tag = "AI Exercise Trainer",
    params(("session_id" = String, Path, description = "Workout session id")),
    responses((status = 200, description = "Deleted", body = Object),
        (status = 401, description = "Missing or invalid credentials"), (status = 404, description = "Session not found")),
    security(("api_key" = [])))]
pub async fn delete_session(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(session_id): Path<String>,
) -> ApiResult<Json<Value>> {
    load(&state, &caller, &session_id).await?;
    state
        .session()
        .delete_session(caller.request(DeleteSessionRequest {
            session_id: session_id.clone(),
        }))
        .await
        .api(FAMILY)?;
    Ok(Json(
        json!({ "message": "Session deleted successfully", "session_id": session_id }),
    ))
}

/// `GET /sessions`
#[utoipa::path(get, path = "/sessions", tag = "AI Exercise Trainer",
    responses((status = 200, description = "The caller's workout sessions", body = Object),
        (status = 401, description = "Missing or invalid credentials")),
    security(("api_key" = [])))]
pub async fn list_sessions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Value>> {
    let mut sessions = Vec::new();
    let mut cursor = String::new();
    // Bounded walk: at most 10 pages of 100.
    for _ in 0..10 {
        let page = state
            .session()
            .list_sessions(caller.request(ListSessionsRequest {
                kind: SessionKind::Workout as i32,
                user_id: caller.principal.user_id.clone(),
                limit: 100,
                start_after: cursor.clone(),
                newest_first: true,
                ..Default::default()
            }))
            .await
            .api(FAMILY)?;
        sessions.extend(page.sessions);
        if page.next_cursor.is_empty() {
            break;
        }
        cursor = page.next_cursor;
    }
    let items: Vec<Value> = sessions
        .iter()
        .map(|s| {
            json!({
                "session_id": s.session_id,
                "status": fitvision_proto::statuses::session_name_of(s.status),
                "created_at": iso_seconds(s.created_at.as_ref()),
                "exercises_completed": completed(s).len(),
            })
        })
        .collect();
    Ok(Json(
        json!({ "active_sessions": items.len(), "total": items.len(), "sessions": items }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exercise_types_and_aliases_map_to_catalog_ids() {
        assert_eq!(catalog_exercise("pushup"), Some("push_up"));
        assert_eq!(catalog_exercise("push_up"), Some("push_up"));
        assert_eq!(
            catalog_exercise("Sit-Ups".trim_end_matches('s')),
            Some("sit_up")
        );
        assert_eq!(catalog_exercise("vertical_jump"), Some("vertical_jump"));
        // A catalog exercise the trainer does not offer is not a trainer exercise.
        assert_eq!(catalog_exercise("deadlift"), None);
        assert_eq!(catalog_exercise("back_squat"), Some("squat"));
        assert_eq!(catalog_exercise("cmj"), Some("vertical_jump"));
        // The names the AI Exercise Trainer document lists, in its order.
        let listed = [
            "Pushups",
            "Squats",
            "Sit-ups",
            "Sit & Reach",
            "Skipping",
            "Jumping Jacks",
            "Vertical Jump",
            "Broad Jump",
        ];
        let ids: Vec<_> = listed.iter().map(|n| catalog_exercise(n)).collect();
        assert_eq!(
            ids,
            [
                "push_up",
                "squat",
                "sit_up",
                "sit_and_reach",
                "skipping",
                "jumping_jacks",
                "vertical_jump",
                "broad_jump"
            ]
            .map(Some)
        );
        assert_eq!(exercise_type_of("push_up"), "pushup");
        assert_eq!(exercise_type_of("deadlift"), "deadlift");
        assert_eq!(
            exercise_types(),
            [
                "pushup",
                "squat",
                "situp",
                "sit_and_reach",
                "skipping",
                "jumping_jacks",
                "vertical_jump",
                "broad_jump"
            ]
        );
        for name in exercise_types() {
            let id = catalog_exercise(name).unwrap();
            assert_eq!(exercise_type_of(id), name);
        }
    }

    #[test]
    fn blocked_message_names_the_policy_in_force() {
        assert_eq!(
            blocked_message(None),
            "Video blocked: authenticity score >= 40 or MEDIUM/HIGH risk"
        );
        let report = AuthenticityReport {
            policy: Some(fitvision_proto::v1::BlockingPolicy {
                block_score: 65.0,
                block_risk: RiskLevel::High as i32,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            blocked_message(Some(&report)),
            "Video blocked: authenticity score >= 65 or HIGH risk"
        );
    }
}
