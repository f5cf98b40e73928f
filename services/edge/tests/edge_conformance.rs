//! Conformance of every documented endpoint of the five documented APIs: status
//! codes, field names and types, documented errors, against an in-process fake
//! session service (real gRPC, deterministic answers).

mod support;

use reqwest::multipart::Form;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{Harness, json_of, video_part};

const ADMIN: &str = "API-KEY admin-key";
const USER: &str = "API-KEY user-key";
const USER2: &str = "Bearer user2-key";

fn is_dmy(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[2] == b'/'
        && b[5] == b'/'
        && s.chars().filter(char::is_ascii_digit).count() == 8
}

fn is_hm_ampm(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 8 && b[2] == b':' && (s.ends_with(" AM") || s.ends_with(" PM"))
}

// --------------------------------------------------- AI Exercise Trainer API

async fn create_workout(h: &Harness, auth: &str) -> String {
    let (status, body) = h
        .send_json(reqwest::Method::POST, "/session/create", auth)
        .await;
    assert_eq!(status, 200, "{body}");
    body["session_id"].as_str().unwrap().to_owned()
}

async fn submit(h: &Harness, session: &str, exercise: &str, file: &str) -> (StatusCode, Value) {
    let form = Form::new()
        .text("exercise_type", exercise.to_owned())
        .part("video", video_part(file));
    h.send_multipart(
        Method::POST,
        &format!("/session/{session}/submit-exercise"),
        USER,
        form,
    )
    .await
}

#[tokio::test]
async fn trainer_workflow_matches_the_ai_exercise_trainer_api() {
    let h = Harness::start().await;
    let session = create_workout(&h, USER).await;

    // AI analysis needs at least one completed exercise.
    let (status, body) = h
        .send_json(
            reqwest::Method::POST,
            &format!("/session/{session}/generate-ai-analysis"),
            USER,
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["detail"].is_string(), "{body}");

    // The name the API document lists ("Pushups") is accepted as the exercise type.
    let (status, body) = submit(&h, &session, "Pushups", "pushup.mp4").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["exercise_type"], "pushup");
    assert_eq!(body["metrics"]["rep_count"], json!(3));
    let cheat = &body["cheat_detection"];
    assert!(cheat["score"].is_number());
    assert_eq!(cheat["risk_level"], "LOW");
    assert_eq!(cheat["blocked"], false);
    let checks = cheat["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 4);
    for check in checks {
        assert!(
            check["check"].is_string()
                && check["score"].is_number()
                && check["flagged"].is_boolean()
        );
    }

    let (status, body) = submit(&h, &session, "vertical_jump", "jump.mp4").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["metrics"]["jump_height_cm"], json!(41.5));
    assert_eq!(body["exercise_type"], "vertical_jump");

    // Blocked by cheat detection: 403 with the report in `detail`.
    let (status, body) = submit(&h, &session, "squat", "blocked.mp4").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["detail"]["cheat_detection"]["blocked"], true);
    assert_eq!(body["detail"]["cheat_detection"]["risk_level"], "HIGH");

    // No confident pose: 422 with the Guru reason code.
    let (status, body) = submit(&h, &session, "squat", "lowpose.mp4").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["detail"]["reason"], "LOW_QUALITY_POSE_ESTIMATE");

    let (status, body) = submit(&h, &session, "deadlift", "x.mp4").await;
    assert_eq!(status, 400);
    assert!(body["detail"].as_str().unwrap().contains("exercise_type"));

    // Missing video.
    let (status, body) = h
        .send_multipart(
            Method::POST,
            &format!("/session/{session}/submit-exercise"),
            USER,
            Form::new().text("exercise_type", "squat"),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["detail"].as_str().unwrap().contains("video"));

    // The file before the text field still works (spooled to disk).
    let form = Form::new()
        .part("video", video_part("squat.mp4"))
        .text("exercise_type", "squat");
    let response = h
        .client
        .post(h.url(&format!("/session/{session}/submit-exercise")))
        .header("authorization", USER)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let (status, body) = h
        .get_json(&format!("/session/{session}/status"), USER)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["exercises_completed"], json!(3));

    let (status, body) = h
        .send_json(
            reqwest::Method::POST,
            &format!("/session/{session}/generate-ai-analysis"),
            USER,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["ai_analysis"].as_str().unwrap().len() > 5);
    assert_eq!(body["language"], "en");
    let generated = body["ai_analysis"].clone();

    let (status, body) = h
        .get_json(&format!("/session/{session}/summary"), USER)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["total_exercises"], json!(3));
    assert_eq!(body["exercises"].as_array().unwrap().len(), 3);
    // One shape: the summary's ai_analysis is the text generate-ai-analysis returned.
    assert_eq!(body["ai_analysis"], generated, "{body}");
    assert_eq!(body["ai_analysis_status"], "complete");
    // Feedback in the language the client prefers.
    let response = h
        .client
        .post(h.url(&format!("/session/{session}/generate-ai-analysis")))
        .header("Authorization", USER)
        .header("Accept-Language", "zh-CN,zh;q=0.9")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["language"], "zh");

    let (status, body) = h.get_json("/sessions", USER).await;
    assert_eq!(status, 200);
    assert!(
        body["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["session_id"] == session.as_str())
    );

    let (status, _) = h
        .send_json(
            reqwest::Method::DELETE,
            &format!("/session/{session}"),
            USER,
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = h
        .get_json(&format!("/session/{session}/status"), USER)
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["detail"], "Session not found");
}

