//! Conformance of every documented endpoint (ARCHITECTURE.md's list of the five
//! documented APIs) against the real suite (`fitvision serve`, build it first:
//! `cargo build -p fitvision --bin fitvision`) with real clips from
//! `../shared/videos`: status codes, field names and JSON types as the API
//! documents give them, and each documented error status in its family's error
//! shape.
//!
//! One suite process serves the whole walk (one test function: nextest runs
//! each test in its own process). Short clips keep it CI-sized:
//! squat_side_3reps, jump_cmj_overlay78cm, squat_barbell_side_60fps and
//! running_2people_occlusion.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fitvision_integration_tests::edge_http::{
    Body, Edge, Kind, api_key, assert_error, assert_fields, json_of, video_part,
};
use fitvision_integration_tests::{Suite, shared_video, with_api_key};
use fitvision_proto::v1::{Role, Tenant, UpsertTenantRequest};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

/// Uploads above this get 413 (the suite is started with it).
const MAX_UPLOAD_BYTES: usize = 5_000_000;
const ANALYSIS_TIMEOUT: Duration = Duration::from_secs(900);

struct Clips {
    squat: PathBuf,
    jump: PathBuf,
    lift: PathBuf,
    run: PathBuf,
}

fn clips() -> Option<Clips> {
    Some(Clips {
        squat: shared_video("squat_side_3reps.mp4")?,
        jump: shared_video("jump_cmj_overlay78cm.mp4")?,
        lift: shared_video("squat_barbell_side_60fps.mp4")?,
        run: shared_video("running_2people_occlusion.mp4")?,
    })
}

/// Who calls: the admin, a user and an admin of another tenant.
struct Callers {
    admin: String,
    user: String,
    other_user: String,
    other_tenant_admin: String,
    bad: String,
}

/// A stand-in file for requests refused before the file is read: small, so
/// the client has sent it all when the early answer closes the connection.
fn tiny_video() -> Part {
    Part::bytes(vec![0u8; 1000]).file_name("tiny.mp4")
}

