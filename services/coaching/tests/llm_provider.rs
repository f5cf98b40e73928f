//! The LLM provider against a stand-in OpenAI-compatible server started in
//! the test (the real providers are paid third parties).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use common::{push_up, request, subject};
use fitvision_coaching::{BUILTIN_PROVIDER, Coach, LlmArgs, LlmClient};
use fitvision_proto::v1::{Feedback, MeasurementSystem};
use serde_json::{Value, json};
use tokio::sync::Mutex;

/// How the stand-in answers.
#[derive(Clone)]
enum Behaviour {
    Reply(&'static str),
    /// Answers after this long.
    Slow(Duration),
    /// 429 for the first `n` requests, then the reply.
    RateLimitedThen(usize, &'static str),
    AlwaysStatus(StatusCode),
}

struct StandIn {
    behaviour: Behaviour,
    requests: AtomicUsize,
    last_body: Mutex<Option<Value>>,
    last_authorization: Mutex<Option<String>>,
}

fn completion(text: &str) -> Response {
    Json(json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]
    }))
    .into_response()
}

async fn chat_completions(
    State(stand_in): State<Arc<StandIn>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let seen = stand_in.requests.fetch_add(1, Ordering::SeqCst);
    *stand_in.last_body.lock().await = Some(body);
    *stand_in.last_authorization.lock().await = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    match stand_in.behaviour.clone() {
        Behaviour::Reply(text) => completion(text),
        Behaviour::Slow(delay) => {
            tokio::time::sleep(delay).await;
            completion("too late")
        }
        Behaviour::RateLimitedThen(limited, _) if seen < limited => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "0")],
            "slow down",
        )
            .into_response(),
        Behaviour::RateLimitedThen(_, text) => completion(text),
        Behaviour::AlwaysStatus(status) => (status, "upstream broke").into_response(),
    }
}

