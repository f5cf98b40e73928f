//! JSON transcoding of the unary SessionService RPCs that carry
//! `google.api.http` annotations (`/v1/...`): the request message is built from
//! path parameters, query parameters and the JSON body; the response is the
//! canonical proto3 JSON mapping of the reply (via the descriptor set).

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use fitvision_proto::v1::{
    CreateSessionRequest, CreateShareLinkRequest, CreateThreadsRequest, CreateThreadsResponse,
    DeleteSessionRequest, GetCatalogExerciseRequest, GetSessionRequest, GetThreadRequest,
    GetVideoRequest, ListCatalogExercisesRequest, ListSessionsRequest, ListShareLinksRequest,
    RevokeShareLinkRequest, UpdateSessionRequest,
};
use prost_reflect::{DescriptorPool, DynamicMessage, Kind, MessageDescriptor};
use serde_json::{Map, Value};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Family, GrpcResultExt};
use crate::state::AppState;
use crate::threads::{NewThreads, create_threads as create_recorded_threads, thread_language};

const FAMILY: Family = Family::Plain;

static POOL: LazyLock<Option<DescriptorPool>> =
    LazyLock::new(|| DescriptorPool::decode(fitvision_proto::FILE_DESCRIPTOR_SET).ok());

fn descriptor(name: &str) -> ApiResult<MessageDescriptor> {
    POOL.as_ref()
        .and_then(|pool| pool.get_message_by_name(&format!("fitvision.v1.{name}")))
        .ok_or_else(|| ApiError::internal(FAMILY, format!("no descriptor for {name}")))
}

/// Converts a query-string value to the JSON type of the field it names.
fn typed_query_value(desc: &MessageDescriptor, key: &str, raw: &str) -> ApiResult<(String, Value)> {
    let field = desc
        .get_field_by_name(key)
        .or_else(|| desc.get_field_by_json_name(key))
        .ok_or_else(|| ApiError::bad_request(FAMILY, format!("unknown query parameter '{key}'")))?;
    let bad = || ApiError::bad_request(FAMILY, format!("invalid value '{raw}' for '{key}'"));
    let value = match field.kind() {
        Kind::Bool => Value::Bool(match raw {
            "true" | "1" => true,
            "false" | "0" | "" => false,
            _ => return Err(bad()),
        }),
        Kind::Int32
        | Kind::Sint32
        | Kind::Sfixed32
        | Kind::Int64
        | Kind::Sint64
        | Kind::Sfixed64 => Value::from(raw.parse::<i64>().map_err(|_| bad())?),
        Kind::Uint32 | Kind::Fixed32 | Kind::Uint64 | Kind::Fixed64 => {
            Value::from(raw.parse::<u64>().map_err(|_| bad())?)
        }
        Kind::Double | Kind::Float => Value::from(raw.parse::<f64>().map_err(|_| bad())?),
        _ => Value::String(raw.to_owned()),
    };
    Ok((field.name().to_owned(), value))
}

/// Builds a request message from JSON body fields, query and path parameters.
fn request_message<T: prost::Message + Default>(
    name: &str,
    body: &Bytes,
    query: &HashMap<String, String>,
    path: &[(&str, String)],
) -> ApiResult<T> {
    let desc = descriptor(name)?;
    let mut fields: Map<String, Value> = if body.is_empty() {
        Map::new()
    } else {
        match serde_json::from_slice(body) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return Err(ApiError::bad_request(
                    FAMILY,
                    "the body must be a JSON object",
                ));
            }
            Err(e) => {
                return Err(ApiError::bad_request(
                    FAMILY,
                    format!("invalid JSON body: {e}"),
                ));
            }
        }
    };
    for (key, raw) in query {
        let (name, value) = typed_query_value(&desc, key, raw)?;
        fields.insert(name, value);
    }
    for (key, value) in path {
        fields.insert((*key).to_owned(), Value::String(value.clone()));
    }
    let dynamic = DynamicMessage::deserialize(desc, Value::Object(fields))
        .map_err(|e| ApiError::bad_request(FAMILY, format!("invalid {name}: {e}")))?;
    T::decode(prost::Message::encode_to_vec(&dynamic).as_slice())
        .map_err(|e| ApiError::internal(FAMILY, format!("cannot build {name}: {e}")))
}

/// Canonical proto3 JSON of a message (`name` without its package).
pub(crate) fn message_json<T: prost::Message>(name: &str, message: &T) -> ApiResult<Value> {
    let desc = descriptor(name)?;
    let dynamic = DynamicMessage::decode(desc, message.encode_to_vec().as_slice())
        .map_err(|e| ApiError::internal(FAMILY, format!("cannot decode {name}: {e}")))?;
    serde_json::to_value(&dynamic)
        .map_err(|e| ApiError::internal(FAMILY, format!("cannot encode {name}: {e}")))
}

