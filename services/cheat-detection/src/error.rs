//! Errors of the authenticity checks.

use std::path::PathBuf;

use fitvision_service_kit::failure::{self, FailureCode, video_failure};
use tonic::{Code, Status};

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("video: {0}")]
    Video(#[from] fitvision_video::VideoError),
    #[error("opencv: {0}")]
    OpenCv(#[from] fitvision_video::opencv::Error),
    #[error("text detector model {path}: {message}")]
    Model { path: PathBuf, message: String },
    #[error("text detector inference: {0}")]
    Inference(String),
    #[error("pose track is not a valid PoseTrack protobuf: {0}")]
    BadPoseTrack(#[from] prost::DecodeError),
    #[error("the pose track stopped arriving before its end")]
    TrackAbandoned,
}

impl CheckError {
    /// The gRPC code and failure code of this error; video errors through the shared mapping.
    pub fn failure(&self) -> (Code, FailureCode) {
        match self {
            CheckError::Video(error) => video_failure(error),
            CheckError::BadPoseTrack(_) => (Code::InvalidArgument, FailureCode::InvalidPoseTrack),
            CheckError::TrackAbandoned => (Code::Cancelled, FailureCode::Cancelled),
            CheckError::OpenCv(_) | CheckError::Model { .. } | CheckError::Inference(_) => {
                (Code::Internal, FailureCode::Internal)
            }
        }
    }
}

impl From<CheckError> for Status {
    fn from(error: CheckError) -> Self {
        let (code, failure) = error.failure();
        let message = match &error {
            CheckError::Video(e) => format!("video cannot be analysed: {e}"),
            CheckError::BadPoseTrack(e) => format!("pose track: {e}"),
            other => other.to_string(),
        };
        failure::status(code, failure, message)
    }
}
