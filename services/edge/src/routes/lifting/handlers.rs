//! The axum handlers of the Weightlifting and Retrieval APIs with their OpenAPI
//! annotations; each one extracts the request and calls the route in [`super`].

use axum::Extension;
use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;

use super::params::{CreateParams, Params, ReadParams, ThreadParams};
use super::{
    RECOMMENDATION_THREADS, SUMMARY_THREADS, analyzed_video, create, create_topic_threads, details,
    export, lift_analysis, summary,
};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::views::Activity;

macro_rules! activity_handlers {
    ($activity:expr, $tag:literal, $create_path:literal, $details_path:literal, $export_path:literal, $summary_path:literal,
     $create:ident, $details:ident, $export:ident, $summary:ident, $create_summary:ident) => {
        #[utoipa::path(post, path = $create_path, tag = $tag,
            params(CreateParams),
            request_body(content_type = "multipart/form-data", content = Object,
                description = "user_id (required), video (file, required), exercise_name (required), session_name, barbell_mass (default 100 kg / 220 lb), body_joint_angles (ankle, knee, elbow, hip, shoulder: comma-separated, a JSON array, or the field repeated as body_joint_angles or body_joint_angles[]; default all)"),
            responses((status = 200, description = "{session_id, title}", body = Object),
                (status = 400, description = "Missing user_id/video/exercise_name or invalid form data"),
                (status = 401, description = "Missing or invalid access token"),
                (status = 403, description = "Admin permission required to create sessions for others"),
                (status = 413, description = "Video too large, or longer than the tenant's analysis limits"),
                (status = 429, description = "The tenant's analyses in flight are at its limit; retry after Retry-After seconds")),
            security(("api_key" = [])))]
        pub async fn $create(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
            Params(params): Params<CreateParams>,
            multipart: Result<Multipart, MultipartRejection>,
        ) -> ApiResult<Json<Value>> {
            create(state, caller, $activity, params, multipart).await
        }

        #[utoipa::path(get, path = $details_path, tag = $tag,
            params(("session_id" = String, Path, description = "Session id"),
                ReadParams),
            responses((status = 200, description = "{session_id, analyzed_video_url, video_url, created_at {date DD/MM/YYYY, time HH:MM AM/PM}, exercise, user_name, activity, title, metrics, angles, report_metrics, all_timestamps}", body = Object),
                (status = 400, description = "Invalid parameters"), (status = 401, description = "Missing or invalid access token"),
                (status = 403, description = "Insufficient privileges"), (status = 404, description = "Session not found or invalid activity")),
            security(("api_key" = [])))]
        pub async fn $details(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
            Path(session_id): Path<String>,
            Params(params): Params<ReadParams>,
            headers: HeaderMap,
        ) -> ApiResult<Json<Value>> {
            details(state, caller, $activity, session_id, params, headers).await
        }

        #[utoipa::path(get, path = $export_path, tag = $tag,
            params(("session_id" = String, Path, description = "Session id"),
                ReadParams),
            responses((status = 200, description = "{keypoints, angles, all_timestamps, metrics, activity}", body = Object),
                (status = 400, description = "Invalid parameters"), (status = 401, description = "Missing or invalid access token"),
                (status = 403, description = "Insufficient privileges"), (status = 404, description = "Session not found or invalid activity")),
            security(("api_key" = [])))]
        pub async fn $export(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
            Path(session_id): Path<String>,
            Params(params): Params<ReadParams>,
        ) -> ApiResult<Json<Value>> {
            export(state, caller, $activity, session_id, params).await
        }

        #[utoipa::path(get, path = $summary_path, tag = $tag,
            params(("session_id" = String, Path, description = "Session id"),
                ReadParams),
            responses((status = 200, description = "{summary_text?, exercise_type, velocity, power, stability, user_information, session_date}", body = Object),
                (status = 400, description = "Invalid parameters"), (status = 401, description = "Token missing or expired"),
                (status = 403, description = "Forbidden"), (status = 404, description = "Session not found")),
            security(("api_key" = [])))]
        pub async fn $summary(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
            Path(session_id): Path<String>,
            Params(params): Params<ReadParams>,
        ) -> ApiResult<Json<Value>> {
            summary(state, caller, $activity, session_id, params).await
        }

        #[utoipa::path(post, path = $summary_path, tag = $tag,
            params(("session_id" = String, Path, description = "Session id"),
                ThreadParams),
            responses((status = 200, description = "Block name -> thread id (velocity, power, stability, final_summary); poll GET /threads/{thread_id}", body = Object),
                (status = 400, description = "Invalid parameters"), (status = 401, description = "Token is invalid or expired"),
                (status = 403, description = "Forbidden"), (status = 404, description = "Session not found")),
            security(("api_key" = [])))]
        pub async fn $create_summary(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
            Path(session_id): Path<String>,
            Params(params): Params<ThreadParams>,
            headers: HeaderMap,
        ) -> ApiResult<Json<Value>> {
            create_topic_threads(state, caller, $activity, session_id, params, &headers, &SUMMARY_THREADS).await
        }
    };
}

