//! Prints the camera-consistency pairs of one video and how each is classified,
//! to see why a cut is (not) found:
//!   cargo run --release -p fitvision-cheat-detection --features eval --example camera_pairs -- VIDEO
use fitvision_cheat_detection::checks::camera::{CameraParams, classify};
use fitvision_cheat_detection::{eval, frames};

fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).expect("usage: camera_pairs VIDEO");
    let path = std::path::Path::new(&path);
    let (track, _) = eval::pose_track(path, "")?;
    let samples = frames::sample_video(
        path,
        fitvision_cheat_detection::growing::TrackFeed::Whole(&track),
        &frames::SamplingPlan::default(),
    )?;
    let params = CameraParams::default();
    println!("from  to  kp  good inl  zoom  hist  gray  corr  gain  bg  step  spike  => class");
    for p in &samples.camera_pairs {
        println!(
            "{:4} {:4} {:3} {:4} {:3} {:5.2} {:5.2} {:5.1} {:5.2} {:5.2} {:3} {:5.1} {:6.1}  => {:?}",
            p.from_frame,
            p.to_frame,
            p.keypoints,
            p.good_matches,
            p.inliers,
            p.zoom,
            p.hist_distance,
            p.gray_diff,
            p.structure_corr,
            p.gain,
            p.background_visible as u8,
            p.sharpest_step_diff,
            p.sharpest_step_spike,
            classify(p, &params)
        );
    }
    Ok(())
}
