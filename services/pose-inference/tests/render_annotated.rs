//! The annotated video plays in a browser: ffprobe says H.264, yuv420p, the
//! index (moov) before the media (mdat), the source's displayed size, and a
//! duration within one frame of the source's.
//!
//! Uses real clips from `../shared/videos` (skipped with a message when absent).
//! The pose track here is synthetic (a figure that squats in the middle of the
//! frame), so the test needs no model and checks every overlay element's code
//! path; `render_real_track.rs` draws a real track from the pose model.

use std::path::{Path, PathBuf};
use std::process::Command;

use fitvision_clip_fixtures::shared_video;
use fitvision_pose_inference::render::{Flavour, RenderJob, render_to_file};
use fitvision_proto::v1::{
    AnalysisResult, AuthenticityCheck, AuthenticityReport, BoundingBox, Evidence, Keypoint,
    PersonPose, Phase, PoseFrame, PoseTrack, Rep, RiskLevel, Series, VideoInfo,
};
use fitvision_video::VideoDecoder;

/// Every decoded frame's timestamp, and the displayed size.
fn probe_with_decoder(video: &Path) -> (Vec<f64>, u32, u32) {
    let decoder = VideoDecoder::open(video).expect("decodable");
    let (w, h) = (decoder.meta().width, decoder.meta().height);
    let times = decoder.map(|f| f.expect("frame").timestamp_ms).collect();
    (times, w, h)
}

/// A standing figure whose hips sink and rise once per `period_ms`.
fn figure(w: f32, h: f32, t_ms: f64, period_ms: f64) -> Vec<Keypoint> {
    let depth = (0.5 - 0.5 * (2.0 * std::f64::consts::PI * t_ms / period_ms).cos()) as f32;
    let cx = w / 2.0;
    let unit = h / 10.0;
    let sink = depth * unit;
    let at = |x: f32, y: f32| Keypoint {
        x_px: x,
        y_px: y,
        x_norm: x / w,
        y_norm: y / h,
        score: 0.9,
    };
    vec![
        at(cx, 2.0 * unit + sink),
        at(cx - 0.2 * unit, 1.8 * unit + sink),
        at(cx + 0.2 * unit, 1.8 * unit + sink),
        at(cx - 0.4 * unit, 1.9 * unit + sink),
        at(cx + 0.4 * unit, 1.9 * unit + sink),
        at(cx - unit, 3.0 * unit + sink),
        at(cx + unit, 3.0 * unit + sink),
        at(cx - 1.2 * unit, 4.5 * unit + sink),
        at(cx + 1.2 * unit, 4.5 * unit + sink),
        at(cx - 1.3 * unit, 3.2 * unit + sink),
        at(cx + 1.3 * unit, 3.2 * unit + sink),
        at(cx - 0.6 * unit, 5.5 * unit + sink),
        at(cx + 0.6 * unit, 5.5 * unit + sink),
        at(cx - 0.7 - depth * unit, 7.0 * unit + sink / 2.0),
        at(cx + 0.7 + depth * unit, 7.0 * unit + sink / 2.0),
        at(cx - 0.6 * unit, 8.5 * unit),
        at(cx + 0.6 * unit, 8.5 * unit),
    ]
}

fn synthetic_track(times: &[f64], w: u32, h: u32, period_ms: f64) -> PoseTrack {
    let frames = times
        .iter()
        .enumerate()
        .map(|(i, &t)| PoseFrame {
            camera: None,
            interpolated: false,
            frame_index: i as u32,
            timestamp_ms: t,
            persons: vec![PersonPose {
                track_id: 1,
                r#box: Some(BoundingBox {
                    x_px: w as f32 / 2.0 - h as f32 / 7.0,
                    y_px: h as f32 / 6.0,
                    width_px: h as f32 / 3.5,
                    height_px: h as f32 * 0.7,
                }),
                confidence: 0.9,
                keypoints: figure(w as f32, h as f32, t, period_ms),
            }],
        })
        .collect();
    let duration_ms = times.last().copied().unwrap_or(0.0) + 1000.0 / 30.0;
    PoseTrack {
        video: Some(VideoInfo {
            width_px: w,
            height_px: h,
            fps: (times.len() as f64) * 1000.0 / duration_ms,
            frame_count: times.len() as u32,
            duration_ms,
            ..Default::default()
        }),
        frames,
        ..Default::default()
    }
}

