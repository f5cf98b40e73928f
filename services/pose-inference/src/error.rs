use fitvision_video::VideoError;
use tonic::Status;

/// Reason codes at the start of error messages: stable, upper snake case, so the edge
/// can map them onto each API's failure vocabulary (e.g. Guru's `LOW_QUALITY_POSE_ESTIMATE`).
pub mod reason {
    pub const LOW_QUALITY_POSE_ESTIMATE: &str = "LOW_QUALITY_POSE_ESTIMATE";
    pub const UNREADABLE_VIDEO: &str = "UNREADABLE_VIDEO";
    pub const NO_DECODABLE_FRAMES: &str = "NO_DECODABLE_FRAMES";
    pub const TRUNCATED_VIDEO: &str = "TRUNCATED_VIDEO";
    pub const UNSUPPORTED_RESOLUTION: &str = "UNSUPPORTED_RESOLUTION";
    pub const VIDEO_NOT_FOUND: &str = "VIDEO_NOT_FOUND";
    pub const UNKNOWN_MODEL: &str = "UNKNOWN_MODEL";
    pub const INVALID_OPTIONS: &str = "INVALID_OPTIONS";
}

/// Everything that can go wrong between a video path and a pose track.
#[derive(Debug, thiserror::Error)]
pub enum PoseError {
    #[error("{}: {}", video_reason(.0), .0)]
    Video(#[from] VideoError),
    #[error(
        "{}: no person detected in any of the {analysed_frames} analysed frames",
        reason::LOW_QUALITY_POSE_ESTIMATE
    )]
    NoPerson { analysed_frames: u32 },
    #[error(
        "{}: model '{requested}' is not registered (known: {known})",
        reason::UNKNOWN_MODEL
    )]
    UnknownModel { requested: String, known: String },
    #[error("{}: {}", reason::INVALID_OPTIONS, .0)]
    InvalidOptions(String),
    #[error("model '{model_id}' failed to load: {reason}")]
    ModelLoad { model_id: String, reason: String },
    #[error("model manifest {path}: {reason}")]
    Manifest { path: String, reason: String },
    #[error("inference failed: {0}")]
    Inference(String),
    #[error("image processing failed: {0}")]
    OpenCv(#[from] fitvision_video::opencv::Error),
    #[error("ONNX Runtime: {0}")]
    Ort(#[from] ort::Error),
    #[error("pose pipeline stopped: {0}")]
    Pipeline(String),
}

/// ONNX Runtime itself failing to load reads as a model that failed to load.
impl From<fitvision_onnx::RuntimeError> for PoseError {
    fn from(error: fitvision_onnx::RuntimeError) -> Self {
        PoseError::ModelLoad {
            model_id: fitvision_onnx::RUNTIME_ID.to_owned(),
            reason: error.reason,
        }
    }
}

fn video_reason(error: &VideoError) -> &'static str {
    match error {
        VideoError::NotFound(_) => reason::VIDEO_NOT_FOUND,
        VideoError::Empty(_) | VideoError::NotAVideo(_) => reason::UNREADABLE_VIDEO,
        VideoError::NoFrames(_) => reason::NO_DECODABLE_FRAMES,
        VideoError::AbsurdResolution { .. } => reason::UNSUPPORTED_RESOLUTION,
        VideoError::Truncated { .. } => reason::TRUNCATED_VIDEO,
        VideoError::Encoder(_) | VideoError::OpenCv(_) | VideoError::Io(_) => "VIDEO_ERROR",
    }
}

impl From<PoseError> for Status {
    fn from(error: PoseError) -> Self {
        let message = error.to_string();
        match error {
            PoseError::Video(VideoError::NotFound(_)) => Status::not_found(message),
            PoseError::Video(
                VideoError::Empty(_)
                | VideoError::NotAVideo(_)
                | VideoError::NoFrames(_)
                | VideoError::AbsurdResolution { .. }
                | VideoError::Truncated { .. },
            ) => Status::invalid_argument(message),
            PoseError::NoPerson { .. } => Status::failed_precondition(message),
            PoseError::UnknownModel { .. } | PoseError::InvalidOptions(_) => {
                Status::invalid_argument(message)
            }
            PoseError::ModelLoad { .. } | PoseError::Manifest { .. } => {
                Status::unavailable(message)
            }
            PoseError::Video(_)
            | PoseError::Inference(_)
            | PoseError::OpenCv(_)
            | PoseError::Ort(_)
            | PoseError::Pipeline(_) => Status::internal(message),
        }
    }
}
