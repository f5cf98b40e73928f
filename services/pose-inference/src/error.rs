use fitvision_service_kit::failure::{self, FailureCode, video_failure};
use fitvision_video::VideoError;
use tonic::{Code, Status};

// Messages still start with the failure code (e.g. `LOW_QUALITY_POSE_ESTIMATE: ...`) for
// people reading logs; callers classify with `failure::failure_code`, which reads the
// code from the status details.

/// Everything that can go wrong between a video path and a pose track.
#[derive(Debug, thiserror::Error)]
pub enum PoseError {
    #[error("{}: {}", video_reason(.0), .0)]
    Video(#[from] VideoError),
    #[error(
        "{}: no person detected in any of the {analysed_frames} analysed frames",
        FailureCode::LowQualityPoseEstimate
    )]
    NoPerson { analysed_frames: u32 },
    #[error(
        "{}: model '{requested}' is not registered (known: {known})",
        FailureCode::UnknownModel
    )]
    UnknownModel { requested: String, known: String },
    #[error("{}: {}", FailureCode::InvalidOptions, .0)]
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

fn video_reason(error: &VideoError) -> FailureCode {
    video_failure(error).1
}

impl PoseError {
    /// The gRPC code and failure code of this error: video errors through the shared
    /// mapping, the rest by whose fault they are.
    pub fn failure(&self) -> (Code, FailureCode) {
        match self {
            PoseError::Video(error) => video_failure(error),
            PoseError::NoPerson { .. } => (
                Code::FailedPrecondition,
                FailureCode::LowQualityPoseEstimate,
            ),
            PoseError::UnknownModel { .. } => (Code::InvalidArgument, FailureCode::UnknownModel),
            PoseError::InvalidOptions(_) => (Code::InvalidArgument, FailureCode::InvalidOptions),
            PoseError::ModelLoad { .. } | PoseError::Manifest { .. } => {
                (Code::Unavailable, FailureCode::ModelUnavailable)
            }
            PoseError::Inference(_)
            | PoseError::OpenCv(_)
            | PoseError::Ort(_)
            | PoseError::Pipeline(_) => (Code::Internal, FailureCode::Internal),
        }
    }
}

impl From<PoseError> for Status {
    fn from(error: PoseError) -> Self {
        let (code, failure) = error.failure();
        failure::status(code, failure, error.to_string())
    }
}
