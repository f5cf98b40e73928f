//! Issue 19: live rep counting through the edge's WebSocket, over the real suite.
//!
//! Real clips are played as a phone camera would send them (640 px JPEG frames at
//! 15 fps, at the clip's own pace) to `GET /live`: rep events arrive in order, one
//! per rep, and the final count equals the counted truth and what the same clip
//! gives uploaded. The set is stored as a session whose video is complete with the
//! same count (and, when asked, the frames as its original video). A browser's path (a token from `POST /live/token`, single use) and
//! the errors a client can make are checked too.

use std::time::Duration;

use fitvision_integration_tests::edge_http::{Body, Edge, api_key};
use fitvision_integration_tests::live_feed::{LiveTarget, camera_frames, stream_set};
use fitvision_integration_tests::{Suite, ground_truth, shared_video, with_api_key};
use fitvision_proto::v1::{GetVideoRequest, VideoStatus};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The rate and size of a phone preview streamed by the web page.
const CAMERA_FPS: f64 = 15.0;
const CAMERA_LONG_SIDE: i32 = 640;

async fn offline_count(suite: &Suite, clip: &std::path::Path, exercise: &str) -> u32 {
    let video = suite.upload(clip, exercise).await.expect("upload");
    suite
        .watch_to_end(&video.video_id, Duration::from_secs(600))
        .await
        .expect("analysis ends");
    stored_count(suite, &video.video_id).await
}

async fn stored_count(suite: &Suite, video_id: &str) -> u32 {
    stored_video(suite, video_id)
        .await
        .result
        .expect("result")
        .rep_count
}

/// A complete stored video.
async fn stored_video(suite: &Suite, video_id: &str) -> fitvision_proto::v1::Video {
    let video = fetch_video(suite, video_id).await;
    assert_eq!(
        video.status,
        VideoStatus::Complete as i32,
        "video {video_id}: {}",
        video.failure_reason
    );
    video
}

