//! Bad input gives a typed error and the status the edge maps to a reason, never a
//! panic. Runs without ../shared (clips are generated with ffmpeg).

mod common;

use std::process::Command;

use fitvision_pose_inference::{PoseError, PoseOptions};
use fitvision_service_kit::failure::{FailureCode, failure_code};
use fitvision_video::VideoError;
use tonic::Code;

#[test]
fn a_video_without_people_is_a_low_quality_pose_estimate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("pattern.mp4");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"])
        .args([
            "-i",
            "testsrc2=size=320x240:rate=10:duration=1",
            "-c:v",
            "libx264",
        ])
        .arg(&path)
        .status()
        .expect("ffmpeg");
    assert!(status.success());
    let error = common::engine()
        .extract(&path, &PoseOptions::default())
        .expect_err("no person in a test pattern");
    assert!(
        matches!(
            error,
            PoseError::NoPerson {
                analysed_frames: 10
            }
        ),
        "{error}"
    );
    let status = tonic::Status::from(error);
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(
        failure_code(&status),
        Some(FailureCode::LowQualityPoseEstimate)
    );
    assert!(
        status.message().starts_with("LOW_QUALITY_POSE_ESTIMATE:"),
        "{}",
        status.message()
    );
}

#[test]
fn unreadable_input_is_invalid_argument_with_a_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("upload.mp4");
    std::fs::write(&path, b"PK\x03\x04 definitely a zip, not a video").expect("write");
    let error = common::engine()
        .extract(&path, &PoseOptions::default())
        .expect_err("not a video");
    assert!(
        matches!(error, PoseError::Video(VideoError::NotAVideo(_))),
        "{error}"
    );
    let status = tonic::Status::from(error);
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(failure_code(&status), Some(FailureCode::UnreadableVideo));
    assert!(
        status.message().starts_with("UNREADABLE_VIDEO:"),
        "{}",
        status.message()
    );
}

#[test]
fn unknown_models_and_bad_options_are_rejected_before_decoding() {
    let missing = std::path::Path::new("/nonexistent/video.mp4");
    let unknown = PoseOptions {
        model_id: Some("no-such-model".to_owned()),
        ..PoseOptions::default()
    };
    let error = common::engine()
        .extract(missing, &unknown)
        .expect_err("unknown model");
    assert!(matches!(error, PoseError::UnknownModel { .. }), "{error}");
    assert_eq!(tonic::Status::from(error).code(), Code::InvalidArgument);

    let negative_rate = PoseOptions {
        target_fps: -5.0,
        ..PoseOptions::default()
    };
    let error = common::engine()
        .extract(missing, &negative_rate)
        .expect_err("bad rate");
    assert!(matches!(error, PoseError::InvalidOptions(_)), "{error}");
}
