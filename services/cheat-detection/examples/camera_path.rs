//! The camera path the pose stage stored in a pose track (per analysed frame: the
//! transform into the first frame's pixels and whether it was measured there):
//!
//!   cargo run -p fitvision-cheat-detection --example camera_path -- TRACK.posetrack.pb [EVERY]

use fitvision_proto::v1::PoseTrack;
use prost::Message as _;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let track = PoseTrack::decode(std::fs::read(&args[0])?.as_slice())?;
    let every: usize = args.get(1).map_or(Ok(10), |a| a.parse())?;
    let measured = track
        .frames
        .iter()
        .filter(|f| f.camera.as_ref().is_some_and(|c| c.measured))
        .count();
    println!(
        "{} frames, camera measured on {measured}",
        track.frames.len()
    );
    for f in track.frames.iter().step_by(every.max(1)) {
        if let Some(c) = &f.camera {
            println!(
                "{:>5} {:>8.1} ms  scale {:.4} rot {:+.4} tx {:+8.1} ty {:+8.1} {}",
                f.frame_index,
                f.timestamp_ms,
                c.scale,
                c.rotation_rad,
                c.translate_x_px,
                c.translate_y_px,
                if c.measured { "" } else { "(held)" }
            );
        }
    }
    Ok(())
}
