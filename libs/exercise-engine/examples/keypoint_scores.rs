//! Median confidence of each keypoint of the main subject over stored pose tracks, to
//! see which body parts a model saw (occlusion, frame edges, dark scenes):
//!
//!   cargo run -p fitvision-exercise-engine --example keypoint_scores -- TRACK.posetrack.pb ...

use fitvision_exercise_engine::subject::dominant_track_id;
use fitvision_proto::v1::PoseTrack;
use prost::Message as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for path in std::env::args().skip(1) {
        let track = PoseTrack::decode(std::fs::read(&path)?.as_slice())?;
        let Some(id) = dominant_track_id(&track) else {
            continue;
        };
        let mut scores: Vec<Vec<f64>> = vec![Vec::new(); 17];
        for f in &track.frames {
            if let Some(p) = f.persons.iter().find(|p| p.track_id == id) {
                for (k, kp) in p.keypoints.iter().enumerate().take(17) {
                    scores[k].push(f64::from(kp.score));
                }
            }
        }
        let name = path.rsplit('/').next().unwrap_or(&path);
        print!("{:<60}", &name[..name.len().min(60)]);
        for s in &mut scores {
            s.sort_by(f64::total_cmp);
            print!(" {:.2}", s.get(s.len() / 2).copied().unwrap_or(f64::NAN));
        }
        println!();
    }
    Ok(())
}
