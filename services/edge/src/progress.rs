//! Pipeline progress: waiting for a video to finish (the AI Exercise Trainer
//! API's synchronous submit) and a server-sent-events feed per video, both from
//! `WatchVideo`.

use std::convert::Infallible;
use std::time::Duration;

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use fitvision_proto::v1::{
    GetSessionRequest, GetVideoRequest, ProgressStage, Video, VideoStatus, WatchVideoRequest,
    WatchVideoResponse,
};
use futures::{Stream, StreamExt};
use serde_json::json;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Family, GrpcResultExt};
use crate::state::AppState;
use crate::views::primary_video;

fn is_final(status: VideoStatus) -> bool {
    matches!(
        status,
        VideoStatus::Complete | VideoStatus::Failed | VideoStatus::Blocked
    )
}

/// Waits until the video's pipeline completes, fails or is blocked.
pub async fn wait_for_video(
    state: &AppState,
    caller: &Caller,
    family: Family,
    video_id: &str,
    timeout: Duration,
) -> ApiResult<Video> {
    let watch = async {
        let mut stream = state
            .session()
            .watch_video(caller.request(WatchVideoRequest {
                video_id: video_id.to_owned(),
            }))
            .await
            .api(family)?;
        while let Some(event) = stream
            .message()
            .await
            .map_err(|s| ApiError::from_status(family, &s))?
        {
            if let Some(video) = event.video
                && is_final(video.status())
            {
                return Ok(video);
            }
        }
        // The stream ended without a final event: ask for the current state.
        let video = state
            .session()
            .get_video(caller.request(GetVideoRequest {
                video_id: video_id.to_owned(),
            }))
            .await
            .api(family)?
            .video
            .ok_or_else(|| ApiError::internal(family, "video vanished while processing"))?;
        if is_final(video.status()) {
            Ok(video)
        } else {
            Err(ApiError::new(
                family,
                axum::http::StatusCode::GATEWAY_TIMEOUT,
                "the progress stream ended before the analysis finished",
            ))
        }
    };
    match tokio::time::timeout(timeout, watch).await {
        Ok(result) => result,
        Err(_) => Err(ApiError::new(
            family,
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            format!("the analysis did not finish within {} s", timeout.as_secs()),
        )),
    }
}

pub fn stage_name(stage: ProgressStage) -> &'static str {
    match stage {
        ProgressStage::Unspecified => "unknown",
        ProgressStage::Queued => "queued",
        ProgressStage::Decoding => "decoding",
        ProgressStage::PosesDone => "poses_done",
        ProgressStage::Authenticity => "authenticity",
        ProgressStage::MetricsDone => "metrics_done",
        ProgressStage::Completed => "completed",
        ProgressStage::Failed => "failed",
    }
}

fn to_event(event: &WatchVideoResponse) -> Event {
    let mut data = json!({
        "video_id": event.video_id,
        "stage": stage_name(event.stage()),
        "percent": event.percent,
        "message": event.message,
    });
    if let Some(video) = &event.video {
        data["status"] = json!(crate::views::video_status_name(video.status()));
        if !video.failure_reason.is_empty() {
            data["reason"] = json!(video.failure_reason);
        }
    }
    Event::default()
        .event(stage_name(event.stage()))
        .json_data(data)
        .unwrap_or_else(|_| Event::default().event("error"))
}

/// Resolves a path id that may be a session id (Guru video ids are session ids)
/// or a video id.
pub async fn resolve_video_id(
    state: &AppState,
    caller: &Caller,
    family: Family,
    id: &str,
) -> ApiResult<String> {
    match state
        .session()
        .get_session(caller.request(GetSessionRequest {
            session_id: id.to_owned(),
        }))
        .await
    {
        Ok(response) => {
            let session = response
                .into_inner()
                .session
                .ok_or_else(|| ApiError::not_found(family, "session not found"))?;
            primary_video(&session)
                .map(|v| v.video_id.clone())
                .ok_or_else(|| ApiError::not_found(family, "no video has been uploaded yet"))
        }
        Err(status) if status.code() == tonic::Code::NotFound => Ok(id.to_owned()),
        Err(status) => Err(ApiError::from_status(family, &status)),
    }
}

/// `GET /videos/{id}/events`: server-sent progress events until the pipeline ends.
#[utoipa::path(get, path = "/videos/{id}/events", tag = "Progress",
    params(("id" = String, Path, description = "Video id or the id of a session/Guru video")),
    responses((status = 200, description = "text/event-stream of progress events (event name = stage; data = {video_id, stage, percent, message, status?, reason?})", content_type = "text/event-stream"),
        (status = 401, description = "Missing or invalid credentials"), (status = 404, description = "Unknown video")),
    security(("api_key" = [])))]
pub async fn video_events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let family = Family::Plain;
    let video_id = resolve_video_id(&state, &caller, family, &id).await?;
    let stream = state
        .session()
        .watch_video(caller.request(WatchVideoRequest { video_id }))
        .await
        .api(family)?;
    let events = stream.map(|item| {
        Ok::<_, Infallible>(match item {
            Ok(event) => to_event(&event),
            Err(status) => Event::default()
                .event("error")
                .json_data(json!({ "error": status.message() }))
                .unwrap_or_else(|_| Event::default().event("error")),
        })
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
