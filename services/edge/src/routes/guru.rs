//! The Guru API's three-step video flow (create -> signed multipart upload -> poll
//! analysis / joints). A Guru video id is the id of a `SESSION_KIND_VIDEO` session.
//! Guru clients get their tokens from `POST /oauth2/token` ([`super::oauth`]).

use std::borrow::Cow;
use std::collections::HashMap;

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use fitvision_proto::v1::{
    AnnotatedVideoFlavour, AnnotatedVideoStatus, CreateSessionRequest, FailureCode, Opinion,
    PendingVideo, PoseFrame, RequestAnnotatedVideoRequest, Session, SessionKind,
    UpdateSessionRequest, UploadMetadata, Video, VideoInfo, VideoStatus,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::IntoParams;

use super::joint_names;
use super::pose_track::{PoseTrack, read_pose_track, subject};
use super::sessions::{OtherUsers, SessionLookup, load_session};
use crate::auth::{Caller, ForwardedCredential};
use crate::error::{ApiError, ApiResult, Family, GrpcResultExt};
use crate::params::{Params, QueryParams, comma_list};
use crate::signing::{SignatureError, UploadPolicy, now_s};
use crate::state::{AppState, percent_encode};
use crate::upload::{UploadPlan, multipart_body, stream_form_upload};
use crate::views::{iso_seconds, primary_video};

use super::catalog;
use fitvision_exercise_engine::names::series;

const FAMILY: Family = Family::Guru;

// Guru's activities are the catalog's ids and its domains are theirs (so every catalog
// exercise, plank and the cardio domain included, can be analysed through Guru).

fn domain_of(activity: &str) -> Option<&'static str> {
    catalog()
        .definitions()
        .iter()
        .find(|d| d.id == activity)
        .map(|d| d.domain.as_str())
}

/// Validates a (domain, activity) pair; returns the domain to store.
fn check_domain_activity(
    domain: Option<&str>,
    activity: Option<&str>,
) -> ApiResult<Option<String>> {
    if let Some(domain) = domain
        && !catalog().definitions().iter().any(|d| d.domain == domain)
    {
        return Err(ApiError::bad_request(
            FAMILY,
            format!("unknown domain '{domain}'"),
        ));
    }
    match activity {
        None => Ok(domain.map(str::to_owned)),
        Some(activity) => {
            let Some(owner) = domain_of(activity) else {
                return Err(ApiError::bad_request(
                    FAMILY,
                    format!("unknown activity '{activity}'"),
                ));
            };
            if let Some(domain) = domain
                && domain != owner
            {
                return Err(ApiError::bad_request(
                    FAMILY,
                    format!("activity '{activity}' does not belong to domain '{domain}'"),
                ));
            }
            Ok(Some(owner.to_owned()))
        }
    }
}

// ------------------------------------------------------------- loading

/// What a caller may not see does not exist: every miss is Guru's 404.
fn lookup() -> SessionLookup {
    SessionLookup {
        family: FAMILY,
        kind: Some(SessionKind::Video),
        not_found: Cow::Borrowed("Not Found"),
        other_users: OtherUsers::Hidden,
    }
}

async fn load(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Session> {
    load_session(state, &caller.forwarded, id, &lookup()).await
}

// ------------------------------------------------------------- create + upload

/// `POST /videos`
#[utoipa::path(post, path = "/videos", tag = "Guru",
    request_body(content = Object, description = "{filename, size, source?, domain?, activity?, repCount?, poseModel?}. `poseModel` (our extension) picks the pose model that analyses this video, e.g. `blazepose-full` (Apache-2.0, 33 landmarks with hands and feet) or `yolo11n-pose-dynamic` (AGPL-3.0, 17 keypoints); absent = the tenant's model, else the deployment's default; an unknown id is a 400 that lists the known ones."),
    responses((status = 200, description = "{id, url, fields}: POST the fields plus `file` as multipart/form-data to url", body = Object),
        (status = 400, description = "Invalid body, or an unknown poseModel"), (status = 401, description = "Unauthorized")),
    security(("bearer" = [])))]
