//! Checking a video while its pose track is still arriving gives the report the
//! finished track gives: the frame pass waits for the track only as far as each sample
//! needs, and the track checks run on the whole track. Real clips, real pose track (the
//! shared track cache or computed in-process), the track fed from another thread in
//! small batches while the frame pass runs.
//!
//!   cargo test -p fitvision-cheat-detection --features eval --test as_poses_arrive

use std::sync::Arc;
use std::time::Duration;

use fitvision_cheat_detection::eval;
use fitvision_cheat_detection::growing::GrowingTrack;
use fitvision_cheat_detection::{Analyzer, CheckError, Params, Policy, TextDetector};
use fitvision_proto::v1::PoseTrackEnd;

/// A clip with a cut (the sides of a cut read the track both ways) and a plain set.
const CLIPS: [(&str, &str); 2] = [
    ("pushup_side_stock_cut.mp4", "push_up"),
    ("squat_side_3reps.mp4", "squat"),
];

/// The shared videos' folder and an analyzer, or None (said on stderr) without the videos.
fn videos_and_analyzer() -> anyhow::Result<Option<(std::path::PathBuf, Analyzer)>> {
    let videos = eval::videos_dir();
    if !videos.is_dir() {
        eprintln!("skipped: needs the test videos at {}", videos.display());
        return Ok(None);
    }
    let models = fitvision_onnx::default_models_dir();
    let analyzer = Analyzer::new(TextDetector::load(&models, 2)?, Params::default());
    Ok(Some((videos, analyzer)))
}

#[test]
fn the_report_while_poses_arrive_is_the_report_on_the_finished_track() -> anyhow::Result<()> {
    let Some((videos, analyzer)) = videos_and_analyzer()? else {
        return Ok(());
    };
    for (clip, exercise) in CLIPS {
        let video = videos.join(clip);
        let (track, _) = eval::pose_track(&video, exercise)?;
        let whole = analyzer.analyze(&video, Some(&track), exercise, Policy::default())?;

        let growing = Arc::new(GrowingTrack::new());
        let feeder = {
            let growing = growing.clone();
            let track = track.clone();
            std::thread::spawn(move || {
                for batch in track.frames.chunks(8) {
                    // Slower than the frame pass at first, so that it has to wait.
                    std::thread::sleep(Duration::from_millis(2));
                    growing.push(batch.to_vec());
                }
                growing.finish(PoseTrackEnd {
                    schema: track.schema,
                    video: track.video.clone(),
                    model_id: track.model_id.clone(),
                });
            })
        };
        let arriving =
            analyzer.analyze_as_poses_arrive(&video, &growing, exercise, Policy::default())?;
        feeder.join().expect("feeder");
        assert!(
            !whole.report.checks.is_empty(),
            "{clip}: the report has its checks"
        );
        assert_eq!(arriving.report, whole.report, "{clip}");
        assert_eq!(arriving.camera_samples, whole.camera_samples, "{clip}");
    }
    Ok(())
}

/// A pose track that stops arriving half-way ends the check with that error, at once:
/// the frame pass stops waiting, and the decoding beside it stops with it instead of
/// blocking on pictures nobody takes.
#[test]
fn a_track_that_stops_arriving_ends_the_check_with_its_error() -> anyhow::Result<()> {
    let Some((videos, analyzer)) = videos_and_analyzer()? else {
        return Ok(());
    };
    let (clip, exercise) = CLIPS[1];
    let video = videos.join(clip);
    let (track, _) = eval::pose_track(&video, exercise)?;
    let growing = Arc::new(GrowingTrack::new());
    growing.push(track.frames[..track.frames.len() / 2].to_vec());
    let abandoner = {
        let growing = growing.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            growing.abandon();
        })
    };
    let outcome = analyzer.analyze_as_poses_arrive(&video, &growing, exercise, Policy::default());
    abandoner.join().expect("abandoner");
    match outcome {
        Err(CheckError::TrackAbandoned) => Ok(()),
        Err(other) => anyhow::bail!("{clip}: expected the abandoned track's error, got {other}"),
        Ok(_) => anyhow::bail!("{clip}: a check on half a track gave a report"),
    }
}
