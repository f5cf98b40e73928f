//! Guru API: `activity` is optional when creating a video. Without one the
//! upload is accepted (204) and the analysis ends `Failed` with reason
//! `UNKNOWN_ACTIVITY` and a readable `reasonDetail`, never a 400 at upload.

use std::time::Duration;

use fitvision_integration_tests::edge_http::{Body, Edge, video_part};
use fitvision_integration_tests::{Suite, shared_video};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn video_without_activity_uploads_then_fails_with_a_clear_reason() {
    // The smallest clip of the set keeps the pose pass short.
    let Some(clip) = shared_video("jumpingjack_black_bg.mp4") else {
        return;
    };
    let suite = Suite::start().await.expect("suite starts");
    let edge = Edge::new(suite.edge_url());
    let token = edge.guru_token("admin", &suite.admin_key).await;

    let size = std::fs::metadata(&clip).unwrap().len();
    let (status, created) = edge
        .post(
            "/videos",
            &token,
            Body::Json(json!({"filename": "clip.mp4", "size": size})),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let (status, body) = edge.guru_upload(&created, video_part(&clip)).await;
    assert_eq!(status, 204, "{body}");

    let analysis = edge
        .poll(
            &format!("/videos/{id}/analysis"),
            &token,
            Duration::from_secs(600),
            |body| body["status"] != "Pending",
        )
        .await;
    assert_eq!(analysis["status"], "Failed", "{analysis}");
    assert_eq!(analysis["reason"], "UNKNOWN_ACTIVITY", "{analysis}");
    assert!(
        analysis["reasonDetail"]
            .as_str()
            .is_some_and(|d| d.contains("no exercise")),
        "{analysis}"
    );
}