fn synthetic_result(times: &[f64], period_ms: f64) -> AnalysisResult {
    let end = times.last().copied().unwrap_or(0.0);
    let reps: Vec<Rep> = (0..)
        .map(|i| f64::from(i) * period_ms)
        .take_while(|start| start + period_ms <= end)
        .enumerate()
        .map(|(i, start)| Rep {
            index: i as u32 + 1,
            start_timestamp_ms: start,
            mid_timestamp_ms: start + period_ms / 2.0,
            end_timestamp_ms: start + period_ms,
            ..Default::default()
        })
        .collect();
    let knee: Vec<f64> = times
        .iter()
        .map(|t| 170.0 - 80.0 * (0.5 - 0.5 * (2.0 * std::f64::consts::PI * t / period_ms).cos()))
        .collect();
    let phase = |name: &str, a: f64, b: f64| Phase {
        name: name.to_owned(),
        start_timestamp_ms: a,
        end_timestamp_ms: b,
        ..Default::default()
    };
    AnalysisResult {
        exercise_id: "squat".to_owned(),
        mode: "rep".to_owned(),
        rep_count: reps.len() as u32,
        reps,
        series: [(
            "left_knee_angle".to_owned(),
            Series {
                unit: "deg".to_owned(),
                values: knee,
            },
        )]
        .into(),
        series_timestamps_ms: times.to_vec(),
        phases: vec![
            phase("setup", 0.0, end * 0.2),
            phase("first_pull", end * 0.2, end * 0.4),
            phase("flight", end * 0.5, end * 0.6),
        ],
        metrics: [("jump_height_cm".to_owned(), 42.0)].into(),
        subject_track_id: 1,
        ..Default::default()
    }
}

