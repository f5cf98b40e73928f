//! Annotated video: the original video with the stored pose track and results
//! drawn over it (no second inference), encoded as a browser-playable H.264 MP4
//! (yuv420p, faststart) at the source's size, orientation, frame rate and
//! duration; plus JPEG snapshots at phase boundaries for lift reports.

mod draw;
mod overlay;
mod plan;
mod skeleton;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use fitvision_proto::v1::{
    AnalysisResult, AuthenticityReport, ObjectRef, OverlayKind, PoseTrack,
    RenderAnnotatedVideoRequest, RenderAnnotatedVideoResponse,
};
use fitvision_service_kit::failure::{self, FailureCode, storage_failure, video_failure};
use fitvision_storage::{Storage, StorageError, UploadError};
use fitvision_video::opencv::core::{Mat, Vector};
use fitvision_video::opencv::imgcodecs::{IMWRITE_JPEG_QUALITY, imencode};
use fitvision_video::opencv::prelude::VectorToVec;
use fitvision_video::{EncoderSettings, FrameWriter, VideoDecoder, VideoError};
use prost::Message;
use tonic::Status;

pub use overlay::Flavour;
pub use plan::OverlayPlan;

use overlay::Overlay;
use skeleton::TrackCursor;

/// JPEG quality of phase snapshots: sharp enough for a report, ~100 kB at 1080p.
const SNAPSHOT_JPEG_QUALITY: i32 = 88;

