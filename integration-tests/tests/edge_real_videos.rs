//! The edge over the real suite (`fitvision serve`) with real videos from
//! `../shared/videos`: the documented HTTP flows of seeds 000, 001/004 and 003
//! end to end, field names and types as the seeds give them.

use std::path::Path;
use std::time::{Duration, Instant};

use fitvision_integration_tests::{Suite, shared_video};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

fn video_part(path: &Path) -> Part {
    let bytes = std::fs::read(path).expect("video readable");
    Part::bytes(bytes)
        .file_name(path.file_name().unwrap().to_string_lossy().into_owned())
        .mime_str("video/mp4")
        .unwrap()
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text })),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn trainer_submit_reports_metrics_and_cheat_detection_on_real_videos() {
    let (Some(squat), Some(jump)) = (
        shared_video("squat_side_3reps.mp4"),
        shared_video("jump_cmj_overlay78cm.mp4"),
    ) else {
        return;
    };
    let suite = Suite::start().await.expect("suite starts");
    let edge = suite.edge_url();
    let auth = format!("API-KEY {}", suite.admin_key);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(900))
        .build()
        .unwrap();

    let (status, created) = json_of(
        client
            .post(format!("{edge}/session/create"))
            .header("authorization", &auth)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let session = created["session_id"].as_str().unwrap().to_owned();

    let started = Instant::now();
    let form = Form::new()
        .text("exercise_type", "squat")
        .part("video", video_part(&squat));
    let (status, body) = json_of(
        client
            .post(format!("{edge}/session/{session}/submit-exercise"))
            .header("authorization", &auth)
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    eprintln!(
        "squat_side_3reps.mp4: HTTP {status} in {:.1} s: rep_count={} cheat={}",
        started.elapsed().as_secs_f64(),
        body["metrics"]["rep_count"],
        body["cheat_detection"]
    );
    assert!(status == 200 || status == 403, "{body}");
    let cheat = if status == 200 {
        &body["cheat_detection"]
    } else {
        &body["detail"]["cheat_detection"]
    };
    assert!(cheat["score"].is_number(), "{body}");
    assert!(["LOW", "MEDIUM", "HIGH"].contains(&cheat["risk_level"].as_str().unwrap()));
    assert!(cheat["blocked"].is_boolean());
    assert!(!cheat["checks"].as_array().unwrap().is_empty());
    if status == 200 {
        let reps = body["metrics"]["rep_count"]
            .as_u64()
            .expect("rep_count is an integer");
        // Ground truth: 3 reps (high confidence).
        assert!(reps.abs_diff(3) <= 1, "squat reps {reps}, truth 3");
    }

    let form = Form::new()
        .text("exercise_type", "vertical_jump")
        .part("video", video_part(&jump));
    let (status, body) = json_of(
        client
            .post(format!("{edge}/session/{session}/submit-exercise"))
            .header("authorization", &auth)
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    eprintln!(
        "jump_cmj_overlay78cm.mp4: HTTP {status}: jump_height_cm={} rep_count={}",
        body["metrics"]["jump_height_cm"], body["metrics"]["rep_count"]
    );
    assert!(status == 200 || status == 403, "{body}");
    if status == 200 {
        assert!(body["metrics"]["jump_height_cm"].is_number(), "{body}");
    }

    let (status, body) = json_of(
        client
            .get(format!("{edge}/session/{session}/status"))
            .header("authorization", &auth)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body["exercises_completed"].is_u64());
    let (status, summary) = json_of(
        client
            .get(format!("{edge}/session/{session}/summary"))
            .header("authorization", &auth)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    if summary["total_exercises"].as_u64().unwrap() > 0 {
        let (status, body) = json_of(
            client
                .post(format!("{edge}/session/{session}/generate-ai-analysis"))
                .header("authorization", &auth)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(body["ai_analysis"].as_str().unwrap().len() > 20, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn jumping_session_details_export_and_ranged_download() {
    let Some(jump) = shared_video("jump_cmj_overlay78cm.mp4") else {
        return;
    };
    let suite = Suite::start().await.expect("suite starts");
    let edge = suite.edge_url();
    let auth = format!("API-KEY {}", suite.admin_key);
    let client = reqwest::Client::new();

    let form = Form::new()
        .text("user_id", "athlete-1")
        .text("exercise_name", "vertical_jump")
        .text("session_name", "CMJ test")
        .part("video", video_part(&jump));
    let (status, body) = json_of(
        client
            .post(format!("{edge}/jumping/sessions/"))
            .header("authorization", &auth)
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["title"], "CMJ test");
    let id = body["session_id"].as_str().unwrap().to_owned();

    // Poll the details until the analysis finishes.
    let deadline = Instant::now() + Duration::from_secs(600);
    let details = loop {
        let (status, body) = json_of(
            client
                .get(format!("{edge}/jumping/sessions/{id}/"))
                .header("authorization", &auth)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let state = body["status"].as_str().unwrap_or_default().to_owned();
        if ["completed", "failed", "blocked"].contains(&state.as_str()) || Instant::now() > deadline
        {
            break body;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    eprintln!(
        "jumping details: status={} metrics={}",
        details["status"], details["metrics"]
    );
    assert_eq!(details["activity"], "Jumping");
    assert_eq!(details["exercise"], "vertical_jump");
    assert!(details["created_at"]["date"].as_str().unwrap().len() == 10);
    assert!(
        details["metrics"].is_object()
            && details["angles"].is_object()
            && details["all_timestamps"].is_array()
    );

    let (status, export) = json_of(
        client
            .get(format!("{edge}/jumping/sessions/{id}/export/"))
            .header("authorization", &auth)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{export}");
    assert_eq!(export["activity"], "Jumping");

    // The original video: signed URL, byte ranges.
    let url = details["video_url"].as_str().expect("video_url").to_owned();
    let size = std::fs::metadata(&jump).unwrap().len();
    let ranged = client
        .get(&url)
        .header("range", "bytes=0-1023")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(
        ranged.headers()["content-range"].to_str().unwrap(),
        format!("bytes 0-1023/{size}")
    );
    assert_eq!(ranged.bytes().await.unwrap().len(), 1024);
}

#[tokio::test(flavor = "multi_thread")]
async fn guru_token_create_upload_and_poll_analysis() {
    let Some(pushup) = shared_video("pushup_side_gym_slow.mp4") else {
        return;
    };
    let suite = Suite::start().await.expect("suite starts");
    let edge = suite.edge_url();
    let client = reqwest::Client::new();

    let (status, token) = json_of(
        client
            .post(format!("{edge}/oauth2/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "admin"),
                ("client_secret", suite.admin_key.as_str()),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{token}");
    let token = token["access_token"].as_str().unwrap().to_owned();

    let size = std::fs::metadata(&pushup).unwrap().len();
    let (status, created) = json_of(
        client
            .post(format!("{edge}/videos"))
            .header("authorization", &token)
            .json(&json!({"filename": "pushup.mp4", "size": size, "domain": "calisthenics", "activity": "push_up", "repCount": 4}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let mut form = Form::new();
    for (key, value) in created["fields"].as_object().unwrap() {
        form = form.text(key.clone(), value.as_str().unwrap().to_owned());
    }
    form = form.part("file", video_part(&pushup));
    let upload = client
        .post(created["url"].as_str().unwrap())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 204, "{}", upload.text().await.unwrap());

    let started = Instant::now();
    let analysis = loop {
        let (status, body) = json_of(
            client
                .get(format!("{edge}/videos/{id}/analysis"))
                .header("authorization", &token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        if body["status"] != "Pending" || started.elapsed() > Duration::from_secs(600) {
            break body;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    eprintln!(
        "pushup_side_gym_slow.mp4 via Guru: {} (reason {}: {}) after {:.1} s, reps={}",
        analysis["status"],
        analysis["reason"],
        analysis["reasonDetail"],
        started.elapsed().as_secs_f64(),
        analysis["reps"].as_array().map(Vec::len).unwrap_or(0)
    );
    assert!(
        ["Complete", "Failed"].contains(&analysis["status"].as_str().unwrap()),
        "{analysis}"
    );
    if analysis["status"] == "Complete" {
        let reps = analysis["reps"].as_array().unwrap().len();
        // Ground truth: 4 reps (high confidence).
        assert!(reps.abs_diff(4) <= 1, "push-up reps {reps}, truth 4");
        let (status, j2p) = json_of(
            client
                .get(format!("{edge}/videos/{id}/j2p"))
                .header("authorization", &token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(j2p["resolutionWidth"], json!(960));
        let points = j2p["jointToPoints"]["leftShoulder"].as_array().unwrap();
        assert!(!points.is_empty());
        for point in points {
            let x = point["position"]["x"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&x));
        }
    } else {
        assert!(analysis["reason"].is_string());
    }
    let (status, video) = json_of(
        client
            .get(format!("{edge}/videos/{id}?include=analysis"))
            .header("authorization", &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        ["Success", "Failed"].contains(&video["status"].as_str().unwrap()),
        "{video}"
    );
    assert!(video["overlays"]["skeleton"]["status"].is_string());
}
