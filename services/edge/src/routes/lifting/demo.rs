//! Demo-session discovery for `demo=true`: which analysed session stands in for
//! the caller's. The session service chooses (`ListSessions` with `analysed_only`,
//! oldest first: the caller's tenant's, else the deployment's demo sessions analysed
//! at first start); the edge only applies the operator's override.

use fitvision_proto::v1::{ListSessionsRequest, Session, VideoStatus};

use super::{FAMILY, lookup};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, GrpcResultExt};
use crate::routes::sessions::load_session;
use crate::state::AppState;
use crate::views::{Activity, primary_video};

/// The demo session: the configured one, else the oldest session of the
/// activity in the caller's tenant whose video analysed successfully, else the
/// deployment's demo session of the activity. It is a real analysed session, never
/// canned data.
pub(super) async fn demo_session(
    state: &AppState,
    caller: &Caller,
    activity: Activity,
) -> ApiResult<Session> {
    if let Some(id) = state.config().demo_session_for(activity.path()) {
        // The operator chose it: any kind is served, as configured.
        return load_session(state, &caller.forwarded, &id, &lookup(None)).await;
    }
    let mut found = None;
    for demo in [false, true] {
        let page = state
            .session()
            .list_sessions(caller.request(ListSessionsRequest {
                kind: activity.kind() as i32,
                tenant_id: caller.principal.tenant_id.clone(),
                limit: 1,
                newest_first: false,
                analysed_only: true,
                demo,
                ..Default::default()
            }))
            .await
            .api(FAMILY)?;
        found = page.sessions.into_iter().next();
        if found.is_some() {
            break;
        }
    }
    let Some(found) = found else {
        return Err(ApiError::not_found(
            FAMILY,
            format!(
                "No demo {} session is available yet: the deployment's demo sessions are \
                 still being analysed (or FITVISION_DEMO_VIDEO is unset), and this account \
                 has none analysed",
                activity.path()
            ),
        ));
    };
    if analysed(&found) {
        return Ok(found);
    }
    // Listings may omit videos: serve the full session.
    load_session(state, &caller.forwarded, &found.session_id, &lookup(None)).await
}

fn analysed(session: &Session) -> bool {
    primary_video(session)
        .is_some_and(|v| v.status() == VideoStatus::Complete && v.result.is_some())
}
