//! Demo-session discovery for `demo=true`: which analysed session stands in for
//! the caller's. It is a choice over the tenant's sessions and would sit better in
//! the session service, but that needs a new RPC (a proto change); until then it
//! lives here, alone, built on the public ListSessions/GetSession calls.

use fitvision_proto::v1::{ListSessionsRequest, Session, VideoStatus};

use super::{FAMILY, lookup};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, GrpcResultExt};
use crate::routes::sessions::load_session;
use crate::state::AppState;
use crate::views::{Activity, primary_video};

/// How many of the tenant's oldest sessions are searched for an analysed one.
const CANDIDATES: u32 = 100;

/// The demo session: the configured one, else the oldest session of the
/// activity in the caller's tenant whose video analysed successfully. It is a
/// real analysed session, never canned data.
pub(super) async fn demo_session(
    state: &AppState,
    caller: &Caller,
    activity: Activity,
) -> ApiResult<Session> {
    if let Some(id) = state.config().demo_session_for(activity.path()) {
        // The operator chose it: any kind is served, as configured.
        return load_session(state, &caller.forwarded, &id, &lookup(None)).await;
    }
    let page = state
        .session()
        .list_sessions(caller.request(ListSessionsRequest {
            kind: activity.kind() as i32,
            tenant_id: caller.principal.tenant_id.clone(),
            limit: CANDIDATES,
            newest_first: false,
            ..Default::default()
        }))
        .await
        .api(FAMILY)?;
    for candidate in page.sessions {
        if analysed(&candidate) {
            return Ok(candidate);
        }
        // Listings may omit videos: look at the full session.
        if candidate.videos.is_empty() {
            let full = load_session(
                state,
                &caller.forwarded,
                &candidate.session_id,
                &lookup(None),
            )
            .await?;
            if analysed(&full) {
                return Ok(full);
            }
        }
    }
    Err(ApiError::not_found(
        FAMILY,
        format!(
            "No demo {} session is available yet: analyse one first",
            activity.path()
        ),
    ))
}

fn analysed(session: &Session) -> bool {
    primary_video(session)
        .is_some_and(|v| v.status() == VideoStatus::Complete && v.result.is_some())
}
