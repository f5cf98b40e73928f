//! The Weightlifting and Retrieval APIs: weightlifting, jumping and running sessions created by an
//! admin on behalf of a user, their details, export, lift analysis, summary,
//! GenAI comment threads and the analysed video. Errors: `{"error": ...}`.

use std::collections::HashMap;

use axum::Extension;
use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
// The series the engine's lift analyser emits.
use fitvision_exercise_engine::names::series::{
    BAR_HEIGHT, BAR_VELOCITY, BARBELL_TRAJECTORY_X as BAR_X, BARBELL_TRAJECTORY_Y as BAR_Y,
    GROUND_REACTION_FORCE as GRF, HIP_ANGLE, HIP_HEIGHT, HIP_VELOCITY, KNEE_ANGLE,
    POWER_OUTPUT as POWER, SHIN_ANGLE, TORSO_ANGLE, VERTICAL_SHOULDER_HEIGHT as SHOULDER_HEIGHT,
};
use fitvision_proto::v1::stream_pose_track_response::Item;
use fitvision_proto::v1::{
    AnalysisResult, AnnotatedVideoFlavour, AnnotatedVideoStatus, CreateSessionRequest,
    GetSessionRequest, ListSessionsRequest, MeasurementSystem, RequestAnnotatedVideoRequest,
    Session, StreamPoseTrackRequest, Subject, UploadMetadata, Video, VideoStatus,
};
use serde_json::{Map, Value, json};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Family, GrpcResultExt};
use crate::state::AppState;
use crate::threads::{completed_texts, create_threads};
use crate::upload::{UploadPlan, multipart_body, stream_form_upload};
use crate::views::{
    Activity, created_at_parts, date_dmy, primary_video, title_case, video_status_name,
};

const FAMILY: Family = Family::Lifting;
const POUNDS_PER_KG: f64 = 2.204_622_621_8;
const SUMMARY_PURPOSE: &str = "summary";
const RECOMMENDATION_PURPOSE: &str = "recommendation";

/// Summary blocks of `POST .../summary/`.
pub const SUMMARY_TOPICS: [&str; 4] = ["velocity", "power", "stability", "final_summary"];
/// Lift-analysis metrics of `POST .../recommendation/`.
pub const RECOMMENDATION_TOPICS: [&str; 12] = [
    "power_output",
    "ground_reaction_force",
    "barbell_velocity",
    "hip_velocity",
    "shin_angle",
    "hip_height",
    "torso_angle",
    "hip_angle",
    "knee_angle",
    "bar_height",
    "barbell_trajectory",
    "vertical_shoulder_height",
];

/// Joints selectable through `body_joint_angles`.
const JOINTS: [&str; 5] = ["ankle", "knee", "elbow", "hip", "shoulder"];

/// COCO-17 keypoint names and the short prefixes the Weightlifting API's export uses.
const COCO_SHORT: [&str; 17] = [
    "nose", "leye", "reye", "lear", "rear", "lsho", "rsho", "lelb", "relb", "lwri", "rwri", "lhip",
    "rhip", "lkne", "rkne", "lank", "rank",
];

/// Query parameters shared by the family.
fn demo_flag(query: &HashMap<String, String>) -> ApiResult<bool> {
    match query.get("demo").map(|v| v.to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) if v == "true" || v == "1" => Ok(true),
        Some(v) if v == "false" || v == "0" || v.is_empty() => Ok(false),
        Some(v) => Err(ApiError::bad_request(
            FAMILY,
            format!("invalid demo value '{v}': use true or false"),
        )),
    }
}

pub fn measurement_system(query: &HashMap<String, String>) -> ApiResult<MeasurementSystem> {
    match query
        .get("measurement_system")
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("") | Some("metric") => Ok(MeasurementSystem::Metric),
        Some("imperial") => Ok(MeasurementSystem::Imperial),
        Some(other) => Err(ApiError::bad_request(
            FAMILY,
            format!("invalid measurement_system '{other}': use 'metric' or 'imperial'"),
        )),
    }
}

async fn get_session(state: &AppState, caller: &Caller, session_id: &str) -> ApiResult<Session> {
    state
        .session()
        .get_session(caller.request(GetSessionRequest {
            session_id: session_id.to_owned(),
        }))
        .await
        .api(FAMILY)?
        .session
        .ok_or_else(|| ApiError::not_found(FAMILY, "Session not found"))
}

/// The session of an activity, or the activity's demo session when `demo=true`.
async fn load(
    state: &AppState,
    caller: &Caller,
    activity: Activity,
    session_id: &str,
    query: &HashMap<String, String>,
) -> ApiResult<Session> {
    let units = measurement_system(query)?;
    let demo = demo_flag(query)?;
    let mut session = if demo {
        demo_session(state, caller, activity).await?
    } else {
        get_session(state, caller, session_id).await?
    };
    if !demo && session.kind() != activity.kind() {
        return Err(ApiError::not_found(
            FAMILY,
            format!(
                "Session not found or the activity is not {}",
                activity.title()
            ),
        ));
    }
    // Every read of the family reports values in the caller's measurement system.
    for video in &mut session.videos {
        if let Some(result) = video.result.as_mut() {
            crate::units::convert_result(result, units);
        }
    }
    Ok(session)
}

