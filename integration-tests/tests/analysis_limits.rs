//! Issue 20, finding 6: work per upload is bounded per tenant, over the real suite.
//!
//! A tenant's admin tightens its analysis limits through the REST admin route (and
//! may not loosen them past the deployment's; the platform admin may). Then: a video
//! longer than the limit is refused at upload from its header and a first decode
//! (gRPC OUT_OF_RANGE / VIDEO_TOO_LONG, HTTP 413) and leaves nothing stored; an
//! upload while the tenant's analyses in flight are at the limit is refused before
//! a byte is stored (RESOURCE_EXHAUSTED / TOO_MANY_ANALYSES, HTTP 429 with
//! Retry-After) and accepted once the analysis ended; a file whose header does not
//! tell its length is stopped when decoding passes the limit (video FAILED with
//! VIDEO_TOO_LONG, not retried).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use fitvision_integration_tests::edge_http::{Body, Edge, api_key, assert_error, video_part};
use fitvision_integration_tests::{Suite, shared_video, with_api_key};
use fitvision_proto::v1::{
    FailureCode, GetVideoRequest, Role, SessionKind, UploadMetadata, Video, VideoStatus,
};
use fitvision_service_kit::failure::{self, failure_code};
use reqwest::Method;
use serde_json::{Value, json};

const TENANT: &str = "limits-demo";
/// 4.2 s, 126 frames at 30 fps.
const SHORT_CLIP: &str = "jumpingjack_black_bg.mp4";
/// 6.0 s.
const LONGER_CLIP: &str = "pushup_closeup_lowres_320x240_home.mp4";

fn metadata(path: &Path, exercise_id: &str) -> UploadMetadata {
    UploadMetadata {
        kind: SessionKind::Video as i32,
        exercise_id: exercise_id.to_owned(),
        filename: path.file_name().unwrap().to_string_lossy().into_owned(),
        ..Default::default()
    }
}

async fn upload(suite: &Suite, key: &str, path: &Path) -> Result<Video, tonic::Status> {
    let bytes = std::fs::read(path).expect("clip readable");
    suite
        .upload_chunks(key, metadata(path, "jumping_jacks"), vec![bytes])
        .await
        .expect("session service reachable")
}

/// Every stored object's path under the suite's object store.
fn stored_objects(suite: &Suite) -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&suite.objects_path().join("videos"), &mut found);
    found.sort();
    found
}

async fn put_limits(edge: &Edge, auth: &str, limits: Value) -> (u16, Value) {
    edge.send(
        Method::PUT,
        &format!("/admin/tenants/{TENANT}/analysis-limits"),
        Some(auth),
        Body::Json(limits),
    )
    .await
}

async fn get_video(suite: &Suite, key: &str, video_id: &str) -> Video {
    let request = with_api_key(
        key,
        GetVideoRequest {
            video_id: video_id.to_owned(),
        },
    )
    .unwrap();
    suite
        .session_client()
        .await
        .unwrap()
        .get_video(request)
        .await
        .expect("video readable")
        .into_inner()
        .video
        .expect("video")
}