fn is_terminal(body: &Value) -> bool {
    ["completed", "failed", "blocked"].contains(&body["status"].as_str().unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_documented_endpoint_answers_as_its_api_document_says() {
    let Some(clips) = clips() else {
        return;
    };
    let started = Instant::now();
    let max_upload = MAX_UPLOAD_BYTES.to_string();
    let suite = Suite::start_with_env(&[("FITVISION_MAX_UPLOAD_BYTES", &max_upload)])
        .await
        .expect("suite starts");
    let edge = Edge::new(suite.edge_url());
    let callers = Callers {
        admin: api_key(&suite.admin_key),
        user: api_key(
            &suite
                .create_api_key("gofa", "athlete-1", Role::User)
                .await
                .unwrap(),
        ),
        other_user: api_key(
            &suite
                .create_api_key("gofa", "athlete-2", Role::User)
                .await
                .unwrap(),
        ),
        other_tenant_admin: api_key(
            &suite
                .create_api_key("acme", "acme-admin", Role::Admin)
                .await
                .unwrap(),
        ),
        bad: api_key("not-a-key"),
    };
    eprintln!("suite ready in {:.1} s", started.elapsed().as_secs_f64());

    // Each analysis is awaited before the next write: the session service's
    // SQLite store answers concurrent write transactions with "database is
    // locked" (reported), so the walk does not overlap them.
    let mut ids = Vec::new();
    for (activity, exercise, clip) in [
        ("weightlifting", "clean", &clips.lift),
        ("jumping", "vertical_jump", &clips.jump),
        ("running", "sprint", &clips.run),
    ] {
        let id = create_lifting(&edge, &callers, activity, exercise, clip).await;
        let path = format!("/{activity}/sessions/{id}/");
        let body = edge
            .poll(&path, &callers.admin, ANALYSIS_TIMEOUT, is_terminal)
            .await;
        eprintln!(
            "{activity} analysed after {:.1} s: {}",
            started.elapsed().as_secs_f64(),
            body["status"]
        );
        ids.push(id);
    }
    let guru_token = edge.guru_token("admin", &suite.admin_key).await;
    let guru_video = guru_create_and_upload(&edge, &guru_token, &clips.squat).await;
    guru(&edge, &guru_token, &guru_video).await;

    info_endpoints(&edge).await;
    ai_move(&edge, &callers, &suite).await;
    trainer(&edge, &callers, &clips).await;
    lifting(&edge, &callers, (&ids[0], &ids[1], &ids[2])).await;
    eprintln!(
        "conformance walk finished in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

// ----------------------------------------------------------------- info (000)

async fn info_endpoints(edge: &Edge) {
    for (path, content) in [
        ("/", "text/html"),
        ("/docs", "text/html"),
        ("/redoc", "text/html"),
        ("/api/status", "application/json"),
        ("/openapi.json", "application/json"),
    ] {
        let response = edge.client.get(edge.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        let kind = response.headers()["content-type"].to_str().unwrap();
        assert!(kind.starts_with(content), "GET {path}: {kind}");
    }
    let (_, status) = edge
        .send(Method::GET, "/api/status", None, Body::Empty)
        .await;
    assert_fields("api/status", &status, &[("status", Kind::Str)]);
    let (_, spec) = edge
        .send(Method::GET, "/openapi.json", None, Body::Empty)
        .await;
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let documented = spec["paths"].as_object().unwrap();
    let j2p = spec["paths"]["/videos/{id}/j2p"]["get"]["description"]
        .as_str()
        .unwrap_or("");
    assert!(
        j2p.contains("leftHand"),
        "the j2p description explains the missing hand points"
    );
    for path in [
        "/session/create",
        "/session/{session_id}/submit-exercise",
        "/weightlifting/sessions/{session_id}/lift-analysis/",
        "/api/ai-move/records",
        "/videos/{id}/j2p",
        "/oauth2/token",
    ] {
        assert!(documented.contains_key(path), "{path} not in /openapi.json");
    }
}

// --------------------------------------------------- AI Exercise Trainer API

async fn submit(
    edge: &Edge,
    auth: &str,
    session: &str,
    exercise: &str,
    part: Part,
) -> (u16, Value) {
    let form = Form::new()
        .text("exercise_type", exercise.to_owned())
        .part("video", part);
    edge.post(
        &format!("/session/{session}/submit-exercise"),
        auth,
        Body::Form(form),
    )
    .await
}

async fn trainer(edge: &Edge, callers: &Callers, clips: &Clips) {
    let auth = callers.user.as_str();
    let (status, body) = edge
        .send(Method::POST, "/session/create", None, Body::Empty)
        .await;
    assert_error("create without credential", status, &body, 401, "detail");
    let (status, body) = edge
        .send(
            Method::POST,
            "/session/create",
            Some(&callers.bad),
            Body::Empty,
        )
        .await;
    assert_error("create with a bad key", status, &body, 401, "detail");

    let (status, created) = edge.post("/session/create", auth, Body::Empty).await;
    assert_eq!(status, 200, "{created}");
    assert_fields("session/create", &created, &[("session_id", Kind::Str)]);
    let session = created["session_id"].as_str().unwrap().to_owned();

    let (status, body) = edge
        .post(
            &format!("/session/{session}/generate-ai-analysis"),
            auth,
            Body::Empty,
        )
        .await;
    assert_error(
        "AI analysis before any exercise",
        status,
        &body,
        400,
        "detail",
    );

    let (status, body) = submit(edge, auth, &session, "deadlift", tiny_video()).await;
    assert_error("unknown exercise_type", status, &body, 400, "detail");
    let (status, body) = edge
        .post(
            &format!("/session/{session}/submit-exercise"),
            auth,
            Body::Form(Form::new().text("exercise_type", "squat")),
        )
        .await;
    assert_error("submit without video", status, &body, 400, "detail");
    let (status, body) = submit(edge, auth, "no-such-session", "squat", tiny_video()).await;
    assert_error("submit to an unknown session", status, &body, 404, "detail");
    let status = edge
        .status_for_declared_length(
            &format!("/session/{session}/submit-exercise"),
            auth,
            MAX_UPLOAD_BYTES as u64 + 1,
        )
        .await;
    assert_eq!(status, 413, "oversized upload");
    let (status, body) = submit(
        edge,
        &callers.other_tenant_admin,
        &session,
        "squat",
        tiny_video(),
    )
    .await;
    assert_error(
        "submit to another tenant's session",
        status,
        &body,
        404,
        "detail",
    );

    let analysed = Instant::now();
    let (status, squat) = submit(edge, auth, &session, "squat", video_part(&clips.squat)).await;
    eprintln!(
        "trainer squat_side_3reps.mp4: HTTP {status} in {:.1} s, rep_count={}",
        analysed.elapsed().as_secs_f64(),
        squat["metrics"]["rep_count"]
    );
    let (status, jump) = submit(
        edge,
        auth,
        &session,
        "vertical_jump",
        video_part(&clips.jump),
    )
    .await;
    let cheat_report = |status: u16, body: &Value| -> Value {
        assert!(status == 200 || status == 403, "{body}");
        if status == 200 {
            body["cheat_detection"].clone()
        } else {
            body["detail"]["cheat_detection"].clone()
        }
    };
    for (name, status, body) in [("squat", 200, &squat), ("jump", status, &jump)] {
        let cheat = cheat_report(status, body);
        assert_fields(
            &format!("{name} cheat_detection"),
            &cheat,
            &[
                ("score", Kind::Num),
                ("risk_level", Kind::Str),
                ("blocked", Kind::Bool),
                ("checks", Kind::Arr),
            ],
        );
        assert!(["LOW", "MEDIUM", "HIGH"].contains(&cheat["risk_level"].as_str().unwrap()));
        assert_eq!(cheat["blocked"] == true, status == 403, "{name}: {body}");
        for check in cheat["checks"].as_array().unwrap() {
            assert_fields(
                "cheat check",
                check,
                &[
                    ("check", Kind::Str),
                    ("score", Kind::Num),
                    ("flagged", Kind::Bool),
                ],
            );
        }
        if status == 200 {
            assert_fields(
                &format!("{name} metrics"),
                &body["metrics"],
                &[("rep_count", Kind::Int)],
            );
        }
    }
    let squat_completed = squat["metrics"]["rep_count"].is_u64();
    if squat_completed {
        let reps = squat["metrics"]["rep_count"].as_u64().unwrap();
        assert!(
            reps.abs_diff(3) <= 1,
            "squat_side_3reps: {reps} reps, truth 3"
        );
    }
    if status == 200 {
        assert_fields(
            "jump metrics",
            &jump["metrics"],
            &[("jump_height_cm", Kind::Num)],
        );
    }

    let (status, body) = edge.get(&format!("/session/{session}/status"), auth).await;
    assert_eq!(status, 200, "{body}");
    assert_fields(
        "status",
        &body,
        &[
            ("session_id", Kind::Str),
            ("exercises_completed", Kind::Int),
        ],
    );
    let (status, body) = edge.get("/session/no-such-session/status", auth).await;
    assert_error("status of an unknown session", status, &body, 404, "detail");
    let (status, body) = edge
        .get(&format!("/session/{session}/status"), &callers.other_user)
        .await;
    assert!(
        status == 403 || status == 404,
        "another user's session: {status} {body}"
    );

    let completed = body_u64(
        &edge
            .get(&format!("/session/{session}/status"), auth)
            .await
            .1,
        "exercises_completed",
    );
    if completed > 0 {
        let (status, body) = edge
            .post(
                &format!("/session/{session}/generate-ai-analysis"),
                auth,
                Body::Empty,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_fields("ai analysis", &body, &[("ai_analysis", Kind::Str)]);
    }
    let (status, body) = edge.get(&format!("/session/{session}/summary"), auth).await;
    assert_eq!(status, 200, "{body}");
    assert_fields(
        "summary",
        &body,
        &[
            ("session_id", Kind::Str),
            ("total_exercises", Kind::Int),
            ("exercises", Kind::Arr),
        ],
    );
    let (status, body) = edge.get("/sessions", auth).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["session_id"] == session.as_str()),
        "{body}"
    );
    let (status, body) = edge
        .send(
            Method::DELETE,
            &format!("/session/{session}"),
            Some(auth),
            Body::Empty,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = edge.get(&format!("/session/{session}/summary"), auth).await;
    assert_error("summary after delete", status, &body, 404, "detail");
    let (status, body) = edge
        .send(
            Method::DELETE,
            &format!("/session/{session}"),
            Some(auth),
            Body::Empty,
        )
        .await;
    assert_error("delete twice", status, &body, 404, "detail");
}

fn body_u64(body: &Value, field: &str) -> u64 {
    body[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} in {body}"))
}

// ------------------------------------------ Weightlifting and Retrieval APIs

async fn create_lifting(
    edge: &Edge,
    callers: &Callers,
    activity: &str,
    exercise: &str,
    clip: &std::path::Path,
) -> String {
    let form = Form::new()
        .text("user_id", "athlete-1")
        .text("exercise_name", exercise.to_owned())
        .text("session_name", format!("{activity} conformance"))
        .part("video", video_part(clip));
    let (status, body) = edge
        .post(
            &format!("/{activity}/sessions/"),
            &callers.admin,
            Body::Form(form),
        )
        .await;
    assert_eq!(status, 200, "create {activity}: {body}");
    assert_fields(
        &format!("create {activity}"),
        &body,
        &[("session_id", Kind::Str), ("title", Kind::Str)],
    );
    assert_eq!(body["title"], format!("{activity} conformance"));
    body["session_id"].as_str().unwrap().to_owned()
}

async fn lifting_create_errors(edge: &Edge, callers: &Callers) {
    let path = "/weightlifting/sessions/";
    let form = || {
        Form::new()
            .text("exercise_name", "snatch")
            .part("video", tiny_video())
    };
    let (status, body) = edge
        .send(Method::POST, path, None, Body::Form(form()))
        .await;
    assert_error("create without credential", status, &body, 401, "error");
    let (status, body) = edge.post(path, &callers.admin, Body::Form(form())).await;
    assert_error("create without user_id", status, &body, 400, "error");
    let (status, body) = edge
        .post(
            path,
            &callers.user,
            Body::Form(form().text("user_id", "athlete-2")),
        )
        .await;
    assert_error(
        "a user creating for another user",
        status,
        &body,
        403,
        "error",
    );
    let (status, body) = edge
        .post(
            path,
            &callers.admin,
            Body::Form(
                Form::new()
                    .text("user_id", "athlete-1")
                    .text("exercise_name", "bench_press")
                    .part("video", tiny_video()),
            ),
        )
        .await;
    assert_error("unknown exercise_name", status, &body, 400, "error");
    let (status, body) = edge
        .post(
            path,
            &callers.admin,
            Body::Form(
                Form::new()
                    .text("user_id", "athlete-1")
                    .text("exercise_name", "snatch"),
            ),
        )
        .await;
    assert_error("create without video", status, &body, 400, "error");
    let status = edge
        .status_for_declared_length(path, &callers.admin, MAX_UPLOAD_BYTES as u64 + 1)
        .await;
    assert_eq!(status, 413, "oversized weightlifting upload");
}

const DETAIL_FIELDS: [(&str, Kind); 11] = [
    ("session_id", Kind::Str),
    ("analyzed_video_url", Kind::OrNull(&Kind::Str)),
    ("video_url", Kind::Str),
    ("created_at", Kind::Obj),
    ("exercise", Kind::Str),
    ("user_name", Kind::Str),
    ("activity", Kind::Str),
    ("title", Kind::Str),
    ("metrics", Kind::Obj),
    ("angles", Kind::Obj),
    ("all_timestamps", Kind::Arr),
];

fn assert_details(what: &str, body: &Value, activity_title: &str) {
    assert_fields(what, body, &DETAIL_FIELDS);
    assert_fields(what, body, &[("report_metrics", Kind::Obj)]);
    assert_eq!(body["activity"], activity_title, "{what}");
    let date = body["created_at"]["date"].as_str().unwrap();
    let time = body["created_at"]["time"].as_str().unwrap();
    let dmy: Vec<&str> = date.split('/').collect();
    assert!(
        dmy.len() == 3 && dmy[0].len() == 2 && dmy[1].len() == 2 && dmy[2].len() == 4,
        "{what}: created_at.date {date} is not DD/MM/YYYY"
    );
    assert!(
        time.len() == 8 && (time.ends_with(" AM") || time.ends_with(" PM")),
        "{what}: created_at.time {time} is not HH:MM AM/PM"
    );
    for (name, series) in body["angles"].as_object().unwrap() {
        assert!(series.is_array(), "{what}: angles.{name} is not an array");
    }
    for (name, value) in body["metrics"].as_object().unwrap() {
        assert!(
            value.is_number() || value.is_null(),
            "{what}: metrics.{name} = {value}"
        );
    }
}

async fn lifting(edge: &Edge, callers: &Callers, (lift, jump, run): (&str, &str, &str)) {
    let admin = callers.admin.as_str();
    let details = |activity: &str, id: &str| format!("/{activity}/sessions/{id}/");
    let lift_body = edge
        .poll(
            &details("weightlifting", lift),
            admin,
            ANALYSIS_TIMEOUT,
            is_terminal,
        )
        .await;
    eprintln!(
        "weightlifting squat_barbell_side_60fps.mp4: status={} metrics={}",
        lift_body["status"], lift_body["metrics"]
    );
    assert_eq!(lift_body["status"], "completed", "{lift_body}");
    assert_details("weightlifting details", &lift_body, "Weightlifting");

    let (status, body) = edge
        .send(
            Method::GET,
            &details("weightlifting", lift),
            None,
            Body::Empty,
        )
        .await;
    assert_error("details without credential", status, &body, 401, "error");
    let (status, body) = edge
        .get(&details("weightlifting", lift), &callers.bad)
        .await;
    assert_error("details with a bad key", status, &body, 401, "error");
    let (status, body) = edge
        .get(&details("weightlifting", "no-such-session"), admin)
        .await;
    assert_error("unknown session", status, &body, 404, "error");
    let (status, body) = edge.get(&details("weightlifting", jump), admin).await;
    assert_error(
        "a jumping session on the weightlifting path",
        status,
        &body,
        404,
        "error",
    );
    let (status, body) = edge
        .get(&details("weightlifting", lift), &callers.other_tenant_admin)
        .await;
    assert_error("another tenant's session", status, &body, 404, "error");
    let (status, body) = edge
        .get(&details("weightlifting", lift), &callers.other_user)
        .await;
    assert_error("another user's session", status, &body, 403, "error");
    let (status, body) = edge
        .get(
            &format!(
                "{}?measurement_system=furlongs",
                details("weightlifting", lift)
            ),
            admin,
        )
        .await;
    assert_error("invalid measurement_system", status, &body, 400, "error");
    let (status, body) = edge
        .get(
            &format!("{}?demo=true", details("weightlifting", "any")),
            admin,
        )
        .await;
    assert_eq!(status, 200, "demo details: {body}");
    assert_details("demo details", &body, "Weightlifting");
    let (status, body) = edge
        .get(
            &format!(
                "{}?measurement_system=imperial",
                details("weightlifting", lift)
            ),
            admin,
        )
        .await;
    assert_eq!(status, 200, "imperial details: {body}");

    // The analysed video (its rendering also yields the phase images of the
    // lift analysis): 202 while it is generated, then 200 with a signed URL.
    for path in [
        format!("/session-management/sessions/{lift}/analyzed-video/"),
        format!("/sessions/{lift}/analyzed-video/"),
    ] {
        let (status, body) = edge.send(Method::GET, &path, None, Body::Empty).await;
        assert_error(
            "analysed video without credential",
            status,
            &body,
            401,
            "error",
        );
        let deadline = Instant::now() + ANALYSIS_TIMEOUT;
        let body = loop {
            let (status, body) = edge.get(&path, admin).await;
            assert!(status == 200 || status == 202, "{path}: {status} {body}");
            assert_fields(
                &path,
                &body,
                &[("session_id", Kind::Str), ("status", Kind::Str)],
            );
            if status == 200 || Instant::now() > deadline {
                break body;
            }
            tokio::time::sleep(Duration::from_millis(1000)).await;
        };
        let url = body["analyzed_video_url"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: {body}"));
        let ranged = edge
            .client
            .get(url)
            .header("range", "bytes=0-99")
            .send()
            .await
            .unwrap();
        assert_eq!(ranged.status(), 206, "analysed video range");
    }
    eprintln!("analysed video rendered");
    let (status, body) = edge.get(&details("weightlifting", lift), admin).await;
    assert_eq!(status, 200);
    assert!(
        body["analyzed_video_url"].is_string(),
        "details after rendering: {body}"
    );

    let (status, export) = edge
        .get(&format!("/weightlifting/sessions/{lift}/export/"), admin)
        .await;
    assert_eq!(status, 200, "{export}");
    assert_fields(
        "export",
        &export,
        &[
            ("keypoints", Kind::Obj),
            ("angles", Kind::Obj),
            ("all_timestamps", Kind::Arr),
            ("metrics", Kind::Obj),
            ("activity", Kind::Str),
        ],
    );
    let (status, body) = edge
        .get(&format!("/weightlifting/sessions/{jump}/export/"), admin)
        .await;
    assert_error(
        "export of a jumping session as weightlifting",
        status,
        &body,
        404,
        "error",
    );

    let (status, analysis) = edge
        .get(
            &format!("/weightlifting/sessions/{lift}/lift-analysis/"),
            admin,
        )
        .await;
    assert_eq!(status, 200, "{analysis}");
    assert_fields(
        "lift-analysis",
        &analysis,
        &[
            ("exercise", Kind::Str),
            ("key_metrics", Kind::Obj),
            ("body_positioning", Kind::Obj),
            ("joint_angles", Kind::Obj),
            ("barbell_positioning", Kind::Obj),
            ("phase_data", Kind::Obj),
            ("chart_data", Kind::Obj),
            ("user_information", Kind::Obj),
            ("session_date", Kind::Str),
            ("comments", Kind::Obj),
        ],
    );
    // A phase the lift never reached has no image (`image_url: null`).
    let mut images = 0;
    for (phase, value) in analysis["phase_data"].as_object().unwrap() {
        assert_fields(
            &format!("phase {phase}"),
            value,
            &[("image_url", Kind::OrNull(&Kind::Str))],
        );
        if let Some(url) = value["image_url"].as_str() {
            let image = edge.client.get(url).send().await.unwrap();
            assert_eq!(image.status(), 200, "phase image {phase}");
            images += 1;
        }
    }
    assert!(images > 0, "no phase image: {}", analysis["phase_data"]);
    let (status, body) = edge
        .get(
            &format!("/weightlifting/sessions/{lift}/lift-analysis/"),
            &callers.other_tenant_admin,
        )
        .await;
    assert_error(
        "lift-analysis of another tenant",
        status,
        &body,
        404,
        "error",
    );

    let (status, summary) = edge
        .get(&format!("/weightlifting/sessions/{lift}/summary/"), admin)
        .await;
    assert_eq!(status, 200, "{summary}");
    assert_fields(
        "summary",
        &summary,
        &[
            ("exercise_type", Kind::Str),
            ("velocity", Kind::Obj),
            ("power", Kind::Obj),
            ("stability", Kind::Obj),
            ("user_information", Kind::Obj),
            ("session_date", Kind::Str),
        ],
    );
    let (status, threads) = edge
        .post(
            &format!("/weightlifting/sessions/{lift}/summary/"),
            admin,
            Body::Empty,
        )
        .await;
    assert_eq!(status, 200, "{threads}");
    for block in ["velocity", "power", "stability", "final_summary"] {
        assert!(
            threads[block].is_string(),
            "summary thread {block}: {threads}"
        );
    }
    let (status, recommendations) = edge
        .post(
            &format!("/weightlifting/sessions/{lift}/recommendation/?measurement_system=imperial"),
            admin,
            Body::Empty,
        )
        .await;
    assert_eq!(status, 200, "{recommendations}");
    assert!(
        recommendations
            .as_object()
            .is_some_and(|m| !m.is_empty() && m.values().all(Value::is_string)),
        "{recommendations}"
    );
    let (status, body) = edge
        .post(
            &format!("/weightlifting/sessions/{lift}/recommendation/"),
            &callers.other_user,
            Body::Empty,
        )
        .await;
    assert_error(
        "recommendation for another user's session",
        status,
        &body,
        403,
        "error",
    );
    let thread = threads["final_summary"].as_str().unwrap();
    let polled = edge
        .poll(
            &format!("/threads/{thread}"),
            admin,
            ANALYSIS_TIMEOUT,
            |b| b["status"] != "pending",
        )
        .await;
    assert_fields(
        "thread",
        &polled,
        &[("thread_id", Kind::Str), ("status", Kind::Str)],
    );
    let (status, body) = edge.get("/threads/no-such-thread", admin).await;
    assert_error("unknown thread", status, &body, 404, "error");

    let (status, body) = edge
        .get("/sessions/no-such-session/analyzed-video/", admin)
        .await;
    assert_error(
        "analysed video of an unknown session",
        status,
        &body,
        404,
        "error",
    );

    for (activity, title, id) in [("jumping", "Jumping", jump), ("running", "Running", run)] {
        let body = edge
            .poll(&details(activity, id), admin, ANALYSIS_TIMEOUT, is_terminal)
            .await;
        eprintln!(
            "{activity}: status={} metrics={}",
            body["status"], body["metrics"]
        );
        assert!(is_terminal(&body), "{activity} did not finish: {body}");
        assert_details(&format!("{activity} details"), &body, title);
        // The original video: a signed URL that serves byte ranges (browsers seek).
        let url = body["video_url"].as_str().unwrap();
        let ranged = edge
            .client
            .get(url)
            .header("range", "bytes=0-1023")
            .send()
            .await
            .unwrap();
        assert_eq!(ranged.status(), 206, "{activity} video range");
        assert!(
            ranged.headers()["content-range"]
                .to_str()
                .unwrap()
                .starts_with("bytes 0-1023/"),
            "{activity} content-range"
        );
        assert_eq!(ranged.bytes().await.unwrap().len(), 1024);
        let (status, export) = edge
            .get(&format!("/{activity}/sessions/{id}/export/"), admin)
            .await;
        assert_eq!(status, 200, "{activity} export: {export}");
        assert_eq!(export["activity"], title);
        let (status, body) = edge
            .get(&format!("/{activity}/sessions/{id}/summary/"), admin)
            .await;
        assert_eq!(status, 200, "{activity} summary: {body}");
        let (status, body) = edge
            .post(
                &format!("/{activity}/sessions/{id}/summary/"),
                admin,
                Body::Empty,
            )
            .await;
        assert_eq!(status, 200, "{activity} summary threads: {body}");
        let (status, body) = edge.get(&details(activity, lift), admin).await;
        assert_error(
            "a weightlifting session on another activity's path",
            status,
            &body,
            404,
            "error",
        );
    }
    let jump_details = edge.get(&details("jumping", jump), admin).await.1;
    if jump_details["status"] == "completed" {
        assert!(
            jump_details["metrics"]["jump_height_cm"].is_number(),
            "{jump_details}"
        );
    }
    lifting_create_errors(edge, callers).await;
}

// --------------------------------------------------------------- AI Move API

async fn ai_move(edge: &Edge, callers: &Callers, suite: &Suite) {
    let user = callers.user.as_str();
    let (status, body) = edge
        .send(Method::GET, "/api/ai-move/exercises", None, Body::Empty)
        .await;
    assert_error("exercises without credential", status, &body, 401, "error");
    let (status, body) = edge.get("/api/ai-move/exercises", user).await;
    assert_eq!(status, 200, "{body}");
    let exercises = body["exercises"].as_array().unwrap();
    assert!(!exercises.is_empty(), "{body}");
    for exercise in exercises {
        assert_fields(
            "exercise",
            exercise,
            &[
                ("exerciseId", Kind::Str),
                ("clientId", Kind::Str),
                ("name", Kind::Str),
                ("type", Kind::Str),
                ("targetValue", Kind::Num),
                ("category", Kind::Str),
                ("difficulty", Kind::Str),
                ("enabled", Kind::Bool),
                ("sortOrder", Kind::Num),
            ],
        );
    }
    let rep_exercise = exercises
        .iter()
        .find(|e| e["type"] == "rep")
        .expect("a rep exercise in the catalog");
    let exercise_id = rep_exercise["exerciseId"].as_str().unwrap().to_owned();
    let (status, body) = edge
        .get(&format!("/api/ai-move/exercises/{exercise_id}"), user)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_fields(
        "exercise detail",
        &body["exercise"],
        &[
            ("exerciseId", Kind::Str),
            ("name", Kind::Str),
            ("description", Kind::Str),
            ("type", Kind::Str),
            ("algorithm", Kind::Obj),
            ("enabled", Kind::Bool),
        ],
    );
    let (status, body) = edge
        .get("/api/ai-move/exercises/no-such-exercise", user)
        .await;
    assert_error("unknown exercise", status, &body, 404, "error");

    let (status, created) = edge
        .post(
            "/api/ai-move/sessions",
            user,
            Body::Json(json!({"exerciseId": exercise_id, "exerciseType": "rep", "targetReps": 10})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let num_or_null = Kind::OrNull(&Kind::Num);
    let str_or_null = Kind::OrNull(&Kind::Str);
    assert_fields(
        "created AI Move session",
        &created,
        &[
            ("sessionId", Kind::Str),
            ("clientId", Kind::Str),
            ("userId", Kind::Str),
            ("exerciseId", Kind::Str),
            ("exerciseType", Kind::Str),
            ("targetReps", Kind::Num),
            ("repsCompleted", Kind::Num),
            ("durationSeconds", Kind::Num),
            ("caloriesBurned", Kind::Num),
            ("poseAccuracy", Kind::Num),
            ("formScore", num_or_null),
            ("holdTimeSeconds", Kind::Num),
            ("retryCountRemaining", num_or_null),
            ("retryCountUsed", Kind::Num),
            ("failureReason", str_or_null),
            ("formViolations", Kind::Arr),
            ("completionOutcome", str_or_null),
            ("status", Kind::Str),
            ("createdAt", Kind::Str),
            ("completedAt", str_or_null),
        ],
    );
    assert_eq!(created["status"], "created");
    assert_eq!(created["userId"], "athlete-1");
    let id = created["sessionId"].as_str().unwrap().to_owned();
    for (what, body) in [
        ("missing exerciseId", json!({"exerciseType": "rep"})),
        (
            "bad exerciseType",
            json!({"exerciseId": exercise_id, "exerciseType": "sprint"}),
        ),
        (
            "targetReps below 1",
            json!({"exerciseId": exercise_id, "exerciseType": "rep", "targetReps": 0}),
        ),
    ] {
        let (status, answer) = edge
            .post("/api/ai-move/sessions", user, Body::Json(body))
            .await;
        assert_error(what, status, &answer, 400, "error");
    }

    let (status, list) = edge.get("/api/ai-move/sessions?limit=1", user).await;
    assert_eq!(status, 200, "{list}");
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{list}");
    assert_fields(
        "listed session",
        &sessions[0],
        &[
            ("sessionId", Kind::Str),
            ("exerciseId", Kind::Str),
            ("status", Kind::Str),
            ("createdAt", Kind::Str),
        ],
    );
    let (status, _) = edge
        .get(
            &format!("/api/ai-move/sessions?limit=20&startAfter={id}"),
            user,
        )
        .await;
    assert_eq!(status, 200);
    for limit in ["0", "101", "ten"] {
        let (status, body) = edge
            .get(&format!("/api/ai-move/sessions?limit={limit}"), user)
            .await;
        assert_error("list limit out of range", status, &body, 400, "error");
    }

    let path = format!("/api/ai-move/sessions/{id}");
    let (status, body) = edge.get(&path, user).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["session"]["sessionId"], id.as_str());
    let (status, body) = edge.get(&path, &callers.other_user).await;
    assert_error("another user's session", status, &body, 403, "error");
    let (status, body) = edge
        .get("/api/ai-move/sessions/no-such-session", user)
        .await;
    assert_error("unknown session", status, &body, 404, "error");

    for (what, patch) in [
        ("poseAccuracy above 1", json!({"poseAccuracy": 1.5})),
        ("negative repsCompleted", json!({"repsCompleted": -1})),
        ("unknown status", json!({"status": "paused"})),
    ] {
        let (status, body) = edge
            .send(Method::PATCH, &path, Some(user), Body::Json(patch))
            .await;
        assert_error(what, status, &body, 400, "error");
    }
    let (status, body) = edge
        .send(
            Method::PATCH,
            &path,
            Some(&callers.other_user),
            Body::Json(json!({"repsCompleted": 1})),
        )
        .await;
    assert_error(
        "patching another user's session",
        status,
        &body,
        403,
        "error",
    );
    let (status, body) = edge
        .send(
            Method::PATCH,
            "/api/ai-move/sessions/no-such-session",
            Some(user),
            Body::Json(json!({"repsCompleted": 1})),
        )
        .await;
    assert_error("patching an unknown session", status, &body, 404, "error");
    let (status, body) = edge
        .send(
            Method::PATCH,
            &path,
            Some(user),
            Body::Json(json!({
                "status": "completed", "completionOutcome": "success", "repsCompleted": 10,
                "durationSeconds": 45, "caloriesBurned": 8, "poseAccuracy": 0.92, "formScore": 0.88,
                "formViolations": [{"key": "knee_valgus", "label": "Knees cave in", "weight": 1,
                                    "totalChecks": 10, "violationCount": 1, "violationRate": 0.1}]
            })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"success": true}));
    let (_, body) = edge.get(&path, user).await;
    assert_eq!(body["session"]["status"], "completed");
    assert!(body["session"]["completedAt"].is_string(), "{body}");

    let (status, records) = edge
        .get("/api/ai-move/records?limit=5", &callers.admin)
        .await;
    assert_eq!(status, 200, "{records}");
    assert_fields(
        "records",
        &records,
        &[("data", Kind::Arr), ("count", Kind::Num)],
    );
    assert_fields(
        "record",
        &records["data"][0],
        &[
            ("id", Kind::Str),
            ("clientId", Kind::Str),
            ("userId", Kind::Str),
            ("status", Kind::Str),
            ("createdAt", Kind::Str),
        ],
    );
    let (status, body) = edge.get("/api/ai-move/records", user).await;
    assert_error("records as a user", status, &body, 401, "error");
    for limit in ["0", "501"] {
        let (status, body) = edge
            .get(
                &format!("/api/ai-move/records?limit={limit}"),
                &callers.admin,
            )
            .await;
        assert_error("records limit out of range", status, &body, 400, "error");
    }

    // A client without the AI Move module.
    let request = with_api_key(
        &suite.admin_key,
        UpsertTenantRequest {
            tenant: Some(Tenant {
                tenant_id: "acme".into(),
                name: "Acme".into(),
                enabled_modules: vec!["workout".into(), "weightlifting".into()],
                ..Default::default()
            }),
            replace_library_selection: false,
        },
    )
    .unwrap();
    suite
        .session_client()
        .await
        .unwrap()
        .upsert_tenant(request)
        .await
        .expect("tenant updated");
    let (status, body) = edge
        .get("/api/ai-move/exercises", &callers.other_tenant_admin)
        .await;
    assert_error(
        "AI Move not enabled for the client",
        status,
        &body,
        403,
        "error",
    );
    // `records?clientId=acme` by the platform admin should be 403 as well; the
    // session service does not yet refuse listing a tenant whose module is off.
}

// ------------------------------------------------------------------ Guru API

/// Creates a Guru video and uploads the clip with the returned policy; the id.
async fn guru_create_and_upload(edge: &Edge, token: &str, clip: &std::path::Path) -> String {
    let size = std::fs::metadata(clip).unwrap().len();
    let (status, created) = edge
        .post(
            "/videos",
            token,
            Body::Json(
                json!({"filename": "squat.mp4", "size": size, "domain": "weightlifting",
                              "activity": "squat", "repCount": 3, "source": "conformance"}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    assert_fields(
        "created video",
        &created,
        &[("id", Kind::Str), ("url", Kind::Str), ("fields", Kind::Obj)],
    );
    // A body whose size differs from the declared size is refused.
    let (status, body) = edge.guru_upload(&created, tiny_video()).await;
    assert_error("upload of another size", status, &body, 400, "message");
    // A tampered policy is refused (before the file is read: a small file keeps
    // the client from a broken pipe while the early answer closes the connection).
    let mut tampered = created.clone();
    tampered["fields"]["x-fitvision-signature"] = json!("AAAA");
    let (status, body) = edge.guru_upload(&tampered, tiny_video()).await;
    assert_error("upload with a bad signature", status, &body, 403, "message");

    let url = created["url"].as_str().unwrap();
    let upload_path = url
        .strip_prefix(edge.base.as_str())
        .expect("our own upload URL");
    let status = edge
        .status_for_declared_length(upload_path, "", MAX_UPLOAD_BYTES as u64 + 1)
        .await;
    assert_eq!(status, 413, "oversized Guru upload");

    let (status, body) = edge.guru_upload(&created, video_part(clip)).await;
    assert_eq!(status, 204, "{body}");
    created["id"].as_str().unwrap().to_owned()
}

async fn guru(edge: &Edge, token: &str, id: &str) {
    let (status, body) = edge
        .send(Method::POST, "/oauth2/token", None, Body::Empty)
        .await;
    assert!(
        status == 400 || status == 415,
        "token without a form: {status} {body}"
    );
    let response = edge
        .client
        .post(edge.url("/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "admin"),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_error("token with a wrong secret", status, &body, 401, "error");
    let response = edge
        .client
        .post(edge.url("/oauth2/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "admin"),
            ("client_secret", "x"),
        ])
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_error("unsupported grant_type", status, &body, 400, "error");

    let (status, body) = edge
        .post(
            "/videos",
            token,
            Body::Json(json!({"filename": "big.mp4", "size": MAX_UPLOAD_BYTES + 1})),
        )
        .await;
    assert_error(
        "create a video above the upload limit",
        status,
        &body,
        413,
        "message",
    );
    let (status, body) = edge
        .post("/videos", token, Body::Json(json!({"size": 10})))
        .await;
    assert_error("create without filename", status, &body, 400, "message");
    let (status, body) = edge
        .send(
            Method::POST,
            "/videos",
            None,
            Body::Json(json!({"filename": "a.mp4", "size": 10})),
        )
        .await;
    assert_error("create without credential", status, &body, 401, "message");

    let analysis = edge
        .poll(
            &format!("/videos/{id}/analysis"),
            token,
            ANALYSIS_TIMEOUT,
            |b| b["status"] != "Pending",
        )
        .await;
    eprintln!(
        "guru squat_side_3reps.mp4: {} reps={}",
        analysis["status"],
        analysis["reps"].as_array().map(Vec::len).unwrap_or(0)
    );
    assert_fields(
        "analysis",
        &analysis,
        &[
            ("status", Kind::Str),
            ("domain", Kind::Str),
            ("activity", Kind::Str),
            ("reps", Kind::Arr),
        ],
    );
    assert!(["Complete", "Failed"].contains(&analysis["status"].as_str().unwrap()));
    if analysis["status"] == "Failed" {
        assert_fields("failed analysis", &analysis, &[("reason", Kind::Str)]);
    } else {
        // Ground truth of squat_side_3reps.mp4: 3 reps (high confidence).
        let reps = analysis["reps"].as_array().unwrap().len();
        assert!(reps.abs_diff(3) <= 1, "Guru squat reps {reps}, truth 3");
    }
    for rep in analysis["reps"].as_array().unwrap() {
        assert_fields(
            "rep",
            rep,
            &[
                ("startTimestampMs", Kind::Num),
                ("midTimestampMs", Kind::Num),
                ("endTimestampMs", Kind::Num),
                ("analyses", Kind::Arr),
            ],
        );
        for entry in rep["analyses"].as_array().unwrap() {
            assert_fields("rep analysis", entry, &[("analysisType", Kind::Str)]);
        }
    }

    let (status, j2p) = edge.get(&format!("/videos/{id}/j2p"), token).await;
    assert_eq!(status, 200, "{j2p}");
    assert_fields(
        "j2p",
        &j2p,
        &[
            ("status", Kind::Str),
            ("resolutionHeight", Kind::Num),
            ("resolutionWidth", Kind::Num),
            ("jointToPoints", Kind::Obj),
            ("analysis", Kind::Obj),
        ],
    );
    let joints = j2p["jointToPoints"].as_object().unwrap();
    // The default model (BlazePose, 33 landmarks) has hands; a 17-keypoint model leaves
    // them out rather than inventing them (`joint_names` unit tests).
    for joint in [
        "leftHand",
        "rightHand",
        "leftAnkle",
        "leftElbow",
        "leftEye",
        "leftHip",
        "leftKnee",
        "leftShoulder",
        "leftWrist",
        "rightElbow",
        "rightEye",
        "rightHip",
        "rightKnee",
        "rightShoulder",
        "rightWrist",
    ] {
        let frames = joints
            .get(joint)
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("j2p {joint}"));
        if let Some(frame) = frames.first() {
            assert_fields(
                "JointFrame",
                frame,
                &[
                    ("frame_idx", Kind::Int),
                    ("part", Kind::Str),
                    ("position", Kind::Obj),
                    ("score", Kind::Num),
                    ("timestamp", Kind::Num),
                ],
            );
            assert_eq!(frame["part"], joint);
            for axis in ["x", "y"] {
                let v = frame["position"][axis].as_f64().unwrap();
                assert!((0.0..=1.0).contains(&v), "{joint}.{axis} = {v}");
            }
        }
    }

    let (status, video) = edge
        .get(&format!("/videos/{id}?include=j2p,analysis,objects"), token)
        .await;
    assert_eq!(status, 200, "{video}");
    assert_fields(
        "video",
        &video,
        &[
            ("status", Kind::Str),
            ("uri", Kind::Str),
            ("overlays", Kind::Obj),
            ("fps", Kind::Num),
            ("analysis", Kind::Obj),
            ("j2p", Kind::Obj),
            ("objects", Kind::Arr),
        ],
    );
    for overlay in ["skeleton", "all"] {
        assert!(
            video["overlays"][overlay]["status"].is_string(),
            "overlay {overlay}: {video}"
        );
    }
    let (status, plain) = edge.get(&format!("/videos/{id}"), token).await;
    assert_eq!(status, 200);
    assert!(
        plain.get("j2p").is_none() && plain.get("analysis").is_none(),
        "{plain}"
    );

    let (status, body) = edge
        .send(
            Method::PUT,
            &format!("/videos/{id}"),
            Some(token),
            Body::Json(json!({"repCount": 3})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], id);
    let (status, body) = edge
        .send(
            Method::PUT,
            &format!("/videos/{id}"),
            Some(token),
            Body::Json(json!({"activity": "juggling"})),
        )
        .await;
    assert_error(
        "update with an unknown activity",
        status,
        &body,
        400,
        "message",
    );

    for path in [
        "/videos/no-such-video",
        "/videos/no-such-video/analysis",
        "/videos/no-such-video/j2p",
    ] {
        let (status, body) = edge.get(path, token).await;
        assert_error(path, status, &body, 404, "message");
        let (status, body) = edge.send(Method::GET, path, None, Body::Empty).await;
        assert_error(path, status, &body, 401, "message");
    }
}
