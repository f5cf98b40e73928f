//! Benchmark: authenticity-check time vs pose-inference time on the same video.
//! The check must add less than 25% to pose inference (it reuses the pose track and samples
//! frames). Prints one line per video and the totals; no assertions (timings vary by host).
//!
//!   cargo bench -p fitvision-cheat-detection --features eval --bench check_vs_pose [-- FILTER...]

use std::time::Instant;

use fitvision_cheat_detection::eval;
use fitvision_cheat_detection::{Analyzer, Params, Policy, TextDetector};

/// Clean clips of different resolutions, lengths and frame rates.
const DEFAULT_VIDEOS: [&str; 6] = [
    "pushup_side_tiny_426x226.mp4",
    "squat_side_3reps.mp4",
    "pullup_front_outdoor_longhang.mp4",
    "situp_side_logo.mp4",
    "squat_barbell_side_60fps.mp4",
    "pushup_side_stock_cut.mp4",
];

fn main() -> anyhow::Result<()> {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let videos = eval::videos_dir();
    if !videos.is_dir() {
        println!(
            "skipped: test videos not found at {} (set FITVISION_SHARED_VIDEOS)",
            videos.display()
        );
        return Ok(());
    }
    let names: Vec<String> = if filters.is_empty() {
        DEFAULT_VIDEOS.iter().map(|s| s.to_string()).collect()
    } else {
        filters
    };
    let models = fitvision_onnx::default_models_dir();
    let analyzer = Analyzer::new(TextDetector::load(&models, 2)?, Params::default());
    // Load and warm both models on a short clip so the first measured video pays no loading.
    let warm = videos.join("jump_cmj_overlay78cm.mp4");
    if warm.is_file() {
        let (track, _) = eval::time_pose(&warm)?;
        analyzer.analyze(&warm, Some(&track), "", Policy::default())?;
    }
    println!(
        "{:<36} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7}",
        "video", "frames", "pose_s", "check_s", "decode", "ocr", "track", "ratio"
    );
    let (mut pose_total, mut check_total) = (0.0, 0.0);
    for name in names {
        let path = videos.join(&name);
        let (track, pose) = eval::time_pose(&path)?;
        let started = Instant::now();
        let analysis = analyzer.analyze(&path, Some(&track), "", Policy::default())?;
        let check = started.elapsed().as_secs_f64();
        let pose = pose.as_secs_f64();
        pose_total += pose;
        check_total += check;
        let t = &analysis.timings;
        println!(
            "{:<36} {:>6} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.3} {:>6.1}%",
            name,
            analysis.frames_decoded,
            pose,
            check,
            t.decode_and_sample.as_secs_f64(),
            t.text_detection.as_secs_f64(),
            t.track_checks.as_secs_f64(),
            100.0 * check / pose
        );
    }
    println!(
        "total: pose {pose_total:.2} s, check {check_total:.2} s, check adds {:.1}% to pose inference",
        100.0 * check_total / pose_total
    );
    Ok(())
}
