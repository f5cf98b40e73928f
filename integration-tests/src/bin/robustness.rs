//! The robustness table: every labelled clip x its honest re-recordings (and the tamper
//! set), with the authenticity score, the count and the jump height per cell, the honest
//! false-block rate and the tamper detection rate.
//!
//!   cargo run --release -p fitvision-integration-tests --bin robustness -- [CLIP ...] [--no-tamper] [--no-variants] [--all-variants] [--extra=DIR] [--cached-only] [--counts-only] [--verbose]
//!
//! CLIP filters by substring of the clip name. Variants are evaluated for the clips an
//! invariant judges (honest, or with a graded count); `--all-variants` adds the others. Variants are built (idempotently) by
//! scripts/make-variants.sh into FITVISION_VARIANTS_DIR (default
//! /var/tmp/fitvision-variants), the tamper set by scripts/make-tamper-set.sh into
//! FITVISION_TAMPER_DIR; pose tracks are cached by content in FITVISION_TRACK_CACHE.
//! Exits non-zero when an invariant is broken.

use fitvision_integration_tests::robustness::{self, Evaluator, MeasureOptions};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "--verbose");
    let with_tamper = !args.iter().any(|a| a == "--no-tamper");
    let with_variants = !args.iter().any(|a| a == "--no-variants");
    let all_variants = args.iter().any(|a| a == "--all-variants");
    let options = MeasureOptions {
        cached_only: args.iter().any(|a| a == "--cached-only"),
        counts_only: args.iter().any(|a| a == "--counts-only"),
    };
    // --extra=DIR (repeatable): further honest recordings named <clip>__<name>.mp4.
    let extras: Vec<std::path::PathBuf> = args
        .iter()
        .filter_map(|a| a.strip_prefix("--extra="))
        .map(std::path::PathBuf::from)
        .collect();
    let only: Vec<String> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .cloned()
        .collect();
    let videos = fitvision_clip_fixtures::shared_videos()
        .ok_or_else(|| anyhow::anyhow!("the shared videos are needed"))?;
    let clips: Vec<String> = robustness::load_truth(&videos)?
        .iter()
        .map(|t| t.stem().to_owned())
        .filter(|stem| only.is_empty() || only.iter().any(|o| stem.contains(o.as_str())))
        .collect();
    let variants = with_variants.then(robustness::variants_dir);
    if let Some(dir) = &variants {
        eprintln!(
            "building variants of {} clips in {}",
            clips.len(),
            dir.display()
        );
        robustness::make_variants(&videos, dir, &clips)?;
    }
    let tamper = if with_tamper {
        Some(fitvision_cheat_detection::eval::build_tamper_set(&videos)?)
    } else {
        None
    };
    let evaluator = Evaluator::new()?;
    let cases = robustness::cases(
        &videos,
        variants.as_deref(),
        tamper.as_deref(),
        &only,
        all_variants,
        &extras,
    )?;
    let mut measured = Vec::new();
    for (i, case) in cases.into_iter().enumerate() {
        let started = std::time::Instant::now();
        let Some(m) = evaluator.measure_with(&case, options)? else {
            continue;
        };
        eprintln!(
            "[{}] {} {}: score {:.0}{} count {:?} jump {:?} coverage {:.1}% ({:.1} s)",
            i + 1,
            case.truth.stem(),
            case.kind.label(),
            m.report.score,
            if m.report.blocked { " BLOCKED" } else { "" },
            m.count(),
            m.jump_cm().map(|j| (j * 10.0).round() / 10.0),
            m.coverage * 100.0,
            started.elapsed().as_secs_f64()
        );
        if verbose {
            for c in &m.report.checks {
                eprintln!("     {:<18} {:>5.1} {}", c.check, c.score, c.reason);
            }
            if let Some(e) = &m.analysis_error {
                eprintln!("     analysis error: {e}");
            }
            if let Some(r) = &m.result {
                for w in &r.warnings {
                    eprintln!("     warning: {w}");
                }
                for rep in &r.reps {
                    eprintln!(
                        "     rep {}: frames {}-{}-{} ({:.1}-{:.1} s), range {:.0}",
                        rep.index,
                        rep.start_frame_index,
                        rep.mid_frame_index,
                        rep.end_frame_index,
                        rep.start_timestamp_ms / 1000.0,
                        rep.end_timestamp_ms / 1000.0,
                        rep.range_of_motion
                    );
                }
            }
        }
        measured.push((case, m));
    }
    let cells = robustness::judge(measured);
    print!("{}", robustness::render(&cells));
    let broken = cells.iter().filter(|c| !c.failures.is_empty()).count();
    anyhow::ensure!(broken == 0, "{broken} cell(s) break an invariant");
    Ok(())
}
