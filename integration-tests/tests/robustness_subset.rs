//! The robustness invariants on a fast subset of the shared clips (the whole table is
//! `cargo run --release -p fitvision-integration-tests --bin robustness`, see README):
//! every honest re-recording (darker, 360p, mirrored, 24/60 fps, portrait, sideways,
//! shaken, with title cards, re-framed over a blurred copy, tilted) of three short clips keeps an
//! honest clip unblocked, the jump height within 3 cm and the pose coverage; exact counts
//! are held to the share reached so far (a ratchet), because the close-up low-resolution
//! push-ups still lose reps on several re-recordings (the pose of that rear-oblique,
//! cut-off body changes with the picture: see the README's robustness section).
//!
//! Clips: an honest jumping-jack set (front view, starts mid-rep), honest low-resolution
//! close-up push-ups (oblique, body cut off by the frame) and a counter-movement jump
//! (handheld; not an honest recording because of its app overlay, so only its count,
//! height and coverage are judged).

use fitvision_integration_tests::robustness::{self, Evaluator, Totals};

const CLIPS: [&str; 3] = [
    "jumpingjack_black_bg",
    "pushup_closeup_lowres_320x240_home",
    "jump_cmj_overlay78cm",
];

/// Share of count cells exact on this subset when it was last improved (25 of 27 on
/// 2026-12-05: every jumping-jack and jump cell, 7 of 9 close-up push-up cells; the
/// portrait crop of the close-up, which keeps under 90% of the athlete's joints, is not
/// judged). Raise it as the counts improve; never lower it to make a change pass.
const EXACT_COUNT_RATCHET: f64 = 0.9;

#[test]
fn honest_variants_keep_verdict_count_jump_and_coverage() -> anyhow::Result<()> {
    let Some(videos) = fitvision_clip_fixtures::shared_videos() else {
        return Ok(());
    };
    let only: Vec<String> = CLIPS.iter().map(|c| c.to_string()).collect();
    let variants = robustness::variants_dir();
    robustness::make_variants(&videos, &variants, &only)?;
    let evaluator = Evaluator::new()?;
    let mut measured = Vec::new();
    for case in robustness::cases(&videos, Some(&variants), None, &only, true, &[])? {
        let m = evaluator.measure(&case)?;
        measured.push((case, m));
    }
    let cells = robustness::judge(measured);
    println!("{}", robustness::render(&cells));
    let totals = Totals::of(&cells);
    // Every variant of every clip was made and judged.
    assert!(cells.len() >= CLIPS.len() * 8, "{} cells", cells.len());
    assert!(totals.honest_cases >= 16, "{totals:?}");
    assert!(totals.jump_cases >= 8, "{totals:?}");
    assert_eq!(
        totals.honest_blocked, 0,
        "honest recordings blocked: {totals:?}"
    );
    assert_eq!(totals.jump_within, totals.jump_cases, "{totals:?}");
    assert_eq!(totals.coverage_kept, totals.coverage_cases, "{totals:?}");
    let exact = totals.count_exact as f64 / totals.count_cases.max(1) as f64;
    assert!(
        exact >= EXACT_COUNT_RATCHET,
        "exact counts on {}/{} cells ({:.0}%), below the {:.0}% reached before",
        totals.count_exact,
        totals.count_cases,
        exact * 100.0,
        EXACT_COUNT_RATCHET * 100.0
    );
    // Every other broken invariant is a count: print them for the log.
    let broken: Vec<String> = cells
        .iter()
        .filter(|c| !c.failures.is_empty())
        .map(|c| {
            format!(
                "{} [{}]: {}",
                c.case.truth.stem(),
                c.case.kind.label(),
                c.failures.join("; ")
            )
        })
        .collect();
    println!("counts off (known gap): {broken:#?}");
    Ok(())
}

/// A sit-up set after a 3 s title card: the athlete is first found lying flat, where
/// the detector may point the body head-to-feet, and a followed body keeps the
/// orientation it was found with. The detector's periodic look at the same body, read
/// the other way up, turns it round: the card's copy counts every rep, like the clip.
#[test]
fn a_set_found_lying_down_after_a_title_card_is_read_head_up() -> anyhow::Result<()> {
    let Some(videos) = fitvision_clip_fixtures::shared_videos() else {
        return Ok(());
    };
    let only = vec!["sit_up_stock_watermark_camera_move".to_owned()];
    let variants = robustness::variants_dir();
    robustness::make_variants_of_kinds(&videos, &variants, &only, &["titlecard"])?;
    let evaluator = Evaluator::new()?;
    let cases = robustness::cases(&videos, Some(&variants), None, &only, true, &[])?;
    let mut counted = Vec::new();
    for case in cases
        .iter()
        .filter(|c| matches!(c.kind.label(), "original" | "titlecard"))
    {
        counted.push((
            case.kind.label().to_owned(),
            evaluator.measure(case)?.count(),
        ));
    }
    let truth = cases.first().and_then(|c| c.truth.reps);
    assert!(truth.is_some(), "the clip's reps are labelled");
    assert_eq!(
        counted,
        vec![
            ("original".to_owned(), truth),
            ("titlecard".to_owned(), truth)
        ]
    );
    Ok(())
}
