//! The built-in coach on real clips from `../shared/videos`: the shipped pose
//! model gives the track, the exercise engine analyses it, and the coach's
//! text must state the measured rep count and the heaviest fault with its rate.
//!
//! Tracks come from the shared cache of `fitvision_clip_fixtures`
//! (/var/tmp/fitvision-tracks or $FITVISION_TRACK_CACHE) so reruns skip inference.
//! Skips with a message when the videos are absent.

mod common;

use std::path::Path;

use fitvision_clip_fixtures::{cached_pose_track, shared_video, shared_videos_dir};
use fitvision_coaching::Coach;
use fitvision_coaching::digest::ExerciseDigest;
use fitvision_coaching::language::Language;
use fitvision_coaching::units::UnitSystem;
use fitvision_exercise_engine::{AnalyzeOptions, Catalog, analyze};
use fitvision_pose_inference::pipeline::PoseOptions;
use fitvision_proto::v1::{AnalysisResult, MeasurementSystem, PoseTrack};

/// The clip's pose track, from the shared cache or the model (committed, so a failed
/// extraction fails the test).
fn pose_track(video: &Path) -> PoseTrack {
    cached_pose_track(video, &PoseOptions::default())
        .unwrap_or_else(|error| panic!("pose track of {}: {error:#}", video.display()))
        .track
}

/// Ground-truth rep count of a clip, for the printed comparison.
fn truth(file: &str) -> Option<u64> {
    let text = std::fs::read_to_string(shared_videos_dir().join("ground_truth.json")).ok()?;
    let entries: serde_json::Value = serde_json::from_str(&text).ok()?;
    entries
        .as_array()?
        .iter()
        .find(|entry| entry["file"] == file)?["reps"]
        .as_u64()
}

fn analysed(file: &str, exercise_id: &str) -> Option<AnalysisResult> {
    let track = pose_track(&shared_video(file)?);
    let catalog = Catalog::builtin().expect("built-in catalog");
    let definition = catalog.get(exercise_id).expect("catalog exercise");
    let subject = common::subject(MeasurementSystem::Metric);
    Some(analyze(definition, &track, &subject, &AnalyzeOptions::default()).expect("analysis"))
}

fn coach_real_clip(file: &str, exercise_id: &str) {
    let Some(result) = analysed(file, exercise_id) else {
        return;
    };
    let reps = result.rep_count;
    println!(
        "{file}: counted {reps}, truth {:?}, form score {:.2}",
        truth(file),
        result.form_score
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for (tag, language) in [("en", Language::English), ("zh", Language::Chinese)] {
        let request = common::request(
            vec![result.clone()],
            common::subject(MeasurementSystem::Metric),
            tag,
            &["overall"],
        );
        let feedback = runtime
            .block_on(Coach::builtin().generate(&request))
            .unwrap();
        let text = &feedback[0].text;
        println!("{text}\n");

        let count = match (language, reps) {
            (Language::English, 1) => "1 rep counted".to_owned(),
            (Language::English, _) => format!("{reps} reps counted"),
            (Language::Chinese, _) => format!("共完成{reps}次"),
        };
        assert!(text.contains(&count), "{count:?} missing from {text}");

        let digest = ExerciseDigest::new(&result, UnitSystem::Metric, language);
        if let Some(fault) = digest.top_fault() {
            let rate = fault.rate.format(language);
            let label = fitvision_coaching::script::ChineseScript::Simplified
                .convert(&fault.label(language));
            let expected = match language {
                Language::English => format!("1. {label}: failed "),
                Language::Chinese => format!("1. {label}："),
            };
            assert!(text.contains(&expected), "{expected:?} missing from {text}");
            assert!(text.contains(&format!("({rate})")) || text.contains(&format!("（{rate}）")));
        }
    }
}

#[test]
fn coaching_a_real_squat_clip() {
    coach_real_clip("squat_side_3reps.mp4", "squat");
}

#[test]
fn coaching_a_real_push_up_clip() {
    coach_real_clip("pushup_side_tiny_426x226.mp4", "push_up");
}