/// Canonical proto3 JSON of a reply.
fn reply_json<T: prost::Message>(name: &str, reply: &T) -> ApiResult<Json<Value>> {
    message_json(name, reply).map(Json)
}

pub async fn create_session(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let request: CreateSessionRequest =
        request_message("CreateSessionRequest", &body, &query, &[])?;
    let reply = state
        .session()
        .create_session(caller.request(request))
        .await
        .api(FAMILY)?;
    reply_json("CreateSessionResponse", &reply)
}

pub async fn get_session(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(session_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let request: GetSessionRequest = request_message(
        "GetSessionRequest",
        &Bytes::new(),
        &query,
        &[("session_id", session_id)],
    )?;
    let reply = state
        .session()
        .get_session(caller.request(request))
        .await
        .api(FAMILY)?;
    reply_json("GetSessionResponse", &reply)
}

pub async fn list_sessions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let request: ListSessionsRequest =
        request_message("ListSessionsRequest", &Bytes::new(), &query, &[])?;
    let reply = state
        .session()
        .list_sessions(caller.request(request))
        .await
        .api(FAMILY)?;
    reply_json("ListSessionsResponse", &reply)
}

pub async fn update_session(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(session_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let request: UpdateSessionRequest = request_message(
        "UpdateSessionRequest",
        &body,
        &query,
        &[("session_id", session_id)],
    )?;
    let reply = state
        .session()
        .update_session(caller.request(request))
        .await
        .api(FAMILY)?;
    reply_json("UpdateSessionResponse", &reply)
}

pub async fn delete_session(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(session_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let request = DeleteSessionRequest { session_id };
    let reply = state
        .session()
        .delete_session(caller.request(request))
        .await
        .api(FAMILY)?;
    reply_json("DeleteSessionResponse", &reply)
}

pub async fn get_video(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(video_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let reply = state
        .session()
        .get_video(caller.request(GetVideoRequest { video_id }))
        .await
        .api(FAMILY)?;
    reply_json("GetVideoResponse", &reply)
}

pub async fn get_thread(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(thread_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let reply = state
        .session()
        .get_thread(caller.request(GetThreadRequest { thread_id }))
        .await
        .api(FAMILY)?;
    reply_json("GetThreadResponse", &reply)
}

/// Purpose under which threads created over `/v1` are recorded on the session.
pub const REQUESTED_THREADS: &str = "requested";

/// `POST /v1/sessions/{session_id}/threads`: creates coaching threads (topics default to
/// `overall`) in the body's language, else the `Accept-Language` preference, and
/// records them on the session so that a later visit finds them.
pub async fn create_threads(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(session_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let request: CreateThreadsRequest = request_message(
        "CreateThreadsRequest",
        &body,
        &query,
        &[("session_id", session_id.clone())],
    )?;
    let language = thread_language(FAMILY, Some(request.language.as_str()), &headers)?;
    let topics: Vec<&str> = if request.topics.is_empty() {
        vec!["overall"]
    } else {
        request.topics.iter().map(String::as_str).collect()
    };
    let thread_ids = create_recorded_threads(
        &state,
        &caller,
        FAMILY,
        &session_id,
        &NewThreads {
            purpose: REQUESTED_THREADS,
            topics: &topics,
            measurement_system: request.measurement_system(),
            language,
        },
    )
    .await?;
    reply_json(
        "CreateThreadsResponse",
        &CreateThreadsResponse { thread_ids },
    )
}

/// `POST /v1/sessions/{session_id}/shares`: a share link of the session, with the
/// page's address that opens it (`url`) beside the proto reply's fields.
#[utoipa::path(post, path = "/v1/sessions/{session_id}/shares", tag = "Sharing",
    params(("session_id" = String, Path, description = "Session (a Guru video id is its session id)")),
    request_body(content = Object, description = "{ttlSeconds?}: lifetime of the link, default 2592000 (30 days), at most 31536000 (365 days)"),
    responses((status = 200, description = "{share: {shareId, sessionId, createdBy, createdAt, expiresAt, active}, token, url}: the token is shown only here; `url` opens the result on the web page without an API key", body = Object),
        (status = 400, description = "Invalid body or lifetime"), (status = 401, description = "Unauthorized"),
        (status = 403, description = "Another user's session"), (status = 404, description = "Unknown session")),
    security(("bearer" = [])))]
pub async fn create_share_link(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(session_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let request: CreateShareLinkRequest = request_message(
        "CreateShareLinkRequest",
        &body,
        &query,
        &[("session_id", session_id)],
    )?;
    let reply = state
        .session()
        .create_share_link(caller.request(request))
        .await
        .api(FAMILY)?;
    let mut json = message_json("CreateShareLinkResponse", &reply)?;
    json["url"] = Value::String(format!(
        "{}/#share={}",
        state.public_base(&headers),
        reply.token
    ));
    Ok(Json(json))
}

/// `GET /v1/sessions/{session_id}/shares`
#[utoipa::path(get, path = "/v1/sessions/{session_id}/shares", tag = "Sharing",
    params(("session_id" = String, Path, description = "Session")),
    responses((status = 200, description = "{shares: [{shareId, sessionId, createdBy, createdAt, expiresAt, revokedAt?, active?}]}, newest first (no tokens)", body = Object),
        (status = 400, description = "Invalid request"), (status = 401, description = "Unauthorized"),
        (status = 403, description = "Another user's session"), (status = 404, description = "Unknown session")),
    security(("bearer" = [])))]
pub async fn list_share_links(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(session_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let reply = state
        .session()
        .list_share_links(caller.request(ListShareLinksRequest { session_id }))
        .await
        .api(FAMILY)?;
    reply_json("ListShareLinksResponse", &reply)
}

/// `DELETE /v1/shares/{share_id}`
#[utoipa::path(delete, path = "/v1/shares/{share_id}", tag = "Sharing",
    params(("share_id" = String, Path, description = "Share link id")),
    responses((status = 200, description = "{share}: the link, revoked (revoking twice keeps the first time)", body = Object),
        (status = 400, description = "Invalid request"), (status = 401, description = "Unauthorized"),
        (status = 403, description = "Another user's session"), (status = 404, description = "Unknown share link")),
    security(("bearer" = [])))]
pub async fn revoke_share_link(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(share_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let reply = state
        .session()
        .revoke_share_link(caller.request(RevokeShareLinkRequest { share_id }))
        .await
        .api(FAMILY)?;
    reply_json("RevokeShareLinkResponse", &reply)
}

pub async fn list_catalog_exercises(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Value>> {
    let reply = state
        .session()
        .list_catalog_exercises(caller.request(ListCatalogExercisesRequest {}))
        .await
        .api(FAMILY)?;
    reply_json("ListCatalogExercisesResponse", &reply)
}

pub async fn get_catalog_exercise(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(exercise_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let reply = state
        .session()
        .get_catalog_exercise(caller.request(GetCatalogExerciseRequest { exercise_id }))
        .await
        .api(FAMILY)?;
    reply_json("GetCatalogExerciseResponse", &reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_take_their_field_types() {
        let query = HashMap::from([
            ("limit".to_owned(), "20".to_owned()),
            ("newest_first".to_owned(), "true".to_owned()),
            ("startAfter".to_owned(), "0123".to_owned()),
            ("kind".to_owned(), "SESSION_KIND_VIDEO".to_owned()),
        ]);
        let request: ListSessionsRequest =
            request_message("ListSessionsRequest", &Bytes::new(), &query, &[]).unwrap();
        assert_eq!(request.limit, 20);
        assert!(request.newest_first);
        assert_eq!(request.start_after, "0123");
        assert_eq!(request.kind(), fitvision_proto::v1::SessionKind::Video);
        let bad = HashMap::from([("limit".to_owned(), "many".to_owned())]);
        assert!(
            request_message::<ListSessionsRequest>("ListSessionsRequest", &Bytes::new(), &bad, &[])
                .is_err()
        );
        let unknown = HashMap::from([("bogus".to_owned(), "1".to_owned())]);
        assert!(
            request_message::<ListSessionsRequest>(
                "ListSessionsRequest",
                &Bytes::new(),
                &unknown,
                &[]
            )
            .is_err()
        );
    }

    #[test]
    fn body_and_path_build_the_request_and_replies_use_proto_json() {
        let body = Bytes::from_static(
            br#"{"status": "SESSION_STATUS_COMPLETED", "attributes": {"a": "b"}}"#,
        );
        let request: UpdateSessionRequest = request_message(
            "UpdateSessionRequest",
            &body,
            &HashMap::new(),
            &[("session_id", "s1".into())],
        )
        .unwrap();
        assert_eq!(request.session_id, "s1");
        assert_eq!(
            request.status,
            Some(fitvision_proto::v1::SessionStatus::Completed as i32)
        );
        assert_eq!(request.attributes["a"], "b");
        let reply = fitvision_proto::v1::GetThreadResponse {
            thread: Some(fitvision_proto::v1::Thread {
                thread_id: "t1".into(),
                status: fitvision_proto::v1::ThreadStatus::Complete as i32,
                ..Default::default()
            }),
        };
        let Json(json) = reply_json("GetThreadResponse", &reply).unwrap();
        assert_eq!(json["thread"]["threadId"], "t1");
        assert_eq!(json["thread"]["status"], "THREAD_STATUS_COMPLETE");
    }
}
