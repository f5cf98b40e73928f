//! The one way a route loads a session for a caller.
//!
//! The session service answers NOT_FOUND for an unknown session and for another
//! tenant's (their existence is never revealed), and PERMISSION_DENIED for another
//! user's session in the caller's tenant. What a family shows for that last case is
//! part of its documented API, so it is a parameter here rather than a second loader.

use std::borrow::Cow;

use fitvision_proto::v1::{GetSessionRequest, Session, SessionKind};

use crate::auth::ForwardedCredential;
use crate::error::{ApiError, ApiResult, Family};
use crate::state::AppState;

/// How a family answers for a session of another user of the caller's tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OtherUsers {
    /// The same 404 as an unknown session (AI Exercise Trainer, Guru): FastAPI's and
    /// Guru's only documented miss.
    Hidden,
    /// The session service's 403 (Weightlifting, Retrieval, AI Move); unknown sessions
    /// keep the service's 404 message.
    Forbidden,
}

/// Which sessions a route serves and how it words a miss.
#[derive(Debug, Clone)]
pub(crate) struct SessionLookup {
    pub family: Family,
    /// The kind the route serves; `None` serves any (Retrieval's analysed video, a
    /// configured demo session).
    pub kind: Option<SessionKind>,
    /// The 404 message for a session of another kind, and for every miss when
    /// another user's sessions are [`OtherUsers::Hidden`].
    pub not_found: Cow<'static, str>,
    pub other_users: OtherUsers,
}

impl SessionLookup {
    fn not_found(&self) -> ApiError {
        ApiError::not_found(self.family, self.not_found.clone())
    }
}

/// Loads `session_id` with the caller's credential and checks it against `lookup`.
pub(crate) async fn load_session(
    state: &AppState,
    credential: &ForwardedCredential,
    session_id: &str,
    lookup: &SessionLookup,
) -> ApiResult<Session> {
    let mut request = tonic::Request::new(GetSessionRequest {
        session_id: session_id.to_owned(),
    });
    credential.apply(request.metadata_mut());
    let session = state
        .session()
        .get_session(request)
        .await
        .map_err(|status| match (status.code(), lookup.other_users) {
            (tonic::Code::NotFound | tonic::Code::PermissionDenied, OtherUsers::Hidden) => {
                lookup.not_found()
            }
            _ => ApiError::from_status(lookup.family, &status),
        })?
        .into_inner()
        .session
        .ok_or_else(|| lookup.not_found())?;
    match lookup.kind {
        Some(kind) if session.kind() != kind => Err(lookup.not_found()),
        _ => Ok(session),
    }
}