/// Why rendering failed. Each maps to one gRPC status.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("stored pose track is not a valid PoseTrack: {0}")]
    BadTrack(String),
    #[error(transparent)]
    Video(#[from] VideoError),
    #[error("drawing failed: {0}")]
    Draw(#[from] fitvision_video::opencv::Error),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("storing the output failed: {0}")]
    Upload(#[from] UploadError),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("render task failed: {0}")]
    Task(String),
}

impl RenderError {
    /// The gRPC code and failure code of this error. Storage errors use the shared
    /// mapping. Video errors keep the shared failure code, but a stored video that does
    /// not decode (or is gone) is FAILED_PRECONDITION here: rendering needs a video that
    /// an analysis already read, so it is the video's state, not the request, that is wrong.
    pub fn failure(&self) -> (tonic::Code, FailureCode) {
        use tonic::Code;
        match self {
            RenderError::InvalidRequest(_) => (Code::InvalidArgument, FailureCode::InvalidArgument),
            RenderError::BadTrack(_) => (Code::FailedPrecondition, FailureCode::InvalidPoseTrack),
            RenderError::Video(error) => match video_failure(error) {
                (Code::NotFound | Code::InvalidArgument, failure) => {
                    (Code::FailedPrecondition, failure)
                }
                other => other,
            },
            RenderError::Storage(error) => storage_failure(error),
            RenderError::Draw(_)
            | RenderError::Upload(_)
            | RenderError::Io(_)
            | RenderError::Task(_) => (Code::Internal, FailureCode::Internal),
        }
    }
}

impl From<RenderError> for Status {
    fn from(error: RenderError) -> Self {
        let (code, failure) = error.failure();
        failure::status(code, failure, error.to_string())
    }
}

/// What a local render produced.
#[derive(Debug, Clone)]
pub struct RenderOutput {
    pub video_path: PathBuf,
    pub frames_written: u32,
    pub fps: f64,
    pub width: u32,
    pub height: u32,
    /// Snapshot name (e.g. "first_pull_end") -> JPEG bytes.
    pub snapshots: Vec<(String, Vec<u8>)>,
}

/// Inputs of a local render.
pub struct RenderJob<'a> {
    pub video: &'a Path,
    pub track: &'a PoseTrack,
    pub result: Option<&'a AnalysisResult>,
    pub authenticity: Option<&'a AuthenticityReport>,
    pub flavour: Flavour,
    pub output: &'a Path,
    pub with_snapshots: bool,
}

/// The RPC: reads the video and the track from storage, renders, stores the MP4
/// (and snapshots under `snapshot_key_prefix`) and returns their references.
pub async fn render_annotated_video(
    storage: &Storage,
    request: RenderAnnotatedVideoRequest,
) -> Result<RenderAnnotatedVideoResponse, Status> {
    Ok(render_stored(storage, request).await?)
}

/// What a render may write: new `.mp4`/snapshot objects beside the video it draws
/// on (its folder, `videos/<id>/`), never the video or its poses, and nothing
/// elsewhere in the store: a caller cannot name another video's objects.
fn check_output_keys(
    video_key: &str,
    track_key: &str,
    output_key: &str,
    snapshot_prefix: &str,
) -> Result<(), RenderError> {
    let folder = match video_key.rfind('/') {
        Some(slash) => &video_key[..=slash],
        None => "",
    };
    let beside = |key: &str| {
        key.starts_with(folder) && !key[folder.len()..].is_empty() && !key.contains("..")
    };
    if !beside(output_key) || !output_key.ends_with(".mp4") {
        return Err(RenderError::InvalidRequest(format!(
            "output_key must be an .mp4 in the video's folder '{folder}'"
        )));
    }
    if output_key == video_key || output_key == track_key {
        return Err(RenderError::InvalidRequest(
            "output_key must not overwrite the video or its poses".to_owned(),
        ));
    }
    if !snapshot_prefix.is_empty() && !beside(snapshot_prefix) {
        return Err(RenderError::InvalidRequest(format!(
            "snapshot_key_prefix must lie in the video's folder '{folder}'"
        )));
    }
    Ok(())
}

async fn render_stored(
    storage: &Storage,
    request: RenderAnnotatedVideoRequest,
) -> Result<RenderAnnotatedVideoResponse, RenderError> {
    let video_key = required_key(request.video.as_ref(), "video")?;
    let track_key = required_key(request.pose_track.as_ref(), "pose_track")?;
    if request.output_key.trim().is_empty() {
        return Err(RenderError::InvalidRequest(
            "output_key is required".to_owned(),
        ));
    }
    check_output_keys(
        &video_key,
        &track_key,
        &request.output_key,
        &request.snapshot_key_prefix,
    )?;
    let flavour = match OverlayKind::try_from(request.overlay) {
        Ok(OverlayKind::Skeleton) => Flavour::Skeleton,
        // Unspecified means the full overlay, which is what people ask for.
        Ok(OverlayKind::All | OverlayKind::Unspecified) => Flavour::All,
        Err(_) => {
            return Err(RenderError::InvalidRequest(format!(
                "unknown overlay {}",
                request.overlay
            )));
        }
    };
    let track_bytes = storage.get_bytes(&track_key).await?;
    let track = PoseTrack::decode(track_bytes).map_err(|e| RenderError::BadTrack(e.to_string()))?;
    let video = storage.local_copy(&video_key).await?;
    let workdir = tempfile::tempdir()?;
    let output = workdir.path().join("annotated.mp4");
    let with_snapshots = !request.snapshot_key_prefix.trim().is_empty();

    let rendered = {
        let output = output.clone();
        let result = request.result.clone();
        let authenticity = request.authenticity.clone();
        tokio::task::spawn_blocking(move || {
            // `video` moves in, so a remote store's temporary copy lives until rendering ends.
            render_to_file(&RenderJob {
                video: video.as_ref(),
                track: &track,
                result: result.as_ref(),
                authenticity: authenticity.as_ref(),
                flavour,
                output: &output,
                with_snapshots,
            })
        })
        .await
        .map_err(|e| RenderError::Task(e.to_string()))??
    };

    let mut stored = storage
        .put_file(&request.output_key, &rendered.video_path)
        .await?;
    if stored.content_type.is_empty() {
        stored.content_type = "video/mp4".to_owned();
    }
    let mut phase_snapshots = HashMap::new();
    let prefix = request.snapshot_key_prefix.trim_end_matches('/');
    for (name, jpeg) in rendered.snapshots {
        let key = format!("{prefix}/{name}.jpg");
        let mut object = storage.put_bytes(&key, jpeg).await?;
        if object.content_type.is_empty() {
            object.content_type = "image/jpeg".to_owned();
        }
        phase_snapshots.insert(name, object);
    }
    tracing::info!(
        output = %request.output_key,
        frames = rendered.frames_written,
        snapshots = phase_snapshots.len(),
        "annotated video stored"
    );
    Ok(RenderAnnotatedVideoResponse {
        video: Some(stored),
        phase_snapshots,
    })
}

fn required_key(object: Option<&ObjectRef>, field: &str) -> Result<String, RenderError> {
    object
        .map(|o| o.key.trim().to_owned())
        .filter(|key| !key.is_empty())
        .ok_or_else(|| RenderError::InvalidRequest(format!("{field}.key is required")))
}

/// Renders synchronously (call from a blocking thread). Every decoded frame is
/// written once, at the track's measured frame rate, so duration and frame
/// rate match the source.
pub fn render_to_file(job: &RenderJob<'_>) -> Result<RenderOutput, RenderError> {
    // The skeleton is drawn over the 17 COCO body keypoints, whatever the model.
    let track = fitvision_exercise_engine::subject::coco17_view(job.track);
    let job = &RenderJob {
        track: &track,
        ..*job
    };
    let decoder = VideoDecoder::open(job.video)?;
    let meta = decoder.meta().clone();
    let (width, height) = (meta.width, meta.height);
    if let Some(info) = &job.track.video
        && info.width_px != 0
        && (info.width_px, info.height_px) != (width, height)
    {
        return Err(RenderError::BadTrack(format!(
            "track was made on a {}x{} video, this video is {width}x{height}",
            info.width_px, info.height_px
        )));
    }
    let fps = output_fps(job.track, meta.header_fps);
    let mut writer = FrameWriter::create(job.output, EncoderSettings::new(width, height, fps))?;

    let plan = OverlayPlan::new(job.result, job.authenticity);
    let mut overlay = Overlay::new(&plan, job.flavour, width as i32, height as i32);
    let mut cursor = TrackCursor::new(job.track);
    let mut pending_snapshots = if job.with_snapshots {
        plan.snapshot_moments()
    } else {
        Vec::new()
    };
    pending_snapshots.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut snapshots = Vec::new();
    let mut last_frame: Option<Mat> = None;

    for decoded in decoder {
        let decoded = decoded?;
        let mut image = decoded.image;
        overlay.draw(
            &mut image,
            decoded.index,
            decoded.timestamp_ms,
            cursor.at(decoded.index),
        )?;
        writer.write(&image)?;
        // Snapshots are due on the first frame at or after their moment.
        while pending_snapshots
            .first()
            .is_some_and(|(_, t)| *t <= decoded.timestamp_ms + 0.5)
        {
            let (name, _) = pending_snapshots.remove(0);
            snapshots.push((name, jpeg(&image)?));
        }
        last_frame = Some(image);
    }
    // Moments at or past the end (a phase closing on the last frame) use the last frame.
    if let Some(last) = &last_frame {
        for (name, _) in pending_snapshots {
            snapshots.push((name, jpeg(last)?));
        }
    }
    let frames_written = writer.frames_written();
    let video_path = writer.finish()?;
    Ok(RenderOutput {
        video_path,
        frames_written,
        fps,
        width,
        height,
        snapshots,
    })
}

/// The frame rate to encode at: the decoder-measured average the track records
/// (true for variable frame rate clips), else the header's, else 30.
fn output_fps(track: &PoseTrack, header_fps: f64) -> f64 {
    let measured = track.video.as_ref().map_or(0.0, |v| v.fps);
    [measured, header_fps]
        .into_iter()
        .find(|fps| fps.is_finite() && (1.0..=480.0).contains(fps))
        .unwrap_or(30.0)
}

fn jpeg(image: &Mat) -> Result<Vec<u8>, RenderError> {
    let mut bytes = Vector::<u8>::new();
    let params = Vector::<i32>::from_slice(&[IMWRITE_JPEG_QUALITY, SNAPSHOT_JPEG_QUALITY]);
    imencode(".jpg", image, &mut bytes, &params)?;
    Ok(bytes.to_vec())
}

#[cfg(test)]
mod output_key_tests {
    use super::*;

    #[test]
    fn renders_write_only_beside_their_video() {
        let video = "videos/v1/original.mp4";
        let track = "videos/v1/pose_track.pb";
        assert!(
            check_output_keys(
                video,
                track,
                "videos/v1/annotated_all.mp4",
                "videos/v1/snapshots/"
            )
            .is_ok()
        );
        for (output, snapshots) in [
            ("videos/v2/original.mp4", ""),
            ("videos/v1/original.mp4", ""),
            ("videos/v1/pose_track.pb", ""),
            ("videos/v1/../v2/annotated.mp4", ""),
            ("tenants.db", ""),
            ("videos/v1/annotated_all.mp4", "videos/v2/snapshots/"),
        ] {
            assert!(
                check_output_keys(video, track, output, snapshots).is_err(),
                "{output} {snapshots}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fitvision_proto::v1::VideoInfo;

    #[test]
    fn output_fps_prefers_the_measured_rate() {
        let track = |fps| PoseTrack {
            video: Some(VideoInfo {
                fps,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(output_fps(&track(29.97), 30.0), 29.97);
        assert_eq!(output_fps(&track(0.0), 25.0), 25.0);
        assert_eq!(output_fps(&track(f64::NAN), 0.0), 30.0);
        assert_eq!(output_fps(&PoseTrack::default(), 59.94), 59.94);
    }

    #[test]
    fn statuses_say_whose_fault_it_is() {
        let status: Status = RenderError::InvalidRequest("video.key is required".into()).into();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        let status: Status =
            RenderError::Storage(StorageError::NotFound { key: "k".into() }).into();
        assert_eq!(status.code(), tonic::Code::NotFound);
        let status: Status = RenderError::Video(VideoError::NoFrames("x".into())).into();
        assert_eq!(status.code(), tonic::Code::FailedPrecondition);
        assert_eq!(
            failure::failure_code(&status),
            Some(FailureCode::NoDecodableFrames)
        );
        let status: Status = RenderError::Video(VideoError::Encoder("boom".into())).into();
        assert_eq!(status.code(), tonic::Code::Internal);
        assert_eq!(
            failure::failure_code(&status),
            Some(FailureCode::VideoError)
        );
    }
}