fn flagged_report(end_ms: f64) -> AuthenticityReport {
    AuthenticityReport {
        score: 35.0,
        risk_level: RiskLevel::Medium as i32,
        checks: vec![AuthenticityCheck {
            check: "text_overlay".to_owned(),
            flagged: true,
            evidence: vec![Evidence {
                start_timestamp_ms: 0.0,
                end_timestamp_ms: end_ms / 2.0,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[derive(Debug)]
struct Probe {
    codec: String,
    pix_fmt: String,
    width: u32,
    height: u32,
    duration_s: f64,
    frames: u32,
}

fn ffprobe(path: &Path) -> Probe {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-count_packets"])
        .args([
            "-show_entries",
            "stream=codec_name,pix_fmt,width,height,duration,nb_read_packets",
        ])
        .args(["-of", "default=noprint_wrappers=1"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(
        output.status.success(),
        "ffprobe failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("utf8");
    let field = |name: &str| -> String {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("ffprobe gave no {name}: {text}"))
            .to_owned()
    };
    Probe {
        codec: field("codec_name"),
        pix_fmt: field("pix_fmt"),
        width: field("width").parse().expect("width"),
        height: field("height").parse().expect("height"),
        duration_s: field("duration").parse().expect("duration"),
        frames: field("nb_read_packets").parse().expect("packets"),
    }
}

/// Top-level MP4 box types in file order.
fn top_level_boxes(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).expect("read mp4");
    let mut boxes = Vec::new();
    let mut offset = 0usize;
    while offset + 8 <= bytes.len() {
        let size32 =
            u32::from_be_bytes(bytes[offset..offset + 4].try_into().expect("4 bytes")) as u64;
        let kind = String::from_utf8_lossy(&bytes[offset + 4..offset + 8]).into_owned();
        let size = match size32 {
            0 => (bytes.len() - offset) as u64,
            1 => u64::from_be_bytes(bytes[offset + 8..offset + 16].try_into().expect("8 bytes")),
            n => n,
        };
        boxes.push(kind);
        if size < 8 {
            break;
        }
        offset += size as usize;
    }
    boxes
}

fn source_video_duration_s(path: &Path) -> f64 {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=duration",
        ])
        .args(["-of", "default=noprint_wrappers=1:nokey=1"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("source duration")
}

fn assert_browser_playable(
    source: &Path,
    output: &Path,
    expected_frames: usize,
    fps: f64,
    w: u32,
    h: u32,
) {
    let probe = ffprobe(output);
    assert_eq!(probe.codec, "h264", "{probe:?}");
    assert_eq!(probe.pix_fmt, "yuv420p", "{probe:?}");
    // Odd sides are padded by one pixel for yuv420p.
    assert_eq!(
        (probe.width, probe.height),
        (w + w % 2, h + h % 2),
        "{probe:?}"
    );
    assert_eq!(
        probe.frames as usize, expected_frames,
        "every decoded frame is written once"
    );
    let boxes = top_level_boxes(output);
    let moov = boxes.iter().position(|b| b == "moov").expect("moov box");
    let mdat = boxes.iter().position(|b| b == "mdat").expect("mdat box");
    assert!(
        moov < mdat,
        "faststart: moov must precede mdat, got {boxes:?}"
    );
    let source_s = source_video_duration_s(source);
    let frame_s = 1.0 / fps;
    assert!(
        (probe.duration_s - source_s).abs() <= frame_s + 1e-6,
        "duration {} s vs source {} s (one frame = {} s)",
        probe.duration_s,
        source_s,
        frame_s
    );
}

fn render_synthetic(name: &str, flavour: Flavour, snapshots: bool) {
    let Some(source) = shared_video(name) else {
        return;
    };
    let (times, w, h) = probe_with_decoder(&source);
    let period_ms = 1500.0;
    let track = synthetic_track(&times, w, h, period_ms);
    let result = synthetic_result(&times, period_ms);
    let report = flagged_report(*times.last().expect("frames"));
    let dir = tempfile::tempdir().expect("tempdir");
    let output = dir.path().join("annotated.mp4");
    let rendered = render_to_file(&RenderJob {
        video: &source,
        track: &track,
        result: Some(&result),
        authenticity: Some(&report),
        flavour,
        output: &output,
        with_snapshots: snapshots,
    })
    .expect("render");
    assert_eq!(rendered.frames_written as usize, times.len());
    assert_browser_playable(&source, &output, times.len(), rendered.fps, w, h);
    if snapshots {
        let names: Vec<&str> = rendered.snapshots.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "start_of_lifting",
                "setup_end",
                "first_pull_end",
                "flight_end"
            ]
        );
        for (name, jpeg) in &rendered.snapshots {
            assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]), "{name} is a JPEG");
        }
    } else {
        assert!(rendered.snapshots.is_empty());
    }
    if let Some(dir) = std::env::var_os("FITVISION_RENDER_KEEP") {
        let keep = PathBuf::from(dir);
        std::fs::create_dir_all(&keep).expect("keep dir");
        std::fs::copy(&output, keep.join(format!("synthetic-{name}"))).expect("keep copy");
        for (snapshot, jpeg) in &rendered.snapshots {
            std::fs::write(keep.join(format!("{name}-{snapshot}.jpg")), jpeg)
                .expect("keep snapshot");
        }
    }
}

#[test]
fn all_overlay_on_a_30fps_landscape_clip_plays_in_a_browser() {
    render_synthetic("squat_side_3reps.mp4", Flavour::All, true);
}

#[test]
fn skeleton_overlay_keeps_a_tiny_odd_sized_clip_playable() {
    // 426x226 at 24 fps: the smallest clip, odd width after halving is padded.
    render_synthetic("pushup_side_tiny_426x226.mp4", Flavour::Skeleton, false);
}

#[test]
fn ntsc_rate_clip_keeps_its_duration() {
    // 29.97 fps (30000/1001) exercises non-integer frame rates.
    render_synthetic("pullup_front_outdoor_longhang.mp4", Flavour::All, false);
}

#[test]
fn rotated_phone_video_comes_out_as_displayed() {
    let Some(source) = shared_video("jump_cmj_overlay78cm.mp4") else {
        return;
    };
    // A phone records sideways and stores a rotation: make such a file.
    let dir = tempfile::tempdir().expect("tempdir");
    let rotated = dir.path().join("rotated.mp4");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(&source)
        .args(["-c", "copy", "-metadata:s:v:0", "rotate=90"])
        .arg(&rotated)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    let (times, w, h) = probe_with_decoder(&rotated);
    assert_eq!((w, h), (854, 480), "decoder applies the rotation");
    let track = synthetic_track(&times, w, h, 1000.0);
    let output = dir.path().join("annotated.mp4");
    let rendered = render_to_file(&RenderJob {
        video: &rotated,
        track: &track,
        result: None,
        authenticity: None,
        flavour: Flavour::Skeleton,
        output: &output,
        with_snapshots: false,
    })
    .expect("render");
    // Displayed orientation, baked in: no rotation metadata left for players to get wrong.
    assert_browser_playable(&rotated, &output, times.len(), rendered.fps, w, h);
}

#[test]
fn a_track_from_another_video_is_refused() {
    let Some(source) = shared_video("jump_cmj_overlay78cm.mp4") else {
        return;
    };
    let track = synthetic_track(&[0.0, 33.3], 1920, 1080, 1000.0);
    let dir = tempfile::tempdir().expect("tempdir");
    let error = render_to_file(&RenderJob {
        video: &source,
        track: &track,
        result: None,
        authenticity: None,
        flavour: Flavour::All,
        output: &dir.path().join("x.mp4"),
        with_snapshots: false,
    })
    .expect_err("size mismatch");
    let status: tonic::Status = error.into();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition, "{status:?}");
}

#[tokio::test]
async fn the_rpc_stores_the_video_and_phase_snapshots() {
    use fitvision_pose_inference::render::render_annotated_video;
    use fitvision_proto::v1::{ObjectRef, OverlayKind, RenderAnnotatedVideoRequest};
    use prost::Message;

    let Some(source) = shared_video("jumpingjack_black_bg.mp4") else {
        return;
    };
    let (times, w, h) = probe_with_decoder(&source);
    let track = synthetic_track(&times, w, h, 1000.0);
    let result = synthetic_result(&times, 1000.0);
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = fitvision_storage::Storage::local(dir.path()).expect("storage");
    storage
        .put_bytes(
            "videos/v1/original.mp4",
            std::fs::read(&source).expect("read"),
        )
        .await
        .expect("put video");
    storage
        .put_bytes("videos/v1/pose_track.pb", track.encode_to_vec())
        .await
        .expect("put track");
    let key = |k: &str| {
        Some(ObjectRef {
            key: k.to_owned(),
            ..Default::default()
        })
    };
    let response = render_annotated_video(
        &storage,
        RenderAnnotatedVideoRequest {
            video: key("videos/v1/original.mp4"),
            pose_track: key("videos/v1/pose_track.pb"),
            result: Some(result),
            authenticity: None,
            overlay: OverlayKind::All as i32,
            output_key: "videos/v1/annotated_all.mp4".to_owned(),
            snapshot_key_prefix: "videos/v1/phases/".to_owned(),
        },
    )
    .await
    .expect("render");
    let video = response.video.expect("video ref");
    assert_eq!(video.key, "videos/v1/annotated_all.mp4");
    assert_eq!(video.content_type, "video/mp4");
    let stored = storage.local_copy(&video.key).await.expect("stored");
    assert_eq!(
        std::fs::metadata(stored.as_ref()).expect("meta").len(),
        video.size_bytes
    );
    assert_browser_playable(
        &source,
        stored.as_ref(),
        times.len(),
        track.video.as_ref().expect("info").fps,
        w,
        h,
    );
    let mut names: Vec<&str> = response
        .phase_snapshots
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "first_pull_end",
            "flight_end",
            "setup_end",
            "start_of_lifting"
        ]
    );
    let snapshot = &response.phase_snapshots["flight_end"];
    assert_eq!(snapshot.key, "videos/v1/phases/flight_end.jpg");
    let jpeg = storage
        .get_bytes(&snapshot.key)
        .await
        .expect("snapshot stored");
    assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]));

    // Bad requests are refused with a status that says why.
    let missing = render_annotated_video(
        &storage,
        RenderAnnotatedVideoRequest {
            video: key("videos/v1/original.mp4"),
            pose_track: key("videos/none/pose_track.pb"),
            output_key: "videos/v1/x.mp4".to_owned(),
            ..Default::default()
        },
    )
    .await
    .expect_err("missing track");
    assert_eq!(missing.code(), tonic::Code::NotFound, "{missing:?}");
    let no_output = render_annotated_video(
        &storage,
        RenderAnnotatedVideoRequest {
            video: key("videos/v1/original.mp4"),
            pose_track: key("videos/v1/pose_track.pb"),
            ..Default::default()
        },
    )
    .await
    .expect_err("no output key");
    assert_eq!(no_output.code(), tonic::Code::InvalidArgument);
    storage
        .put_bytes("videos/v1/garbage.pb", b"\xff\xff\xff not a track".to_vec())
        .await
        .expect("put");
    let garbage = render_annotated_video(
        &storage,
        RenderAnnotatedVideoRequest {
            video: key("videos/v1/original.mp4"),
            pose_track: key("videos/v1/garbage.pb"),
            output_key: "videos/v1/x.mp4".to_owned(),
            ..Default::default()
        },
    )
    .await
    .expect_err("garbage track");
    assert_eq!(garbage.code(), tonic::Code::FailedPrecondition);
}
