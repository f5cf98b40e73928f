//! Guru API: `activity` is optional when creating a video. Without one the upload is
//! accepted (204), the activity is recognised from the video and counted, and the
//! analysis says it was recognised and how surely. A `PUT` that changes the activity
//! analyses the video again from its stored poses.

use std::time::Duration;

use fitvision_integration_tests::edge_http::{Body, Edge, video_part};
use fitvision_integration_tests::{Suite, shared_video};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn video_without_activity_is_recognised_counted_and_reanalysed_when_corrected() {
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

    let analysis_path = format!("/videos/{id}/analysis");
    let analysis = edge
        .poll(&analysis_path, &token, Duration::from_secs(600), |body| {
            body["status"] != "Pending"
        })
        .await;
    assert_eq!(analysis["status"], "Complete", "{analysis}");
    assert_eq!(analysis["activity"], "jumping_jacks", "{analysis}");
    assert_eq!(analysis["domain"], "cardio", "{analysis}");
    // The clip has 3 jumping jacks (ground_truth.json), as when labelled.
    assert_eq!(
        analysis["reps"].as_array().map(Vec::len),
        Some(3),
        "{analysis}"
    );
    let recognition = &analysis["activityRecognition"];
    assert_eq!(recognition["activity"], "jumping_jacks", "{analysis}");
    let confidence = recognition["confidence"].as_f64().expect("confidence");
    assert!((0.5..=1.0).contains(&confidence), "{analysis}");
    assert!(
        recognition["reason"]
            .as_str()
            .is_some_and(|r| r.contains("stance swing")),
        "{analysis}"
    );

    // The user says it was another activity: analysed again as that one, from the
    // stored poses, and the answer no longer claims a recognition.
    let (status, body) = edge
        .send(
            Method::PUT,
            &format!("/videos/{id}"),
            Some(&token),
            Body::Json(json!({"activity": "squat"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let analysis = edge
        .poll(&analysis_path, &token, Duration::from_secs(120), |body| {
            body["status"] != "Pending" && body["activity"] == "squat"
        })
        .await;
    assert_eq!(analysis["status"], "Complete", "{analysis}");
    assert_eq!(analysis["activity"], "squat", "{analysis}");
    assert!(analysis.get("activityRecognition").is_none(), "{analysis}");
    // Jumping jacks bend the knees too little to be squats.
    assert_eq!(
        analysis["reps"].as_array().map(Vec::len),
        Some(0),
        "{analysis}"
    );
}
