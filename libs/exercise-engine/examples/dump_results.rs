//! Prints every built-in exercise's full result on every given pose track
//! (protobuf `PoseTrack` files), in a canonical order (maps sorted), so two
//! builds can be diffed to prove an optimisation changed no result:
//! `dump_results /var/tmp/fitvision-tracks/*.pb > before.txt`.

use std::collections::BTreeMap;

use fitvision_exercise_engine::synthetic::{self, BodyPose};
use fitvision_exercise_engine::{AnalyzeOptions, Catalog, analyze};
use fitvision_proto::v1::{AnalysisResult, PoseTrack, Subject};
use prost::Message as _;

fn canonical(mut result: AnalysisResult) -> String {
    let metrics: BTreeMap<_, _> = std::mem::take(&mut result.metrics).into_iter().collect();
    let series: BTreeMap<_, _> = std::mem::take(&mut result.series).into_iter().collect();
    format!("{result:?}\nmetrics {metrics:?}\nseries {series:?}")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let catalog = Catalog::builtin()?;
    let mut tracks: Vec<(String, PoseTrack)> = vec![(
        "synthetic squats".into(),
        synthetic::track(30.0, 1800, |t| {
            Some(BodyPose {
                knee_deg: 125.0 + 55.0 * (t / 3.0 * std::f64::consts::TAU).cos(),
                ..Default::default()
            })
        }),
    )];
    for path in std::env::args().skip(1) {
        let track = PoseTrack::decode(std::fs::read(&path)?.as_slice())?;
        tracks.push((path, track));
    }
    let subjects = [
        Subject::default(),
        Subject {
            height_m: 1.75,
            body_mass_kg: 80.0,
            barbell_mass_kg: 60.0,
            ..Default::default()
        },
    ];
    for (name, track) in &tracks {
        for def in catalog.definitions() {
            for subject in &subjects {
                let outcome = analyze(def, track, subject, &AnalyzeOptions::default());
                let text = match outcome {
                    Ok(r) => canonical(r),
                    Err(e) => format!("error: {e}"),
                };
                println!("== {name} {} {subject:?}\n{text}", def.id);
            }
        }
    }
    Ok(())
}
