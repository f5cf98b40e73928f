//! Prints, per counted rep, how far the heel rises above the toe (body units, the
//! cleaned signal a heel check reads) on pose tracks with feet, for setting a heel
//! check from the distribution on honest clips:
//!
//!   cargo run --release -p fitvision-exercise-engine --example heel_rise -- [--floor] EXERCISE TRACK.pb ...
//!
//! `--floor`: the heel's height above the floor instead of above the (planted) toe.

use fitvision_exercise_engine::definition::{SideChoice, SignalSpec};
use fitvision_exercise_engine::signals::{clean_signal, raw_signal};
use fitvision_exercise_engine::subject::SubjectTrack;
use fitvision_exercise_engine::{AnalyzeOptions, Catalog, analyze};
use fitvision_proto::v1::{PoseTrack, Subject};
use prost::Message as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let above_floor = args.first().is_some_and(|a| a == "--floor");
    if above_floor {
        args.remove(0);
    }
    let catalog = Catalog::builtin()?;
    let def = catalog.get(&args[0]).ok_or("unknown exercise")?;
    let spec = SignalSpec::Height {
        joint: "heel".into(),
        side: SideChoice::Auto,
        relative_to: (!above_floor).then(|| "foot_index".into()),
        planted: !above_floor,
    };
    for path in &args[1..] {
        let track = PoseTrack::decode(std::fs::read(path)?.as_slice())?;
        let Some(subject) = SubjectTrack::from_track(&track, 0.3) else {
            println!("{path}: no person");
            continue;
        };
        let signal = clean_signal(&subject, &raw_signal(&subject, &spec), def.filter_cutoff_hz);
        let result = analyze(def, &track, &Subject::default(), &AnalyzeOptions::default())?;
        let ranges: Vec<String> = result
            .reps
            .iter()
            .map(|rep| {
                let (a, b) = (
                    rep.start_timestamp_ms / 1000.0,
                    rep.end_timestamp_ms / 1000.0,
                );
                let values: Vec<f64> = subject
                    .times_s
                    .iter()
                    .zip(&signal)
                    .filter(|(t, _)| **t >= a && **t <= b)
                    .filter_map(|(_, v)| *v)
                    .collect();
                let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                if lo.is_finite() {
                    format!("{:.3}", hi - lo)
                } else {
                    "-".into()
                }
            })
            .collect();
        println!(
            "{path}: {} reps, heel rise {}",
            result.reps.len(),
            ranges.join(" ")
        );
    }
    Ok(())
}