/// The demo session: the configured one, else the oldest session of the
/// activity in the caller's tenant whose video analysed successfully. It is a
/// real analysed session, never canned data.
async fn demo_session(state: &AppState, caller: &Caller, activity: Activity) -> ApiResult<Session> {
    if let Some(id) = state.config().demo_session_for(activity.path()) {
        return get_session(state, caller, &id).await;
    }
    let page = state
        .session()
        .list_sessions(caller.request(ListSessionsRequest {
            kind: activity.kind() as i32,
            tenant_id: caller.principal.tenant_id.clone(),
            limit: 100,
            newest_first: false,
            ..Default::default()
        }))
        .await
        .api(FAMILY)?;
    for candidate in page.sessions {
        let complete = |s: &Session| {
            primary_video(s)
                .is_some_and(|v| v.status() == VideoStatus::Complete && v.result.is_some())
        };
        if complete(&candidate) {
            return Ok(candidate);
        }
        // Listings may omit videos: look at the full session.
        if candidate.videos.is_empty() {
            let full = get_session(state, caller, &candidate.session_id).await?;
            if complete(&full) {
                return Ok(full);
            }
        }
    }
    Err(ApiError::not_found(
        FAMILY,
        format!(
            "No demo {} session is available yet: analyse one first",
            activity.path()
        ),
    ))
}

fn result_of(session: &Session) -> Option<&AnalysisResult> {
    primary_video(session).and_then(|v| v.result.as_ref())
}

fn artefact_url(state: &AppState, headers: &HeaderMap, video: &Video, names: &[&str]) -> Value {
    names
        .iter()
        .find_map(|name| video.artefacts.get(*name))
        .map(|object| json!(state.download_url(headers, &object.key)))
        .unwrap_or(Value::Null)
}

/// Short angle name of the export/details (`left_knee_angle` -> `lkne_angle`).
fn short_angle_name(name: &str) -> String {
    let joint_short = [
        ("ankle", "ank"),
        ("knee", "kne"),
        ("hip", "hip"),
        ("elbow", "elb"),
        ("shoulder", "sho"),
        ("wrist", "wri"),
    ];
    for (side, s) in [("left_", "l"), ("right_", "r")] {
        if let Some(rest) = name.strip_prefix(side)
            && let Some(joint) = rest.strip_suffix("_angle")
            && let Some((_, short)) = joint_short.iter().find(|(j, _)| *j == joint)
        {
            return format!("{s}{short}_angle");
        }
    }
    name.to_owned()
}

fn joint_of(name: &str) -> Option<&'static str> {
    JOINTS.into_iter().find(|joint| name.contains(joint))
}

fn selected_joints(session: &Session) -> Vec<String> {
    let raw = session
        .attributes
        .get("body_joint_angles")
        .map(String::as_str)
        .unwrap_or("all");
    raw.split(',')
        .map(|j| j.trim().to_ascii_lowercase())
        .filter(|j| !j.is_empty())
        .collect()
}

/// Angle series (unit deg), filtered by the session's `body_joint_angles`.
fn angles(session: &Session) -> Map<String, Value> {
    let joints = selected_joints(session);
    let all = joints.is_empty() || joints.iter().any(|j| j == "all");
    let mut out = Map::new();
    if let Some(result) = result_of(session) {
        let mut names: Vec<_> = result.series.keys().collect();
        names.sort();
        for name in names {
            let series = &result.series[name];
            if series.unit != "deg" {
                continue;
            }
            let keep = all || joint_of(name).is_some_and(|j| joints.iter().any(|s| s == j));
            if keep {
                out.insert(short_angle_name(name), json!(series.values));
            }
        }
    }
    out
}

fn report_metrics(result: Option<&AnalysisResult>) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(result) = result {
        let mut names: Vec<_> = result.series.keys().collect();
        names.sort();
        for name in names {
            let series = &result.series[name];
            if series.unit != "deg" {
                out.insert(name.clone(), json!(series.values));
            }
        }
    }
    out
}

fn scalar_metrics(result: Option<&AnalysisResult>) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(result) = result {
        let mut names: Vec<_> = result.metrics.keys().collect();
        names.sort();
        for name in names {
            let value = result.metrics[name];
            if value.is_finite() {
                out.insert(name.clone(), json!(value));
            }
        }
        out.insert("rep_count".into(), json!(result.rep_count));
        out.insert("form_score".into(), json!(result.form_score));
        out.insert("duration_s".into(), json!(result.duration_s));
    }
    out
}

fn timestamps_s(result: Option<&AnalysisResult>) -> Vec<f64> {
    result
        .map(|r| {
            r.series_timestamps_ms
                .iter()
                .map(|ms| ms / 1000.0)
                .collect()
        })
        .unwrap_or_default()
}

