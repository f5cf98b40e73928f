//! Prints the reps counted on stored pose tracks (start / bottom / end seconds and
//! range of motion), for seeing which rep two recordings of one set disagree on:
//!
//!   cargo run -p fitvision-exercise-engine --example rep_spans -- EXERCISE TRACK.pb ...

mod stored;

use fitvision_exercise_engine::{AnalyzeOptions, analyze};
use fitvision_proto::v1::Subject;

fn main() -> Result<(), stored::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let def = stored::exercise(&args[0])?;
    for path in &args[1..] {
        let (name, track) = stored::track(path)?;
        let result = analyze(
            &def,
            &track,
            &Subject::default(),
            &AnalyzeOptions::default(),
        )?;
        let last_s = track.frames.last().map_or(0.0, |f| f.timestamp_ms / 1000.0);
        println!("{name} ({} reps, clip {last_s:.2} s)", result.rep_count);
        for rep in &result.reps {
            println!(
                "  {:>6.2} {:>6.2} {:>6.2}  rom {:>7.3}",
                rep.start_timestamp_ms / 1000.0,
                rep.mid_timestamp_ms / 1000.0,
                rep.end_timestamp_ms / 1000.0,
                rep.range_of_motion
            );
        }
    }
    Ok(())
}
