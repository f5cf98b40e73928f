//! Handlers of the five documented API families.

pub mod admin;
pub mod ai_move;
pub mod guru;
pub mod lifting;
pub mod oauth;
pub mod trainer;

use std::sync::OnceLock;

use fitvision_exercise_engine::Catalog;
use fitvision_proto::v1::{GetSessionRequest, Session, SessionKind};

use crate::error::{ApiError, ApiResult, Family};
use crate::state::AppState;

/// The exercise catalog, the only list of exercises: Guru's activities and domains and
/// the AI Exercise Trainer API's exercise types are read from it.
pub(crate) fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG
        .get_or_init(|| Catalog::builtin().expect("the built-in catalog is validated by its tests"))
}

/// Loads a session and checks it belongs to `kind`. Missing, foreign
/// (PERMISSION_DENIED) and other-kind sessions all answer the family's 404 with
/// `not_found`, so callers cannot learn that someone else's session exists.
pub(crate) async fn load_session_of_kind(
    state: &AppState,
    request: tonic::Request<GetSessionRequest>,
    family: Family,
    kind: SessionKind,
    not_found: &str,
) -> ApiResult<Session> {
    let session = state
        .session()
        .get_session(request)
        .await
        .map_err(|s| match s.code() {
            tonic::Code::NotFound | tonic::Code::PermissionDenied => {
                ApiError::not_found(family, not_found)
            }
            _ => ApiError::from_status(family, &s),
        })?
        .into_inner()
        .session
        .ok_or_else(|| ApiError::not_found(family, not_found))?;
    if session.kind() != kind {
        return Err(ApiError::not_found(family, not_found));
    }
    Ok(session)
}