/// A stored video as the session service returns it.
async fn fetch_video(suite: &Suite, video_id: &str) -> fitvision_proto::v1::Video {
    suite
        .session_client()
        .await
        .unwrap()
        .get_video(
            with_api_key(
                &suite.admin_key,
                GetVideoRequest {
                    video_id: video_id.to_owned(),
                },
            )
            .unwrap(),
        )
        .await
        .expect("video readable")
        .into_inner()
        .video
        .expect("video")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_sets_count_like_uploads_and_are_kept() {
    let clips = ["squat_side_3reps.mp4", "pushup_side_tiny_426x226.mp4"];
    let Some(paths) = clips
        .iter()
        .map(|clip| shared_video(clip))
        .collect::<Option<Vec<_>>>()
    else {
        return;
    };
    let suite = Suite::start().await.expect("suite starts");
    let edge = Edge::new(suite.edge_url());
    let admin = api_key(&suite.admin_key);
    for (clip, path) in clips.iter().zip(&paths) {
        let (exercise, truth) = ground_truth(clip).expect("counted clip");
        let frames = camera_frames(path, CAMERA_FPS, CAMERA_LONG_SIDE).expect("clip decodes");
        // The browser's way in: a single-use token instead of a header.
        let (status, token) = edge.post("/live/token", &admin, Body::Empty).await;
        assert_eq!(status, 200, "{token}");
        // The first set also keeps its frames as the stored video.
        let record = clip == &clips[0];
        let query = format!(
            "activity={exercise}&token={}&record={record}",
            token["token"].as_str().expect("token")
        );
        let target = LiveTarget {
            edge_url: &edge.base,
            authorization: None,
            query: &query,
        };
        let live = stream_set(&target, &frames, true)
            .await
            .expect("live set streams");
        assert!(live.error.is_none(), "{clip}: {:?}", live.error);
        let summary = live.summary.as_ref().expect("a summary ends the set");
        let counts: Vec<u64> = live
            .reps
            .iter()
            .map(|rep| rep["count"].as_u64().unwrap())
            .collect();
        let ends: Vec<f64> = live
            .reps
            .iter()
            .map(|rep| rep["end_ms"].as_f64().unwrap())
            .collect();
        eprintln!(
            "{clip}: {} frames sent, {} poses, summary {summary}, rep latencies {:?} ms",
            frames.len(),
            live.poses,
            live.rep_latencies_ms
        );
        assert_eq!(
            counts,
            (1..=u64::from(truth)).collect::<Vec<_>>(),
            "{clip}: one rep event per rep, in order"
        );
        assert!(
            ends.windows(2).all(|w| w[0] < w[1]),
            "{clip}: reps end in order: {ends:?}"
        );
        assert!(
            live.rep_latencies_ms.len() == counts.len(),
            "{clip}: every rep event follows the frame that ends it"
        );
        assert_eq!(summary["rep_count"], u64::from(truth), "{clip}: live count");
        assert_eq!(
            summary["authenticity"]["blocked"], false,
            "{clip}: an honest set passes the live checks: {}",
            summary["authenticity"]
        );
        assert!(live.poses > 0 && !live.statuses.is_empty());
        let offline = offline_count(&suite, path, &exercise).await;
        assert_eq!(offline, truth, "{clip}: uploaded count");
        // The set is kept: a complete video with the same count.
        let video_id = summary["video_id"].as_str().expect("stored video id");
        assert_eq!(
            stored_count(&suite, video_id).await,
            truth,
            "{clip}: stored"
        );
        // A used token does not open a second socket.
        let reused = stream_set(&target, &frames[..1], false).await;
        assert!(reused.is_err(), "{clip}: a live token is single-use");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_refuses_what_it_cannot_count() {
    let suite = Suite::start().await.expect("suite starts");
    let admin = api_key(&suite.admin_key);
    let ws = suite.edge_url().replacen("http", "ws", 1);
    let status_of = |query: &str, authorization: Option<&str>| {
        let mut request = format!("{ws}/live?{query}").into_client_request().unwrap();
        if let Some(value) = authorization {
            request
                .headers_mut()
                .insert("authorization", value.parse().unwrap());
        }
        async move {
            match tokio_tungstenite::connect_async(request).await {
                Ok(_) => 101,
                Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                    response.status().as_u16()
                }
                Err(other) => panic!("unexpected failure: {other}"),
            }
        }
    };
    assert_eq!(status_of("activity=squat", None).await, 401);
    assert_eq!(status_of("activity=squat&token=made-up", None).await, 401);
    assert_eq!(
        status_of("activity=squat", Some("API-KEY wrong")).await,
        401
    );
    assert_eq!(status_of("", Some(&admin)).await, 400);
    assert_eq!(
        status_of("activity=underwater_basket_weaving", Some(&admin)).await,
        400
    );
    assert_eq!(status_of("activity=squat", Some(&admin)).await, 101);
    // Not a WebSocket request: a plain GET is told so.
    let edge = Edge::new(suite.edge_url());
    let (status, body) = edge.get("/live?activity=squat", &admin).await;
    assert!(matches!(status, 400 | 426), "{status} {body}");
    // A frame that is not a picture ends the set with an error event.
    let target = LiveTarget {
        edge_url: &edge.base,
        authorization: Some(&admin),
        query: "activity=squat",
    };
    let junk = [fitvision_integration_tests::live_feed::CameraFrame {
        timestamp_ms: 0.0,
        jpeg: b"not a jpeg at all".to_vec(),
    }];
    let outcome = stream_set(&target, &junk, false).await.expect("socket");
    let error = outcome.error.expect("an error event");
    assert_eq!(error["code"], "InvalidArgument", "{error}");
    assert!(outcome.summary.is_none());
}

/// A recorded set replayed 4x too fast (as a cheat streaming a video file would) is
/// reported by the body-physics check of the live track, by either of its clocks: the
/// body moves faster than the exercise's controlled tempo at the feed's clock (a
/// finding that never blocks alone: an explosive set is honest), or it falls faster
/// than gravity allows over several frames (which blocks). Which one holds depends on
/// the frames analysed: a live session drops pictures while its machine is behind, so
/// a loaded machine analyses fewer of them. The honest sets above are not blocked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sped_up_replay_is_reported() {
    const SPEED_UP: f64 = 4.0;
    let Some(path) = shared_video("squat_side_3reps.mp4") else {
        return;
    };
    let suite = Suite::start().await.expect("suite starts");
    let edge = Edge::new(suite.edge_url());
    let admin = api_key(&suite.admin_key);
    // A 15 fps feed whose pictures come from a clip played 4x too fast.
    let mut frames =
        camera_frames(&path, CAMERA_FPS / SPEED_UP, CAMERA_LONG_SIDE).expect("clip decodes");
    for frame in &mut frames {
        frame.timestamp_ms /= SPEED_UP;
    }
    let target = LiveTarget {
        edge_url: &edge.base,
        authorization: Some(&admin),
        query: "activity=squat",
    };
    let live = stream_set(&target, &frames, true).await.expect("streams");
    let summary = live.summary.expect("summary");
    let authenticity = &summary["authenticity"];
    eprintln!("4x replay: {authenticity}");
    let manipulation = authenticity["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["check"] == "manipulation"))
        .expect("the body-physics check ran");
    let reason = manipulation["reason"].as_str().unwrap();
    assert!(
        manipulation["score"].as_f64().unwrap() > 0.0
            && (reason.contains("sped-up playback")
                || reason.contains("plays faster than it was filmed")),
        "{manipulation}"
    );
    // Stored with its report, like an upload under the same verdict.
    let video_id = summary["video_id"].as_str().expect("stored");
    let stored = fetch_video(&suite, video_id).await;
    let report = stored.authenticity.expect("report stored");
    assert_eq!(report.blocked, authenticity["blocked"].as_bool().unwrap());
}

/// A held exercise reports its hold time while it runs and in the summary, which
/// agrees with the engine's hold time for the same clip analysed offline (and with
/// the manifest's approximate hold: from ~frame 60 to ~950 of 1050 at 30 fps).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plank_reports_its_hold_time_live() {
    const HELD_S: f64 = (950.0 - 60.0) / 30.0;
    let Some(path) = shared_video("plank_screenrec.mp4") else {
        return;
    };
    let suite = Suite::start().await.expect("suite starts");
    let edge = Edge::new(suite.edge_url());
    let admin = api_key(&suite.admin_key);
    let frames = camera_frames(&path, CAMERA_FPS, CAMERA_LONG_SIDE).expect("clip decodes");
    let target = LiveTarget {
        edge_url: &edge.base,
        authorization: Some(&admin),
        query: "activity=plank&keep=false",
    };
    let live = stream_set(&target, &frames, true).await.expect("streams");
    let summary = live.summary.expect("summary");
    let held = summary["hold_time_s"].as_f64().unwrap();
    let running: Vec<f64> = live
        .statuses
        .iter()
        .filter_map(|s| s["hold_time_s"].as_f64())
        .collect();
    eprintln!("plank: held {held:.1} s (truth ~{HELD_S:.1} s); running {running:?}");
    let offline = {
        let catalog = fitvision_exercise_engine::Catalog::builtin().unwrap();
        let plank = catalog.get("plank").expect("plank in the catalog");
        let track = fitvision_clip_fixtures::cached_pose_track(
            &path,
            &fitvision_clip_fixtures::pose_options_for("plank"),
        )
        .expect("offline track")
        .track;
        fitvision_exercise_engine::analyze(
            plank,
            &track,
            &fitvision_proto::v1::Subject::default(),
            &fitvision_exercise_engine::AnalyzeOptions::default(),
        )
        .expect("offline analysis")
        .hold_time_s
    };
    eprintln!("plank offline: held {offline:.1} s");
    assert!(
        (held - offline).abs() <= 1.5,
        "live {held} s, offline {offline} s"
    );
    // The manifest's frames are approximate ("~"): a loose bound only.
    assert!((held - HELD_S).abs() <= 0.15 * HELD_S, "hold {held} s");
    assert!(
        running.windows(2).all(|w| w[1] >= w[0] - 0.5) && running.iter().any(|h| *h > 10.0),
        "the hold time grows while the set runs: {running:?}"
    );
    assert!(summary["video_id"].as_str().unwrap_or_default().is_empty());
}

/// A feed that sends the same picture for seconds (a frozen or faked camera) is
/// reported while it runs and in the summary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_feed_is_reported() {
    let Some(path) = shared_video("squat_side_3reps.mp4") else {
        return;
    };
    let suite = Suite::start().await.expect("suite starts");
    let edge = Edge::new(suite.edge_url());
    let admin = api_key(&suite.admin_key);
    let live_frames = camera_frames(&path, CAMERA_FPS, CAMERA_LONG_SIDE).expect("decodes");
    // One second of real pictures, then the same picture for three seconds.
    let mut frames: Vec<_> = live_frames.into_iter().take(15).collect();
    let still = frames.last().unwrap().jpeg.clone();
    let start_ms = frames.last().unwrap().timestamp_ms;
    frames.extend(
        (1..=45).map(|i| fitvision_integration_tests::live_feed::CameraFrame {
            timestamp_ms: start_ms + f64::from(i) * 1000.0 / CAMERA_FPS,
            jpeg: still.clone(),
        }),
    );
    let target = LiveTarget {
        edge_url: &edge.base,
        authorization: Some(&admin),
        query: "activity=squat&keep=false",
    };
    let live = stream_set(&target, &frames, true).await.expect("streams");
    let frozen = |checks: &serde_json::Value| {
        checks
            .as_array()
            .is_some_and(|all| all.iter().any(|c| c["check"] == "frozen_feed"))
    };
    assert!(
        live.statuses.iter().any(|s| frozen(&s["checks"])),
        "a status reports the frozen feed: {:?}",
        live.statuses
    );
    let summary = live.summary.expect("summary");
    assert!(frozen(&summary["checks"]), "{summary}");
}
