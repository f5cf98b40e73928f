//! The main job end to end: `fitvision analyze` uploads a real video to a
//! running suite over gRPC, follows progress and prints the counted reps.

use std::path::Path;
use std::process::Command;

use fitvision_integration_tests::{Suite, session_audit, shared_video, workspace_binary};
use fitvision_session::convert::{PosesOutcome, STEP_POSES};
use fitvision_session::db::entity::step_result;
use prost::Message as _;
use sea_orm::EntityTrait;

/// Runs `fitvision analyze VIDEO ARGS` against the suite as its admin; asserts it
/// succeeded and returns (stdout, stderr).
async fn analyze(suite: &Suite, video: &Path, args: &[&str]) -> (String, String) {
    let server = Suite::grpc_url(suite.ports.session);
    let key = suite.admin_key.clone();
    let video = video.to_owned();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(workspace_binary("fitvision"))
            .arg("analyze")
            .arg(&video)
            .args(&args)
            .args(["--server", &server, "--api-key", &key])
            .output()
            .expect("fitvision analyze runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "analyze failed\nstdout:\n{stdout}\nstderr:\n{stderr}\nsuite logs:\n{}",
        suite.logs()
    );
    (stdout, stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn analyze_command_counts_the_reps_of_a_real_squat_video() {
    let Some(video) = shared_video("squat_side_3reps.mp4") else {
        return;
    };
    let suite = Suite::start().await.expect("suite starts");
    let (stdout, stderr) = analyze(&suite, &video, &["--exercise", "squat"]).await;
    assert!(stdout.contains("VIDEO_STATUS_COMPLETE"), "{stdout}");
    let reps_line = stdout
        .lines()
        .find(|line| line.starts_with("reps "))
        .unwrap_or_else(|| panic!("no reps line:\n{stdout}"));
    let reps: u32 = reps_line
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(reps, 3, "ground truth: 3 squats\n{stdout}");
    let video_id = stderr
        .lines()
        .find_map(|line| line.strip_prefix("uploaded as video "))
        .unwrap_or_else(|| panic!("no video id:\n{stderr}"))
        .trim()
        .to_owned();

    // A squat is a controlled exercise: the pose stage analyses it at the 15 fps its
    // definition needs, every other frame of this 30 fps clip (161 of 322), not every
    // frame (FITVISION_POSE_RATE_FROM_EXERCISE=false would).
    let db = session_audit::connect(&suite).await.unwrap();
    let poses = step_result::Entity::find_by_id((video_id.clone(), STEP_POSES.to_owned()))
        .one(&db)
        .await
        .unwrap()
        .expect("the poses step is stored");
    let outcome = PosesOutcome::decode(poses.payload.as_slice()).unwrap();
    assert_eq!(outcome.frames_analysed, 161, "{outcome:?}");
}

/// Without `--exercise` the upload (gRPC `UploadVideo` with no exercise) is analysed as
/// the exercise recognised from the poses, and the command says so.
#[tokio::test(flavor = "multi_thread")]
async fn analyze_without_an_exercise_recognises_and_counts_it() {
    let Some(video) = shared_video("pushup_side_tiny_426x226.mp4") else {
        return;
    };
    let suite = Suite::start().await.expect("suite starts");
    let (stdout, _) = analyze(&suite, &video, &[]).await;
    assert!(stdout.contains("exercise   push_up (rep)"), "{stdout}");
    assert!(stdout.contains("recognised, confidence"), "{stdout}");
    // ground_truth.json: 8 push-ups, the count the labelled upload gives too.
    assert!(stdout.lines().any(|l| l == "reps       8"), "{stdout}");
}
