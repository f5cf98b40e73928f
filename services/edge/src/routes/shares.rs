//! `GET /v1/shared/{token}`: the result a share link opens, for someone without an
//! API key (the token is the credential). Everything the result view needs comes in
//! one reply (the Guru video with analysis and joints, the session, its written
//! coaching), with media URLs signed afresh on each call, so the link lives as long
//! as the share does rather than as long as a signed URL.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use fitvision_proto::v1::{
    GetThreadRequest, OpenShareLinkRequest, Principal, Role, Session, ThreadStatus,
};
use serde_json::{Value, json};

use super::guru::{Includes, video_json};
use crate::auth::{Caller, ForwardedCredential};
use crate::error::{ApiError, ApiResult, Family};
use crate::state::AppState;
use crate::transcode::message_json;

const FAMILY: Family = Family::Plain;

/// Longer than any token this suite issues: refused before it reaches the database.
const MAX_TOKEN_LEN: usize = 128;

fn not_found() -> ApiError {
    ApiError::not_found(FAMILY, "share link not found")
}

/// A revoked or expired link is gone for good (410), unlike a mistyped one (404).
fn open_error(status: &tonic::Status) -> ApiError {
    match status.code() {
        tonic::Code::FailedPrecondition => {
            ApiError::new(FAMILY, StatusCode::GONE, status.message())
        }
        _ => ApiError::from_status(FAMILY, status),
    }
}

/// The caller that reads the shared session: the share token as credential.
fn share_caller(session: &Session, token: &str) -> ApiResult<Caller> {
    Ok(Caller {
        principal: Principal {
            tenant_id: session.tenant_id.clone(),
            user_id: session.user_id.clone(),
            role: Role::User as i32,
            ..Default::default()
        },
        forwarded: ForwardedCredential::verbatim(&format!("Share {token}"))
            .map_err(|_| not_found())?,
    })
}

/// Completed coaching threads recorded on the session (`threads.<purpose>.<topic>`).
async fn written_coaching(state: &AppState, caller: &Caller, session: &Session) -> Vec<Value> {
    let mut ids: Vec<&String> = session
        .attributes
        .iter()
        .filter(|(key, _)| key.starts_with("threads."))
        .map(|(_, id)| id)
        .collect();
    ids.sort();
    ids.dedup();
    let mut out = Vec::new();
    for thread_id in ids {
        let reply = state
            .session()
            .get_thread(caller.request(GetThreadRequest {
                thread_id: thread_id.clone(),
            }))
            .await;
        if let Ok(reply) = reply
            && let Some(thread) = reply.into_inner().thread
            && thread.status() == ThreadStatus::Complete
            && let Ok(json) = message_json("Thread", &thread)
        {
            out.push(json);
        }
    }
    out
}

/// `GET /v1/shared/{token}`
#[utoipa::path(get, path = "/v1/shared/{token}", tag = "Sharing",
    params(("token" = String, Path, description = "The share link's token (from `POST /v1/sessions/{session_id}/shares`)")),
    responses((status = 200, description = "{share, video (as GET /videos/{id}?include=analysis,j2p), detail: {session, coaching: [completed threads]}}; media URLs signed afresh", body = Object),
        (status = 404, description = "Unknown share link"),
        (status = 410, description = "The share link was revoked or has expired")),
    security(()))]
pub async fn open_shared(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(not_found());
    }
    let reply = state
        .session()
        .open_share_link(tonic::Request::new(OpenShareLinkRequest {
            token: token.clone(),
        }))
        .await
        .map_err(|status| open_error(&status))?
        .into_inner();
    let (Some(share), Some(session)) = (reply.share, reply.session) else {
        return Err(not_found());
    };
    let caller = share_caller(&session, &token)?;
    let includes = Includes {
        j2p: true,
        analysis: true,
        objects: false,
    };
    let video = video_json(&state, &caller, &headers, &session, &includes).await?;
    let coaching = written_coaching(&state, &caller, &session).await;
    Ok(Json(json!({
        "share": message_json("ShareLink", &share)?,
        "video": video,
        "detail": {
            "session": message_json("Session", &session)?,
            "coaching": coaching,
        },
    })))
}
