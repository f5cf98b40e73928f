//! What matching two frames' ORB descriptors costs: OpenCV's brute-force matcher
//! (`knnMatch`, k = 2, then the ratio test) against `unambiguous_matches`, on the
//! consecutive analysed frames of a video, with the pose stage's feature settings
//! (400 features on a grey copy with a 320 px long side) or the authenticity check's
//! feature count (500). Prints
//! ms per frame pair for each, and whether they kept the same pairs.
//!
//!   cargo run --release -p fitvision-video --example match_cost -- VIDEO [FEATURES] [REPEATS]

use std::time::Instant;

use fitvision_video::camera_motion::feature_image;
use fitvision_video::opencv::core::{self as cv, KeyPoint, Mat, Vector};
use fitvision_video::opencv::features2d::{ORB, ORB_ScoreType};
use fitvision_video::opencv::imgproc;
use fitvision_video::opencv::prelude::*;
use fitvision_video::{VideoDecoder, VideoError, unambiguous_matches};

#[path = "../tests/common/mod.rs"]
mod common;

fn main() -> Result<(), VideoError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: match_cost VIDEO [FEATURES] [REPEATS]");
        std::process::exit(2);
    };
    let features: i32 = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(400);
    let repeats: u32 = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(3);
    let mut orb = ORB::create(
        features,
        1.2,
        6,
        15,
        0,
        2,
        ORB_ScoreType::HARRIS_SCORE,
        31,
        8,
    )?;
    let mut descriptors = Vec::new();
    // Every other frame, as the pose stage analyses a 30 fps clip at 15 fps.
    for frame in VideoDecoder::open(std::path::Path::new(path))?.step_by(2) {
        let image = frame?.image;
        let (small, _) = feature_image(&image)?;
        let mut gray = Mat::default();
        imgproc::cvt_color_def(&small, &mut gray, imgproc::COLOR_BGR2GRAY)?;
        let mut keypoints = Vector::<KeyPoint>::new();
        let mut found = Mat::default();
        orb.detect_and_compute(&gray, &cv::no_array(), &mut keypoints, &mut found, false)?;
        if found.rows() >= 8 {
            descriptors.push(found);
        }
    }
    let pairs = descriptors.len().saturating_sub(1).max(1) as f64;
    let mean_rows =
        descriptors.iter().map(|d| d.rows() as f64).sum::<f64>() / descriptors.len().max(1) as f64;
    println!(
        "{path}: {} frame pairs, {mean_rows:.0} descriptors per frame on average",
        descriptors.len().saturating_sub(1)
    );
    for round in 0..repeats {
        let started = Instant::now();
        let mut theirs = Vec::new();
        for pair in descriptors.windows(2) {
            theirs.push(common::opencv_matches(&pair[0], &pair[1])?);
        }
        let opencv_ms = started.elapsed().as_secs_f64() * 1000.0 / pairs;
        let started = Instant::now();
        let mut ours = Vec::new();
        for pair in descriptors.windows(2) {
            ours.push(unambiguous_matches(&pair[0], &pair[1])?);
        }
        let ours_ms = started.elapsed().as_secs_f64() * 1000.0 / pairs;
        println!(
            "round {round}: OpenCV {opencv_ms:.3} ms per pair, unambiguous_matches {ours_ms:.3} ms; same pairs: {}",
            theirs == ours
        );
    }
    Ok(())
}
