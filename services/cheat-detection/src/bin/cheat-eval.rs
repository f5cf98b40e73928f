//! Evaluation of the authenticity checks on the tamper set and the manifest's real clips:
//! prints per-case scores, the confusion table and whether the bar is met.
//!
//!   cargo run --release -p fitvision-cheat-detection --features eval --bin cheat-eval -- [FILTER] [--verbose] [--no-tamper]
//!
//! Pose tracks are computed in-process with pose-inference and cached under
//! /var/tmp/fitvision-tracks (FITVISION_TRACK_CACHE).

use std::time::Instant;

use fitvision_cheat_detection::eval::{self, Outcome};
use fitvision_cheat_detection::{Analyzer, Params, Policy, TextDetector};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "--verbose");
    let filter = args.iter().find(|a| !a.starts_with("--")).cloned();
    let videos = eval::videos_dir();
    anyhow::ensure!(
        videos.is_dir(),
        "test videos not found at {} (set FITVISION_SHARED_VIDEOS)",
        videos.display()
    );
    // --no-tamper: only the manifest's clips (quick re-runs while tuning).
    let tamper = if args.iter().any(|a| a == "--no-tamper") {
        None
    } else {
        Some(eval::build_tamper_set(&videos)?)
    };
    let models = fitvision_onnx::default_models_dir();
    let analyzer = Analyzer::new(TextDetector::load(&models, 2)?, Params::default());
    let mut outcomes = Vec::new();
    for case in eval::cases(&videos, tamper.as_deref())? {
        if filter
            .as_ref()
            .is_some_and(|f| !case.name.contains(f.as_str()))
        {
            continue;
        }
        let (track, _) = eval::pose_track(&case.path, &case.exercise_id)?;
        let started = Instant::now();
        let analysis = analyzer.analyze(
            &case.path,
            Some(&track),
            &case.exercise_id,
            Policy::default(),
        )?;
        let check_time = started.elapsed();
        if verbose {
            println!("== {} ({:?})", case.name, analysis.timings);
            for c in &analysis.report.checks {
                println!("   {:<18} {:>5.1} {}", c.check, c.score, c.reason);
                for e in c.evidence.iter().take(4) {
                    println!(
                        "      [{}-{}] {}",
                        e.start_frame_index, e.end_frame_index, e.detail
                    );
                }
            }
        }
        outcomes.push(Outcome {
            case,
            report: analysis.report,
            check_time,
        });
    }
    println!("{}", eval::render(&outcomes));
    let failed: Vec<_> = outcomes
        .iter()
        .filter(|o| !o.passes())
        .map(|o| o.case.name.as_str())
        .collect();
    if failed.is_empty() {
        println!(
            "bar met: every tampered variant flagged by its check and blocked; no clean clip blocked; real bad cases flagged"
        );
    } else {
        println!("bar NOT met for: {}", failed.join(", "));
    }
    Ok(())
}