/// The user block; weight in kg (lb) and height in cm (in) for metric (imperial).
fn user_information(session: &Session, units: MeasurementSystem) -> Value {
    let user = session.user.clone().unwrap_or_default();
    let subject = session.subject.unwrap_or_default();
    let weight = if user.weight_kg > 0.0 {
        user.weight_kg
    } else {
        subject.body_mass_kg
    };
    let height = if user.height_cm > 0.0 {
        user.height_cm
    } else {
        subject.height_m * 100.0
    };
    let (weight, height, weight_unit, height_unit) = match units {
        MeasurementSystem::Imperial => (
            weight * crate::units::LB_PER_KG,
            height * crate::units::IN_PER_CM,
            "lb",
            "in",
        ),
        _ => (weight, height, "kg", "cm"),
    };
    let round1 = |v: f64| (v * 10.0).round() / 10.0;
    json!({
        "user_id": session.user_id,
        "display_name": if user.display_name.is_empty() { session.user_id.clone() } else { user.display_name },
        "age": (user.age_years > 0).then_some(user.age_years).or((subject.age_years > 0).then_some(subject.age_years)),
        "weight": (weight > 0.0).then_some(round1(weight)),
        "height": (height > 0.0).then_some(round1(height)),
        "weight_unit": weight_unit,
        "height_unit": height_unit,
    })
}

fn user_name(session: &Session) -> String {
    session
        .user
        .as_ref()
        .map(|u| u.display_name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| session.user_id.clone())
}

// ---------------------------------------------------------------- create

