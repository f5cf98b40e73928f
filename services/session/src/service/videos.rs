//! Video reads: details, progress watching, pose tracks, annotated videos.

use std::sync::Arc;
use std::time::Duration;

use fitvision_proto::v1 as pb;
use prost::Message;
use sea_orm::EntityTrait;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::EventStream;
use super::sessions::{load_readable, load_session_proto};
use crate::auth::Principal;
use crate::context::AppContext;
use crate::convert::{PosesOutcome, STEP_POSES};
use crate::db::entity::{session, step_result, video};
use crate::error::{SessionError, db_status, storage_status};
use crate::pipeline::{annotated_artefact, full_video, render_job};
use crate::progress::is_terminal_stage;

/// How often a watcher re-reads the database (covers jobs run by other replicas).
const WATCH_POLL: Duration = Duration::from_secs(2);

/// A video the caller may read (watch, stream its poses, have it rendered): its own,
/// or a demo session's.
async fn load_authorized_video(
    ctx: &AppContext,
    principal: &Principal,
    video_id: &str,
) -> Result<(video::Model, session::Model), Status> {
    let model = video::Entity::find_by_id(video_id.to_owned())
        .one(&ctx.db)
        .await
        .map_err(db_status)?
        .ok_or_else(|| SessionError::VideoNotFound(format!("video '{video_id}' not found")))?;
    if model.tenant_id != crate::demo::DEMO_TENANT {
        principal.check_tenant(&model.tenant_id, "video", video_id)?;
    }
    let session = load_readable(ctx, principal, &model.session_id).await?;
    Ok((model, session))
}

pub async fn get(
    ctx: &AppContext,
    principal: &Principal,
    video_id: &str,
) -> Result<pb::GetVideoResponse, Status> {
    let (_, session) = load_authorized_video(ctx, principal, video_id).await?;
    let video = full_video(ctx, video_id)
        .await
        .map_err(db_status)?
        .ok_or_else(|| SessionError::VideoNotFound(format!("video '{video_id}' not found")))?;
    Ok(pb::GetVideoResponse {
        video: Some(video),
        session: Some(load_session_proto(ctx, &session).await?),
    })
}

/// The event describing a video's stored state.
fn state_event(video: &pb::Video) -> pb::WatchVideoResponse {
    let status = pb::VideoStatus::try_from(video.status).unwrap_or(pb::VideoStatus::Unspecified);
    let (stage, message) = match status {
        pb::VideoStatus::Complete => (pb::ProgressStage::Completed, "completed".to_owned()),
        pb::VideoStatus::Failed | pb::VideoStatus::Blocked => {
            (pb::ProgressStage::Failed, video.failure_reason.clone())
        }
        pb::VideoStatus::AwaitingUpload => {
            (pb::ProgressStage::Unspecified, "awaiting upload".to_owned())
        }
        pb::VideoStatus::Queued => (pb::ProgressStage::Queued, "queued".to_owned()),
        _ => {
            let stage =
                pb::ProgressStage::try_from(video.stage).unwrap_or(pb::ProgressStage::Queued);
            (
                stage,
                stage
                    .as_str_name()
                    .trim_start_matches("PROGRESS_STAGE_")
                    .to_ascii_lowercase(),
            )
        }
    };
    let terminal = is_terminal_stage(stage as i32);
    pb::WatchVideoResponse {
        video_id: video.video_id.clone(),
        stage: stage as i32,
        percent: video.progress_percent,
        message,
        video: terminal.then(|| video.clone()),
    }
}

pub async fn watch(
    ctx: Arc<AppContext>,
    principal: &Principal,
    video_id: &str,
) -> Result<EventStream<pb::WatchVideoResponse>, Status> {
    load_authorized_video(&ctx, principal, video_id).await?;
    // Subscribe before reading the state, so nothing between the two is missed.
    let receiver = ctx.progress.subscribe();
    let (sender, events) = mpsc::channel(64);
    let video_id = video_id.to_owned();
    tokio::spawn(async move {
        if let Err(status) = forward_progress(&ctx, &video_id, receiver, &sender).await {
            let _ = sender.send(Err(status)).await;
        }
    });
    Ok(Box::pin(ReceiverStream::new(events)))
}

