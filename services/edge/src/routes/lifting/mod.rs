//! The Weightlifting and Retrieval APIs: weightlifting, jumping and running sessions created by an
//! admin on behalf of a user, their details, export, lift analysis, summary,
//! GenAI comment threads and the analysed video. Errors: `{"error": ...}`.
//!
//! Each route loads the session ([`load`]), converts it to the caller's units and
//! hands it to a view in [`views`]; query parameters are typed in [`params`], the
//! create form in [`create`], demo-session discovery lives in [`demo`] and the axum
//! handlers with their OpenAPI annotations in [`handlers`].

mod create;
mod demo;
mod handlers;
mod params;
mod views;

use std::borrow::Cow;

use axum::Json;
use axum::extract::Multipart;
use axum::extract::multipart::MultipartRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use fitvision_proto::v1::{
    AnnotatedVideoFlavour, AnnotatedVideoStatus, RequestAnnotatedVideoRequest, Session,
    UploadMetadata,
};
use serde_json::{Value, json};

pub use handlers::*;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Family, GrpcResultExt};
use crate::routes::pose_track::read_pose_track;
use crate::routes::sessions::{OtherUsers, SessionLookup, load_session};
use crate::state::AppState;
use crate::threads::{NewThreads, completed_texts, create_threads, thread_language};
use crate::upload::{UploadPlan, multipart_body, stream_form_upload};
use crate::views::{Activity, primary_video};
use create::NewSession;
use params::{CreateParams, ReadParams, ThreadParams};

const FAMILY: Family = Family::Lifting;
const SUMMARY_PURPOSE: &str = "summary";
const RECOMMENDATION_PURPOSE: &str = "recommendation";

/// The threads one POST creates: the session attribute purpose and the topics.
pub(super) struct TopicSet {
    purpose: &'static str,
    topics: &'static [&'static str],
}

/// `POST .../summary/`: one thread per summary block.
pub(super) const SUMMARY_THREADS: TopicSet = TopicSet {
    purpose: SUMMARY_PURPOSE,
    topics: &SUMMARY_TOPICS,
};

/// `POST /weightlifting/sessions/{id}/recommendation/`: one thread per lift metric.
pub(super) const RECOMMENDATION_THREADS: TopicSet = TopicSet {
    purpose: RECOMMENDATION_PURPOSE,
    topics: &RECOMMENDATION_TOPICS,
};

/// Summary blocks of `POST .../summary/`.
pub const SUMMARY_TOPICS: [&str; 4] = fitvision_proto::topics::LIFT_SUMMARY;
/// Lift-analysis metrics of `POST .../recommendation/`.
pub const RECOMMENDATION_TOPICS: [&str; 12] = fitvision_proto::topics::LIFT_METRICS;

/// Joints selectable through `body_joint_angles` (the API's documented list).
const JOINTS: [&str; 5] = ["ankle", "knee", "elbow", "hip", "shoulder"];

/// How the family finds a session: another user's session is refused (403), one of
/// another activity is not found. `None` serves any kind.
fn lookup(activity: Option<Activity>) -> SessionLookup {
    SessionLookup {
        family: FAMILY,
        kind: activity.map(Activity::kind),
        not_found: match activity {
            Some(activity) => Cow::Owned(format!(
                "Session not found or the activity is not {}",
                activity.title()
            )),
            None => Cow::Borrowed("Session not found"),
        },
        other_users: OtherUsers::Forbidden,
    }
}

/// The session a read serves (the activity's demo session when `demo=true`), its
/// analysis converted to the caller's measurement system.
async fn load(
    state: &AppState,
    caller: &Caller,
    activity: Activity,
    session_id: &str,
    params: &ReadParams,
) -> ApiResult<Session> {
    let units = params.units()?;
    let mut session = if params.demo()? {
        demo::demo_session(state, caller, activity).await?
    } else {
        load_session(
            state,
            &caller.forwarded,
            session_id,
            &lookup(Some(activity)),
        )
        .await?
    };
    // Every read of the family reports values in the caller's measurement system.
    for video in &mut session.videos {
        if let Some(result) = video.result.as_mut() {
            crate::units::convert_result(result, units);
        }
    }
    Ok(session)
}

