//! The gRPC face: resolve the stored video and pose track, run the analysis off the async
//! runtime, map failures onto gRPC status codes with a message.

use std::sync::Arc;

use fitvision_proto::v1::cheat_detection_service_server::CheatDetectionService;
use fitvision_proto::v1::check_video_as_poses_arrive_request::Part;
use fitvision_proto::v1::{
    CheckVideoAsPosesArriveRequest, CheckVideoAsPosesArriveResponse, CheckVideoRequest,
    CheckVideoResponse, PoseTrack,
};
use fitvision_service_kit::failure::{self, FailureCode, storage_failure};
use fitvision_storage::{LocalCopy, Storage, StorageError};
use prost::Message;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::{Code, Request, Response, Status, Streaming};

use crate::analyzer::{Analysis, Analyzer};
use crate::error::CheckError;
use crate::growing::GrowingTrack;
use crate::verdict::Policy;

pub struct CheatDetection {
    analyzer: Arc<Analyzer>,
    storage: Storage,
    /// Analyses are CPU-bound; more at once only slows each down.
    permits: Arc<Semaphore>,
}

impl CheatDetection {
    pub fn new(analyzer: Arc<Analyzer>, storage: Storage, max_parallel: usize) -> Self {
        Self {
            analyzer,
            storage,
            permits: Arc::new(Semaphore::new(max_parallel.max(1))),
        }
    }
}

impl CheatDetection {
    /// A local copy of the stored video and a slot to analyse it in (analyses are
    /// CPU-bound: the slots bound how many run at once).
    async fn video_and_slot(
        &self,
        video_key: &str,
    ) -> Result<(LocalCopy, OwnedSemaphorePermit), Status> {
        let copy = self
            .storage
            .local_copy(video_key)
            .await
            .map_err(|e| storage_status("video", video_key, e))?;
        let permit = self.permits.clone().acquire_owned().await.map_err(|_| {
            failure::status(Code::Unavailable, FailureCode::Unavailable, "shutting down")
        })?;
        Ok((copy, permit))
    }
}

/// Storage errors through the shared mapping, with messages that name what was missing.
fn storage_status(what: &str, key: &str, error: StorageError) -> Status {
    let (code, failure) = storage_failure(&error);
    let message = match error {
        StorageError::NotFound { .. } => format!("{what} '{key}' not found"),
        StorageError::InvalidKey { .. } => format!("{what}: {error}"),
        other => format!("{what} '{key}': {other}"),
    };
    failure::status(code, failure, message)
}

/// The blocking analysis task panicked or was cancelled.
fn task_failed(error: tokio::task::JoinError) -> Status {
    failure::status(
        Code::Internal,
        FailureCode::Internal,
        format!("analysis task failed: {error}"),
    )
}

#[tonic::async_trait]
impl CheatDetectionService for CheatDetection {
    async fn check_video(
        &self,
        request: Request<CheckVideoRequest>,
    ) -> Result<Response<CheckVideoResponse>, Status> {
        let request = request.into_inner();
        let video_key = request
            .video
            .as_ref()
            .map(|v| v.key.clone())
            .filter(|k| !k.is_empty());
        let track = match (
            request.pose_track_inline,
            request
                .pose_track
                .as_ref()
                .map(|t| t.key.as_str())
                .filter(|k| !k.is_empty()),
        ) {
            (Some(inline), _) => Some(inline),
            (None, Some(key)) => {
                let bytes = self
                    .storage
                    .get_bytes(key)
                    .await
                    .map_err(|e| storage_status("pose track", key, e))?;
                Some(
                    PoseTrack::decode(bytes)
                        .map_err(|e| Status::from(CheckError::BadPoseTrack(e)))?,
                )
            }
            (None, None) => None,
        };
        let policy = Policy::from_request(request.policy.as_ref());
        let Some(video_key) = video_key else {
            // A live feed keeps no video: the pose-track checks alone.
            let track = track.ok_or_else(|| {
                failure::status(
                    Code::InvalidArgument,
                    FailureCode::InvalidArgument,
                    "video.key is required (or, for a feed without a video, a pose track)",
                )
            })?;
            let analyzer = self.analyzer.clone();
            let exercise_id = request.exercise_id;
            let analysis = tokio::task::spawn_blocking(move || {
                analyzer.analyze_track(&track, &exercise_id, policy)
            })
            .await
            .map_err(task_failed)?;
            return Ok(Response::new(CheckVideoResponse {
                report: Some(analysis.report),
            }));
        };
        let (copy, _permit) = self.video_and_slot(&video_key).await?;
        let analyzer = self.analyzer.clone();
        let exercise_id = request.exercise_id;
        let analysis = tokio::task::spawn_blocking(move || {
            let result = analyzer.analyze(copy.as_ref(), track.as_ref(), &exercise_id, policy);
            drop(copy);
            result
        })
        .await
        .map_err(task_failed)?
        .map_err(Status::from)?;
        log_checked(&video_key, &analysis, policy);
        Ok(Response::new(CheckVideoResponse {
            report: Some(analysis.report),
        }))
    }

