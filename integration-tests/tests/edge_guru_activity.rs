//! Guru (seed 003): `activity` is optional when creating a video. Without one the
//! upload is accepted (204) and the analysis ends `Failed` with reason
//! `UNKNOWN_ACTIVITY` and a readable `reasonDetail`, never a 400 at upload.

use std::time::{Duration, Instant};

use fitvision_integration_tests::{Suite, shared_video};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn video_without_activity_uploads_then_fails_with_a_clear_reason() {
    // The smallest clip of the set keeps the pose pass short.
    let Some(clip) = shared_video("jumpingjack_black_bg.mp4") else {
        return;
    };
    let suite = Suite::start().await.expect("suite starts");
    let edge = suite.edge_url();
    let client = reqwest::Client::new();
    let token: Value = client
        .post(format!("{edge}/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "admin"),
            ("client_secret", suite.admin_key.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().expect("token").to_owned();

    let bytes = std::fs::read(&clip).unwrap();
    let created: Value = client
        .post(format!("{edge}/videos"))
        .header("authorization", &token)
        .json(&json!({"filename": "clip.mp4", "size": bytes.len()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().expect("id").to_owned();
    let mut form = Form::new();
    for (key, value) in created["fields"].as_object().expect("fields") {
        form = form.text(key.clone(), value.as_str().unwrap().to_owned());
    }
    form = form.part(
        "file",
        Part::bytes(bytes)
            .file_name("clip.mp4")
            .mime_str("video/mp4")
            .unwrap(),
    );
    let upload = client
        .post(created["url"].as_str().unwrap())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 204, "{}", upload.text().await.unwrap());

    let started = Instant::now();
    let analysis = loop {
        let body: Value = client
            .get(format!("{edge}/videos/{id}/analysis"))
            .header("authorization", &token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if body["status"] != "Pending" || started.elapsed() > Duration::from_secs(600) {
            break body;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(analysis["status"], "Failed", "{analysis}");
    assert_eq!(analysis["reason"], "UNKNOWN_ACTIVITY", "{analysis}");
    assert!(
        analysis["reasonDetail"]
            .as_str()
            .is_some_and(|d| d.contains("no exercise")),
        "{analysis}"
    );
}