pub async fn create_video(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let map: Map<String, Value> = match serde_json::from_slice(&body) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return Err(ApiError::bad_request(
                FAMILY,
                "the body must be a JSON object",
            ));
        }
        Err(e) => {
            return Err(ApiError::bad_request(
                FAMILY,
                format!("invalid JSON body: {e}"),
            ));
        }
    };
    let filename = map
        .get("filename")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .ok_or_else(|| ApiError::bad_request(FAMILY, "filename is required"))?
        .to_owned();
    let size = map
        .get("size")
        .and_then(Value::as_u64)
        .filter(|s| *s > 0)
        .ok_or_else(|| {
            ApiError::bad_request(FAMILY, "size is required: the video size in bytes (> 0)")
        })?;
    if size > state.config().max_upload_bytes {
        return Err(ApiError::new(
            FAMILY,
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "videos may be at most {} bytes",
                state.config().max_upload_bytes
            ),
        ));
    }
    let str_field = |name: &str| -> ApiResult<Option<String>> {
        match map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(_) => Err(ApiError::bad_request(
                FAMILY,
                format!("{name} must be a string"),
            )),
        }
    };
    let activity = str_field("activity")?;
    let domain = check_domain_activity(str_field("domain")?.as_deref(), activity.as_deref())?;
    let rep_count = match map.get("repCount") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().filter(|n| *n <= 10_000).ok_or_else(|| {
            ApiError::bad_request(FAMILY, "repCount must be a non-negative integer")
        })?),
    };
    let mut attributes = HashMap::from([
        ("filename".to_owned(), filename.clone()),
        ("declared_size".to_owned(), size.to_string()),
    ]);
    if let Some(domain) = &domain {
        attributes.insert("domain".into(), domain.clone());
    }
    if let Some(source) = str_field("source")? {
        attributes.insert("source".into(), source);
    }
    if let Some(reps) = rep_count {
        attributes.insert("rep_count".into(), reps.to_string());
    }
    // Our extension: which pose model analyses this video (checked by the session).
    if let Some(model) = str_field("poseModel")?.filter(|m| !m.is_empty()) {
        attributes.insert(
            fitvision_proto::session_attributes::POSE_MODEL.to_owned(),
            model,
        );
    }
    let session = state
        .session()
        .create_session(caller.request(CreateSessionRequest {
            kind: SessionKind::Video as i32,
            title: filename.clone(),
            exercise_id: activity.unwrap_or_default(),
            attributes,
            // Announce the video so GET /videos/{id} reports it Pending at once.
            pending_video: Some(PendingVideo {
                filename: filename.clone(),
                declared_size_bytes: size,
                expected_rep_count: rep_count.map(|n| n as u32).unwrap_or(0),
                exercise_id: String::new(),
            }),
            ..Default::default()
        }))
        .await
        .api(FAMILY)?
        .session
        .ok_or_else(|| ApiError::internal(FAMILY, "session service returned no session"))?;
    let policy = UploadPolicy {
        video_id: session.session_id.clone(),
        size,
        tenant_id: caller.principal.tenant_id.clone(),
        user_id: caller.principal.user_id.clone(),
        filename,
        expires: now_s() + state.signer().ttl_s(),
    };
    let (encoded, signature) = state.signer().sign_policy(&policy);
    Ok(Json(json!({
        "id": session.session_id,
        "url": format!("{}/videos/{}/upload", state.public_base(&headers), percent_encode(&session.session_id)),
        "fields": {
            "key": session.session_id,
            "policy": encoded,
            "x-fitvision-algorithm": "HMAC-SHA256",
            "x-fitvision-signature": signature,
            "x-fitvision-expires": policy.expires.to_string(),
            "Content-Type": "video/*",
        },
    })))
}

/// `POST /videos/{id}/upload`: the signed multipart upload (no Authorization
/// header needed: the policy authorises exactly this video and size).
#[utoipa::path(post, path = "/videos/{id}/upload", tag = "Guru",
    params(("id" = String, Path, description = "Video id from POST /videos")),
    request_body(content_type = "multipart/form-data", content = Object, description = "Every field of `fields`, then `file` (the file must come last: a file before the policy fields is refused unread)"),
    responses((status = 204, description = "Uploaded; analysis queued"),
        (status = 400, description = "Size differs from the declared size, a field is missing, or the file came before the policy fields"),
        (status = 403, description = "Invalid or expired policy"), (status = 413, description = "Too large, or longer than the tenant's analysis limits"),
        (status = 429, description = "The tenant's analyses in flight are at its limit; retry after Retry-After seconds")))]
