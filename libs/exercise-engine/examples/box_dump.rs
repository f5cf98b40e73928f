//! Prints, per frame of stored pose tracks, the main subject's box and its mean keypoint
//! confidence, to see whether a person was detected where the keypoints were not:
//!
//!   cargo run -p fitvision-exercise-engine --example box_dump -- TRACK.posetrack.pb

use fitvision_exercise_engine::subject::dominant_track_id;
use fitvision_proto::v1::PoseTrack;
use prost::Message as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for path in std::env::args().skip(1) {
        let track = PoseTrack::decode(std::fs::read(&path)?.as_slice())?;
        let Some(id) = dominant_track_id(&track) else {
            continue;
        };
        println!("# {path}: subject {id}");
        for f in &track.frames {
            match f.persons.iter().find(|p| p.track_id == id) {
                Some(p) => {
                    let b = p.r#box.unwrap_or_default();
                    let mean = p.keypoints.iter().map(|k| k.score).sum::<f32>()
                        / p.keypoints.len().max(1) as f32;
                    println!(
                        "{:>5} {:>8.0} box x {:>6.1} y {:>6.1} w {:>6.1} h {:>6.1} det {:.2} kp {:.2}",
                        f.frame_index,
                        f.timestamp_ms,
                        b.x_px,
                        b.y_px,
                        b.width_px,
                        b.height_px,
                        p.confidence,
                        mean
                    );
                }
                None => println!("{:>5} {:>8.0} -", f.frame_index, f.timestamp_ms),
            }
        }
    }
    Ok(())
}
