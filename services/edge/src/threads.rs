//! Coaching threads: creation, polling, and remembering them on the session.

use std::collections::HashMap;
use std::time::Duration;

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use fitvision_proto::v1::{
    CreateThreadsRequest, GetThreadRequest, MeasurementSystem, Session, Thread, ThreadStatus,
    UpdateSessionRequest,
};
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Family, GrpcResultExt};
use crate::state::AppState;
use crate::views::iso_seconds;

/// Session attribute prefix under which thread ids of a purpose are kept.
pub fn attribute_key(purpose: &str, topic: &str) -> String {
    format!("threads.{purpose}.{topic}")
}

/// The language coaching threads are written in: the `language` query parameter when
/// given (400 when the coach does not write it), else the most preferred language of
/// `Accept-Language` the coach writes, else English.
pub fn thread_language(
    family: Family,
    query: Option<&str>,
    headers: &HeaderMap,
) -> ApiResult<&'static str> {
    use fitvision_proto::languages;
    if let Some(tag) = query.filter(|t| !t.trim().is_empty()) {
        return languages::supported(tag).ok_or_else(|| {
            ApiError::bad_request(
                family,
                format!(
                    "unsupported language '{tag}': use one of {}",
                    languages::SUPPORTED.join(", ")
                ),
            )
        });
    }
    Ok(headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(languages::negotiate)
        .unwrap_or(languages::SUPPORTED[0]))
}

/// What threads to create for a session.
pub struct NewThreads<'a> {
    /// Recorded on the session as `threads.<purpose>.<topic>` attributes.
    pub purpose: &'a str,
    pub topics: &'a [&'a str],
    pub measurement_system: MeasurementSystem,
    /// A supported language ([`thread_language`]).
    pub language: &'a str,
}

/// Creates the threads and records them on the session as
/// `threads.<purpose>.<topic>` attributes, so later GETs can find them.
pub async fn create_threads(
    state: &AppState,
    caller: &Caller,
    family: Family,
    session_id: &str,
    new: &NewThreads<'_>,
) -> ApiResult<HashMap<String, String>> {
    let created = state
        .session()
        .create_threads(caller.request(CreateThreadsRequest {
            session_id: session_id.to_owned(),
            topics: new.topics.iter().map(|t| (*t).to_owned()).collect(),
            measurement_system: new.measurement_system as i32,
            language: new.language.to_owned(),
        }))
        .await
        .api(family)?
        .thread_ids;
    let attributes = created
        .iter()
        .map(|(topic, id)| (attribute_key(new.purpose, topic), id.clone()))
        .collect();
    state
        .session()
        .update_session(caller.request(UpdateSessionRequest {
            session_id: session_id.to_owned(),
            attributes,
            ..Default::default()
        }))
        .await
        .api(family)?;
    Ok(created)
}

/// Thread ids recorded on a session for a purpose: topic -> id.
pub fn recorded_threads(session: &Session, purpose: &str) -> HashMap<String, String> {
    let prefix = format!("threads.{purpose}.");
    session
        .attributes
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|t| (t.to_owned(), v.clone())))
        .collect()
}

pub async fn get_thread(
    state: &AppState,
    caller: &Caller,
    family: Family,
    thread_id: &str,
) -> ApiResult<Thread> {
    state
        .session()
        .get_thread(caller.request(GetThreadRequest {
            thread_id: thread_id.to_owned(),
        }))
        .await
        .api(family)?
        .thread
        .ok_or_else(|| ApiError::not_found(family, "thread not found"))
}

/// Polls a thread until it is no longer pending (or the timeout passes).
pub async fn wait_for_thread(
    state: &AppState,
    caller: &Caller,
    family: Family,
    thread_id: &str,
    timeout: Duration,
) -> ApiResult<Thread> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut delay = Duration::from_millis(50);
    loop {
        let thread = get_thread(state, caller, family, thread_id).await?;
        if thread.status() != ThreadStatus::Pending || tokio::time::Instant::now() >= deadline {
            return Ok(thread);
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_millis(500));
    }
}

/// Completed texts of the recorded threads of a purpose: topic -> text.
pub async fn completed_texts(
    state: &AppState,
    caller: &Caller,
    family: Family,
    session: &Session,
    purpose: &str,
) -> ApiResult<serde_json::Map<String, Value>> {
    let mut texts = serde_json::Map::new();
    for (topic, id) in recorded_threads(session, purpose) {
        let thread = get_thread(state, caller, family, &id).await?;
        if thread.status() == ThreadStatus::Complete {
            texts.insert(topic, Value::String(thread.text));
        }
    }
    Ok(texts)
}

pub fn thread_json(thread: &Thread) -> Value {
    json!({
        "thread_id": thread.thread_id,
        "session_id": thread.session_id,
        "topic": thread.topic,
        "status": fitvision_proto::statuses::thread_name_of(thread.status),
        "comment": (thread.status() == ThreadStatus::Complete).then_some(&thread.text),
        "text": thread.text,
        "provider": thread.provider,
        "error": (!thread.error.is_empty()).then_some(&thread.error),
        "measurement_system": match thread.measurement_system() {
            MeasurementSystem::Imperial => "imperial",
            _ => "metric",
        },
        "language": thread.language,
        "created_at": iso_seconds(thread.created_at.as_ref()),
        "completed_at": iso_seconds(thread.completed_at.as_ref()),
    })
}

/// `GET /threads/{thread_id}`: poll a generated comment.
#[utoipa::path(get, path = "/threads/{thread_id}", tag = "Threads",
    params(("thread_id" = String, Path, description = "Thread id returned by a summary/recommendation POST")),
    responses((status = 200, description = "The thread; `status` is pending, complete or failed; `comment` is set when complete", body = Object),
        (status = 401, description = "Missing or invalid credentials"), (status = 404, description = "Thread not found")),
    security(("api_key" = [])))]
pub async fn get_thread_route(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(thread_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let thread = get_thread(&state, &caller, Family::Lifting, &thread_id).await?;
    Ok(Json(thread_json(&thread)))
}
