//! Prints one result series of an exercise on stored pose tracks, one column per track
//! (the followed signal by default), for looking at why counts differ:
//!
//!   cargo run -p fitvision-exercise-engine --example series_dump -- EXERCISE SERIES TRACK.pb ...

use fitvision_exercise_engine::{AnalyzeOptions, Catalog, analyze};
use fitvision_proto::v1::{PoseTrack, Subject};
use prost::Message as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let catalog = Catalog::builtin()?;
    let def = catalog.get(&args[0]).ok_or("unknown exercise")?;
    let mut columns = Vec::new();
    for path in &args[2..] {
        let track = PoseTrack::decode(std::fs::read(path)?.as_slice())?;
        let r = analyze(def, &track, &Subject::default(), &AnalyzeOptions::default())?;
        let series = r.series.get(&args[1]).ok_or_else(|| {
            let known: Vec<&String> = r.series.keys().collect();
            format!("no series {:?}; the result has {known:?}", args[1])
        })?;
        columns.push(series.values.clone());
    }
    let rows = columns.iter().map(Vec::len).max().unwrap_or(0);
    for i in 0..rows {
        print!("{i:>4}");
        for c in &columns {
            match c.get(i) {
                Some(v) if v.is_finite() => print!(" {v:>7.3}"),
                _ => print!(" {:>7}", "-"),
            }
        }
        println!();
    }
    Ok(())
}
