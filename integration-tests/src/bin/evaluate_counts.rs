//! Prints file / truth / counted / error for every labelled test video, and totals.
//!
//! Usage: `evaluate_counts [substring]` (env: FITVISION_SHARED_VIDEOS, FITVISION_TRACK_CACHE,
//! and the pose engine's FITVISION_MODELS_DIR / ORT_DYLIB_PATH).

#[path = "../count_eval.rs"]
mod count_eval;

fn main() -> anyhow::Result<()> {
    let only = std::env::args().nth(1).unwrap_or_default();
    let videos = count_eval::videos_dir();
    if !videos.join("ground_truth.json").exists() {
        anyhow::bail!(
            "no test videos at {} (set FITVISION_SHARED_VIDEOS)",
            videos.display()
        );
    }
    let rows = count_eval::evaluate_where(
        |truth| truth.file.contains(only.as_str()),
        |row| {
            eprintln!(
                "{}: truth {:?}, counted {}",
                row.truth.file, row.truth.reps, row.counted
            )
        },
    )?;
    print!("{}", count_eval::table(&rows));
    Ok(())
}