pub async fn upload_video(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    let credential = match crate::auth::credential(&headers)
        .or_else(|| state.config().service_key.clone())
    {
        Some(credential) => ForwardedCredential::verbatim(&credential)
            .map_err(|_| ApiError::unauthorized(FAMILY, "malformed credential"))?,
        None => {
            return Err(ApiError::new(
                FAMILY,
                StatusCode::SERVICE_UNAVAILABLE,
                "signed uploads need the edge's service key (FITVISION_ADMIN_KEY) or an Authorization header",
            ));
        }
    };
    let mut verified: Option<UploadPolicy> = None;
    let plan = UploadPlan {
        family: FAMILY,
        file_fields: &["file", "video"],
        required_before_file: &["policy", "x-fitvision-signature"],
        list_fields: &[],
        file_after_required: true,
        credential: credential.clone(),
        declared_size: None,
    };
    let form = stream_form_upload(
        &state,
        multipart_body(FAMILY, multipart)?,
        plan,
        async |fields| {
            let policy = fields.get("policy").map(String::as_str).unwrap_or("");
            let signature = fields
                .get("x-fitvision-signature")
                .map(String::as_str)
                .unwrap_or("");
            let policy = state
                .signer()
                .verify_policy(policy, signature, now_s())
                .map_err(|e| match e {
                    SignatureError::Expired => ApiError::forbidden(
                        FAMILY,
                        "the upload policy has expired: create the video again",
                    ),
                    _ => ApiError::forbidden(FAMILY, "invalid upload policy signature"),
                })?;
            if policy.video_id != id {
                return Err(ApiError::forbidden(
                    FAMILY,
                    "the upload policy is for another video",
                ));
            }
            let session = load_session(&state, &credential, &id, &lookup()).await?;
            if primary_video(&session).is_some_and(|v| v.status() != VideoStatus::AwaitingUpload) {
                return Err(ApiError::new(
                    FAMILY,
                    StatusCode::CONFLICT,
                    "this video has already been uploaded",
                ));
            }
            let metadata = UploadMetadata {
                session_id: id.clone(),
                kind: SessionKind::Video as i32,
                exercise_id: session.exercise_id.clone(),
                filename: policy.filename.clone(),
                declared_size_bytes: policy.size,
                video_id: primary_video(&session)
                    .map(|v| v.video_id.clone())
                    .unwrap_or_default(),
                user_id: policy.user_id.clone(),
                expected_rep_count: session
                    .attributes
                    .get("rep_count")
                    .and_then(|r| r.parse().ok())
                    .unwrap_or(0),
                ..Default::default()
            };
            verified = Some(policy);
            Ok(metadata)
        },
    )
    .await?;
    let Some(video) = form.video else {
        return Err(ApiError::bad_request(
            FAMILY,
            "the `file` field is required",
        ));
    };
    let policy =
        verified.ok_or_else(|| ApiError::internal(FAMILY, "upload without a verified policy"))?;
    if form.received_bytes != policy.size {
        return Err(ApiError::bad_request(
            FAMILY,
            format!(
                "received {} bytes but {} were declared",
                form.received_bytes, policy.size
            ),
        ));
    }
    tracing::info!(video_id = %video.video_id, session_id = %id, bytes = form.received_bytes, "guru upload committed");
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ------------------------------------------------------------- read models

fn analysis_status(video: Option<&Video>) -> (&'static str, Option<String>) {
    match video.map(|v| v.status()) {
        Some(VideoStatus::Complete) => ("Complete", None),
        Some(VideoStatus::Failed) | Some(VideoStatus::Blocked) => {
            ("Failed", Some(reason(video.expect("matched Some"))))
        }
        _ => ("Pending", None),
    }
}

fn reason(video: &Video) -> String {
    match video.failure_code() {
        FailureCode::LowQualityPoseEstimate => "LOW_QUALITY_POSE_ESTIMATE".into(),
        FailureCode::UnreadableVideo => "UNREADABLE_VIDEO".into(),
        FailureCode::BlockedByAuthenticity => "BLOCKED_BY_AUTHENTICITY".into(),
        FailureCode::UnknownExercise => "UNKNOWN_ACTIVITY".into(),
        FailureCode::VideoTooLong => "VIDEO_TOO_LONG".into(),
        _ if video.status() == VideoStatus::Blocked => "BLOCKED_BY_AUTHENTICITY".into(),
        _ => "INTERNAL_ERROR".into(),
    }
}

fn reps_json(video: Option<&Video>) -> Vec<Value> {
    let Some(result) = video.and_then(|v| v.result.as_ref()) else {
        return Vec::new();
    };
    result
        .reps
        .iter()
        .map(|rep| {
            json!({
                "startTimestampMs": rep.start_timestamp_ms.round(),
                "midTimestampMs": rep.mid_timestamp_ms.round(),
                "endTimestampMs": rep.end_timestamp_ms.round(),
                "analyses": rep.analyses.iter().map(|a| {
                    let mut item = json!({ "analysisType": a.analysis_type, "analysisScalar": a.scalar });
                    match a.opinion() {
                        Opinion::Good => item["analysisOpinion"] = json!("good"),
                        Opinion::Bad => item["analysisOpinion"] = json!("bad"),
                        Opinion::Unspecified => {}
                    }
                    item
                }).collect::<Vec<_>>(),
            })
        })
        .collect()
}

fn analysis_json(session: &Session) -> Value {
    let video = primary_video(session);
    let (status, reason) = analysis_status(video);
    let result = video.and_then(|v| v.result.as_ref());
    // Without a given activity, the one the analysis recognised.
    let recognition = result.and_then(|r| r.recognition.as_ref());
    let activity = if session.exercise_id.is_empty() {
        recognition
            .map(|r| r.exercise_id.as_str())
            .unwrap_or_default()
    } else {
        session.exercise_id.as_str()
    };
    let mut out = json!({
        "status": status,
        "domain": session.attributes.get("domain").cloned().or_else(|| domain_of(activity).map(str::to_owned)),
        "activity": (!activity.is_empty()).then_some(activity),
        "reps": reps_json(video),
    });
    if let Some(recognition) = recognition {
        out["activityRecognition"] = json!({
            "activity": recognition.exercise_id,
            "confidence": recognition.confidence,
            "reason": recognition.reason,
        });
    }
    if let Some(reason) = reason {
        out["reason"] = json!(reason);
        // Guru gives only the code; the pipeline's own words tell the caller what to fix.
        if let Some(detail) = video
            .map(|v| v.failure_reason.as_str())
            .filter(|d| !d.is_empty())
        {
            out["reasonDetail"] = json!(detail);
        }
    }
    if let Some(result) = result
        && result.exercise_id == "sprint"
        && let Some(distance) = result.series.get(series::RUNNER_DISTANCE_M)
    {
        let progress: Vec<Value> = distance
            .values
            .iter()
            .zip(&result.series_timestamps_ms)
            .enumerate()
            .map(|(i, (d, t))| json!({ "distanceFromStart": d, "frameIndex": i, "timestamp": t.round() }))
            .collect();
        out["runnerProgress"] = json!(progress);
    }
    out
}

/// Joint-to-point lists of the analysed person, one per joint the track's pose model
/// has, named as Guru names them: the 17 COCO body keypoints, and with a 33-landmark
/// model also `leftHand`/`rightHand` (midpoint of the hand's knuckle landmarks) and the
/// feet (`leftHeel`, `leftFootIndex`, ...). A model without hands (YOLO's 17 keypoints)
/// leaves the hands out rather than inventing them (the OpenAPI description of
/// `/videos/{id}/j2p` says so).
fn joint_to_points(track: &PoseTrack, track_id: Option<u32>) -> Map<String, Value> {
    let joints = joint_names::guru_joints(track.schema());
    let mut points: Vec<Vec<Value>> = vec![Vec::new(); joints.len()];
    for frame in &track.frames {
        let Some(person) = subject(frame, track_id) else {
            continue;
        };
        for ((name, landmarks), list) in joints.iter().zip(&mut points) {
            let found: Vec<_> = landmarks
                .iter()
                .filter_map(|&i| person.keypoints.get(i))
                .collect();
            if found.len() != landmarks.len() {
                continue;
            }
            let n = found.len() as f32;
            let x = found.iter().map(|k| k.x_norm).sum::<f32>() / n;
            let y = found.iter().map(|k| k.y_norm).sum::<f32>() / n;
            let score = found.iter().map(|k| k.score).fold(f32::INFINITY, f32::min);
            list.push(json!({
                "frame_idx": frame.frame_index,
                "part": name,
                "position": { "x": x.clamp(0.0, 1.0), "y": y.clamp(0.0, 1.0) },
                "score": score.clamp(0.0, 1.0),
                "timestamp": frame.timestamp_ms / 1000.0,
            }));
        }
    }
    joints
        .into_iter()
        .zip(points)
        .map(|((name, _), points)| (name.to_owned(), Value::Array(points)))
        .collect()
}

fn objects_json(frames: &[PoseFrame], info: &VideoInfo) -> Value {
    let (w, h) = (
        f64::from(info.width_px.max(1)),
        f64::from(info.height_px.max(1)),
    );
    let mut tracks: std::collections::BTreeMap<u32, Vec<Value>> = Default::default();
    for frame in frames {
        for person in &frame.persons {
            let Some(b) = &person.r#box else { continue };
            tracks.entry(person.track_id).or_default().push(json!({
                "frame_idx": frame.frame_index,
                "timestamp": frame.timestamp_ms / 1000.0,
                "x1": (f64::from(b.x_px) / w).clamp(0.0, 1.0),
                "y1": (f64::from(b.y_px) / h).clamp(0.0, 1.0),
                "x2": (f64::from(b.x_px + b.width_px) / w).clamp(0.0, 1.0),
                "y2": (f64::from(b.y_px + b.height_px) / h).clamp(0.0, 1.0),
                "score": person.confidence,
            }));
        }
    }
    json!(tracks.into_iter().map(|(id, boxes)| json!({ "objectType": "person", "trackId": id, "boundingBoxes": boxes })).collect::<Vec<_>>())
}

/// The primary video's pose track, when it has one.
async fn video_track(
    state: &AppState,
    caller: &Caller,
    video: Option<&Video>,
) -> ApiResult<Option<PoseTrack>> {
    match video {
        Some(video) if video.pose_track.is_some() => Ok(Some(
            read_pose_track(state, caller, FAMILY, &video.video_id).await?,
        )),
        _ => Ok(None),
    }
}

/// `j2p`: `track` is the primary video's pose track, when it has one.
fn j2p_json(session: &Session, track: Option<&PoseTrack>) -> Value {
    let video = primary_video(session);
    let (status, reason) = analysis_status(video);
    let mut out = json!({ "status": status });
    if let Some(reason) = reason {
        out["reason"] = json!(reason);
    }
    if let (Some(video), Some(track)) = (video, track) {
        let info = track.info_or(video);
        out["resolutionHeight"] = json!(info.height_px);
        out["resolutionWidth"] = json!(info.width_px);
        out["jointToPoints"] = json!(joint_to_points(
            track,
            video.result.as_ref().map(|r| r.subject_track_id)
        ));
    } else {
        out["jointToPoints"] = json!({});
    }
    out["analysis"] = json!({ "reps": reps_json(video) });
    out
}

async fn overlays(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    video: Option<&Video>,
) -> ApiResult<Value> {
    let mut out = Map::new();
    for (name, artefact, flavour) in [
        (
            "skeleton",
            "annotated_skeleton",
            AnnotatedVideoFlavour::Skeleton,
        ),
        ("all", "annotated_all", AnnotatedVideoFlavour::All),
    ] {
        let entry = match video {
            Some(v) if v.artefacts.contains_key(artefact) => {
                json!({ "status": "Complete", "uri": state.download_url(headers, &v.artefacts[artefact].key) })
            }
            Some(v) if v.status() == VideoStatus::Complete => {
                // Guru builds overlays after analysis: queue ours on first look.
                let answer = state
                    .session()
                    .request_annotated_video(caller.request(RequestAnnotatedVideoRequest {
                        video_id: v.video_id.clone(),
                        flavour: flavour as i32,
                    }))
                    .await
                    .api(FAMILY)?;
                match (answer.status(), answer.video) {
                    (AnnotatedVideoStatus::Complete, Some(object)) => {
                        json!({ "status": "Complete", "uri": state.download_url(headers, &object.key) })
                    }
                    (AnnotatedVideoStatus::Failed, _) => {
                        json!({ "status": "Failed", "reason": answer.reason })
                    }
                    _ => json!({ "status": "Pending" }),
                }
            }
            Some(v) if matches!(v.status(), VideoStatus::Failed | VideoStatus::Blocked) => {
                json!({ "status": "Failed" })
            }
            _ => json!({ "status": "Pending" }),
        };
        out.insert(name.to_owned(), entry);
    }
    Ok(Value::Object(out))
}

/// Query of `GET /videos/{id}`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VideoParams {
    /// Comma-separated: j2p, analysis, objects
    pub include: Option<String>,
}

