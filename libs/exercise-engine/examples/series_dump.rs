//! Prints one result series of an exercise on stored pose tracks, one column per track
//! (the followed signal by default), for looking at why counts differ:
//!
//!   cargo run -p fitvision-exercise-engine --example series_dump -- EXERCISE SERIES TRACK.pb ...

mod stored;

use fitvision_exercise_engine::{AnalyzeOptions, analyze};
use fitvision_proto::v1::Subject;

fn main() -> Result<(), stored::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let def = stored::exercise(&args[0])?;
    let mut columns = Vec::new();
    for path in &args[2..] {
        let (_, track) = stored::track(path)?;
        let r = analyze(
            &def,
            &track,
            &Subject::default(),
            &AnalyzeOptions::default(),
        )?;
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
