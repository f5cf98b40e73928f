//! Mapping internal errors onto gRPC statuses.

use tonic::Status;

/// Database errors are internal; the detail goes to the log, not the client.
pub fn db_status(error: sea_orm::DbErr) -> Status {
    tracing::error!(%error, "database error");
    Status::internal("database error")
}

pub fn storage_status(error: fitvision_storage::StorageError) -> Status {
    match error {
        fitvision_storage::StorageError::NotFound { key } => {
            Status::not_found(format!("object '{key}' not found"))
        }
        other => {
            tracing::error!(error = %other, "storage error");
            Status::internal("storage error")
        }
    }
}

/// Upload refusals map to the specific status the client can act on.
pub fn upload_status(error: fitvision_storage::UploadError) -> Status {
    use fitvision_storage::UploadError;
    match error {
        UploadError::TooLarge { .. } => Status::resource_exhausted(error.to_string()),
        UploadError::Storage(inner) => storage_status(inner),
        other => Status::invalid_argument(other.to_string()),
    }
}