impl QueryParams for VideoParams {
    const FAMILY: Family = FAMILY;
}

/// What `include` asks to add to the video.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Includes {
    pub j2p: bool,
    pub analysis: bool,
    pub objects: bool,
}

impl VideoParams {
    pub fn includes(&self) -> ApiResult<Includes> {
        let mut includes = Includes::default();
        for item in comma_list(self.include.as_deref()) {
            match item {
                "j2p" => includes.j2p = true,
                "analysis" => includes.analysis = true,
                "objects" => includes.objects = true,
                bad => {
                    return Err(ApiError::bad_request(
                        FAMILY,
                        format!("unknown include '{bad}': use j2p, analysis, objects"),
                    ));
                }
            }
        }
        Ok(includes)
    }
}

/// `GET /videos/{id}?include=j2p,analysis,objects`
#[utoipa::path(get, path = "/videos/{id}", tag = "Guru",
    params(("id" = String, Path, description = "Video id"), VideoParams),
    responses((status = 200, description = "{id, status (Pending|Success|Failed), reason?, uri, overlays, fps, analysis?, j2p?, objects?}", body = Object),
        (status = 400, description = "Unknown include value"),
        (status = 401, description = "Unauthorized"), (status = 404, description = "Not Found")),
    security(("bearer" = [])))]