/// `POST /{activity}/sessions/`
async fn create(
    state: AppState,
    caller: Caller,
    activity: Activity,
    params: CreateParams,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<Value>> {
    let units = params.units()?;
    let mut created: Option<Session> = None;
    let plan = UploadPlan {
        family: FAMILY,
        file_fields: &["video", "file"],
        required_before_file: &["user_id", "exercise_name"],
        list_fields: &["body_joint_angles"],
        file_after_required: false,
        credential: caller.forwarded.clone(),
        declared_size: None,
    };
    let form = stream_form_upload(
        &state,
        multipart_body(FAMILY, multipart)?,
        plan,
        async |fields| {
            let new = NewSession::from_form(fields, &caller, activity, units)?;
            let session = new.create(&state, &caller, activity).await?;
            let metadata = UploadMetadata {
                session_id: session.session_id.clone(),
                kind: activity.kind() as i32,
                exercise_id: new.exercise.clone(),
                filename: fields
                    .get("__filename")
                    .cloned()
                    .unwrap_or_else(|| "video.mp4".into()),
                subject: Some(new.subject()),
                user_id: new.user_id.clone(),
                title: new.title.clone(),
                ..Default::default()
            };
            created = Some(session);
            Ok(metadata)
        },
    )
    .await?;
    if form.video.is_none() {
        return Err(ApiError::bad_request(FAMILY, "video is required"));
    }
    let session = created.ok_or_else(|| ApiError::internal(FAMILY, "no session was created"))?;
    Ok(Json(
        json!({ "session_id": session.session_id, "title": session.title }),
    ))
}

/// `GET /{activity}/sessions/{id}/`
async fn details(
    state: AppState,
    caller: Caller,
    activity: Activity,
    session_id: String,
    params: ReadParams,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let session = load(&state, &caller, activity, &session_id, &params).await?;
    let url = |key: &str| state.download_url(&headers, key);
    Ok(Json(views::details(&session, activity, &url)))
}

/// `GET /{activity}/sessions/{id}/export/`
async fn export(
    state: AppState,
    caller: Caller,
    activity: Activity,
    session_id: String,
    params: ReadParams,
) -> ApiResult<Json<Value>> {
    let session = load(&state, &caller, activity, &session_id, &params).await?;
    let track = match primary_video(&session) {
        Some(video) if video.pose_track.is_some() => {
            Some(read_pose_track(&state, &caller, FAMILY, &video.video_id).await?)
        }
        _ => None,
    };
    Ok(Json(views::export(&session, activity, track.as_ref())))
}

/// `GET /weightlifting/sessions/{id}/lift-analysis/`
async fn lift_analysis(
    state: AppState,
    caller: Caller,
    session_id: String,
    params: ReadParams,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let activity = Activity::Weightlifting;
    let session = load(&state, &caller, activity, &session_id, &params).await?;
    let comments =
        completed_texts(&state, &caller, FAMILY, &session, RECOMMENDATION_PURPOSE).await?;
    let url = |key: &str| state.download_url(&headers, key);
    Ok(Json(views::lift_analysis(
        &session,
        params.units()?,
        comments,
        &url,
    )))
}

/// `GET /{activity}/sessions/{id}/summary/`
async fn summary(
    state: AppState,
    caller: Caller,
    activity: Activity,
    session_id: String,
    params: ReadParams,
) -> ApiResult<Json<Value>> {
    let session = load(&state, &caller, activity, &session_id, &params).await?;
    let texts = completed_texts(&state, &caller, FAMILY, &session, SUMMARY_PURPOSE).await?;
    Ok(Json(views::summary(&session, params.units()?, texts)))
}

/// `POST /{activity}/sessions/{id}/summary/` and `POST /weightlifting/sessions/{id}/recommendation/`:
/// one GenAI thread per topic, written in the caller's measurement system.
async fn create_topic_threads(
    state: AppState,
    caller: Caller,
    activity: Activity,
    session_id: String,
    params: ThreadParams,
    headers: &HeaderMap,
    set: &TopicSet,
) -> ApiResult<Json<Value>> {
    let units = params.units()?;
    let language = thread_language(FAMILY, params.language.as_deref(), headers)?;
    let session = load(
        &state,
        &caller,
        activity,
        &session_id,
        &ReadParams::default(),
    )
    .await?;
    let threads = create_threads(
        &state,
        &caller,
        FAMILY,
        &session.session_id,
        &NewThreads {
            purpose: set.purpose,
            topics: set.topics,
            measurement_system: units,
            language,
        },
    )
    .await?;
    Ok(Json(json!(threads)))
}

/// `GET /sessions/{id}/analyzed-video/` and `/session-management/...`: the
/// analysed video's URL, queueing its rendering when missing (202 pending).
async fn analyzed_video(
    state: AppState,
    caller: Caller,
    session_id: String,
    headers: HeaderMap,
) -> ApiResult<Response> {
    // Retrieval serves a session of any activity.
    let session = load_session(&state, &caller.forwarded, &session_id, &lookup(None)).await?;
    let video = primary_video(&session).ok_or_else(|| {
        ApiError::not_found(FAMILY, "no video has been uploaded for this session")
    })?;
    let answer = state
        .session()
        .request_annotated_video(caller.request(RequestAnnotatedVideoRequest {
            video_id: video.video_id.clone(),
            flavour: AnnotatedVideoFlavour::All as i32,
        }))
        .await
        .api(FAMILY)?;
    match answer.status() {
        AnnotatedVideoStatus::Complete => {
            let url = answer
                .video
                .map(|o| state.download_url(&headers, &o.key))
                .ok_or_else(|| ApiError::internal(FAMILY, "annotated video has no object"))?;
            Ok(Json(json!({
                "session_id": session.session_id,
                "status": "complete",
                "analyzed_video_url": url,
            }))
            .into_response())
        }
        AnnotatedVideoStatus::Failed => Err(ApiError::new(
            FAMILY,
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "the analysed video could not be generated: {}",
                answer.reason
            ),
        )),
        _ => Ok((
            StatusCode::ACCEPTED,
            Json(json!({
                "session_id": session.session_id,
                "status": "pending",
                "analyzed_video_url": Value::Null,
                "message": "The analysed video is being generated; poll this endpoint again.",
            })),
        )
            .into_response()),
    }
}
