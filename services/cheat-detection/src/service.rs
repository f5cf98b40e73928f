//! The gRPC face: resolve the stored video and pose track, run the analysis off the async
//! runtime, map failures onto gRPC status codes with a message.

use std::sync::Arc;

use fitvision_proto::v1::cheat_detection_service_server::CheatDetectionService;
use fitvision_proto::v1::{CheckVideoRequest, CheckVideoResponse, PoseTrack};
use fitvision_storage::{Storage, StorageError};
use prost::Message;
use tokio::sync::Semaphore;
use tonic::{Request, Response, Status};

use crate::analyzer::Analyzer;
use crate::error::CheckError;
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

fn storage_status(what: &str, key: &str, error: StorageError) -> Status {
    match error {
        StorageError::NotFound { .. } => Status::not_found(format!("{what} '{key}' not found")),
        StorageError::InvalidKey { .. } => Status::invalid_argument(format!("{what}: {error}")),
        other => Status::unavailable(format!("{what} '{key}': {other}")),
    }
}

fn check_status(error: CheckError) -> Status {
    match error {
        CheckError::Video(e) => Status::invalid_argument(format!("video cannot be analysed: {e}")),
        CheckError::BadPoseTrack(e) => Status::invalid_argument(format!("pose track: {e}")),
        other => Status::internal(other.to_string()),
    }
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
            .filter(|k| !k.is_empty())
            .ok_or_else(|| Status::invalid_argument("video.key is required"))?;
        let track = match request
            .pose_track
            .as_ref()
            .map(|t| t.key.as_str())
            .filter(|k| !k.is_empty())
        {
            Some(key) => {
                let bytes = self
                    .storage
                    .get_bytes(key)
                    .await
                    .map_err(|e| storage_status("pose track", key, e))?;
                Some(
                    PoseTrack::decode(bytes)
                        .map_err(|e| check_status(CheckError::BadPoseTrack(e)))?,
                )
            }
            None => None,
        };
        let copy = self
            .storage
            .local_copy(&video_key)
            .await
            .map_err(|e| storage_status("video", &video_key, e))?;
        let policy = Policy::from_request(request.policy.as_ref());
        let _permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Status::unavailable("shutting down"))?;
        let analyzer = self.analyzer.clone();
        let exercise_id = request.exercise_id;
        let analysis = tokio::task::spawn_blocking(move || {
            let result = analyzer.analyze(copy.as_ref(), track.as_ref(), &exercise_id, policy);
            drop(copy);
            result
        })
        .await
        .map_err(|e| Status::internal(format!("analysis task failed: {e}")))?
        .map_err(check_status)?;
        tracing::info!(
            video = %video_key,
            score = analysis.report.score,
            blocked = analysis.report.blocked,
            over_threshold = analysis.report.over_threshold,
            mode = policy.mode.as_str_name(),
            ms = analysis.timings.total.as_millis() as u64,
            "authenticity checked"
        );
        Ok(Response::new(CheckVideoResponse {
            report: Some(analysis.report),
        }))
    }
}