pub async fn get_video(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Params(params): Params<VideoParams>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let includes = params.includes()?;
    let session = load(&state, &caller, &id).await?;
    video_json(&state, &caller, &headers, &session, &includes)
        .await
        .map(Json)
}

/// A Guru video as `GET /videos/{id}` shows it: `session` read by `caller` (also the
/// holder of a share link, see [`super::shares`]).
pub(crate) async fn video_json(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    session: &Session,
    includes: &Includes,
) -> ApiResult<Value> {
    let video = primary_video(session);
    let upload_status = match video.map(|v| v.status()) {
        None | Some(VideoStatus::AwaitingUpload) | Some(VideoStatus::Unspecified) => "Pending",
        Some(VideoStatus::Failed) | Some(VideoStatus::Blocked) => "Failed",
        _ => "Success",
    };
    let mut out = json!({
        "id": session.session_id,
        "status": upload_status,
        "uri": video.and_then(|v| v.original.as_ref()).map(|o| state.download_url(headers, &o.key)),
        "overlays": overlays(state, caller, headers, video).await?,
        "fps": video.and_then(|v| v.info.as_ref()).map(|i| i.fps),
        "domain": session.attributes.get("domain"),
        "activity": (!session.exercise_id.is_empty()).then_some(&session.exercise_id),
        "repCount": video.map(|v| v.expected_rep_count).filter(|n| *n > 0)
            .or_else(|| session.attributes.get("rep_count").and_then(|r| r.parse().ok())),
        "source": session.attributes.get("source"),
        "createdAt": iso_seconds(session.created_at.as_ref()),
    });
    if upload_status == "Failed"
        && let Some(v) = video
    {
        out["reason"] = json!(reason(v));
    }
    if includes.analysis {
        out["analysis"] = analysis_json(session);
    }
    // j2p and objects are built from the same pose track: it is read once.
    let track = if includes.j2p || includes.objects {
        video_track(state, caller, video).await?
    } else {
        None
    };
    if includes.j2p {
        out["j2p"] = j2p_json(session, track.as_ref());
    }
    if includes.objects {
        out["objects"] = match (video, &track) {
            (Some(v), Some(track)) => objects_json(&track.frames, &track.info_or(v)),
            _ => json!([]),
        };
    }
    Ok(out)
}