activity_handlers!(
    Activity::Weightlifting,
    "Weightlifting",
    "/weightlifting/sessions/",
    "/weightlifting/sessions/{session_id}/",
    "/weightlifting/sessions/{session_id}/export/",
    "/weightlifting/sessions/{session_id}/summary/",
    weightlifting_create,
    weightlifting_details,
    weightlifting_export,
    weightlifting_summary,
    weightlifting_create_summary
);
activity_handlers!(
    Activity::Jumping,
    "Jumping",
    "/jumping/sessions/",
    "/jumping/sessions/{session_id}/",
    "/jumping/sessions/{session_id}/export/",
    "/jumping/sessions/{session_id}/summary/",
    jumping_create,
    jumping_details,
    jumping_export,
    jumping_summary,
    jumping_create_summary
);
activity_handlers!(
    Activity::Running,
    "Running",
    "/running/sessions/",
    "/running/sessions/{session_id}/",
    "/running/sessions/{session_id}/export/",
    "/running/sessions/{session_id}/summary/",
    running_create,
    running_details,
    running_export,
    running_summary,
    running_create_summary
);

/// `GET /weightlifting/sessions/{session_id}/lift-analysis/`
#[utoipa::path(get, path = "/weightlifting/sessions/{session_id}/lift-analysis/", tag = "Weightlifting",
    params(("session_id" = String, Path, description = "Session id"),
        ReadParams),
    responses((status = 200, description = "{exercise, key_metrics, body_positioning, joint_angles, barbell_positioning, phase_data {phase: {image_url}}, chart_data, user_information, session_date, comments}", body = Object),
        (status = 400, description = "Invalid parameters"), (status = 401, description = "Missing/invalid token"),
        (status = 403, description = "Forbidden"), (status = 404, description = "Session does not exist")),
    security(("api_key" = [])))]
pub async fn weightlifting_lift_analysis(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(session_id): Path<String>,
    Params(params): Params<ReadParams>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    lift_analysis(state, caller, session_id, params, headers).await
}

/// `POST /weightlifting/sessions/{session_id}/recommendation/`
#[utoipa::path(post, path = "/weightlifting/sessions/{session_id}/recommendation/", tag = "Weightlifting",
    params(("session_id" = String, Path, description = "Session id"),
        ThreadParams),
    responses((status = 200, description = "Lift metric -> thread id (12 metrics); poll GET /threads/{thread_id}", body = Object),
        (status = 400, description = "Invalid parameters"), (status = 401, description = "Token is invalid or expired"),
        (status = 403, description = "Forbidden"), (status = 404, description = "Session not found")),
    security(("api_key" = [])))]
pub async fn weightlifting_recommendation(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(session_id): Path<String>,
    Params(params): Params<ThreadParams>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    create_topic_threads(
        state,
        caller,
        Activity::Weightlifting,
        session_id,
        params,
        &headers,
        &RECOMMENDATION_THREADS,
    )
    .await
}

/// `GET /sessions/{session_id}/analyzed-video/`
#[utoipa::path(get, path = "/sessions/{session_id}/analyzed-video/", tag = "Retrieval",
    params(("session_id" = String, Path, description = "Session id")),
    responses((status = 200, description = "{session_id, status: complete, analyzed_video_url}", body = Object),
        (status = 202, description = "{status: pending}: generation queued, poll again", body = Object),
        (status = 401, description = "Missing or invalid token"), (status = 404, description = "Session or video not found"),
        (status = 422, description = "The analysed video could not be generated")),
    security(("api_key" = [])))]
pub async fn analyzed_video_route(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(session_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    analyzed_video(state, caller, session_id, headers).await
}

/// `GET /session-management/sessions/{session_id}/analyzed-video/`
#[utoipa::path(get, path = "/session-management/sessions/{session_id}/analyzed-video/", tag = "Retrieval",
    params(("session_id" = String, Path, description = "Session id")),
    responses((status = 200, description = "{session_id, status: complete, analyzed_video_url}", body = Object),
        (status = 202, description = "{status: pending}: generation queued, poll again", body = Object),
        (status = 401, description = "Missing or invalid token"), (status = 404, description = "Session or video not found"),
        (status = 422, description = "The analysed video could not be generated")),
    security(("api_key" = [])))]
pub async fn session_management_analyzed_video(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(session_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    analyzed_video(state, caller, session_id, headers).await
}
