//! Prints, per stored pose track, the analysed frames after the first confident person
//! where nobody confident was found but someone is found again later: the frames the
//! pose stage holds and follows back into. Each run prints as `first-last`.
//!
//!   cargo run -p fitvision-exercise-engine --example unseen_runs -- MIN_CONFIDENCE TRACK.posetrack.pb...

use fitvision_proto::v1::PoseTrack;
use prost::Message as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let min_confidence: f32 = args.next().ok_or("MIN_CONFIDENCE first")?.parse()?;
    for path in args {
        let track = PoseTrack::decode(std::fs::read(&path)?.as_slice())?;
        let confident: Vec<bool> = track
            .frames
            .iter()
            .map(|f| f.persons.iter().any(|p| p.confidence >= min_confidence))
            .collect();
        let Some(first) = confident.iter().position(|&c| c) else {
            continue;
        };
        let last = confident.iter().rposition(|&c| c).unwrap_or(first);
        let mut runs = Vec::new();
        let mut start = None;
        for (k, &c) in confident.iter().enumerate().take(last + 1).skip(first) {
            match (c, start) {
                (false, None) => start = Some(k),
                (true, Some(s)) => {
                    runs.push((s, k - 1));
                    start = None;
                }
                _ => {}
            }
        }
        let frames: usize = runs.iter().map(|(a, b)| b - a + 1).sum();
        let listed: Vec<String> = runs
            .iter()
            .map(|&(a, b)| {
                let index = |k: usize| track.frames[k].frame_index;
                format!("{}-{}", index(a), index(b))
            })
            .collect();
        println!(
            "{path}\t{}\t{frames}\t{}\t{first}",
            runs.len(),
            listed.join(" ")
        );
    }
    Ok(())
}
