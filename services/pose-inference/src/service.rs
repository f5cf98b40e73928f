//! The gRPC surface: `PoseInferenceService`.

use std::sync::Arc;

use fitvision_proto::v1::pose_inference_service_server::PoseInferenceService;
use fitvision_proto::v1::stream_poses_response::Event;
use fitvision_proto::v1::{
    ListModelsRequest, ListModelsResponse, ObjectRef, ProbeVideoRequest, ProbeVideoResponse,
    RenderAnnotatedVideoRequest, RenderAnnotatedVideoResponse, StreamPosesRequest,
    StreamPosesResponse, TrackFramesRequest, VideoInfo,
};
use fitvision_service_kit::failure::{self, FailureCode, storage_failure};
use fitvision_storage::{Storage, StorageError};
use fitvision_video::{SampledFrame, VideoDecoder};
use tokio::sync::{Semaphore, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use crate::cadence::CadenceConfig;
use crate::engine::PoseEngine;
use crate::pipeline::{Flow, InputPolicy, PoseEvent, PoseOptions, stream_poses};

/// Messages buffered towards a slow client before inference waits for it.
const STREAM_BUFFER: usize = 16;
/// ProbeVideo decodes at most this many frames (fewer when the caller asks).
const PROBE_FRAMES: u32 = 60;

pub struct PoseInferenceApi {
    engine: Arc<PoseEngine>,
    storage: Storage,
    /// Pose runs in progress at once: a bounded pool sized to the machine.
    runs: Arc<Semaphore>,
}

impl PoseInferenceApi {
    pub fn new(engine: Arc<PoseEngine>, storage: Storage, parallel_runs: usize) -> Self {
        Self {
            engine,
            storage,
            runs: Arc::new(Semaphore::new(parallel_runs.max(1))),
        }
    }

    async fn local_video(
        &self,
        video: Option<&ObjectRef>,
    ) -> Result<fitvision_storage::LocalCopy, Status> {
        let key = video
            .map(|video| video.key.trim())
            .filter(|key| !key.is_empty())
            .ok_or_else(|| {
                failure::status(
                    tonic::Code::InvalidArgument,
                    FailureCode::InvalidOptions,
                    format!("{}: video.key is required", FailureCode::InvalidOptions),
                )
            })?;
        self.storage.local_copy(key).await.map_err(|error| {
            let (code, failure) = storage_failure(&error);
            match error {
                // The object is the video the caller named.
                StorageError::NotFound { .. } => failure::status(
                    code,
                    FailureCode::VideoNotFound,
                    format!("{}: {error}", FailureCode::VideoNotFound),
                ),
                StorageError::InvalidKey { .. } => {
                    failure::status(code, failure, error.to_string())
                }
                other => failure::status(code, failure, format!("object storage: {other}")),
            }
        })
    }
}

type PoseStream = ReceiverStream<Result<StreamPosesResponse, Status>>;

#[tonic::async_trait]
impl PoseInferenceService for PoseInferenceApi {
    type StreamPosesStream = PoseStream;

    async fn stream_poses(
        &self,
        request: Request<StreamPosesRequest>,
    ) -> Result<Response<Self::StreamPosesStream>, Status> {
        let request = request.into_inner();
        let options = PoseOptions {
            model_id: Some(request.model_id.clone()).filter(|id| !id.is_empty()),
            target_fps: request
                .sampling
                .map(|sampling| sampling.target_fps)
                .unwrap_or_default(),
            max_persons: request.max_persons,
            min_confidence: request.min_confidence,
            input: InputPolicy::default(),
            cadence: request
                .sampling
                .is_some_and(|sampling| sampling.coarse_to_fine)
                .then(CadenceConfig::default),
        };
        options.validate()?;
        let model = self.engine.model(options.model_id.clone()).await?;
        let video = self.local_video(request.video.as_ref()).await?;
        // Open before answering, so unreadable videos fail the call itself, not the stream.
        let (video, decoder) = tokio::task::spawn_blocking(move || {
            let decoder = VideoDecoder::open(video.as_ref());
            (video, decoder)
        })
        .await
        .map_err(|error| {
            failure::status(
                tonic::Code::Internal,
                FailureCode::Internal,
                format!("decoder task: {error}"),
            )
        })?;
        let decoder = decoder.map_err(crate::PoseError::from)?;
        // Wait for a free run slot; the caller sees the stream start when it has one. A
        // run that must wait closes its decoder meanwhile and opens it again after: an
        // open decoder holds its first frame in BGR, a BGR buffer and FFmpeg's
        // frame-thread pictures, and with 4 analyses in flight the 3 waiting ones held
        // ~40 MB of these (heaptrack).
        let (slot, decoder) = match self.runs.clone().try_acquire_owned() {
            Ok(slot) => (slot, Some(decoder)),
            Err(_) => {
                drop(decoder);
                let slot = self.runs.clone().acquire_owned().await.map_err(|_| {
                    failure::status(
                        tonic::Code::Unavailable,
                        FailureCode::Internal,
                        "the pose service is shutting down",
                    )
                })?;
                (slot, None)
            }
        };

        let (sender, receiver) = mpsc::channel(STREAM_BUFFER);
        tokio::task::spawn_blocking(move || {
            // The local copy (maybe a temp file) and the run slot live until the run is
            // over.
            let _slot = slot;
            let mut emit = |event: PoseEvent| {
                let event = match event {
                    PoseEvent::Video(info) => Event::Video(info),
                    PoseEvent::Frame(frame) => Event::Frame(frame),
                };
                // Blocking send is the backpressure: a slow client pauses inference.
                match sender.blocking_send(Ok(StreamPosesResponse { event: Some(event) })) {
                    Ok(()) => Flow::Continue,
                    Err(_) => Flow::Stop,
                }
            };
            let outcome = match decoder {
                Some(decoder) => Ok(decoder),
                None => VideoDecoder::open(video.as_ref()).map_err(crate::PoseError::from),
            }
            .and_then(|decoder| stream_poses(model.as_ref(), decoder, &options, &mut emit));
            let last = match outcome {
                Ok(summary) => Ok(StreamPosesResponse {
                    event: Some(Event::Summary(summary)),
                }),
                Err(error) => {
                    tracing::info!(%error, "pose stream ended with an error");
                    Err(Status::from(error))
                }
            };
            let _ = sender.blocking_send(last);
        });
        Ok(Response::new(ReceiverStream::new(receiver)))
    }

    async fn list_models(
        &self,
        _request: Request<ListModelsRequest>,
    ) -> Result<Response<ListModelsResponse>, Status> {
        Ok(Response::new(ListModelsResponse {
            models: self.engine.registry().descriptors(),
            default_model_id: self.engine.registry().default_id().to_owned(),
        }))
    }

    async fn probe_video(
        &self,
        request: Request<ProbeVideoRequest>,
    ) -> Result<Response<ProbeVideoResponse>, Status> {
        let max_frames = match request.get_ref().max_frames {
            0 => PROBE_FRAMES,
            asked => asked.min(PROBE_FRAMES),
        };
        let video = self.local_video(request.get_ref().video.as_ref()).await?;
        let info = tokio::task::spawn_blocking(move || probe(video.as_ref(), max_frames))
            .await
            .map_err(|error| {
                failure::status(
                    tonic::Code::Internal,
                    FailureCode::Internal,
                    format!("probe task: {error}"),
                )
            })??;
        Ok(Response::new(ProbeVideoResponse { video: Some(info) }))
    }

    type TrackFramesStream = crate::live::TrackFramesStream;

    async fn track_frames(
        &self,
        request: Request<Streaming<TrackFramesRequest>>,
    ) -> Result<Response<Self::TrackFramesStream>, Status> {
        crate::live::track_frames(
            self.engine.clone(),
            self.storage.clone(),
            request.into_inner(),
        )
        .await
        .map(Response::new)
    }

    async fn render_annotated_video(
        &self,
        request: Request<RenderAnnotatedVideoRequest>,
    ) -> Result<Response<RenderAnnotatedVideoResponse>, Status> {
        let response =
            crate::render::render_annotated_video(&self.storage, request.into_inner()).await?;
        Ok(Response::new(response))
    }
}

/// Container metadata plus a short decode: frame rate from the first frames'
/// timestamps; the exact frame count only when the whole clip fits in the probe.
fn probe(path: &std::path::Path, max_frames: u32) -> Result<VideoInfo, Status> {
    let mut decoder = VideoDecoder::open(path).map_err(crate::PoseError::from)?;
    let meta = decoder.meta().clone();
    let mut timestamps = Vec::new();
    let mut reached_end = true;
    while let Some(frame) = decoder.next_sampled(|_, _| false) {
        match frame.map_err(crate::PoseError::from)? {
            SampledFrame::Kept(frame) => timestamps.push(frame.timestamp_ms),
            SampledFrame::Skipped { timestamp_ms, .. } => timestamps.push(timestamp_ms),
        }
        if timestamps.len() as u32 >= max_frames {
            reached_end = false;
            break;
        }
    }
    let span = match (timestamps.first(), timestamps.last()) {
        (Some(first), Some(last)) if timestamps.len() > 1 => last - first,
        _ => 0.0,
    };
    let fps = if span > 0.0 {
        (timestamps.len() - 1) as f64 * 1000.0 / span
    } else {
        meta.header_fps
    };
    let frame_count = if reached_end {
        timestamps.len() as u32
    } else {
        meta.header_frame_count
    };
    let duration_ms = if reached_end && fps > 0.0 {
        span + 1000.0 / fps
    } else {
        meta.declared_duration_ms().unwrap_or_default()
    };
    Ok(VideoInfo {
        width_px: meta.width,
        height_px: meta.height,
        fps,
        frame_count,
        header_frame_count: meta.header_frame_count,
        duration_ms,
        rotation_deg: meta.rotation_deg,
        codec: meta.codec,
    })
}