// ----------------------------------------------- Weightlifting and Retrieval APIs

async fn create_lift(
    h: &Harness,
    auth: &str,
    path: &str,
    exercise: &str,
    user: &str,
) -> (StatusCode, Value) {
    let form = Form::new()
        .text("user_id", user.to_owned())
        .text("exercise_name", exercise.to_owned())
        .text("body_joint_angles", "knee,hip")
        .part("video", video_part("lift.mp4"));
    h.send_multipart(Method::POST, path, auth, form).await
}

#[tokio::test]
async fn body_joint_angles_may_be_sent_as_a_repeated_field_or_a_form_array() {
    let h = Harness::start().await;
    for name in ["body_joint_angles", "body_joint_angles[]"] {
        let form = Form::new()
            .text("user_id", "u1")
            .text("exercise_name", "snatch")
            .text(name, "knee")
            .text(name, "hip")
            .part("video", video_part("lift.mp4"));
        let (status, body) = h
            .send_multipart(Method::POST, "/weightlifting/sessions/", ADMIN, form)
            .await;
        assert_eq!(status, 200, "{name}: {body}");
        let id = body["session_id"].as_str().unwrap().to_owned();
        let (status, body) = h
            .get_json(&format!("/weightlifting/sessions/{id}/"), ADMIN)
            .await;
        assert_eq!(status, 200, "{body}");
        // Both values kept (the first one too): knee in, elbow out, as with "knee,hip".
        assert_eq!(
            body["angles"]["lkne_angle"],
            json!([170.0, 90.0, 170.0]),
            "{name}: {body}"
        );
        assert!(body["angles"].get("lelb_angle").is_none(), "{name}: {body}");
    }
    // A wrong joint among repeated values is named in the documented 400.
    let form = Form::new()
        .text("user_id", "u1")
        .text("exercise_name", "snatch")
        .text("body_joint_angles", "knee")
        .text("body_joint_angles", "toe")
        .part("video", video_part("lift.mp4"));
    let (status, body) = h
        .send_multipart(Method::POST, "/weightlifting/sessions/", ADMIN, form)
        .await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("'toe'"), "{body}");
}

