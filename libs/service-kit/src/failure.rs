//! Typed failures: the reason a call failed, carried next to the gRPC code.
//!
//! A [`FailureCode`] travels in the status details as a `google.rpc.ErrorInfo`
//! (tonic's rich error model, domain [`DOMAIN`]), so callers classify failures with
//! [`failure_code`] instead of reading the message. The message stays human-readable
//! and is not parsed by anyone.
//!
//! With the `storage` and `video` features this module also holds the one gRPC
//! mapping of the shared libraries' errors ([`storage_failure`], [`video_failure`]),
//! so every service reports a missing object or an undecodable video the same way.

use std::collections::HashMap;
use std::fmt;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The `ErrorInfo.domain` of every fitvision failure.
pub const DOMAIN: &str = "fitvision";

macro_rules! failure_codes {
    ($($(#[$doc:meta])* $variant:ident => $reason:literal,)+) => {
        /// Why a call failed: stable, upper snake case on the wire (`ErrorInfo.reason`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum FailureCode {
            $($(#[$doc])* $variant,)+
        }

        impl FailureCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [FailureCode] = &[$(FailureCode::$variant,)+];

            /// The wire form, e.g. `LOW_QUALITY_POSE_ESTIMATE`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(FailureCode::$variant => $reason,)+
                }
            }

            /// The code of a wire form; `None` for reasons this build does not know.
            pub fn from_reason(reason: &str) -> Option<Self> {
                match reason {
                    $($reason => Some(FailureCode::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

failure_codes! {
    /// No confident person in enough frames.
    LowQualityPoseEstimate => "LOW_QUALITY_POSE_ESTIMATE",
    /// An empty file, or not a video at all.
    UnreadableVideo => "UNREADABLE_VIDEO",
    /// A video container with no frame that decodes.
    NoDecodableFrames => "NO_DECODABLE_FRAMES",
    /// Decoding stopped well before the declared duration.
    TruncatedVideo => "TRUNCATED_VIDEO",
    /// A frame size outside what the pipeline accepts.
    UnsupportedResolution => "UNSUPPORTED_RESOLUTION",
    /// The video the caller named does not exist.
    VideoNotFound => "VIDEO_NOT_FOUND",
    /// The video library failed for a reason that is not the caller's (encoder, OpenCV, I/O).
    VideoError => "VIDEO_ERROR",
    /// A pose model id that is not registered.
    UnknownModel => "UNKNOWN_MODEL",
    /// Pose extraction options out of range.
    InvalidOptions => "INVALID_OPTIONS",
    /// A model (or its runtime, or its manifest) failed to load.
    ModelUnavailable => "MODEL_UNAVAILABLE",
    /// A stored pose track that is not a valid `PoseTrack`.
    InvalidPoseTrack => "INVALID_POSE_TRACK",
    /// A stored object the caller named does not exist.
    ObjectNotFound => "OBJECT_NOT_FOUND",
    /// An object key that the storage refuses.
    InvalidObjectKey => "INVALID_OBJECT_KEY",
    /// The object store (or the local disk behind it) failed.
    StorageError => "STORAGE_ERROR",
    /// The storage is configured with an unusable URL.
    StorageMisconfigured => "STORAGE_MISCONFIGURED",
    /// An upload larger than allowed.
    UploadTooLarge => "UPLOAD_TOO_LARGE",
    /// An upload refused for its content or metadata (checksum, type, order).
    InvalidUpload => "INVALID_UPLOAD",
    /// A video longer (seconds or frames) than the tenant's analysis limits.
    VideoTooLong => "VIDEO_TOO_LONG",
    /// The tenant already has as many analyses queued or running as it may.
    TooManyAnalyses => "TOO_MANY_ANALYSES",
    /// An exercise the catalog does not know.
    UnknownExercise => "UNKNOWN_EXERCISE",
    /// The session the caller named does not exist (or is not theirs).
    SessionNotFound => "SESSION_NOT_FOUND",
    /// The thread the caller named does not exist (or is not theirs).
    ThreadNotFound => "THREAD_NOT_FOUND",
    /// Another named resource (exercise, API key, tenant, ...) does not exist.
    NotFound => "NOT_FOUND",
    /// A request field is missing or malformed.
    InvalidArgument => "INVALID_ARGUMENT",
    /// The resource is not in the state the call needs.
    FailedPrecondition => "FAILED_PRECONDITION",
    /// A quota or limit was reached.
    LimitExceeded => "LIMIT_EXCEEDED",
    /// No usable credential.
    Unauthenticated => "UNAUTHENTICATED",
    /// A credential without the right to do this.
    PermissionDenied => "PERMISSION_DENIED",
    /// The call was abandoned (e.g. the client stopped sending).
    Cancelled => "CANCELLED",
    /// The database failed; the detail is in the service's log.
    Database => "DATABASE_ERROR",
    /// A downstream service failed or is unreachable.
    Unavailable => "UNAVAILABLE",
    /// Anything else that is the service's fault.
    Internal => "INTERNAL",
}

impl fmt::Display for FailureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status with `code` and `message` whose details carry `failure` as an `ErrorInfo`.
pub fn status(code: Code, failure: FailureCode, message: impl Into<String>) -> Status {
    Status::with_error_details(
        code,
        message,
        ErrorDetails::with_error_info(failure.as_str(), DOMAIN, HashMap::new()),
    )
}

/// The failure code a status carries; `None` for statuses without one (or of another domain).
pub fn failure_code(status: &Status) -> Option<FailureCode> {
    let info = status.get_details_error_info()?;
    if info.domain != DOMAIN {
        return None;
    }
    FailureCode::from_reason(&info.reason)
}

/// A failure before it becomes a status: the gRPC code, the failure code and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: Code,
    pub failure: FailureCode,
    pub message: String,
}

impl Failure {
    pub fn new(code: Code, failure: FailureCode, message: impl Into<String>) -> Self {
        Self {
            code,
            failure,
            message: message.into(),
        }
    }

    /// The same code and failure code with another message (e.g. one that names the object).
    pub fn with_message(self, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            ..self
        }
    }
}

impl From<Failure> for Status {
    fn from(failure: Failure) -> Self {
        status(failure.code, failure.failure, failure.message)
    }
}

/// The one gRPC mapping of storage errors.
///
/// A missing object the caller named is NOT_FOUND and a refused key INVALID_ARGUMENT;
/// the object store (or the disk behind it) failing and an unusable storage URL are the
/// service's problem, INTERNAL (callers that retry treat INTERNAL as transient).
#[cfg(feature = "storage")]
pub fn storage_failure(error: &fitvision_storage::StorageError) -> (Code, FailureCode) {
    use fitvision_storage::StorageError;
    match error {
        StorageError::NotFound { .. } => (Code::NotFound, FailureCode::ObjectNotFound),
        StorageError::InvalidKey { .. } => (Code::InvalidArgument, FailureCode::InvalidObjectKey),
        StorageError::InvalidUrl { .. } => (Code::Internal, FailureCode::StorageMisconfigured),
        StorageError::Backend(_) | StorageError::Io(_) => {
            (Code::Internal, FailureCode::StorageError)
        }
    }
}

#[cfg(feature = "storage")]
impl From<fitvision_storage::StorageError> for Failure {
    fn from(error: fitvision_storage::StorageError) -> Self {
        let (code, failure) = storage_failure(&error);
        Failure::new(code, failure, error.to_string())
    }
}

/// The one gRPC mapping of video errors.
///
/// A missing video is NOT_FOUND; a video that cannot be decoded (empty, not a video,
/// no frames, absurd size, truncated) is INVALID_ARGUMENT; the encoder, OpenCV or
/// I/O failing is INTERNAL.
#[cfg(feature = "video")]
pub fn video_failure(error: &fitvision_video::VideoError) -> (Code, FailureCode) {
    use fitvision_video::VideoError;
    match error {
        VideoError::NotFound(_) => (Code::NotFound, FailureCode::VideoNotFound),
        VideoError::Empty(_) | VideoError::NotAVideo(_) => {
            (Code::InvalidArgument, FailureCode::UnreadableVideo)
        }
        VideoError::NoFrames(_) => (Code::InvalidArgument, FailureCode::NoDecodableFrames),
        VideoError::AbsurdResolution { .. } => {
            (Code::InvalidArgument, FailureCode::UnsupportedResolution)
        }
        VideoError::Truncated { .. } => (Code::InvalidArgument, FailureCode::TruncatedVideo),
        VideoError::Encoder(_)
        | VideoError::Conversion(_)
        | VideoError::OpenCv(_)
        | VideoError::Io(_) => (Code::Internal, FailureCode::VideoError),
    }
}

#[cfg(feature = "video")]
impl From<fitvision_video::VideoError> for Failure {
    fn from(error: fitvision_video::VideoError) -> Self {
        let (code, failure) = video_failure(&error);
        Failure::new(code, failure, error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_wire_form() {
        for &code in FailureCode::ALL {
            assert_eq!(
                FailureCode::from_reason(code.as_str()),
                Some(code),
                "{code}"
            );
            let reason = code.as_str();
            assert!(
                reason
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
                "{reason}"
            );
        }
        assert_eq!(FailureCode::from_reason("NO_SUCH_REASON"), None);
    }

    #[test]
    fn a_status_carries_its_failure_code_and_keeps_its_message() {
        let status = status(
            Code::FailedPrecondition,
            FailureCode::LowQualityPoseEstimate,
            "LOW_QUALITY_POSE_ESTIMATE: no person detected",
        );
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(
            status.message(),
            "LOW_QUALITY_POSE_ESTIMATE: no person detected"
        );
        assert_eq!(
            failure_code(&status),
            Some(FailureCode::LowQualityPoseEstimate)
        );
        let info = status.get_details_error_info().expect("error info");
        assert_eq!(info.domain, DOMAIN);
    }

    #[test]
    fn plain_statuses_and_foreign_domains_have_no_failure_code() {
        assert_eq!(failure_code(&Status::internal("boom")), None);
        let foreign = Status::with_error_details(
            Code::Internal,
            "boom",
            ErrorDetails::with_error_info("INTERNAL", "example.com", HashMap::new()),
        );
        assert_eq!(failure_code(&foreign), None);
    }

    #[test]
    fn the_failure_code_survives_the_wire_encoding() {
        let sent = status(
            Code::NotFound,
            FailureCode::VideoNotFound,
            "video 'v' not found",
        );
        let mut headers = http::HeaderMap::new();
        sent.add_header(&mut headers).expect("headers");
        let received = Status::from_header_map(&headers).expect("a status in the headers");
        assert_eq!(received.code(), Code::NotFound);
        assert_eq!(received.message(), "video 'v' not found");
        assert_eq!(failure_code(&received), Some(FailureCode::VideoNotFound));
    }

    #[test]
    fn failures_become_statuses() {
        let status: Status =
            Failure::new(Code::NotFound, FailureCode::SessionNotFound, "gone").into();
        assert_eq!(status.code(), Code::NotFound);
        assert_eq!(status.message(), "gone");
        assert_eq!(failure_code(&status), Some(FailureCode::SessionNotFound));
    }

    #[cfg(feature = "storage")]
    #[test]
    fn storage_errors_map_once() {
        use fitvision_storage::StorageError;
        let missing = StorageError::NotFound { key: "k".into() };
        assert_eq!(
            storage_failure(&missing),
            (Code::NotFound, FailureCode::ObjectNotFound)
        );
        let status: Status = Failure::from(missing).into();
        assert_eq!(status.message(), "object 'k' not found");
        assert_eq!(failure_code(&status), Some(FailureCode::ObjectNotFound));
        let io = StorageError::Io(std::io::Error::other("disk"));
        assert_eq!(
            storage_failure(&io),
            (Code::Internal, FailureCode::StorageError)
        );
    }

    #[cfg(feature = "video")]
    #[test]
    fn video_errors_map_once() {
        use fitvision_video::VideoError;
        assert_eq!(
            video_failure(&VideoError::NotFound("v.mp4".into())),
            (Code::NotFound, FailureCode::VideoNotFound)
        );
        assert_eq!(
            video_failure(&VideoError::NotAVideo("v.mp4".into())),
            (Code::InvalidArgument, FailureCode::UnreadableVideo)
        );
        assert_eq!(
            video_failure(&VideoError::Encoder("boom".into())),
            (Code::Internal, FailureCode::VideoError)
        );
    }
}
