//! Errors rendered in the shape each API family documents.
//!
//! The AI Exercise Trainer API is FastAPI (`{"detail": ...}`), the Weightlifting,
//! Retrieval and AI Move APIs use `{"error": ...}`, Guru answers like its API
//! gateway (`{"message": ...}`) and the OAuth token endpoint follows RFC 6749
//! (`{"error", "error_description"}`).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Which documented API a route belongs to; decides the error body shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// The AI Exercise Trainer API (FastAPI).
    Trainer,
    /// The Weightlifting and Retrieval APIs: weightlifting / jumping / running.
    Lifting,
    /// The AI Move API.
    AiMove,
    /// The Guru API.
    Guru,
    /// RFC 6749 token endpoint.
    OAuth,
    /// Edge-specific routes (downloads, threads, events).
    Plain,
}

/// An HTTP error with a status, a message and optional structured detail.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub family: Family,
    pub status: StatusCode,
    pub message: String,
    /// Replaces the message as FastAPI `detail` (e.g. the cheat report), or is
    /// the OAuth error code.
    pub detail: Option<Value>,
    /// Seconds for `Retry-After` (429).
    pub retry_after_s: Option<u64>,
}

impl ApiError {
    pub fn new(family: Family, status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            family,
            status,
            message: message.into(),
            detail: None,
            retry_after_s: None,
        }
    }

    pub fn bad_request(family: Family, message: impl Into<String>) -> Self {
        Self::new(family, StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(family: Family, message: impl Into<String>) -> Self {
        Self::new(family, StatusCode::NOT_FOUND, message)
    }

    pub fn forbidden(family: Family, message: impl Into<String>) -> Self {
        Self::new(family, StatusCode::FORBIDDEN, message)
    }

    pub fn unauthorized(family: Family, message: impl Into<String>) -> Self {
        Self::new(family, StatusCode::UNAUTHORIZED, message)
    }

    pub fn internal(family: Family, message: impl Into<String>) -> Self {
        Self::new(family, StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    pub fn with_detail(mut self, detail: Value) -> Self {
        self.detail = Some(detail);
        self
    }

    /// Same error, rendered for another family.
    pub fn in_family(mut self, family: Family) -> Self {
        self.family = family;
        self
    }

    /// Maps a gRPC status from the session service onto HTTP.
    pub fn from_status(family: Family, status: &tonic::Status) -> Self {
        use fitvision_service_kit::failure::{FailureCode, failure_code};
        use tonic::Code;
        let failure = failure_code(status);
        let http = match status.code() {
            // Too big a file or too long a video: the request itself is too large.
            _ if matches!(
                failure,
                Some(FailureCode::UploadTooLarge | FailureCode::VideoTooLong)
            ) =>
            {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Code::InvalidArgument | Code::OutOfRange | Code::FailedPrecondition => {
                StatusCode::BAD_REQUEST
            }
            Code::Unauthenticated => StatusCode::UNAUTHORIZED,
            Code::PermissionDenied => StatusCode::FORBIDDEN,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
            Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
            Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Code::DeadlineExceeded | Code::Cancelled => StatusCode::GATEWAY_TIMEOUT,
            Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = match status.code() {
            Code::Unavailable => "the session service is unavailable".to_owned(),
            _ if status.message().is_empty() => {
                http.canonical_reason().unwrap_or("error").to_owned()
            }
            _ => status.message().to_owned(),
        };
        if http.is_server_error() {
            tracing::warn!(code = ?status.code(), message = status.message(), "session service error");
        }
        let mut error = Self::new(family, http, message);
        if failure == Some(FailureCode::TooManyAnalyses) {
            // Analyses take tens of seconds; sooner than that a retry finds the same.
            error.retry_after_s = Some(TOO_MANY_ANALYSES_RETRY_S);
        }
        error
    }
}

/// `Retry-After` of an upload refused while the tenant's analyses are all busy.
const TOO_MANY_ANALYSES_RETRY_S: u64 = 30;

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = match self.family {
            Family::Trainer => {
                json!({ "detail": self.detail.unwrap_or(Value::String(self.message)) })
            }
            Family::Guru => match self.detail {
                Some(detail) => json!({ "message": self.message, "detail": detail }),
                None => json!({ "message": self.message }),
            },
            Family::OAuth => json!({
                "error": self.detail.unwrap_or_else(|| Value::String(oauth_code(self.status).to_owned())),
                "error_description": self.message,
            }),
            Family::Lifting | Family::AiMove | Family::Plain => match self.detail {
                Some(detail) => json!({ "error": self.message, "details": detail }),
                None => json!({ "error": self.message }),
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after_s {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            let challenge = match self.family {
                Family::OAuth => "Basic realm=\"fitvision\"",
                _ => "Bearer realm=\"fitvision\"",
            };
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

fn oauth_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "invalid_client",
        StatusCode::BAD_REQUEST => "invalid_request",
        StatusCode::TOO_MANY_REQUESTS => "slow_down",
        _ => "server_error",
    }
}

/// Result of a handler in a given family.
pub type ApiResult<T> = Result<T, ApiError>;

/// `.api(family)?` on gRPC results.
pub trait GrpcResultExt<T> {
    fn api(self, family: Family) -> ApiResult<T>;
}

impl<T> GrpcResultExt<T> for Result<tonic::Response<T>, tonic::Status> {
    fn api(self, family: Family) -> ApiResult<T> {
        self.map(tonic::Response::into_inner)
            .map_err(|status| ApiError::from_status(family, &status))
    }
}
