//! Rep counts of one exercise on stored pose tracks with the followed side forced to
//! left, right, both and auto, to see how much a count depends on the side:
//!
//!   cargo run -p fitvision-exercise-engine --example side_counts -- EXERCISE TRACK.pb ...

mod stored;

use fitvision_exercise_engine::definition::{SideChoice, SignalSpec};
use fitvision_exercise_engine::{AnalyzeOptions, analyze};
use fitvision_proto::v1::Subject;

fn with_side(spec: &SignalSpec, side: SideChoice) -> SignalSpec {
    let mut spec = spec.clone();
    match &mut spec {
        SignalSpec::JointAngle { side: s, .. }
        | SignalSpec::SegmentAngle { side: s, .. }
        | SignalSpec::SegmentTilt { side: s, .. }
        | SignalSpec::Height { side: s, .. } => *s = side,
        SignalSpec::Distance { .. } => {}
    }
    spec
}

fn main() -> Result<(), stored::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let def = stored::exercise(&args[0])?;
    for path in &args[1..] {
        let (name, track) = stored::track(path)?;
        print!("{:<56}", &name[..name.len().min(56)]);
        for (label, side) in [
            ("auto", SideChoice::Auto),
            ("left", SideChoice::Left),
            ("right", SideChoice::Right),
            ("both", SideChoice::Both),
        ] {
            let mut d = def.clone();
            d.signal = d.signal.as_ref().map(|s| with_side(s, side));
            let r = analyze(&d, &track, &Subject::default(), &AnalyzeOptions::default())?;
            print!(" {label} {:>2}", r.rep_count);
        }
        println!();
    }
    Ok(())
}
