//! Runs the benchmark's analysis (60 s of squats at 30 fps) a fixed number of
//! times, for instruction-count profiling that is repeatable on a loaded machine:
//! `valgrind --tool=callgrind target/debug/examples/profile_analyze 5`.

use fitvision_exercise_engine::synthetic::{self, BodyPose};
use fitvision_exercise_engine::{AnalyzeOptions, Catalog, analyze};
use fitvision_proto::v1::Subject;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1);
    let catalog = Catalog::builtin()?;
    let def = catalog.get("squat").ok_or("squat is not in the catalog")?;
    let track = synthetic::track(30.0, 1800, |t| {
        Some(BodyPose {
            knee_deg: 125.0 + 55.0 * (t / 3.0 * std::f64::consts::TAU).cos(),
            ..Default::default()
        })
    });
    let subject = Subject {
        height_m: 1.75,
        body_mass_kg: 70.0,
        ..Default::default()
    };
    let mut reps = 0;
    for _ in 0..runs {
        reps = analyze(def, &track, &subject, &AnalyzeOptions::default())?.rep_count;
    }
    println!("{runs} analyses, {reps} reps each");
    Ok(())
}