/// `PUT /videos/{id}`
#[utoipa::path(put, path = "/videos/{id}", tag = "Guru",
    params(("id" = String, Path, description = "Video id")),
    request_body(content = Object, description = "{repCount?, domain?, activity?}. A changed activity re-runs the analysis of an analysed video from its stored poses (status Pending until done)."),
    responses((status = 200, description = "{id}", body = Object),
        (status = 400, description = "Invalid body"), (status = 401, description = "Unauthorized"), (status = 404, description = "Not Found")),
    security(("bearer" = [])))]
pub async fn update_video(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let map: Map<String, Value> = match serde_json::from_slice(&body) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return Err(ApiError::bad_request(
                FAMILY,
                "the body must be a JSON object",
            ));
        }
        Err(e) => {
            return Err(ApiError::bad_request(
                FAMILY,
                format!("invalid JSON body: {e}"),
            ));
        }
    };
    let text = |name: &str| -> ApiResult<Option<String>> {
        match map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(_) => Err(ApiError::bad_request(
                FAMILY,
                format!("{name} must be a string"),
            )),
        }
    };
    let activity = text("activity")?;
    let domain = check_domain_activity(text("domain")?.as_deref(), activity.as_deref())?;
    let rep_count = match map.get("repCount") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().filter(|n| *n <= 10_000).ok_or_else(|| {
            ApiError::bad_request(FAMILY, "repCount must be a non-negative integer")
        })? as u32),
    };
    let session = load(&state, &caller, &id).await?;
    let mut attributes = HashMap::new();
    if let Some(domain) = domain {
        attributes.insert("domain".to_owned(), domain);
    }
    if let Some(reps) = rep_count {
        attributes.insert("rep_count".to_owned(), reps.to_string());
    }
    state
        .session()
        .update_session(caller.request(UpdateSessionRequest {
            session_id: session.session_id.clone(),
            exercise_id: activity,
            attributes,
            expected_rep_count: rep_count.filter(|_| primary_video(&session).is_some()),
            ..Default::default()
        }))
        .await
        .api(FAMILY)?;
    Ok(Json(json!({ "id": session.session_id })))
}