#[tokio::test]
async fn weightlifting_family_matches_the_weightlifting_and_retrieval_apis() {
    let h = Harness::start().await;
    let (status, body) = create_lift(&h, ADMIN, "/weightlifting/sessions/", "snatch", "u1").await;
    assert_eq!(status, 200, "{body}");
    let id = body["session_id"].as_str().unwrap().to_owned();
    assert_eq!(body["title"], "Snatch session");

    // Documented errors of the create call.
    let (status, body) = create_lift(&h, USER, "/weightlifting/sessions/", "snatch", "u2").await;
    assert_eq!(status, 403);
    assert!(body["error"].is_string());
    let (status, body) = create_lift(&h, ADMIN, "/weightlifting/sessions/", "bench", "u1").await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("snatch"));
    let form = Form::new()
        .text("user_id", "u1")
        .text("exercise_name", "clean");
    let (status, body) = h
        .send_multipart(Method::POST, "/weightlifting/sessions/", ADMIN, form)
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "video is required");

    let (status, body) = h
        .get_json(&format!("/weightlifting/sessions/{id}/"), ADMIN)
        .await;
    assert_eq!(status, 200, "{body}");
    for field in [
        "analyzed_video_url",
        "video_url",
        "created_at",
        "exercise",
        "user_name",
        "activity",
        "title",
        "metrics",
        "angles",
        "report_metrics",
        "all_timestamps",
    ] {
        assert!(body.get(field).is_some(), "missing {field}: {body}");
    }
    assert!(body["video_url"].as_str().unwrap().starts_with("http"));
    assert!(
        is_dmy(body["created_at"]["date"].as_str().unwrap()),
        "{body}"
    );
    assert!(
        is_hm_ampm(body["created_at"]["time"].as_str().unwrap()),
        "{body}"
    );
    assert_eq!(body["activity"], "Weightlifting");
    assert_eq!(body["exercise"], "snatch");
    assert_eq!(body["metrics"]["max_bar_speed_m_s"], json!(1.8));
    // body_joint_angles=knee,hip filters the elbow out.
    assert_eq!(body["angles"]["lkne_angle"], json!([170.0, 90.0, 170.0]));
    assert!(body["angles"].get("lelb_angle").is_none());
    assert_eq!(
        body["report_metrics"]["bar_velocity"],
        json!([0.0, 1.8, 0.2])
    );
    assert_eq!(body["all_timestamps"], json!([0.0, 0.5, 1.0]));

    // Wrong activity: 404.
    let (status, body) = h.get_json(&format!("/jumping/sessions/{id}/"), ADMIN).await;
    assert_eq!(status, 404);
    assert!(body["error"].is_string());

    let (status, body) = h
        .get_json(&format!("/weightlifting/sessions/{id}/export/"), ADMIN)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["activity"], "Weightlifting");
    assert_eq!(body["keypoints"]["lknex"].as_array().unwrap().len(), 2);
    assert!(body["keypoints"]["lknev"][0].is_number());
    assert!(
        body["angles"].is_object()
            && body["metrics"].is_object()
            && body["all_timestamps"].is_array()
    );

    let (status, body) = h
        .get_json(
            &format!("/weightlifting/sessions/{id}/lift-analysis/"),
            ADMIN,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["exercise"], "snatch");
    assert_eq!(
        body["key_metrics"]["barbell_velocity"],
        json!([0.0, 1.8, 0.2])
    );
    assert_eq!(
        body["key_metrics"]["power_output"],
        json!([100.0, 2400.0, 300.0])
    );
    // Images keyed by event as in the Weightlifting API (`start_of_lifting`, `first_pull_end`).
    assert!(
        body["phase_data"]["first_pull_end"]["image_url"]
            .as_str()
            .unwrap()
            .contains("/files/")
    );
    assert_eq!(
        body["phase_data"]["start_of_lifting"]["image_url"],
        Value::Null
    );
    assert_eq!(
        body["phase_data"]["second_pull_end"]["image_url"],
        Value::Null
    );
    assert_eq!(
        body["chart_data"]["first_pull"],
        json!({"start": 0.0, "end": 536.0})
    );
    assert_eq!(body["user_information"]["display_name"], "User u1");
    assert!(is_dmy(body["session_date"].as_str().unwrap()));
    assert_eq!(body["comments"], json!({}));

    // Summary threads, then the summary carries their text.
    let (status, threads) = h
        .send_json(
            reqwest::Method::POST,
            &format!("/weightlifting/sessions/{id}/summary/"),
            ADMIN,
        )
        .await;
    assert_eq!(status, 200);
    for topic in ["velocity", "power", "stability", "final_summary"] {
        assert!(threads[topic].is_string(), "{threads}");
    }
    let (status, body) = h
        .get_json(&format!("/weightlifting/sessions/{id}/summary/"), ADMIN)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["exercise_type"], "Snatch");
    assert_eq!(body["velocity"]["bar_velocity"]["max"], json!(1.8));
    assert_eq!(body["power"]["power"]["min"], json!(100.0));
    assert_eq!(body["stability"]["total_time"], json!(3.0));
    assert_eq!(body["stability"]["bar_height"]["max"], json!(1.4));
    assert_eq!(
        body["stability"]["bar_trajectory"]["xAxis"],
        json!([0.0, 0.05, 0.02])
    );
    assert_eq!(
        body["stability"]["bar_trajectory"]["yAxis"],
        json!([0.2, 0.9, 1.4])
    );
    assert_eq!(body["summary_text"]["power"], "Coaching about power.");

    let (status, threads) = h
        .send_json(
            reqwest::Method::POST,
            &format!("/weightlifting/sessions/{id}/recommendation/?measurement_system=imperial"),
            ADMIN,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(threads.as_object().unwrap().len(), 12);
    let thread_id = threads["knee_angle"].as_str().unwrap();
    let (status, thread) = h.get_json(&format!("/threads/{thread_id}"), ADMIN).await;
    assert_eq!(status, 200);
    assert_eq!(thread["status"], "complete");
    assert_eq!(thread["measurement_system"], "imperial");
    assert!(thread["comment"].is_string());
    let (status, body) = h
        .get_json(
            &format!("/weightlifting/sessions/{id}/lift-analysis/"),
            ADMIN,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["comments"].as_object().unwrap().len(), 12);

    let (status, body) = h
        .send_json(
            reqwest::Method::POST,
            &format!("/weightlifting/sessions/{id}/recommendation/?measurement_system=cubits"),
            ADMIN,
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["error"].is_string());

    // The comments' language: the query parameter, else Accept-Language, else English.
    let h = &h;
    let language_of = |threads: Value| async move {
        let id = threads["power"].as_str().unwrap().to_owned();
        let (_, thread) = h.get_json(&format!("/threads/{id}"), ADMIN).await;
        thread["language"].clone()
    };
    let summary = format!("/weightlifting/sessions/{id}/summary/");
    let (status, threads) = h
        .send_json(
            reqwest::Method::POST,
            &format!("{summary}?language=zh-Hant"),
            ADMIN,
        )
        .await;
    assert_eq!(status, 200, "{threads}");
    assert_eq!(language_of(threads).await, "zh");
    let response = h
        .client
        .post(h.url(&summary))
        .header("Authorization", ADMIN)
        .header("Accept-Language", "fr-FR, zh-TW;q=0.8, en;q=0.5")
        .send()
        .await
        .unwrap();
    let (status, threads) = json_of(response).await;
    assert_eq!(status, 200, "{threads}");
    assert_eq!(language_of(threads).await, "zh");
    let (_, threads) = h.send_json(reqwest::Method::POST, &summary, ADMIN).await;
    assert_eq!(language_of(threads).await, "en");
    let (status, body) = h
        .send_json(
            reqwest::Method::POST,
            &format!("{summary}?language=fr"),
            ADMIN,
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"],
        "unsupported language 'fr': use one of en, zh"
    );

    // demo=true serves a real analysed session.
    let (status, body) = h
        .get_json("/weightlifting/sessions/anything/?demo=true", ADMIN)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["session_id"], id.as_str());
    let (status, body) = h
        .get_json("/running/sessions/anything/?demo=true", ADMIN)
        .await;
    assert_eq!(status, 404);
    assert!(body["error"].as_str().unwrap().contains("demo"));

    // Analysed video: generated on demand, then a signed URL with Range support.
    let response = h
        .client
        .get(h.url(&format!("/sessions/{id}/analyzed-video/")))
        .header("authorization", ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let (status, body) = h
        .get_json(
            &format!("/session-management/sessions/{id}/analyzed-video/"),
            ADMIN,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let url = body["analyzed_video_url"].as_str().unwrap().to_owned();
    let full = h.client.get(&url).send().await.unwrap();
    assert_eq!(full.status(), 200);
    assert_eq!(
        full.bytes().await.unwrap().len(),
        support::video_bytes().len()
    );
    let part = h
        .client
        .get(&url)
        .header("range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert!(
        part.headers()["content-range"]
            .to_str()
            .unwrap()
            .starts_with("bytes 100-199/")
    );
    assert_eq!(
        part.bytes().await.unwrap().as_ref(),
        &support::video_bytes()[100..200]
    );
    let tampered = url.replace("sig=", "sig=x");
    assert_eq!(h.client.get(&tampered).send().await.unwrap().status(), 403);
    let (status, body) = h
        .get_json(&format!("/weightlifting/sessions/{id}/"), ADMIN)
        .await;
    assert_eq!(status, 200);
    assert!(
        body["analyzed_video_url"]
            .as_str()
            .unwrap()
            .starts_with("http")
    );
}

#[tokio::test]
async fn jumping_and_running_sessions_are_created_and_read() {
    let h = Harness::start().await;
    let (status, body) = create_lift(&h, ADMIN, "/jumping/sessions/", "vertical_jump", "u1").await;
    assert_eq!(status, 200, "{body}");
    let id = body["session_id"].as_str().unwrap().to_owned();
    let (status, body) = h.get_json(&format!("/jumping/sessions/{id}/"), ADMIN).await;
    assert_eq!(status, 200);
    assert_eq!(body["activity"], "Jumping");
    assert_eq!(body["metrics"]["jump_height_cm"], json!(41.5));
    let (status, _) = h
        .get_json(&format!("/jumping/sessions/{id}/export/"), ADMIN)
        .await;
    assert_eq!(status, 200);
    let (status, body) = create_lift(&h, USER, "/running/sessions/", "sprint", "u1").await;
    assert_eq!(status, 200, "{body}");
    let id = body["session_id"].as_str().unwrap().to_owned();
    let (status, body) = h.get_json(&format!("/running/sessions/{id}/"), USER).await;
    assert_eq!(status, 200);
    assert_eq!(body["activity"], "Running");
}

// --------------------------------------------------------------- AI Move API

#[tokio::test]
async fn ai_move_matches_the_ai_move_api() {
    let h = Harness::start().await;
    let get = |path: &str, auth: &str| {
        h.client
            .get(h.url(path))
            .header("authorization", auth.to_owned())
    };

    let (status, body) = json_of(
        get("/api/ai-move/exercises", "Bearer user-key")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let first = &body["exercises"][0];
    for field in [
        "exerciseId",
        "clientId",
        "name",
        "type",
        "targetValue",
        "category",
        "difficulty",
        "enabled",
        "sortOrder",
    ] {
        assert!(first.get(field).is_some(), "missing {field}");
    }
    let (status, body) = json_of(
        get("/api/ai-move/exercises/squat-basic", "Bearer user-key")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["exercise"]["algorithm"], json!({"mode": "rule"}));
    assert_eq!(body["exercise"]["nameZh"], "基礎深蹲");
    let (status, body) = json_of(
        get("/api/ai-move/exercises/nope", "Bearer user-key")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "Exercise not found");

    // Module not enabled for the client.
    let (status, body) = json_of(
        get("/api/ai-move/exercises", "Bearer other-key")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403);
    assert!(body["error"].as_str().unwrap().contains("not enabled"));

    let post = |body: Value| {
        h.client
            .post(h.url("/api/ai-move/sessions"))
            .header("authorization", "Bearer user-key")
            .json(&body)
    };
    let (status, created) = json_of(
        post(json!({"exerciseId": "squat-basic", "exerciseType": "rep", "targetReps": 10}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "created");
    assert_eq!(created["targetReps"], json!(10));
    assert_eq!(created["repsCompleted"], json!(0));
    assert_eq!(created["formScore"], Value::Null);
    assert_eq!(created["userId"], "u1");
    assert_eq!(created["clientId"], "gofa");
    assert!(created["createdAt"].as_str().unwrap().ends_with('Z'));
    let id = created["sessionId"].as_str().unwrap().to_owned();
    for bad in [
        json!({"exerciseId": "squat-basic", "exerciseType": "sprint"}),
        json!({"exerciseId": "squat-basic", "exerciseType": "rep", "targetReps": 0}),
        json!({"exerciseType": "rep"}),
    ] {
        let (status, body) = json_of(post(bad.clone()).send().await.unwrap()).await;
        assert_eq!(status, 400, "{bad} -> {body}");
        assert!(body["error"].is_string());
    }
    let (status, _) = json_of(post(json!({"exerciseId": "plank-hold", "exerciseType": "timer", "targetDurationSeconds": 30})).send().await.unwrap()).await;
    assert_eq!(status, 201);

    // Cursor pagination, newest first.
    let (status, page) = json_of(
        get("/api/ai-move/sessions?limit=1", "Bearer user-key")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["sessions"].as_array().unwrap().len(), 1);
    let cursor = page["sessions"][0]["sessionId"].as_str().unwrap();
    let (_, next) = json_of(
        get(
            &format!("/api/ai-move/sessions?limit=1&startAfter={cursor}"),
            "Bearer user-key",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(next["sessions"][0]["sessionId"], id.as_str());
    let (status, _) = json_of(
        get("/api/ai-move/sessions?limit=101", "Bearer user-key")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);

    let (status, body) = json_of(
        get(&format!("/api/ai-move/sessions/{id}"), "Bearer user-key")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["session"]["sessionId"], id.as_str());
    let (status, _) = json_of(
        get(&format!("/api/ai-move/sessions/{id}"), USER2)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = json_of(
        get("/api/ai-move/sessions/missing", "Bearer user-key")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);

    let patch = |auth: &str, body: Value| {
        h.client
            .patch(h.url(&format!("/api/ai-move/sessions/{id}")))
            .header("authorization", auth.to_owned())
            .json(&body)
    };
    let done = json!({"status": "completed", "completionOutcome": "success", "repsCompleted": 10, "durationSeconds": 45, "caloriesBurned": 8, "poseAccuracy": 0.92, "formScore": 0.88});
    let (status, body) =
        json_of(patch("Bearer user-key", done.clone()).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"success": true}));
    let (_, body) = json_of(
        get(&format!("/api/ai-move/sessions/{id}"), "Bearer user-key")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(body["session"]["status"], "completed");
    assert_eq!(body["session"]["repsCompleted"], json!(10));
    assert_eq!(body["session"]["formScore"], json!(0.88));
    assert_eq!(body["session"]["completionOutcome"], "success");
    let (status, _) = json_of(
        patch("Bearer user-key", json!({"poseAccuracy": 1.5}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = json_of(
        patch("Bearer user-key", json!({"status": "paused"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = json_of(patch(USER2, done).send().await.unwrap()).await;
    assert_eq!(status, 403);

    let (status, body) = json_of(
        get("/api/ai-move/records?limit=5", "Bearer admin-key")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["count"], json!(2));
    let record = &body["data"][0];
    for field in [
        "id",
        "clientId",
        "userId",
        "exerciseId",
        "exerciseType",
        "status",
        "repsCompleted",
        "durationSeconds",
        "caloriesBurned",
        "createdAt",
        "completedAt",
    ] {
        assert!(record.get(field).is_some(), "missing {field}");
    }
    assert!(
        record["createdAt"].as_str().unwrap().ends_with(".000Z")
            || record["createdAt"].as_str().unwrap().len() == 24
    );
    let (status, _) = json_of(
        get("/api/ai-move/records", "Bearer user-key")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = json_of(
        get("/api/ai-move/records?limit=501", "Bearer admin-key")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
}

// ------------------------------------------------------------------ Guru API

async fn guru_token(h: &Harness) -> String {
    let response = h
        .client
        .post(h.url("/oauth2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&client_id=admin&client_secret=admin-key&scope=https://api.getguru.fitness/default")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["expires_in"].as_u64().unwrap() > 0);
    assert_eq!(body["token_type"], "Bearer");
    body["access_token"].as_str().unwrap().to_owned()
}

async fn guru_create(h: &Harness, token: &str, size: usize) -> Value {
    let (status, body) = h.send_with_json(Method::POST, "/videos", token, &json!({"filename": "workout.mp4", "size": size, "domain": "calisthenics", "activity": "push_up", "repCount": 3, "source": "tests"})).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn guru_upload(
    h: &Harness,
    created: &Value,
    bytes: Vec<u8>,
    name: &str,
) -> reqwest::Response {
    let mut form = Form::new();
    for (key, value) in created["fields"].as_object().unwrap() {
        form = form.text(key.clone(), value.as_str().unwrap().to_owned());
    }
    form = form.part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    h.client
        .post(created["url"].as_str().unwrap())
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn guru_flow_matches_the_guru_api() {
    let h = Harness::start().await;
    let token = guru_token(&h).await;

    // Token errors in RFC 6749 shape.
    let bad = h
        .client
        .post(h.url("/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "admin"),
            ("client_secret", "nope"),
        ])
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(bad).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    let bad = h
        .client
        .post(h.url("/oauth2/token"))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(bad).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "unsupported_grant_type");

    let bytes = support::video_bytes();
    let created = guru_create(&h, &token, bytes.len()).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(created["url"].as_str().unwrap().starts_with("http"));
    assert!(created["fields"]["policy"].is_string());

    // Bare token (Guru style) works; before upload the video is Pending.
    let (status, body) = h.get_json(&format!("/videos/{id}"), &token).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "Pending");

    // Size must match the declaration.
    let response = guru_upload(&h, &created, bytes[..1000].to_vec(), "workout.mp4").await;
    assert_eq!(response.status(), 400);
    // A forged policy is refused.
    let mut forged = created.clone();
    forged["fields"]["x-fitvision-signature"] = json!("AAAA");
    let (status, body) =
        json_of(guru_upload(&h, &forged, bytes.clone(), "workout.mp4").await).await;
    assert_eq!(status, 403);
    assert!(body["message"].is_string());

    // The file before the policy fields is refused unread (S3 presigned-POST order).
    let mut form = Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes.clone()).file_name("workout.mp4"),
    );
    for (key, value) in created["fields"].as_object().unwrap() {
        form = form.text(key.clone(), value.as_str().unwrap().to_owned());
    }
    let response = h
        .client
        .post(created["url"].as_str().unwrap())
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("must come after"),
        "{body}"
    );

    let response = guru_upload(&h, &created, bytes.clone(), "workout.mp4").await;
    assert_eq!(response.status(), 204);

    let (status, body) = h
        .get_json(
            &format!("/videos/{id}?include=j2p,analysis,objects"),
            &token,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "Success");
    assert_eq!(body["fps"], json!(30.0));
    assert!(body["uri"].as_str().unwrap().contains("/files/"));
    for overlay in ["skeleton", "all"] {
        let s = body["overlays"][overlay]["status"].as_str().unwrap();
        assert!(s == "Pending" || s == "Complete", "{body}");
    }
    assert_eq!(body["analysis"]["status"], "Complete");
    assert_eq!(body["analysis"]["reps"].as_array().unwrap().len(), 3);
    let rep = &body["analysis"]["reps"][0];
    for field in [
        "startTimestampMs",
        "midTimestampMs",
        "endTimestampMs",
        "analyses",
    ] {
        assert!(rep.get(field).is_some());
    }
    assert_eq!(rep["analyses"][0]["analysisType"], "HIP_KNEE_ANGLE_DEGREES");
    assert_eq!(rep["analyses"][0]["analysisOpinion"], "good");
    let ankle = &body["j2p"]["jointToPoints"]["leftAnkle"][1];
    assert_eq!(ankle["part"], "leftAnkle");
    assert_eq!(ankle["frame_idx"], json!(1));
    assert_eq!(ankle["timestamp"], json!(0.1));
    let x = ankle["position"]["x"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&x));
    assert_eq!(body["j2p"]["resolutionWidth"], json!(640));
    assert_eq!(
        body["objects"][0]["boundingBoxes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Second look: overlays have been built.
    let (_, body) = h.get_json(&format!("/videos/{id}"), &token).await;
    assert_eq!(body["overlays"]["skeleton"]["status"], "Complete");
    assert!(
        body["overlays"]["all"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("http")
    );

    let (status, body) = h.get_json(&format!("/videos/{id}/analysis"), &token).await;
    assert_eq!(status, 200);
    assert_eq!(body["domain"], "calisthenics");
    assert_eq!(body["activity"], "push_up");
    let (status, body) = h.get_json(&format!("/videos/{id}/j2p"), &token).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "Complete");
    assert_eq!(body["jointToPoints"].as_object().unwrap().len(), 17);
    assert!(body["analysis"]["reps"].is_array());

    let (status, body) = h
        .send_with_json(
            Method::PUT,
            &format!("/videos/{id}"),
            &token,
            &json!({"repCount": 10}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"id": id}));
    let (status, _) = h
        .send_with_json(
            Method::PUT,
            &format!("/videos/{id}"),
            &token,
            &json!({"activity": "moonwalk"}),
        )
        .await;
    assert_eq!(status, 400);
    let (status, body) = h.get_json("/videos/unknown", &token).await;
    assert_eq!(status, 404);
    assert!(body["message"].is_string());
    let (status, _) = h
        .get_json(&format!("/videos/{id}?include=bogus"), &token)
        .await;
    assert_eq!(status, 400);

    // A failed analysis reports Failed + LOW_QUALITY_POSE_ESTIMATE.
    // The fake fails files named *lowpose*: the policy's filename is what counts.
    let lowpose = h
        .client
        .post(h.url("/videos"))
        .header("authorization", token.clone())
        .json(&json!({"filename": "lowpose.mp4", "size": bytes.len()}))
        .send()
        .await
        .unwrap();
    let (_, lowpose) = json_of(lowpose).await;
    assert_eq!(
        guru_upload(&h, &lowpose, bytes.clone(), "lowpose.mp4")
            .await
            .status(),
        204
    );
    let lid = lowpose["id"].as_str().unwrap();
    let (_, body) = h.get_json(&format!("/videos/{lid}/analysis"), &token).await;
    assert_eq!(body["status"], "Failed");
    assert_eq!(body["reason"], "LOW_QUALITY_POSE_ESTIMATE");

    // Progress as server-sent events.
    let text = h
        .client
        .get(h.url(&format!("/videos/{id}/events")))
        .header("authorization", token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("event: queued"), "{text}");
    assert!(text.contains("event: completed"), "{text}");
}

// ------------------------------------------------------------------ info, docs, limits

#[tokio::test]
async fn docs_and_info_endpoints_are_served_locally() {
    let h = Harness::start().await;
    let landing = h
        .client
        .get(h.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for link in ["/docs", "/redoc", "/api/status"] {
        assert!(
            landing.contains(&format!("href=\"{link}\"")),
            "landing lacks {link}"
        );
    }
    let (status, body) = json_of(h.client.get(h.url("/api/status")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "healthy");

    let (status, spec) = json_of(h.client.get(h.url("/openapi.json")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert!(spec["openapi"].as_str().unwrap().starts_with('3'));
    let paths = spec["paths"].as_object().unwrap();
    for path in [
        "/session/create",
        "/session/{session_id}/submit-exercise",
        "/sessions",
        "/api/status",
        "/weightlifting/sessions/",
        "/weightlifting/sessions/{session_id}/lift-analysis/",
        "/jumping/sessions/{session_id}/export/",
        "/running/sessions/{session_id}/",
        "/sessions/{session_id}/analyzed-video/",
        "/threads/{thread_id}",
        "/api/ai-move/records",
        "/api/ai-move/sessions/{session_id}",
        "/oauth2/token",
        "/videos/{id}/j2p",
        "/videos/{id}/events",
    ] {
        assert!(paths.contains_key(path), "openapi lacks {path}");
    }

    let docs = h
        .client
        .get(h.url("/docs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(docs.contains("/docs/assets/swagger-ui-bundle.js") && !docs.contains("cdn"));
    let bundle = h
        .client
        .get(h.url("/docs/assets/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), 200);
    assert!(bundle.bytes().await.unwrap().len() > 100_000);
    let redoc = h
        .client
        .get(h.url("/redoc"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(redoc.contains("/redoc/assets/redoc.standalone.js"));
    assert_eq!(
        h.client
            .get(h.url("/redoc/assets/redoc.standalone.js"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Unknown paths: JSON 404, request id echoed.
    let response = h.client.get(h.url("/nope")).send().await.unwrap();
    assert!(response.headers().contains_key("x-request-id"));
    let (status, body) = json_of(response).await;
    assert_eq!(status, 404);
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let h = Harness::start_with(|c| {
        c.rate_limit_per_s = 1;
        c.rate_limit_burst = 2;
    })
    .await;
    let call = || {
        h.client
            .get(h.url("/sessions"))
            .header("authorization", USER)
            .send()
    };
    assert_eq!(call().await.unwrap().status(), 200);
    assert_eq!(call().await.unwrap().status(), 200);
    let limited = call().await.unwrap();
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    let (_, body) = json_of(limited).await;
    assert!(body["detail"].is_string());
    // Another key has its own budget.
    assert_eq!(
        h.client
            .get(h.url("/sessions"))
            .header("authorization", ADMIN)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn oversized_uploads_get_413() {
    let h = Harness::start_with(|c| c.max_upload_bytes = 10_000).await;
    let session = create_workout(&h, USER).await;
    let (status, body) = submit(&h, &session, "squat", "big.mp4").await;
    assert_eq!(status, 413, "{body}");
    assert!(body["detail"].is_string());
}

#[tokio::test]
async fn bodies_other_than_uploads_are_refused_past_a_small_limit_unread() {
    let h = Harness::start().await;
    let big = "a".repeat(fitvision_edge::SMALL_BODY_BYTES + 1);
    // The token request is read before anyone is authenticated: it must stay small.
    let response = h
        .client
        .post(h.url("/oauth2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("grant_type=client_credentials&client_id={big}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let (status, _) = h
        .send_with_json(
            Method::POST,
            "/api/ai-move/sessions",
            USER,
            &json!({ "exerciseId": big }),
        )
        .await;
    assert_eq!(status, 413);
    // A video larger than that still uploads.
    let session = create_workout(&h, USER).await;
    let video = vec![7u8; 4 * fitvision_edge::SMALL_BODY_BYTES];
    let form = Form::new().text("exercise_type", "squat").part(
        "video",
        reqwest::multipart::Part::bytes(video).file_name("squat.mp4"),
    );
    let (status, body) = h
        .send_multipart(
            Method::POST,
            &format!("/session/{session}/submit-exercise"),
            USER,
            form,
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_form_refused_after_its_file_stores_nothing() {
    let h = Harness::start().await;
    let session = create_workout(&h, USER).await;
    // Two file parts: 400, and the first one, already streamed, is not kept either.
    let form = Form::new()
        .text("exercise_type", "squat")
        .part("video", video_part("first.mp4"))
        .part("video", video_part("second.mp4"));
    let (status, body) = h
        .send_multipart(
            Method::POST,
            &format!("/session/{session}/submit-exercise"),
            USER,
            form,
        )
        .await;
    assert_eq!(status, 400, "{body}");
    // Give a wrongly committed upload time to show up.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (status, body) = h.get_json(&format!("/v1/sessions/{session}"), USER).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["session"]["videos"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "{body}"
    );
}

#[tokio::test]
async fn annotated_rpcs_are_transcoded_to_json() {
    let h = Harness::start().await;
    let session = create_workout(&h, USER).await;
    let (status, body) = h
        .get_json(
            "/v1/sessions?newest_first=true&limit=20&kind=SESSION_KIND_WORKOUT",
            USER,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sessions"][0]["sessionId"], session.as_str());
    assert_eq!(body["sessions"][0]["kind"], "SESSION_KIND_WORKOUT");
    let (status, body) = h.get_json(&format!("/v1/sessions/{session}"), USER).await;
    assert_eq!(status, 200);
    assert_eq!(body["session"]["userId"], "u1");
    let (status, body) = h
        .send_with_json(
            Method::PATCH,
            &format!("/v1/sessions/{session}"),
            USER,
            &json!({"attributes": {"note": "x"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["session"]["attributes"]["note"], "x");
    let (status, body) = h.get_json("/v1/sessions?limit=lots", USER).await;
    assert_eq!(status, 400);
    assert!(body["error"].is_string());
    let (status, _) = h.get_json(&format!("/v1/sessions/{session}"), USER2).await;
    assert_eq!(status, 403);
    let (status, _) = json_of(
        h.client
            .get(h.url("/v1/catalog/exercises"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
}

/// Frames a protobuf message for grpc-web (flag 0, big-endian length).
fn grpc_web_frame(message: &impl prost::Message) -> Vec<u8> {
    let payload = message.encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    frame.extend_from_slice(&payload);
    frame
}

#[tokio::test]
async fn session_service_is_reachable_over_grpc_web() {
    use fitvision_proto::v1::{ListCatalogExercisesRequest, ListCatalogExercisesResponse};
    use prost::Message;
    let h = Harness::start().await;
    let call = |auth: Option<&str>| {
        let mut request = h
            .client
            .post(h.url("/fitvision.v1.SessionService/ListCatalogExercises"))
            .header("content-type", "application/grpc-web+proto")
            .header("x-grpc-web", "1")
            .header("origin", "http://example.test")
            .body(grpc_web_frame(&ListCatalogExercisesRequest {}));
        if let Some(auth) = auth {
            request = request.header("authorization", auth.to_owned());
        }
        request.send()
    };
    let response = call(Some(USER)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response
            .headers()
            .contains_key("access-control-allow-origin")
    );
    let body = response.bytes().await.unwrap();
    assert_eq!(body[0], 0, "first frame carries the message");
    let length = u32::from_be_bytes(body[1..5].try_into().unwrap()) as usize;
    let reply = ListCatalogExercisesResponse::decode(&body[5..5 + length]).unwrap();
    assert_eq!(reply.exercises.len(), 2);
    let trailers = String::from_utf8_lossy(&body[5 + length + 5..]).to_ascii_lowercase();
    assert!(trailers.contains("grpc-status:0"), "{trailers}");

    // Without a credential the session service answers UNAUTHENTICATED (16).
    let body = call(None).await.unwrap();
    let status = body
        .headers()
        .get("grpc-status")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = String::from_utf8_lossy(&body.bytes().await.unwrap()).to_ascii_lowercase();
    assert!(
        status.as_deref() == Some("16") || text.contains("grpc-status:16"),
        "{status:?} {text}"
    );
}

#[tokio::test]
async fn non_multipart_uploads_get_the_family_error_shape() {
    let h = Harness::start().await;
    let session = create_workout(&h, USER).await;
    let (status, body) = h
        .send_with_json(
            Method::POST,
            &format!("/session/{session}/submit-exercise"),
            USER,
            &json!({"exercise_type": "squat"}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["detail"].as_str().unwrap().contains("multipart"));
    let (status, body) = json_of(
        h.client
            .post(h.url("/weightlifting/sessions/"))
            .header("authorization", ADMIN)
            .body("x")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn the_public_trainer_serves_anonymous_clients_on_the_trainer_routes_only() {
    // Off by default: the trainer wants credentials.
    let closed = Harness::start().await;
    let (status, _) = closed.send_json(Method::POST, "/session/create", "").await;
    assert_eq!(status, 401);

    let open = Harness::start_with(|c| c.public_trainer_key = Some("user-key".into())).await;
    let (status, body) = open.send_json(Method::POST, "/session/create", "").await;
    assert_eq!(status, 200, "{body}");
    let session = body["session_id"].as_str().unwrap().to_owned();
    // The anonymous client acts as the public key's user: it reads its own session ...
    let (status, body) = open
        .get_json(&format!("/session/{session}/status"), "")
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = open
        .get_json(&format!("/session/{session}/status"), USER)
        .await;
    assert_eq!(status, 200);
    // ... and nothing outside the AI Exercise Trainer API.
    let (status, _) = open.get_json("/api/ai-move/exercises", "").await;
    assert_eq!(status, 401);
    let (status, _) = open.get_json("/weightlifting/sessions/x/", "").await;
    assert_eq!(status, 401);
    // A credential that is sent is still checked.
    let (status, _) = open
        .send_json(Method::POST, "/session/create", "API-KEY wrong")
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn every_answer_carries_the_browser_security_headers_and_the_page_its_csp() {
    let h = Harness::start().await;
    for (path, auth) in [
        ("/", ""),
        ("/api/status", ""),
        ("/openapi.json", ""),
        ("/sessions", USER),
        ("/sessions", ""),
        ("/no/such/route", ""),
    ] {
        let response = h
            .client
            .get(h.url(path))
            .header("authorization", auth)
            .send()
            .await
            .unwrap();
        let headers = response.headers().clone();
        let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{path}");
        assert_eq!(
            header("referrer-policy").as_deref(),
            Some("no-referrer"),
            "{path}"
        );
        let body = response.text().await.unwrap();
        if body.contains("<script type=\"module\"") {
            // The built page: its own scripts only, never framed.
            let csp = header("content-security-policy").expect("the page has a CSP");
            assert!(csp.contains("script-src 'self'"), "{csp}");
            assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        }
    }
}

#[tokio::test]
async fn oversized_credentials_and_ids_get_a_clear_4xx() {
    let h = Harness::start().await;
    let huge_token = format!("Bearer {}", "a".repeat(16 * 1024));
    let (status, body) = h.get_json("/sessions", &huge_token).await;
    assert_eq!(status, 431, "{body}");
    let long_id = "x".repeat(60_000);
    for path in [
        format!("/session/{long_id}/status"),
        format!("/weightlifting/sessions/{long_id}/"),
        format!("/videos/{long_id}/analysis"),
        format!("/api/ai-move/sessions/{long_id}"),
    ] {
        let (status, body) = h.get_json(&path, USER).await;
        assert_eq!(status, 404, "{}", &path[..30]);
        assert_eq!(
            body["error"], "not found: a path segment is longer than 512 bytes",
            "{body}"
        );
    }
}

#[tokio::test]
async fn forwarded_host_shapes_urls_only_from_a_trusted_proxy() {
    async fn video_url(h: &Harness) -> String {
        let (status, body) =
            create_lift(h, ADMIN, "/weightlifting/sessions/", "snatch", "u1").await;
        assert_eq!(status, 200, "{body}");
        let id = body["session_id"].as_str().unwrap().to_owned();
        let response = h
            .client
            .get(h.url(&format!("/weightlifting/sessions/{id}/")))
            .header("authorization", ADMIN)
            .header("x-forwarded-host", "evil.example")
            .header("x-forwarded-proto", "https")
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(response).await;
        assert_eq!(status, 200, "{body}");
        body["video_url"].as_str().unwrap().to_owned()
    }
    let direct = Harness::start().await;
    let url = video_url(&direct).await;
    assert!(url.starts_with(&direct.base), "{url}");
    let proxied =
        Harness::start_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let url = video_url(&proxied).await;
    assert!(url.starts_with("https://evil.example/files/"), "{url}");
}