/// `POST /{activity}/sessions/`
pub async fn create(
    state: AppState,
    caller: Caller,
    activity: Activity,
    query: HashMap<String, String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<Value>> {
    let units = measurement_system(&query)?;
    let mut created: Option<Session> = None;
    let plan = UploadPlan {
        family: FAMILY,
        file_fields: &["video", "file"],
        required_before_file: &["user_id", "exercise_name"],
        credential: caller.forwarded.clone(),
        declared_size: None,
    };
    let form = stream_form_upload(
        &state,
        multipart_body(FAMILY, multipart)?,
        plan,
        async |fields| {
            let user_id = fields.get("user_id").map(|s| s.trim()).unwrap_or("");
            if user_id.is_empty() {
                return Err(ApiError::bad_request(FAMILY, "user_id is required"));
            }
            if user_id != caller.principal.user_id && !caller.is_admin() {
                return Err(ApiError::forbidden(
                    FAMILY,
                    "admin permission is required to create sessions for other users",
                ));
            }
            let exercise = fields
                .get("exercise_name")
                .map(|s| s.trim().to_ascii_lowercase().replace([' ', '-', '&'], "_"))
                .unwrap_or_default();
            if !activity.exercises().contains(&exercise.as_str()) {
                return Err(ApiError::bad_request(
                    FAMILY,
                    format!(
                        "exercise_name must be one of: {}",
                        activity.exercises().join(", ")
                    ),
                ));
            }
            let barbell_kg = match activity {
                Activity::Weightlifting => {
                    let default = if units == MeasurementSystem::Imperial {
                        220.0
                    } else {
                        100.0
                    };
                    let raw = fields
                        .get("barbell_mass")
                        .map(|s| s.trim())
                        .filter(|s| !s.is_empty());
                    let mass = match raw {
                        None => default,
                        Some(raw) => raw
                            .parse::<f64>()
                            .ok()
                            .filter(|m| m.is_finite() && *m > 0.0 && *m < 1000.0)
                            .ok_or_else(|| {
                                ApiError::bad_request(
                                    FAMILY,
                                    "barbell_mass must be a positive number",
                                )
                            })?,
                    };
                    if units == MeasurementSystem::Imperial {
                        mass / POUNDS_PER_KG
                    } else {
                        mass
                    }
                }
                _ => 0.0,
            };
            let joints = fields
                .get("body_joint_angles")
                .map(|s| s.trim().trim_matches(['[', ']']).replace(['"', '\''], ""))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "all".to_owned());
            for joint in joints.split(',').map(|j| j.trim().to_ascii_lowercase()) {
                if joint != "all" && !JOINTS.contains(&joint.as_str()) {
                    return Err(ApiError::bad_request(
                        FAMILY,
                        format!(
                            "unknown joint '{joint}' in body_joint_angles: use {}",
                            JOINTS.join(", ")
                        ),
                    ));
                }
            }
            let title = fields
                .get("session_name")
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| format!("{} session", title_case(&exercise)));
            let subject = Subject {
                barbell_mass_kg: barbell_kg,
                measurement_system: units as i32,
                ..Default::default()
            };
            let session = state
                .session()
                .create_session(caller.request(CreateSessionRequest {
                    kind: activity.kind() as i32,
                    user_id: user_id.to_owned(),
                    title: title.clone(),
                    exercise_id: exercise.clone(),
                    subject: Some(subject),
                    attributes: HashMap::from([(
                        "body_joint_angles".to_owned(),
                        joints.to_ascii_lowercase(),
                    )]),
                    ..Default::default()
                }))
                .await
                .api(FAMILY)?
                .session
                .ok_or_else(|| ApiError::internal(FAMILY, "session service returned no session"))?;
            let metadata = UploadMetadata {
                session_id: session.session_id.clone(),
                kind: activity.kind() as i32,
                exercise_id: exercise,
                filename: fields
                    .get("__filename")
                    .cloned()
                    .unwrap_or_else(|| "video.mp4".into()),
                subject: Some(subject),
                user_id: user_id.to_owned(),
                title,
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

// ---------------------------------------------------------------- details

/// `GET /{activity}/sessions/{id}/`
pub async fn details(
    state: AppState,
    caller: Caller,
    activity: Activity,
    session_id: String,
    query: HashMap<String, String>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let session = load(&state, &caller, activity, &session_id, &query).await?;
    let video = primary_video(&session);
    let result = result_of(&session);
    Ok(Json(json!({
        "session_id": session.session_id,
        "analyzed_video_url": video.map(|v| artefact_url(&state, &headers, v, &["annotated_all", "annotated_skeleton"])).unwrap_or(Value::Null),
        "video_url": video.and_then(|v| v.original.as_ref()).map(|o| json!(state.download_url(&headers, &o.key))).unwrap_or(Value::Null),
        "created_at": created_at_parts(session.created_at.as_ref()),
        "exercise": session.exercise_id,
        "user_name": user_name(&session),
        "activity": activity.title(),
        "title": session.title,
        "status": video.map(|v| video_status_name(v.status())).unwrap_or("awaiting_upload"),
        "metrics": scalar_metrics(result),
        "angles": angles(&session),
        "report_metrics": report_metrics(result),
        "all_timestamps": timestamps_s(result),
    })))
}

// ---------------------------------------------------------------- export

/// `GET /{activity}/sessions/{id}/export/`
pub async fn export(
    state: AppState,
    caller: Caller,
    activity: Activity,
    session_id: String,
    query: HashMap<String, String>,
) -> ApiResult<Json<Value>> {
    let session = load(&state, &caller, activity, &session_id, &query).await?;
    let result = result_of(&session);
    let keypoints = match primary_video(&session) {
        Some(video) if video.pose_track.is_some() => {
            keypoints(
                &state,
                &caller,
                &video.video_id,
                result.map(|r| r.subject_track_id),
            )
            .await?
        }
        _ => Map::new(),
    };
    Ok(Json(json!({
        "session_id": session.session_id,
        "keypoints": keypoints,
        "angles": angles(&session),
        "all_timestamps": timestamps_s(result),
        "metrics": scalar_metrics(result),
        "activity": activity.title(),
    })))
}

/// Keypoints of the analysed person per frame: `<joint>x`, `<joint>y` (normalised
/// 0..1) and `<joint>v` (confidence), `null` in frames where the person is absent,
/// plus `timestamps` (s) of the pose frames.
async fn keypoints(
    state: &AppState,
    caller: &Caller,
    video_id: &str,
    track_id: Option<u32>,
) -> ApiResult<Map<String, Value>> {
    let mut stream = state
        .session()
        .stream_pose_track(caller.request(StreamPoseTrackRequest {
            video_id: video_id.to_owned(),
        }))
        .await
        .api(FAMILY)?;
    let mut columns: Vec<Vec<Value>> = vec![Vec::new(); COCO_SHORT.len() * 3];
    let mut timestamps = Vec::new();
    while let Some(item) = stream
        .message()
        .await
        .map_err(|s| ApiError::from_status(FAMILY, &s))?
    {
        let Some(Item::Frame(frame)) = item.item else {
            continue;
        };
        timestamps.push(json!(frame.timestamp_ms / 1000.0));
        let person = frame
            .persons
            .iter()
            .find(|p| Some(p.track_id) == track_id)
            .or_else(|| {
                if track_id.is_none() {
                    frame.persons.first()
                } else {
                    None
                }
            });
        for (k, _) in COCO_SHORT.iter().enumerate() {
            let keypoint = person.and_then(|p| p.keypoints.get(k));
            columns[k * 3].push(keypoint.map(|kp| json!(kp.x_norm)).unwrap_or(Value::Null));
            columns[k * 3 + 1].push(keypoint.map(|kp| json!(kp.y_norm)).unwrap_or(Value::Null));
            columns[k * 3 + 2].push(keypoint.map(|kp| json!(kp.score)).unwrap_or(Value::Null));
        }
    }
    let mut out = Map::new();
    for (k, short) in COCO_SHORT.iter().enumerate() {
        for (offset, suffix) in ["x", "y", "v"].iter().enumerate() {
            out.insert(
                format!("{short}{suffix}"),
                Value::Array(std::mem::take(&mut columns[k * 3 + offset])),
            );
        }
    }
    out.insert("timestamps".into(), Value::Array(timestamps));
    Ok(out)
}

// ---------------------------------------------------------------- lift analysis

/// Values of the series the metrics engine emitted under `name` (empty when absent,
/// e.g. a clip where the bar was never seen).
fn series<'a>(result: Option<&'a AnalysisResult>, name: &str) -> &'a [f64] {
    result
        .and_then(|r| r.series.get(name))
        .map(|s| s.values.as_slice())
        .unwrap_or(&[])
}

/// The series blocks of `lift-analysis/` (Weightlifting API), one value per `timestamps` entry.
fn lift_series_sections(result: Option<&AnalysisResult>) -> Value {
    json!({
        "key_metrics": {
            "power_output": series(result, POWER),
            "ground_reaction_force": series(result, GRF),
            "barbell_velocity": series(result, BAR_VELOCITY),
        },
        "body_positioning": {
            "hip_velocity": series(result, HIP_VELOCITY),
            "shin_angle": series(result, SHIN_ANGLE),
            "hip_height": series(result, HIP_HEIGHT),
            "torso_angle": series(result, TORSO_ANGLE),
        },
        "joint_angles": {
            "hip_angle": series(result, HIP_ANGLE),
            "knee_angle": series(result, KNEE_ANGLE),
        },
        "barbell_positioning": {
            "bar_height": series(result, BAR_HEIGHT),
            "barbell_trajectory": series(result, BAR_X),
            "vertical_shoulder_height": series(result, SHOULDER_HEIGHT),
        },
    })
}

/// `GET /weightlifting/sessions/{id}/lift-analysis/`
pub async fn lift_analysis(
    state: AppState,
    caller: Caller,
    session_id: String,
    query: HashMap<String, String>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let session = load(
        &state,
        &caller,
        Activity::Weightlifting,
        &session_id,
        &query,
    )
    .await?;
    let video = primary_video(&session);
    let result = result_of(&session);
    let mut phase_data = Map::new();
    let mut chart_data = Map::new();
    if let (Some(video), Some(result)) = (video, result) {
        // The Weightlifting API keys the images by event (`start_of_lifting`, `first_pull_end`),
        // the chart by phase (`first_pull`); the renderer snapshots those events.
        let events = result
            .phases
            .first()
            .map(|_| "start_of_lifting".to_owned())
            .into_iter()
            .chain(result.phases.iter().map(|p| format!("{}_end", p.name)));
        for event in events {
            let snapshot = video
                .artefacts
                .get(&format!("snapshot_{event}"))
                .map(|o| json!(state.download_url(&headers, &o.key)))
                .unwrap_or(Value::Null);
            phase_data.insert(event, json!({ "image_url": snapshot }));
        }
        for phase in &result.phases {
            chart_data.insert(
                phase.name.clone(),
                json!({ "start": phase.start_timestamp_ms.round(), "end": phase.end_timestamp_ms.round() }),
            );
        }
    }
    let comments =
        completed_texts(&state, &caller, FAMILY, &session, RECOMMENDATION_PURPOSE).await?;
    let sections = lift_series_sections(result);
    Ok(Json(json!({
        "session_id": session.session_id,
        "exercise": session.exercise_id,
        "key_metrics": sections["key_metrics"],
        "body_positioning": sections["body_positioning"],
        "joint_angles": sections["joint_angles"],
        "barbell_positioning": sections["barbell_positioning"],
        "phase_data": phase_data,
        "chart_data": chart_data,
        "timestamps": timestamps_s(result),
        "user_information": user_information(&session, measurement_system(&query)?),
        "session_date": date_dmy(session.created_at.as_ref()),
        "comments": comments,
    })))
}

// ---------------------------------------------------------------- summary

fn min_max_values(values: &[f64]) -> Value {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let min = finite.clone().fold(f64::INFINITY, f64::min);
    let max = finite.fold(f64::NEG_INFINITY, f64::max);
    json!({
        "min": min.is_finite().then_some(min),
        "max": max.is_finite().then_some(max),
        "values": values,
    })
}

/// The series blocks of `summary/` (Weightlifting API): velocity, power and stability.
fn summary_sections(result: Option<&AnalysisResult>) -> Value {
    let bar_height = min_max_values(series(result, BAR_HEIGHT));
    json!({
        "velocity": { "bar_velocity": min_max_values(series(result, BAR_VELOCITY)) },
        "power": {
            "ground_reaction_force": min_max_values(series(result, GRF)),
            "power": min_max_values(series(result, POWER)),
        },
        "stability": {
            "total_time": result.map(|r| r.duration_s).unwrap_or(0.0),
            "bar_height": { "max": bar_height["max"], "values": bar_height["values"] },
            "bar_trajectory": { "xAxis": series(result, BAR_X), "yAxis": series(result, BAR_Y) },
        },
    })
}

/// `GET /{activity}/sessions/{id}/summary/`
pub async fn summary(
    state: AppState,
    caller: Caller,
    activity: Activity,
    session_id: String,
    query: HashMap<String, String>,
) -> ApiResult<Json<Value>> {
    let session = load(&state, &caller, activity, &session_id, &query).await?;
    let result = result_of(&session);
    let sections = summary_sections(result);
    let mut body = json!({
        "session_id": session.session_id,
        "exercise_type": title_case(&session.exercise_id),
        "velocity": sections["velocity"],
        "power": sections["power"],
        "stability": sections["stability"],
        "metrics": scalar_metrics(result),
        "user_information": user_information(&session, measurement_system(&query)?),
        "session_date": date_dmy(session.created_at.as_ref()),
    });
    let texts = completed_texts(&state, &caller, FAMILY, &session, SUMMARY_PURPOSE).await?;
    if !texts.is_empty() {
        body["summary_text"] = Value::Object(texts);
    }
    Ok(Json(body))
}

/// `POST /{activity}/sessions/{id}/summary/`
pub async fn create_summary(
    state: AppState,
    caller: Caller,
    activity: Activity,
    session_id: String,
    query: HashMap<String, String>,
) -> ApiResult<Json<Value>> {
    let units = measurement_system(&query)?;
    let session = load(&state, &caller, activity, &session_id, &HashMap::new()).await?;
    let threads = create_threads(
        &state,
        &caller,
        FAMILY,
        &session.session_id,
        SUMMARY_PURPOSE,
        &SUMMARY_TOPICS,
        units,
    )
    .await?;
    Ok(Json(json!(threads)))
}

/// `POST /weightlifting/sessions/{id}/recommendation/`
pub async fn recommendation(
    state: AppState,
    caller: Caller,
    session_id: String,
    query: HashMap<String, String>,
) -> ApiResult<Json<Value>> {
    let units = measurement_system(&query)?;
    let session = load(
        &state,
        &caller,
        Activity::Weightlifting,
        &session_id,
        &HashMap::new(),
    )
    .await?;
    let threads = create_threads(
        &state,
        &caller,
        FAMILY,
        &session.session_id,
        RECOMMENDATION_PURPOSE,
        &RECOMMENDATION_TOPICS,
        units,
    )
    .await?;
    Ok(Json(json!(threads)))
}

// ---------------------------------------------------------------- analysed video

/// `GET /sessions/{id}/analyzed-video/` and `/session-management/...`: the
/// analysed video's URL, queueing its rendering when missing (202 pending).
pub async fn analyzed_video(
    state: AppState,
    caller: Caller,
    session_id: String,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let session = get_session(&state, &caller, &session_id).await?;
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

// ---------------------------------------------------------------- axum handlers

macro_rules! activity_handlers {
    ($activity:expr, $tag:literal, $create_path:literal, $details_path:literal, $export_path:literal, $summary_path:literal,
     $create:ident, $details:ident, $export:ident, $summary:ident, $create_summary:ident) => {
        #[utoipa::path(post, path = $create_path, tag = $tag,
            params(("measurement_system" = Option<String>, Query, description = "'metric' (default) or 'imperial': unit of barbell_mass (kg or lb; default 100 kg / 220 lb)")),
            request_body(content_type = "multipart/form-data", content = Object,
                description = "user_id (required), video (file, required), exercise_name (required), session_name, barbell_mass (default 100 kg / 220 lb), body_joint_angles (comma-separated: ankle, knee, elbow, hip, shoulder; default all)"),
            responses((status = 200, description = "{session_id, title}", body = Object),
                (status = 400, description = "Missing user_id/video/exercise_name or invalid form data"),
                (status = 401, description = "Missing or invalid access token"),
                (status = 403, description = "Admin permission required to create sessions for others"),
                (status = 413, description = "Video too large")),
            security(("api_key" = [])))]
        pub async fn $create(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
            Query(query): Query<HashMap<String, String>>,
            multipart: Result<Multipart, MultipartRejection>,
        ) -> ApiResult<Json<Value>> {
            create(state, caller, $activity, query, multipart).await
        }

        #[utoipa::path(get, path = $details_path, tag = $tag,
            params(("session_id" = String, Path, description = "Session id"),
                ("demo" = Option<bool>, Query, description = "true: the pre-analysed demo session (the tenant's first successfully analysed session of this activity, or the configured one)"),
                ("measurement_system" = Option<String>, Query, description = "'metric' (default) or 'imperial'. Units of returned values, metric -> imperial: heights, distances and trajectories m -> ft (metric keys ending _cm -> _in); velocities m/s -> ft/s; forces N -> lbf; masses kg -> lb; power stays W, angles deg, times s. Scalar metric keys carry their unit as a suffix and are renamed with it (max_bar_height_m -> max_bar_height_ft); user_information gives weight/height with weight_unit/height_unit.")),
            responses((status = 200, description = "{session_id, analyzed_video_url, video_url, created_at {date DD/MM/YYYY, time HH:MM AM/PM}, exercise, user_name, activity, title, metrics, angles, report_metrics, all_timestamps}", body = Object),
                (status = 400, description = "Invalid parameters"), (status = 401, description = "Missing or invalid access token"),
                (status = 403, description = "Insufficient privileges"), (status = 404, description = "Session not found or invalid activity")),
            security(("api_key" = [])))]
        pub async fn $details(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
            Path(session_id): Path<String>,
            Query(query): Query<HashMap<String, String>>,
            headers: HeaderMap,
        ) -> ApiResult<Json<Value>> {
            details(state, caller, $activity, session_id, query, headers).await
        }

        #[utoipa::path(get, path = $export_path, tag = $tag,
            params(("session_id" = String, Path, description = "Session id"),
                ("demo" = Option<bool>, Query, description = "true: the demo session"),
                ("measurement_system" = Option<String>, Query, description = "'metric' (default) or 'imperial'. Units of returned values, metric -> imperial: heights, distances and trajectories m -> ft (metric keys ending _cm -> _in); velocities m/s -> ft/s; forces N -> lbf; masses kg -> lb; power stays W, angles deg, times s. Scalar metric keys carry their unit as a suffix and are renamed with it (max_bar_height_m -> max_bar_height_ft); user_information gives weight/height with weight_unit/height_unit.")),
            responses((status = 200, description = "{keypoints, angles, all_timestamps, metrics, activity}", body = Object),
                (status = 400, description = "Invalid parameters"), (status = 401, description = "Missing or invalid access token"),
                (status = 403, description = "Insufficient privileges"), (status = 404, description = "Session not found or invalid activity")),
            security(("api_key" = [])))]
        pub async fn $export(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
            Path(session_id): Path<String>,
            Query(query): Query<HashMap<String, String>>,
        ) -> ApiResult<Json<Value>> {
            export(state, caller, $activity, session_id, query).await
        }

        #[utoipa::path(get, path = $summary_path, tag = $tag,
            params(("session_id" = String, Path, description = "Session id"),
                ("demo" = Option<bool>, Query, description = "true: the demo session"),
                ("measurement_system" = Option<String>, Query, description = "'metric' (default) or 'imperial'. Units of returned values, metric -> imperial: heights, distances and trajectories m -> ft (metric keys ending _cm -> _in); velocities m/s -> ft/s; forces N -> lbf; masses kg -> lb; power stays W, angles deg, times s. Scalar metric keys carry their unit as a suffix and are renamed with it (max_bar_height_m -> max_bar_height_ft); user_information gives weight/height with weight_unit/height_unit.")),
            responses((status = 200, description = "{summary_text?, exercise_type, velocity, power, stability, user_information, session_date}", body = Object),
                (status = 400, description = "Invalid parameters"), (status = 401, description = "Token missing or expired"),
                (status = 403, description = "Forbidden"), (status = 404, description = "Session not found")),
            security(("api_key" = [])))]
        pub async fn $summary(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
            Path(session_id): Path<String>,
            Query(query): Query<HashMap<String, String>>,
        ) -> ApiResult<Json<Value>> {
            summary(state, caller, $activity, session_id, query).await
        }

        #[utoipa::path(post, path = $summary_path, tag = $tag,
            params(("session_id" = String, Path, description = "Session id"),
                ("measurement_system" = Option<String>, Query, description = "'metric' (default) or 'imperial'")),
            responses((status = 200, description = "Block name -> thread id (velocity, power, stability, final_summary); poll GET /threads/{thread_id}", body = Object),
                (status = 400, description = "Invalid parameters"), (status = 401, description = "Token is invalid or expired"),
                (status = 403, description = "Forbidden"), (status = 404, description = "Session not found")),
            security(("api_key" = [])))]
        pub async fn $create_summary(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
            Path(session_id): Path<String>,
            Query(query): Query<HashMap<String, String>>,
        ) -> ApiResult<Json<Value>> {
            create_summary(state, caller, $activity, session_id, query).await
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
        ("demo" = Option<bool>, Query, description = "true: the demo session"),
                ("measurement_system" = Option<String>, Query, description = "'metric' (default) or 'imperial'. Units of returned values, metric -> imperial: heights, distances and trajectories m -> ft (metric keys ending _cm -> _in); velocities m/s -> ft/s; forces N -> lbf; masses kg -> lb; power stays W, angles deg, times s. Scalar metric keys carry their unit as a suffix and are renamed with it (max_bar_height_m -> max_bar_height_ft); user_information gives weight/height with weight_unit/height_unit.")),
    responses((status = 200, description = "{exercise, key_metrics, body_positioning, joint_angles, barbell_positioning, phase_data {phase: {image_url}}, chart_data, user_information, session_date, comments}", body = Object),
        (status = 400, description = "Invalid parameters"), (status = 401, description = "Missing/invalid token"),
        (status = 403, description = "Forbidden"), (status = 404, description = "Session does not exist")),
    security(("api_key" = [])))]