/// Starts the stand-in on 127.0.0.1:0 and returns it with its base URL.
async fn start(behaviour: Behaviour) -> (Arc<StandIn>, String) {
    let stand_in = Arc::new(StandIn {
        behaviour,
        requests: AtomicUsize::new(0),
        last_body: Mutex::new(None),
        last_authorization: Mutex::new(None),
    });
    let app = axum::Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .with_state(stand_in.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (stand_in, format!("http://{addr}/v1"))
}

fn coach(base_url: String, timeout_ms: u64) -> Coach {
    let args = LlmArgs {
        base_url: Some(base_url),
        model: Some("test-model".into()),
        api_key: Some("sk-test".parse().unwrap()),
        timeout_ms,
        max_retries: 2,
        backoff_ms: 10,
        max_tokens: 500,
        temperature: 0.2,
        concurrency: 2,
    };
    let client = LlmClient::from_args(&args).unwrap().expect("configured");
    Coach::with_llm(client, args.concurrency)
}

async fn push_up_feedback(coach: &Coach) -> Feedback {
    let mut feedback = coach
        .generate(&request(
            vec![push_up()],
            subject(MeasurementSystem::Metric),
            "en",
            &["overall"],
        ))
        .await
        .unwrap();
    assert_eq!(feedback.len(), 1);
    feedback.remove(0)
}

/// Every number here was measured (12 reps, 31.4 s, 5 of 12 = 42%, 6 clean reps).
const GROUNDED_REPLY: &str = "Solid work: 12 reps in 31.4 s. Your hips sagged on 5 of 12 checks (42%), \
so squeeze your glutes and brace. Next time, do sets of 6 clean reps before adding more.";

#[tokio::test]
async fn a_grounded_reply_is_used_and_the_prompt_carries_the_measurements() {
    let (stand_in, base_url) = start(Behaviour::Reply(GROUNDED_REPLY)).await;
    let feedback = push_up_feedback(&coach(base_url, 5_000)).await;
    assert_eq!(feedback.provider, "llm:test-model");
    assert_eq!(feedback.text, GROUNDED_REPLY);
    assert_eq!(feedback.fallback_reason, "");

    let body = stand_in.last_body.lock().await.clone().unwrap();
    assert_eq!(body["model"], "test-model");
    let prompt = body["messages"][1]["content"].as_str().unwrap();
    assert!(prompt.contains("- rep count: 12"), "{prompt}");
    assert!(
        prompt.contains("\"Hips sagging\" / \"塌腰\" failed 5 of 12 checks (42%)"),
        "{prompt}"
    );
    assert!(prompt.contains("DRAFT"), "{prompt}");
    assert_eq!(
        stand_in.last_authorization.lock().await.as_deref(),
        Some("Bearer sk-test")
    );
}

#[tokio::test]
async fn a_timeout_falls_back_to_the_builtin_coach_without_retrying() {
    let (stand_in, base_url) = start(Behaviour::Slow(Duration::from_secs(5))).await;
    let feedback = push_up_feedback(&coach(base_url, 200)).await;
    assert_eq!(feedback.provider, BUILTIN_PROVIDER);
    assert!(
        feedback.fallback_reason.contains("no reply within 200 ms"),
        "{}",
        feedback.fallback_reason
    );
    assert!(
        feedback.text.contains("12 reps counted"),
        "{}",
        feedback.text
    );
    assert_eq!(stand_in.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_reply_with_an_invented_number_is_rejected() {
    let (_, base_url) = start(Behaviour::Reply(
        "Great 12 reps! Next week aim for 15 reps with hips level on 42% more reps.",
    ))
    .await;
    let feedback = push_up_feedback(&coach(base_url, 5_000)).await;
    assert_eq!(feedback.provider, BUILTIN_PROVIDER);
    assert!(
        feedback
            .fallback_reason
            .contains("stated 15, a number that was not measured"),
        "{}",
        feedback.fallback_reason
    );
    assert!(
        feedback
            .text
            .contains("1. Hips sagging: failed 5 of 12 checks (42%).")
    );
}

#[tokio::test]
async fn a_429_is_retried_then_the_reply_is_used() {
    let (stand_in, base_url) = start(Behaviour::RateLimitedThen(1, GROUNDED_REPLY)).await;
    let feedback = push_up_feedback(&coach(base_url, 5_000)).await;
    assert_eq!(stand_in.requests.load(Ordering::SeqCst), 2);
    assert_eq!(feedback.provider, "llm:test-model");
    assert_eq!(feedback.text, GROUNDED_REPLY);
}

#[tokio::test]
async fn persistent_server_errors_exhaust_the_retries_then_fall_back() {
    let (stand_in, base_url) = start(Behaviour::AlwaysStatus(StatusCode::BAD_GATEWAY)).await;
    let feedback = push_up_feedback(&coach(base_url, 5_000)).await;
    // One attempt plus max_retries (2).
    assert_eq!(stand_in.requests.load(Ordering::SeqCst), 3);
    assert_eq!(feedback.provider, BUILTIN_PROVIDER);
    assert!(
        feedback
            .fallback_reason
            .contains("gave up after 3 attempts, last: HTTP 502"),
        "{}",
        feedback.fallback_reason
    );
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let (stand_in, base_url) = start(Behaviour::AlwaysStatus(StatusCode::UNAUTHORIZED)).await;
    let feedback = push_up_feedback(&coach(base_url, 5_000)).await;
    assert_eq!(stand_in.requests.load(Ordering::SeqCst), 1);
    assert!(
        feedback.fallback_reason.contains("HTTP 401"),
        "{}",
        feedback.fallback_reason
    );
}

#[tokio::test]
async fn an_unreachable_provider_falls_back() {
    // Bind then drop a listener: nothing answers on that port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let feedback = push_up_feedback(&coach(format!("http://127.0.0.1:{port}/v1"), 5_000)).await;
    assert_eq!(feedback.provider, BUILTIN_PROVIDER);
    assert!(
        feedback.fallback_reason.contains("LLM request failed"),
        "{}",
        feedback.fallback_reason
    );
}