    async fn check_video_as_poses_arrive(
        &self,
        request: Request<Streaming<CheckVideoAsPosesArriveRequest>>,
    ) -> Result<Response<CheckVideoAsPosesArriveResponse>, Status> {
        let mut parts = request.into_inner();
        let Some(Part::Start(start)) = parts.message().await?.and_then(|m| m.part) else {
            return Err(invalid_argument("the first message must be `start`"));
        };
        let video_key = start
            .video
            .map(|v| v.key)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| invalid_argument("start.video.key is required"))?;
        let policy = Policy::from_request(start.policy.as_ref());
        let (copy, _permit) = self.video_and_slot(&video_key).await?;
        let track = Arc::new(GrowingTrack::new());
        let analysis = tokio::task::spawn_blocking({
            let analyzer = self.analyzer.clone();
            let track = track.clone();
            let exercise_id = start.exercise_id;
            move || {
                let result =
                    analyzer.analyze_as_poses_arrive(copy.as_ref(), &track, &exercise_id, policy);
                drop(copy);
                result
            }
        });
        // The track as the pose stage produces it; the frame pass reads it as it grows.
        let fed = loop {
            match parts.message().await {
                Ok(Some(CheckVideoAsPosesArriveRequest {
                    part: Some(Part::Frames(batch)),
                })) => track.push(batch.frames),
                Ok(Some(CheckVideoAsPosesArriveRequest {
                    part: Some(Part::End(end)),
                })) => {
                    track.finish(end);
                    break Ok(());
                }
                Ok(Some(_)) => {
                    track.abandon();
                    break Err(invalid_argument("only `frames` and `end` follow `start`"));
                }
                Ok(None) => {
                    track.abandon();
                    break Err(failure::status(
                        Code::Cancelled,
                        FailureCode::Cancelled,
                        "the pose track ended without its `end` message",
                    ));
                }
                Err(status) => {
                    track.abandon();
                    break Err(status);
                }
            }
        };
        let analysis = analysis.await.map_err(task_failed)?;
        fed?;
        let analysis = analysis.map_err(Status::from)?;
        log_checked(&video_key, &analysis, policy);
        Ok(Response::new(CheckVideoAsPosesArriveResponse {
            report: Some(analysis.report),
        }))
    }
}

fn invalid_argument(message: &str) -> Status {
    failure::status(
        Code::InvalidArgument,
        FailureCode::InvalidArgument,
        message.to_owned(),
    )
}

fn log_checked(video_key: &str, analysis: &Analysis, policy: Policy) {
    tracing::info!(
        video = %video_key,
        score = analysis.report.score,
        blocked = analysis.report.blocked,
        over_threshold = analysis.report.over_threshold,
        mode = policy.mode.as_str_name(),
        ms = analysis.timings.total.as_millis() as u64,
        "authenticity checked"
    );
}
