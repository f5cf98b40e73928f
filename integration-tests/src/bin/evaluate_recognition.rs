//! Prints, for every labelled test video uploaded without its exercise: the truth, the
//! recognised exercise and confidence, the count labelled and unlabelled, and totals.
//! `--verbose` adds the measured features and the decisions; `--labelled-rate`
//! recognises on the track a labelled upload gets (15 fps for controlled exercises)
//! instead of every frame; `--variants` adds the graded clips' honest re-recordings
//! (the robustness tool's variants whose tracks are cached).
//!
//! Usage: `evaluate_recognition [--verbose] [--labelled-rate] [--variants] [substring]` (env as
//! `evaluate_counts`).

// Only the truth file's reader of the count evaluation is used here.
#[allow(dead_code)]
#[path = "../count_eval.rs"]
mod count_eval;
#[path = "../recognition_eval.rs"]
mod recognition_eval;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "--verbose");
    let at_labelled_rate = args.iter().any(|a| a == "--labelled-rate");
    let only = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_default();
    let catalog = fitvision_exercise_engine::Catalog::builtin()?;
    let rows = recognition_eval::evaluate_where(
        |truth| truth.file.contains(only.as_str()),
        at_labelled_rate,
        |row| {
            eprintln!(
                "{}: truth {:?}, recognised {:?} ({:.2})",
                row.truth.file,
                row.truth.exercise,
                row.recognition.exercise_id,
                row.recognition.confidence
            );
            if verbose {
                eprintln!(
                    "  {:?}\n  {}",
                    row.recognition.features, row.recognition.reason
                );
            }
        },
    )?;
    print!("{}", recognition_eval::table(&rows, &catalog));
    if args.iter().any(|a| a == "--variants") {
        let dir = fitvision_integration_tests::robustness::variants_dir();
        print!("{}", variants_table(&catalog, &dir)?);
    }
    Ok(())
}

/// Recognition on the honest re-recordings (`robustness` variants: darker, 360p,
/// mirrored, 24/60 fps, portrait crop, sideways, shaken, title card) of the graded
/// clips, each on the track a labelled upload of it gets when that track is cached
/// (run the robustness tool first; the recogniser gives the same answers at that rate
/// as at every frame on the originals). Returns the table: per variant kind, how many
/// name the labelled exercise, and every miss.
fn variants_table(
    catalog: &fitvision_exercise_engine::Catalog,
    variants: &std::path::Path,
) -> anyhow::Result<String> {
    use std::collections::BTreeMap;

    use fitvision_integration_tests::robustness::{CaseKind, cases};

    let videos = count_eval::videos_dir();
    let mut per_kind: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for case in cases(&videos, Some(variants), None, &[], false, &[])? {
        let CaseKind::Variant(kind) = case.kind else {
            continue;
        };
        let (Some(exercise), true) = (case.truth.exercise.as_deref(), case.truth.count_graded())
        else {
            continue;
        };
        let options = fitvision_clip_fixtures::pose_options_for(exercise);
        let Some(track) = fitvision_clip_fixtures::stored_pose_track(&case.path, &options)? else {
            continue;
        };
        let recognition = fitvision_exercise_engine::recognize::recognize(&track, catalog);
        let canonical = |id: &str| catalog.get(id).map(|d| d.id.clone());
        let right = recognition.is_confident()
            && recognition.exercise_id.as_deref().and_then(canonical) == canonical(exercise);
        let entry = per_kind.entry(kind).or_default();
        entry.1 += 1;
        if right {
            entry.0 += 1;
        } else {
            misses.push(format!(
                "  {} {kind}: {:?} ({:.2})",
                case.truth.stem(),
                recognition.exercise_id,
                recognition.confidence
            ));
        }
    }
    let mut out = String::from("variant      recognised right\n");
    let (mut right, mut total) = (0, 0);
    for (kind, (r, t)) in &per_kind {
        out += &format!("{kind:<12} {r}/{t}\n");
        right += r;
        total += t;
    }
    out += &format!(
        "all variants {right}/{total} ({:.0}%)\nmisses:\n{}\n",
        100.0 * right as f64 / total.max(1) as f64,
        misses.join("\n")
    );
    Ok(out)
}
