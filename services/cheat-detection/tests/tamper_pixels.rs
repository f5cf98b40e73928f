//! The pixel-only part of the evaluation bar, fast enough for every CI run (no pose
//! inference): from two clean clips, scripts/make-tamper-set.sh makes the tamper variants
//! into a temporary directory, and the edits that need no body model must be caught by
//! the right check and blocked, while the untouched original passes:
//! a live counter/timer overlay (text_overlay), another clip spliced in
//! (camera_consistency) and every frame shown twice (manipulation).
//! Skips with a message when ../shared/videos, ffmpeg or the overlay font is missing.
//!
//!   cargo test -p fitvision-cheat-detection --features eval --test tamper_pixels

use std::path::Path;

use fitvision_cheat_detection::checks::{CAMERA_CONSISTENCY, MANIPULATION, TEXT_OVERLAY};
use fitvision_cheat_detection::eval;
use fitvision_cheat_detection::{Analyzer, Params, Policy, TextDetector};
use fitvision_proto::v1::AuthenticityReport;

const BASE: &str = "pushup_side_tiny_426x226";
const OTHER: &str = "squat_side_3reps";
const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";

fn flagged(report: &AuthenticityReport, check: &str) -> bool {
    report.checks.iter().any(|c| c.check == check && c.flagged)
}

#[test]
fn pixel_edits_are_caught_by_their_check_and_the_original_passes() -> anyhow::Result<()> {
    let videos = eval::videos_dir();
    let font = std::env::var_os("FITVISION_TAMPER_FONT").unwrap_or(FONT.into());
    let ffmpeg = std::process::Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !videos.is_dir() || !ffmpeg || !Path::new(&font).is_file() {
        eprintln!(
            "skipped: needs the test videos at {} (FITVISION_SHARED_VIDEOS), ffmpeg and the font {}",
            videos.display(),
            font.to_string_lossy()
        );
        return Ok(());
    }
    let out = tempfile::tempdir()?;
    let edits = [
        ("text", TEXT_OVERLAY),
        ("splice", CAMERA_CONSISTENCY),
        ("duplicate", MANIPULATION),
    ];
    let names: Vec<&str> = edits.iter().map(|e| e.0).collect();
    eval::make_tamper_set(&videos, out.path(), Some(&[BASE, OTHER]), Some(&names))?;
    let models = fitvision_onnx::default_models_dir();
    let analyzer = Analyzer::new(TextDetector::load(&models, 2)?, Params::default());
    let analyze = |path: &Path| {
        analyzer
            .analyze(path, None, "push_up", Policy::default())
            .map(|a| a.report)
    };

    let original = analyze(&videos.join(format!("{BASE}.mp4")))?;
    assert!(!original.blocked, "original blocked: {}", original.summary);
    for (edit, check) in edits {
        let report = analyze(&out.path().join(format!("{BASE}__{edit}.mp4")))?;
        assert!(
            flagged(&report, check) && report.blocked,
            "{edit}: expected {check} flagged and blocked, got {}",
            report.summary
        );
    }
    Ok(())
}
