//! The session service's failures and their one mapping onto gRPC statuses.
//!
//! Every failure the service returns is a [`SessionError`]; `From<SessionError> for
//! Status` picks the gRPC code and attaches the [`FailureCode`] (as a
//! `google.rpc.ErrorInfo`) in one place. Storage errors go through the shared mapping
//! in `fitvision_service_kit::failure`.

use fitvision_service_kit::failure::{self, FailureCode, storage_failure};
use fitvision_storage::{StorageError, UploadError};
use tonic::{Code, Status};

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// A request field is missing or malformed.
    #[error("{0}")]
    InvalidArgument(String),
    /// No usable credential.
    #[error("{0}")]
    Unauthenticated(String),
    /// A credential without the right to do this.
    #[error("{0}")]
    PermissionDenied(String),
    /// The session does not exist (or belongs to another tenant).
    #[error("{0}")]
    SessionNotFound(String),
    /// The video does not exist (or was deleted meanwhile).
    #[error("{0}")]
    VideoNotFound(String),
    /// The thread does not exist (or belongs to another tenant).
    #[error("{0}")]
    ThreadNotFound(String),
    /// Another named resource (exercise, API key, tenant) does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The resource is not in the state the call needs.
    #[error("{0}")]
    FailedPrecondition(String),
    /// A quota or limit was reached.
    #[error("{0}")]
    LimitExceeded(String),
    /// A video longer than the tenant's analysis limits.
    #[error("{0}")]
    VideoTooLong(String),
    /// The tenant already has as many analyses in flight as it may.
    #[error("{0}")]
    TooManyAnalyses(String),
    /// The client abandoned the call.
    #[error("{0}")]
    Cancelled(String),
    /// The database failed; the detail is logged, the client reads "database error".
    #[error("database error")]
    Database(#[from] sea_orm::DbErr),
    /// Object storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// An upload was refused (too large, empty, malformed, checksum) or could not be stored.
    #[error(transparent)]
    Upload(#[from] UploadError),
    /// Anything else that is the service's fault.
    #[error("{0}")]
    Internal(String),
}

impl SessionError {
    /// A NOT_FOUND for `what` ("session", "video", "thread", ...) named `id`.
    pub fn not_found(what: &str, id: &str) -> Self {
        let message = format!("{what} '{id}' not found");
        match what {
            "session" => SessionError::SessionNotFound(message),
            "video" => SessionError::VideoNotFound(message),
            "thread" => SessionError::ThreadNotFound(message),
            _ => SessionError::NotFound(message),
        }
    }

    /// The gRPC code and failure code: the one mapping of the service's failures.
    pub fn failure(&self) -> (Code, FailureCode) {
        match self {
            SessionError::InvalidArgument(_) => {
                (Code::InvalidArgument, FailureCode::InvalidArgument)
            }
            SessionError::Unauthenticated(_) => {
                (Code::Unauthenticated, FailureCode::Unauthenticated)
            }
            SessionError::PermissionDenied(_) => {
                (Code::PermissionDenied, FailureCode::PermissionDenied)
            }
            SessionError::SessionNotFound(_) => (Code::NotFound, FailureCode::SessionNotFound),
            SessionError::VideoNotFound(_) => (Code::NotFound, FailureCode::VideoNotFound),
            SessionError::ThreadNotFound(_) => (Code::NotFound, FailureCode::ThreadNotFound),
            SessionError::NotFound(_) => (Code::NotFound, FailureCode::NotFound),
            SessionError::FailedPrecondition(_) => {
                (Code::FailedPrecondition, FailureCode::FailedPrecondition)
            }
            SessionError::LimitExceeded(_) => (Code::ResourceExhausted, FailureCode::LimitExceeded),
            SessionError::VideoTooLong(_) => (Code::OutOfRange, FailureCode::VideoTooLong),
            SessionError::TooManyAnalyses(_) => {
                (Code::ResourceExhausted, FailureCode::TooManyAnalyses)
            }
            SessionError::Cancelled(_) => (Code::Cancelled, FailureCode::Cancelled),
            SessionError::Database(_) => (Code::Internal, FailureCode::Database),
            SessionError::Storage(error) => storage_failure(error),
            SessionError::Upload(UploadError::TooLarge { .. }) => {
                (Code::ResourceExhausted, FailureCode::UploadTooLarge)
            }
            SessionError::Upload(UploadError::Storage(error)) => storage_failure(error),
            SessionError::Upload(_) => (Code::InvalidArgument, FailureCode::InvalidUpload),
            SessionError::Internal(_) => (Code::Internal, FailureCode::Internal),
        }
    }
}

impl From<SessionError> for Status {
    fn from(error: SessionError) -> Self {
        let (code, failure) = error.failure();
        let message = match &error {
            SessionError::Database(detail) => {
                tracing::error!(error = %detail, "database error");
                error.to_string()
            }
            SessionError::Storage(inner) | SessionError::Upload(UploadError::Storage(inner)) => {
                storage_message(inner)
            }
            _ => error.to_string(),
        };
        failure::status(code, failure, message)
    }
}

/// A missing object is named; any other storage failure is logged and reads "storage error".
fn storage_message(error: &StorageError) -> String {
    match error {
        StorageError::NotFound { .. } => error.to_string(),
        other => {
            tracing::error!(error = %other, "storage error");
            "storage error".to_owned()
        }
    }
}

/// Database errors are internal; the detail goes to the log, not the client.
pub fn db_status(error: sea_orm::DbErr) -> Status {
    SessionError::Database(error).into()
}

pub fn storage_status(error: StorageError) -> Status {
    SessionError::Storage(error).into()
}

/// Upload refusals map to the specific status the client can act on.
pub fn upload_status(error: UploadError) -> Status {
    SessionError::Upload(error).into()
}

#[cfg(test)]
mod tests {
    use fitvision_service_kit::failure::failure_code;

    use super::*;

    #[test]
    fn messages_stay_and_codes_travel_in_the_details() {
        let status: Status = SessionError::not_found("session", "s1").into();
        assert_eq!(status.code(), Code::NotFound);
        assert_eq!(status.message(), "session 's1' not found");
        assert_eq!(failure_code(&status), Some(FailureCode::SessionNotFound));

        let status = storage_status(StorageError::NotFound { key: "k".into() });
        assert_eq!(status.code(), Code::NotFound);
        assert_eq!(status.message(), "object 'k' not found");
        assert_eq!(failure_code(&status), Some(FailureCode::ObjectNotFound));

        let status = storage_status(StorageError::Io(std::io::Error::other("disk")));
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.message(), "storage error");
        assert_eq!(failure_code(&status), Some(FailureCode::StorageError));

        let status = db_status(sea_orm::DbErr::Custom("boom".into()));
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.message(), "database error");
        assert_eq!(failure_code(&status), Some(FailureCode::Database));

        let status = upload_status(UploadError::TooLarge { limit_bytes: 1 });
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert_eq!(failure_code(&status), Some(FailureCode::UploadTooLarge));
        let status = upload_status(UploadError::Empty);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "the upload is empty");
    }
}
