//! Errors of the authenticity checks.

use std::path::PathBuf;

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
}
