//! Prints, per frame of stored pose tracks, where the main subject is (hip midpoint in
//! pixels), how many persons the frame holds and whether its poses were interpolated, to see shot cuts, identity swaps and
//! whether a movement really returned behind a count:
//!
//!   cargo run -p fitvision-exercise-engine --example subject_path -- TRACK.posetrack.pb

use fitvision_exercise_engine::subject::SubjectTrack;
use fitvision_kinematics::schema::Limb;
use fitvision_proto::v1::PoseTrack;
use prost::Message as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for path in std::env::args().skip(1) {
        let track = PoseTrack::decode(std::fs::read(&path)?.as_slice())?;
        let Some(subject) = SubjectTrack::from_track(&track, 0.3) else {
            continue;
        };
        println!("# {path}: subject id {}", subject.track_id);
        for i in 0..subject.len() {
            let persons = track.frames[i].persons.len();
            // Poses interpolated by the pose stage's coarse to fine, not inferred.
            let interpolated = if track.frames[i].interpolated {
                " interpolated"
            } else {
                ""
            };
            match subject.limb_mid(i, Limb::Hip) {
                Some(p) => println!(
                    "{i:>4} {:>7.3} hip {:>7.1} {:>7.1} persons {persons}{interpolated}",
                    subject.times_s[i], p.x, p.y
                ),
                None => println!(
                    "{i:>4} {:>7.3} hip       -       - persons {persons}{interpolated}",
                    subject.times_s[i]
                ),
            }
        }
    }
    Ok(())
}
