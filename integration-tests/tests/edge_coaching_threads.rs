//! Issue 21, finding 3: coaching appears for any analysed upload. A client (the web page)
//! asks for it over REST with `POST /v1/sessions/{id}/threads` (the transcoded
//! `CreateThreads`), which may come before the analysis ends; the thread is written once
//! the reps are counted, carries the measured rep count, and is recorded on the session
//! so that a later visit finds it. Another tenant cannot ask for coaching on it.

use std::time::Duration;

use fitvision_integration_tests::edge_http::{Body, Edge, api_key, assert_error, video_part};
use fitvision_integration_tests::{Suite, ground_truth, shared_video};
use fitvision_proto::v1::Role;
use reqwest::Method;
use serde_json::json;

const CLIP: &str = "jumpingjack_black_bg.mp4";

#[tokio::test(flavor = "multi_thread")]
async fn coaching_requested_over_rest_carries_the_measured_count_and_is_recorded() {
    let (Some(clip), Some((_, truth))) = (shared_video(CLIP), ground_truth(CLIP)) else {
        return;
    };
    let suite = Suite::start().await.expect("suite starts");
    let edge = Edge::new(suite.edge_url());
    let owner = api_key(&suite.admin_key);

    let size = std::fs::metadata(&clip).unwrap().len();
    let (status, created) = edge
        .post(
            "/videos",
            &owner,
            Body::Json(json!({"filename": "jacks.mp4", "size": size, "activity": "jumping_jacks"})),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let (status, body) = edge.guru_upload(&created, video_part(&clip)).await;
    assert_eq!(status, 204, "{body}");

    // Asked at once, while the video is still being analysed: the thread waits for it.
    let threads_path = format!("/v1/sessions/{id}/threads");
    let (status, body) = edge
        .post(&threads_path, &owner, Body::Json(json!({})))
        .await;
    assert_eq!(status, 200, "{body}");
    let thread_id = body["threadIds"]["overall"]
        .as_str()
        .unwrap_or_else(|| panic!("an overall thread: {body}"))
        .to_owned();

    let thread = edge
        .poll(
            &format!("/v1/threads/{thread_id}"),
            &owner,
            Duration::from_secs(600),
            |b| b["thread"]["status"] != "THREAD_STATUS_PENDING",
        )
        .await;
    assert_eq!(
        thread["thread"]["status"], "THREAD_STATUS_COMPLETE",
        "{thread}"
    );
    let text = thread["thread"]["text"].as_str().unwrap_or_default();
    assert!(
        text.contains(&format!("{truth} reps")),
        "the coaching names the measured count ({truth} reps): {text}"
    );

    // Recorded on the session: a later visit finds the thread without asking again.
    let (status, session) = edge.get(&format!("/v1/sessions/{id}"), &owner).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(
        session["session"]["attributes"]["threads.requested.overall"], thread_id,
        "{session}"
    );

    // A language the coach does not write is refused before anything is created.
    let (status, body) = edge
        .post(&threads_path, &owner, Body::Json(json!({"language": "xx"})))
        .await;
    assert_error("unsupported language", status, &body, 400, "error");

    // Another tenant cannot reach the session; an unknown session is not found.
    let stranger = api_key(
        &suite
            .create_api_key("other-gym", "coach", Role::Admin)
            .await
            .expect("foreign key"),
    );
    let (status, body) = edge
        .post(&threads_path, &stranger, Body::Json(json!({})))
        .await;
    assert_eq!(status, 404, "foreign tenant: {body}");
    let (status, body) = edge
        .post(
            "/v1/sessions/no-such-session/threads",
            &owner,
            Body::Json(json!({})),
        )
        .await;
    assert_eq!(status, 404, "unknown session: {body}");
    let (status, body) = edge
        .send(Method::POST, &threads_path, None, Body::Json(json!({})))
        .await;
    assert_eq!(status, 401, "no credentials: {body}");
}