/// `clip` re-muxed into a Matroska stream written to a pipe: the container then has
/// no duration and no frame count (nothing can seek back to write them).
fn without_length_in_header(clip: &Path, dir: &Path) -> PathBuf {
    let out = dir.join("streamed.mkv");
    let piped = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ffmpeg -v error -i '{}' -an -c:v copy -f matroska pipe:1 > '{}'",
            clip.display(),
            out.display()
        ))
        .status()
        .expect("ffmpeg runs (scripts/setup.sh installs it)");
    assert!(piped.success(), "ffmpeg re-mux failed");
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_are_bounded_by_the_tenants_analysis_limits() {
    let (Some(short), Some(longer)) = (shared_video(SHORT_CLIP), shared_video(LONGER_CLIP)) else {
        return;
    };
    let suite = Suite::start().await.expect("suite starts");
    let edge = Edge::new(suite.edge_url());
    let admin_key = suite
        .create_api_key(TENANT, "coach", Role::Admin)
        .await
        .expect("tenant admin key");
    let admin = api_key(&admin_key);
    let user = api_key(
        &suite
            .create_api_key(TENANT, "athlete", Role::User)
            .await
            .expect("tenant user key"),
    );
    let platform = api_key(&suite.admin_key);
    let route = format!("/admin/tenants/{TENANT}/analysis-limits");

    // The route: an admin of the tenant reads the deployment's limits.
    let (status, body) = edge.send(Method::GET, &route, None, Body::Empty).await;
    assert_error("limits without credentials", status, &body, 401, "error");
    let (status, body) = edge.get(&route, &user).await;
    assert_error("limits as a user", status, &body, 403, "error");
    let (status, body) = edge.get(&route, &admin).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"tenant_id": TENANT, "max_video_seconds": 600, "max_video_frames": 36000,
               "max_concurrent_analyses": 16})
    );
    let (status, body) = put_limits(&edge, &admin, json!({"max_video_seconds": -5})).await;
    assert_error("negative limit", status, &body, 400, "error");
    // Loosening past the deployment is the platform's call.
    let (status, body) = put_limits(&edge, &admin, json!({"max_video_seconds": 7200})).await;
    assert_error("tenant admin raising", status, &body, 403, "error");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("max_video_seconds 7200 > 600")),
        "{body}"
    );
    let (status, body) = put_limits(&edge, &platform, json!({"max_video_seconds": 7200})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["max_video_seconds"], 7200, "{body}");

    // Tightened by the tenant's admin: 5 s per video, one analysis at a time.
    let (status, body) = put_limits(
        &edge,
        &admin,
        json!({"max_video_seconds": 5, "max_concurrent_analyses": 1}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"tenant_id": TENANT, "max_video_seconds": 5, "max_video_frames": 36000,
               "max_concurrent_analyses": 1})
    );

    // Too long: refused from the header, nothing kept.
    let before = stored_objects(&suite);
    let refused = upload(&suite, &admin_key, &longer)
        .await
        .expect_err("a 6 s video over a 5 s limit");
    assert_eq!(refused.code(), tonic::Code::OutOfRange, "{refused:?}");
    assert_eq!(
        failure_code(&refused),
        Some(failure::FailureCode::VideoTooLong)
    );
    assert!(
        refused.message().contains("6.0 s") && refused.message().contains("at most 5 s"),
        "{}",
        refused.message()
    );
    assert_eq!(
        stored_objects(&suite),
        before,
        "a refused upload left files"
    );
    let (status, created) = edge.post("/session/create", &admin, Body::Empty).await;
    assert_eq!(status, 200, "{created}");
    let session = created["session_id"].as_str().expect("session_id");
    let submit_path = format!("/session/{session}/submit-exercise");
    let form = || {
        reqwest::multipart::Form::new()
            .text("exercise_type", "pushup")
            .part("video", video_part(&longer))
    };
    let (status, body) = edge.post(&submit_path, &admin, Body::Form(form())).await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("at most 5 s")),
        "{body}"
    );

    // One analysis in flight: the next upload waits for it.
    let first = upload(&suite, &admin_key, &short)
        .await
        .expect("a 4.2 s video within the limits");
    let busy = upload(&suite, &admin_key, &short)
        .await
        .expect_err("a second analysis while one is in flight");
    assert_eq!(busy.code(), tonic::Code::ResourceExhausted, "{busy:?}");
    assert_eq!(
        failure_code(&busy),
        Some(failure::FailureCode::TooManyAnalyses)
    );
    let response = edge
        .client
        .post(edge.url(&submit_path))
        .header("authorization", &admin)
        .multipart(form())
        .send()
        .await
        .expect("edge reachable");
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("30")
    );
    suite
        .watch_to_end(&first.video_id, Duration::from_secs(600))
        .await
        .expect("the first analysis ends");
    let first = get_video(&suite, &admin_key, &first.video_id).await;
    assert_eq!(first.status(), VideoStatus::Complete, "{first:?}");
    let next = upload(&suite, &admin_key, &short)
        .await
        .expect("accepted once the first analysis ended");
    suite
        .watch_to_end(&next.video_id, Duration::from_secs(600))
        .await
        .expect("the second analysis ends");

    // A header that does not tell the length: decoding stops at the frame limit.
    let (status, body) = put_limits(&edge, &admin, json!({"max_video_frames": 60})).await;
    assert_eq!(status, 200, "{body}");
    let dir = tempfile::tempdir().unwrap();
    let streamed = without_length_in_header(&short, dir.path());
    let video = match upload(&suite, &admin_key, &streamed).await {
        Ok(video) => video,
        Err(status) => panic!(
            "no length in the header: refused with {status:?}\n{}",
            suite.logs()
        ),
    };
    suite
        .watch_to_end(&video.video_id, Duration::from_secs(600))
        .await
        .expect("the analysis ends");
    let video = get_video(&suite, &admin_key, &video.video_id).await;
    assert_eq!(video.status(), VideoStatus::Failed, "{video:?}");
    assert_eq!(video.failure_code(), FailureCode::VideoTooLong, "{video:?}");
    assert!(
        video.failure_reason.contains("at most 60"),
        "{}",
        video.failure_reason
    );
}