pub async fn weightlifting_lift_analysis(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(session_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    lift_analysis(state, caller, session_id, query, headers).await
}

/// `POST /weightlifting/sessions/{session_id}/recommendation/`
#[utoipa::path(post, path = "/weightlifting/sessions/{session_id}/recommendation/", tag = "Weightlifting",
    params(("session_id" = String, Path, description = "Session id"),
        ("measurement_system" = Option<String>, Query, description = "'metric' (default) or 'imperial'")),
    responses((status = 200, description = "Lift metric -> thread id (12 metrics); poll GET /threads/{thread_id}", body = Object),
        (status = 400, description = "Invalid parameters"), (status = 401, description = "Token is invalid or expired"),
        (status = 403, description = "Forbidden"), (status = 404, description = "Session not found")),
    security(("api_key" = [])))]
pub async fn weightlifting_recommendation(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(session_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    recommendation(state, caller, session_id, query).await
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

#[cfg(test)]
mod tests {
    use super::*;
    use fitvision_exercise_engine::names::series as series_names;
    use fitvision_proto::v1::Series;

    /// An analysis carrying every series libs/exercise-engine's lift analyser emits,
    /// each filled with its own index so a wrong mapping shows.
    fn lift_result() -> AnalysisResult {
        let names = [
            (BAR_HEIGHT, "m"),
            (BAR_X, "m"),
            (BAR_Y, "m"),
            (BAR_VELOCITY, "m/s"),
            (series_names::BAR_SPEED, "m/s"),
            (POWER, "W"),
            (GRF, "N"),
            (HIP_HEIGHT, "m"),
            (HIP_VELOCITY, "m/s"),
            (SHOULDER_HEIGHT, "m"),
            (KNEE_ANGLE, "deg"),
            (HIP_ANGLE, "deg"),
            (TORSO_ANGLE, "deg"),
            (SHIN_ANGLE, "deg"),
        ];
        let mut result = AnalysisResult {
            series_timestamps_ms: vec![0.0, 100.0, 200.0],
            duration_s: 0.2,
            ..Default::default()
        };
        for (index, (name, unit)) in names.iter().enumerate() {
            let base = index as f64 * 10.0;
            result.series.insert(
                (*name).into(),
                Series {
                    unit: (*unit).into(),
                    values: vec![base + 1.0, base + 3.0, base + 2.0],
                },
            );
        }
        result
    }

    fn first(value: &Value) -> f64 {
        value[0].as_f64().expect("a non-empty numeric series")
    }

    #[test]
    fn lift_analysis_maps_every_documented_key_onto_the_engine_series() {
        let result = lift_result();
        let sections = lift_series_sections(Some(&result));
        let expected = [
            ("key_metrics", "power_output", POWER),
            ("key_metrics", "ground_reaction_force", GRF),
            ("key_metrics", "barbell_velocity", BAR_VELOCITY),
            ("body_positioning", "hip_velocity", HIP_VELOCITY),
            ("body_positioning", "shin_angle", SHIN_ANGLE),
            ("body_positioning", "hip_height", HIP_HEIGHT),
            ("body_positioning", "torso_angle", TORSO_ANGLE),
            ("joint_angles", "hip_angle", HIP_ANGLE),
            ("joint_angles", "knee_angle", KNEE_ANGLE),
            ("barbell_positioning", "bar_height", BAR_HEIGHT),
            ("barbell_positioning", "barbell_trajectory", BAR_X),
            (
                "barbell_positioning",
                "vertical_shoulder_height",
                SHOULDER_HEIGHT,
            ),
        ];
        for (section, key, engine_name) in expected {
            let values = &sections[section][key];
            assert_eq!(
                values.as_array().map(Vec::len),
                Some(result.series_timestamps_ms.len()),
                "{section}.{key}"
            );
            assert_eq!(
                first(values),
                result.series[engine_name].values[0],
                "{section}.{key} must come from {engine_name}"
            );
        }
    }

    #[test]
    fn summary_sections_give_min_max_and_trajectory_axes() {
        let result = lift_result();
        let sections = summary_sections(Some(&result));
        let velocity = &result.series[BAR_VELOCITY].values;
        assert_eq!(
            sections["velocity"]["bar_velocity"]["min"],
            json!(velocity[0])
        );
        assert_eq!(
            sections["velocity"]["bar_velocity"]["max"],
            json!(velocity[1])
        );
        assert_eq!(
            sections["velocity"]["bar_velocity"]["values"],
            json!(velocity)
        );
        assert_eq!(
            sections["power"]["power"]["values"],
            json!(result.series[POWER].values)
        );
        assert_eq!(
            sections["power"]["ground_reaction_force"]["max"],
            json!(result.series[GRF].values[1])
        );
        assert_eq!(sections["stability"]["total_time"], json!(0.2));
        assert_eq!(
            sections["stability"]["bar_height"]["max"],
            json!(result.series[BAR_HEIGHT].values[1])
        );
        assert_eq!(
            sections["stability"]["bar_trajectory"]["xAxis"],
            json!(result.series[BAR_X].values)
        );
        assert_eq!(
            sections["stability"]["bar_trajectory"]["yAxis"],
            json!(result.series[BAR_Y].values)
        );
    }

    #[test]
    fn missing_analysis_gives_empty_series_not_errors() {
        let sections = lift_series_sections(None);
        assert_eq!(sections["key_metrics"]["power_output"], json!([]));
        let summary = summary_sections(None);
        assert_eq!(summary["velocity"]["bar_velocity"]["max"], Value::Null);
    }

    #[test]
    fn angle_names_follow_the_export_abbreviations() {
        assert_eq!(short_angle_name("left_knee_angle"), "lkne_angle");
        assert_eq!(short_angle_name("right_ankle_angle"), "rank_angle");
        assert_eq!(short_angle_name("torso_angle"), "torso_angle");
    }

    #[test]
    fn min_max_ignores_non_finite_values() {
        let v = min_max_values(&[1.0, f64::NAN, 3.0]);
        assert_eq!(v["min"], json!(1.0));
        assert_eq!(v["max"], json!(3.0));
        assert_eq!(min_max_values(&[])["min"], Value::Null);
    }
}