/// `GET /videos/{id}/analysis`
#[utoipa::path(get, path = "/videos/{id}/analysis", tag = "Guru",
    params(("id" = String, Path, description = "Video id")),
    responses((status = 200, description = "{status: Pending|Complete|Failed, reason? (LOW_QUALITY_POSE_ESTIMATE, UNREADABLE_VIDEO, BLOCKED_BY_AUTHENTICITY, UNKNOWN_ACTIVITY when an unknown activity was given, or none was and it could not be recognised, INTERNAL_ERROR), reasonDetail? (human-readable), domain, activity (the given one, else the recognised one), activityRecognition? ({activity, confidence 0..1, reason}: present when the activity was recognised from the video because none was given), reps[]; sprints add runnerProgress[] whenever the runner is tracked, scaled by the profile height or else by an assumed 1.70 m stature (+-5%, said in the result's warnings); fieldMarkers are not detected and so omitted, as the API allows}", body = Object),
        (status = 401, description = "Unauthorized"), (status = 404, description = "Not Found")),
    security(("bearer" = [])))]
pub async fn get_analysis(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let session = load(&state, &caller, &id).await?;
    Ok(Json(analysis_json(&session)))
}

/// `GET /videos/{id}/j2p`
#[utoipa::path(get, path = "/videos/{id}/j2p", tag = "Guru",
    params(("id" = String, Path, description = "Video id")),
    description = "Joint-to-point data: one `JointFrame` list per tracked joint. The joints are those of the pose model that analysed the video: always the 17 COCO keypoints (nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles); with a 33-landmark model (`blazepose-full`, `blazepose-lite`) also `leftHeel`, `rightHeel`, `leftFootIndex`, `rightFootIndex`, `leftHand` and `rightHand` (the midpoint of the hand's pinky and index knuckles, scored by the weaker of the two). A 17-keypoint model (`yolo11n-pose-*`) has no hands: `leftHand`/`rightHand` are then absent rather than estimated; use `leftWrist` / `rightWrist`.",
    responses((status = 200, description = "{status, reason?, resolutionHeight, resolutionWidth, jointToPoints, analysis}", body = Object),
        (status = 401, description = "Unauthorized"), (status = 404, description = "Not Found")),
    security(("bearer" = [])))]
pub async fn get_j2p(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let session = load(&state, &caller, &id).await?;
    let track = video_track(&state, &caller, primary_video(&session)).await?;
    Ok(Json(j2p_json(&session, track.as_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_activity_table_is_enforced() {
        assert_eq!(
            check_domain_activity(None, Some("squat"))
                .unwrap()
                .as_deref(),
            Some("weightlifting")
        );
        assert!(check_domain_activity(Some("yoga"), Some("squat")).is_err());
        assert!(check_domain_activity(Some("dance"), None).is_err());
        assert!(check_domain_activity(None, Some("moonwalk")).is_err());
        assert_eq!(
            check_domain_activity(Some("running"), Some("sprint"))
                .unwrap()
                .as_deref(),
            Some("running")
        );
    }
}