async fn forward_progress(
    ctx: &AppContext,
    video_id: &str,
    mut receiver: broadcast::Receiver<pb::WatchVideoResponse>,
    sender: &mpsc::Sender<Result<pb::WatchVideoResponse, Status>>,
) -> Result<(), Status> {
    let mut last = (i32::MIN, f64::NAN);
    // Emits the stored state when it differs from the last event; true when terminal.
    let resync = |last: &mut (i32, f64)| {
        let last_seen = *last;
        async move {
            let video = full_video(ctx, video_id)
                .await
                .map_err(db_status)?
                .ok_or_else(|| {
                    SessionError::VideoNotFound(format!("video '{video_id}' was deleted"))
                })?;
            let event = state_event(&video);
            let changed = event.stage != last_seen.0 || event.percent != last_seen.1;
            Ok::<_, Status>((event, changed))
        }
    };
    let (event, _) = resync(&mut last).await?;
    last = (event.stage, event.percent);
    let terminal = is_terminal_stage(event.stage);
    if sender.send(Ok(event)).await.is_err() || terminal {
        return Ok(());
    }
    let mut poll = tokio::time::interval(WATCH_POLL);
    poll.tick().await;
    loop {
        let next = tokio::select! {
            received = receiver.recv() => match received {
                Ok(event) if event.video_id == video_id => Some(event),
                Ok(_) => None,
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let (event, changed) = resync(&mut last).await?;
                    changed.then_some(event)
                }
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            },
            _ = poll.tick() => {
                let (event, changed) = resync(&mut last).await?;
                changed.then_some(event)
            }
            () = sender.closed() => return Ok(()),
        };
        let Some(event) = next else { continue };
        let terminal = is_terminal_stage(event.stage);
        // Percent only moves forward for a watcher: a stale row read racing a
        // live event, or a retried job restarting its steps, is not news.
        if !terminal && event.percent < last.1 {
            continue;
        }
        last = (event.stage, event.percent);
        let event = if terminal && event.video.is_none() {
            // Terminal events always carry the final video.
            let (stored, _) = resync(&mut last).await?;
            stored
        } else {
            event
        };
        if sender.send(Ok(event)).await.is_err() || terminal {
            return Ok(());
        }
    }
}

async fn load_poses(ctx: &AppContext, video_id: &str) -> Result<Option<PosesOutcome>, Status> {
    Ok(
        step_result::Entity::find_by_id((video_id.to_owned(), STEP_POSES.to_owned()))
            .one(&ctx.db)
            .await
            .map_err(db_status)?
            .and_then(|s| PosesOutcome::decode(s.payload.as_slice()).ok()),
    )
}

pub async fn stream_pose_track(
    ctx: &AppContext,
    principal: &Principal,
    video_id: &str,
) -> Result<EventStream<pb::StreamPoseTrackResponse>, Status> {
    load_authorized_video(ctx, principal, video_id).await?;
    let poses = load_poses(ctx, video_id).await?.ok_or_else(|| {
        SessionError::FailedPrecondition(format!("video '{video_id}' has no pose track yet"))
    })?;
    let key = poses
        .track
        .map(|t| t.key)
        .ok_or_else(|| SessionError::FailedPrecondition("pose track missing".to_owned()))?;
    let bytes = ctx.storage.get_bytes(&key).await.map_err(storage_status)?;
    let track = pb::PoseTrack::decode(bytes)
        .map_err(|e| SessionError::Internal(format!("stored pose track unreadable: {e}")))?;
    let mut items = Vec::with_capacity(track.frames.len() + 2);
    items.push(Ok(pb::StreamPoseTrackResponse {
        item: Some(pb::stream_pose_track_response::Item::Header(
            pb::PoseTrackHeader {
                schema: track.schema,
                model_id: track.model_id.clone(),
            },
        )),
    }));
    if let Some(info) = track.video {
        items.push(Ok(pb::StreamPoseTrackResponse {
            item: Some(pb::stream_pose_track_response::Item::Info(info)),
        }));
    }
    items.extend(track.frames.into_iter().map(|frame| {
        Ok(pb::StreamPoseTrackResponse {
            item: Some(pb::stream_pose_track_response::Item::Frame(frame)),
        })
    }));
    Ok(Box::pin(tokio_stream::iter(items)))
}

pub async fn request_annotated(
    ctx: &AppContext,
    principal: &Principal,
    request: pb::RequestAnnotatedVideoRequest,
) -> Result<pb::RequestAnnotatedVideoResponse, Status> {
    let (model, _) = load_authorized_video(ctx, principal, &request.video_id).await?;
    let flavour = match pb::AnnotatedVideoFlavour::try_from(request.flavour) {
        Ok(pb::AnnotatedVideoFlavour::Skeleton) => pb::AnnotatedVideoFlavour::Skeleton,
        _ => pb::AnnotatedVideoFlavour::All,
    };
    let video = full_video(ctx, &model.id)
        .await
        .map_err(db_status)?
        .ok_or_else(|| SessionError::VideoNotFound("video deleted".to_owned()))?;
    if let Some(object) = video.artefacts.get(&annotated_artefact(flavour)) {
        return Ok(pb::RequestAnnotatedVideoResponse {
            status: pb::AnnotatedVideoStatus::Complete as i32,
            video: Some(object.clone()),
            reason: String::new(),
        });
    }
    let failed = video.status == pb::VideoStatus::Failed as i32
        || video.status == pb::VideoStatus::AwaitingUpload as i32;
    if failed && video.pose_track.is_none() {
        return Ok(pb::RequestAnnotatedVideoResponse {
            status: pb::AnnotatedVideoStatus::Failed as i32,
            video: None,
            reason: if video.failure_reason.is_empty() {
                "the video has not been analysed".into()
            } else {
                video.failure_reason.clone()
            },
        });
    }
    ctx.queue
        .enqueue(
            render_job(&model.id, flavour, ctx.settings.job_max_attempts),
            true,
        )
        .await
        .map_err(db_status)?;
    ctx.wake.notify_waiters();
    Ok(pb::RequestAnnotatedVideoResponse {
        status: pb::AnnotatedVideoStatus::Pending as i32,
        video: None,
        reason: String::new(),
    })
}
