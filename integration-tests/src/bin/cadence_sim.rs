//! Evaluates the pose stage's coarse-to-fine cadence on stored pose tracks of every
//! sampled frame, without inferring anything: each track goes through the product's
//! own cadence (`fitvision_pose_inference::cadence::thinned_track`) with the bend limit
//! given, and per clip it prints the share of frames interpolated, the interpolation
//! error against the pose the model had found in those frames (farthest confident
//! keypoint, as a share of the athlete's size), and the rep count and the track
//! checks' authenticity score with and without. How the default limit was chosen
//! (README, issue 14):
//!
//!   cargo run --release -p fitvision-integration-tests --bin cadence_sim -- LIMIT [CLIP-SUBSTRING]
//!
//! (env as evaluate_counts; the tracks must be in the track cache: evaluate_counts with
//! FITVISION_POSE_COARSE_TO_FINE=false stores them.)

// The binaries share the evaluation module; this one uses only part of it.
#[allow(dead_code)]
#[path = "../count_eval.rs"]
mod count_eval;

use fitvision_exercise_engine::subject::dominant_track_id;
use fitvision_exercise_engine::{AnalyzeOptions, Catalog, analyze};
use fitvision_pose_inference::PoseOptions;
use fitvision_pose_inference::cadence::{CadenceConfig, thinned_track};
use fitvision_proto::v1::{PoseFrame, PoseTrack, Subject};

fn body_size(track: &PoseTrack, id: u32) -> f64 {
    let mut h: Vec<f64> = track
        .frames
        .iter()
        .flat_map(|f| f.persons.iter().filter(|p| p.track_id == id))
        .filter_map(|p| p.r#box.as_ref())
        .map(|b| f64::from(b.width_px.max(b.height_px)))
        .collect();
    h.sort_by(f64::total_cmp);
    h.get(h.len() / 2).copied().unwrap_or(1.0)
}

struct Thinned {
    track: PoseTrack,
    skipped: usize,
    errors: Vec<f64>,
}

/// The track as the pose stage's coarse-to-fine cadence would emit it, and the error
/// of each interpolated frame against the pose the model had found there.
fn thin(track: &PoseTrack, threshold: f64) -> Thinned {
    let (thinned, skipped) = thinned_track(
        track,
        CadenceConfig {
            max_bend_share: threshold as f32,
        },
    );
    let mut errors = Vec::new();
    if let Some(id) = dominant_track_id(track) {
        let body = body_size(track, id);
        for (actual, emitted) in track.frames.iter().zip(&thinned.frames) {
            if !emitted.interpolated {
                continue;
            }
            let find = |f: &PoseFrame| f.persons.iter().find(|p| p.track_id == id).cloned();
            let (Some(a), Some(m)) = (find(actual), find(emitted)) else {
                continue;
            };
            let e = a
                .keypoints
                .iter()
                .zip(&m.keypoints)
                .filter(|(k, _)| k.score >= 0.5)
                .map(|(k, m)| f64::from(k.x_px - m.x_px).hypot(f64::from(k.y_px - m.y_px)) / body)
                .fold(0.0, f64::max);
            errors.push(e);
        }
    }
    Thinned {
        track: thinned,
        skipped: skipped as usize,
        errors,
    }
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p / 100.0).round() as usize]
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let threshold: f64 = args[0].parse()?;
    let only = args.get(1).cloned().unwrap_or_default();
    let catalog = Catalog::builtin()?;
    let models = fitvision_pose_inference::default_models_dir();
    let analyzer = fitvision_cheat_detection::Analyzer::new(
        fitvision_cheat_detection::TextDetector::load(&models, 2)?,
        fitvision_cheat_detection::Params::default(),
    );
    let mut all_errors = Vec::new();
    let (mut total, mut total_skipped, mut count_changed, mut scores_changed) = (0, 0, 0, 0);
    for clip in count_eval::labelled_clips(&catalog, |t| t.file.contains(only.as_str()))? {
        // The stored track of every sampled frame.
        let options = PoseOptions {
            cadence: None,
            ..fitvision_clip_fixtures::pose_options_for(&clip.definition.id)
        };
        if options.target_fps == 0.0 {
            continue;
        }
        let Some(track) = fitvision_clip_fixtures::stored_pose_track(&clip.path, &options)? else {
            continue;
        };
        let thinned = thin(&track, threshold);
        let count = |t: &PoseTrack| {
            analyze(
                clip.definition,
                t,
                &Subject::default(),
                &AnalyzeOptions::default(),
            )
            .map(|r| r.rep_count)
            .unwrap_or(u32::MAX)
        };
        let score = |t: &PoseTrack| {
            analyzer
                .analyze_track(t, &clip.definition.id, Default::default())
                .report
                .score
        };
        let (c0, c1) = (count(&track), count(&thinned.track));
        let (s0, s1) = (score(&track), score(&thinned.track));
        let mut e = thinned.errors.clone();
        println!(
            "{:45} truth {:>4} count {c0:>3} -> {c1:>3}{} score {s0:>3} -> {s1:>3}{} skipped {:>4}/{:>4} ({:>4.1}%) err p50 {:.4} p95 {:.4} max {:.4}",
            clip.truth.file,
            clip.truth.reps.map_or("-".into(), |r| r.to_string()),
            if c0 != c1 { " *" } else { "  " },
            if s1 != s0 { " ^" } else { "  " },
            thinned.skipped,
            track.frames.len(),
            100.0 * thinned.skipped as f64 / track.frames.len().max(1) as f64,
            pct(&mut e, 50.0),
            pct(&mut e, 95.0),
            pct(&mut e, 100.0),
        );
        total += track.frames.len();
        total_skipped += thinned.skipped;
        count_changed += usize::from(c0 != c1);
        scores_changed += usize::from(s1 != s0);
        all_errors.extend(thinned.errors);
    }
    println!(
        "threshold {threshold}: skipped {total_skipped}/{total} ({:.1}%), counts changed {count_changed}, scores changed {scores_changed}, err p50 {:.4} p95 {:.4} max {:.4}",
        100.0 * total_skipped as f64 / total.max(1) as f64,
        pct(&mut all_errors, 50.0),
        pct(&mut all_errors, 95.0),
        pct(&mut all_errors, 100.0)
    );
    Ok(())
}
