//! The recognition bar on real videos: the H and M-H clips, each as an upload without
//! its exercise gets it (poses at every frame), are named right on >= 90% of them, and
//! every clip named right is counted exactly as when labelled. The full table over all
//! labelled clips is the `evaluate_recognition` binary's.

// Only the truth file's reader of the count evaluation is used here.
#[allow(dead_code)]
#[path = "../src/count_eval.rs"]
mod count_eval;
#[path = "../src/recognition_eval.rs"]
mod recognition_eval;

#[test]
fn unlabelled_clips_are_recognised_and_counted_as_when_labelled() -> anyhow::Result<()> {
    if fitvision_clip_fixtures::shared_videos().is_none() {
        return Ok(());
    }
    let catalog = fitvision_exercise_engine::Catalog::builtin()?;
    let rows = recognition_eval::evaluate_where(count_eval::Truth::is_graded, false, |_| {})?;
    println!("{}", recognition_eval::table(&rows, &catalog));
    assert!(!rows.is_empty());
    let right: Vec<_> = rows.iter().filter(|r| r.is_right(&catalog)).collect();
    assert!(
        right.len() as f64 >= 0.9 * rows.len() as f64,
        "recognised {} of {} graded clips",
        right.len(),
        rows.len()
    );
    for r in &right {
        assert_eq!(
            r.unlabelled_count,
            Some(r.labelled_count),
            "{}: counted differently without its label",
            r.truth.file
        );
    }
    Ok(())
}
