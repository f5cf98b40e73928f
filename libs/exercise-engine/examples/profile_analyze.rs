//! Runs the benchmark's analysis (60 s of squats at 30 fps) a fixed number of
//! times, for instruction-count profiling that is repeatable on a loaded machine:
//! `valgrind --tool=callgrind target/debug/examples/profile_analyze 5`.

use fitvision_exercise_engine::synthetic;
use fitvision_exercise_engine::{AnalyzeOptions, Catalog, analyze};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1);
    let catalog = Catalog::builtin()?;
    let def = catalog.get("squat").ok_or("squat is not in the catalog")?;
    let (track, subject) = synthetic::squat_minute();
    let mut reps = 0;
    for _ in 0..runs {
        reps = analyze(def, &track, &subject, &AnalyzeOptions::default())?.rep_count;
    }
    println!("{runs} analyses, {reps} reps each");
    Ok(())
}
