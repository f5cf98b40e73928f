//! Stride timing from the feet: with a pose model that has heels and toes (BlazePose),
//! sprint contacts are read from the foot's lowest point. Checked against a signal that
//! does not involve the feet at all: the hips rise and fall once per step, so the
//! autocorrelation period of the hips' height is the step period, and the stride
//! cadence (strides of both feet per minute) must match 60 / period.
//!
//! Measured on the 60 fps treadmill clip (6.45 s, steady pace): hip period 0.351 s
//! (171 steps/min); strides from the feet: 17, cadence 168.9/min; from the ankles
//! (before feet were used, the same BlazePose track): 22 strides, 208/min.

use fitvision_exercise_engine::names::metrics;
use fitvision_exercise_engine::subject::dominant_track_id;
use fitvision_exercise_engine::{AnalyzeOptions, Catalog, analyze};
use fitvision_pose_inference::PoseOptions;
use fitvision_proto::v1::{PoseTrack, Subject};

const CLIP: &str = "sprint_treadmill_side_portrait_phone60fps.mp4";

/// Period (s) of the first autocorrelation peak of the detrended hip height.
fn hip_step_period_s(track: &PoseTrack) -> f64 {
    let id = dominant_track_id(track).expect("a runner");
    let (mut times, mut hips) = (Vec::new(), Vec::new());
    for frame in &track.frames {
        if let Some(p) = frame.persons.iter().find(|p| p.track_id == id) {
            times.push(frame.timestamp_ms / 1000.0);
            hips.push(f64::from(p.keypoints[23].y_px + p.keypoints[24].y_px) / 2.0);
        }
    }
    // Remove the slow drift with a half-second moving average.
    let dt = (times[times.len() - 1] - times[0]) / (times.len() - 1) as f64;
    let half = (0.25 / dt).round() as usize;
    let detrended: Vec<f64> = (half..hips.len() - half)
        .map(|i| hips[i] - hips[i - half..=i + half].iter().sum::<f64>() / (2 * half + 1) as f64)
        .collect();
    let mean = detrended.iter().sum::<f64>() / detrended.len() as f64;
    let x: Vec<f64> = detrended.iter().map(|v| v - mean).collect();
    let ac = |lag: usize| -> f64 { x.iter().zip(&x[lag..]).map(|(a, b)| a * b).sum() };
    let zero = ac(0);
    // Steps are longer than 0.15 s at any running pace.
    let min_lag = (0.15 / dt).ceil() as usize;
    let lag = (min_lag..x.len() / 2)
        .find(|&l| ac(l) > ac(l - 1) && ac(l) >= ac(l + 1) && ac(l) / zero > 0.3)
        .expect("the hips oscillate");
    lag as f64 * dt
}

#[test]
fn stride_cadence_from_the_feet_matches_the_hips_oscillation() {
    let Some(dir) = fitvision_clip_fixtures::shared_videos() else {
        return;
    };
    let options = PoseOptions {
        model_id: Some("blazepose-full".to_owned()),
        ..fitvision_clip_fixtures::pose_options_for("sprint")
    };
    let track = fitvision_clip_fixtures::cached_pose_track(&dir.join(CLIP), &options)
        .expect("pose track")
        .track;
    let period = hip_step_period_s(&track);
    let catalog = Catalog::builtin().expect("catalog");
    let result = analyze(
        catalog.get("sprint").expect("sprint"),
        &track,
        &Subject::default(),
        &AnalyzeOptions::default(),
    )
    .expect("analysis");
    let cadence = result.metrics[metrics::CADENCE_PER_MIN];
    let expected = 60.0 / period;
    eprintln!(
        "hip step period {period:.3} s ({expected:.1}/min); {} strides, cadence {cadence:.1}/min",
        result.rep_count
    );
    assert!(
        (cadence - expected).abs() <= 0.05 * expected,
        "cadence {cadence:.1}/min vs {expected:.1}/min from the hips"
    );
}
