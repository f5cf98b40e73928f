//! `unambiguous_matches` against what it replaces, OpenCV's brute-force Hamming matcher
//! (`knnMatch`, k = 2) followed by Lowe's ratio test: the same pairs, in the same order,
//! on ORB features of real frames (a panning handheld clip and a still one) and on
//! descriptors made to tie (few distinct bit patterns), where the order of equal
//! distances decides.

use anyhow::{Result, ensure};
use fitvision_video::opencv::core::{self as cv, CV_8U, KeyPoint, Mat, Scalar, Vector};
use fitvision_video::opencv::features2d::{ORB, ORB_ScoreType};
use fitvision_video::opencv::imgproc;
use fitvision_video::opencv::prelude::*;
use fitvision_video::{VideoDecoder, unambiguous_matches};

mod common;
use common::{opencv_matches, shared_clip};

fn orb_descriptors(image: &Mat) -> Result<Mat> {
    let mut orb = ORB::create(400, 1.2, 6, 15, 0, 2, ORB_ScoreType::HARRIS_SCORE, 31, 8)?;
    let mut gray = Mat::default();
    imgproc::cvt_color_def(image, &mut gray, imgproc::COLOR_BGR2GRAY)?;
    let mut keypoints = Vector::<KeyPoint>::new();
    let mut descriptors = Mat::default();
    orb.detect_and_compute(
        &gray,
        &cv::no_array(),
        &mut keypoints,
        &mut descriptors,
        false,
    )?;
    Ok(descriptors)
}

/// Descriptors of every `step`-th of the first `frames` frames of a shared clip.
fn clip_descriptors(name: &str, step: u32, frames: u32) -> Result<Option<Vec<Mat>>> {
    let Some(path) = shared_clip(name) else {
        return Ok(None);
    };
    let mut all = Vec::new();
    for frame in VideoDecoder::open(&path)? {
        let frame = frame?;
        if frame.index >= frames {
            break;
        }
        if frame.index % step == 0 {
            all.push(orb_descriptors(&frame.image)?);
        }
    }
    Ok(Some(all))
}

#[test]
fn real_frames_give_opencvs_pairs() -> Result<()> {
    // A handheld camera that moves, and a tripod shot: near and far matches both.
    for name in [
        "sit_up_stock_watermark_camera_move.mp4",
        "squat_side_3reps.mp4",
    ] {
        let Some(frames) = clip_descriptors(name, 3, 60)? else {
            continue;
        };
        ensure!(frames.len() >= 10, "{name}: {} frames", frames.len());
        let mut kept = 0;
        for pair in frames.windows(2) {
            let ours = unambiguous_matches(&pair[0], &pair[1])?;
            ensure!(
                ours == opencv_matches(&pair[0], &pair[1])?,
                "{name}: pairs differ"
            );
            kept += ours.len();
        }
        // Consecutive frames share most of their background.
        ensure!(kept > 50 * (frames.len() - 1), "{name}: only {kept} pairs");
    }
    Ok(())
}

/// `rows` descriptors drawn from only `patterns` distinct ones, each a few bits off, so
/// that equal nearest and second-nearest distances are common.
fn tying_descriptors(rows: i32, patterns: u64, seed: u64) -> Result<Mat> {
    let mut state = seed;
    let mut next = move || {
        // SplitMix64: a fixed, well-spread sequence for the test.
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut mat = Mat::new_rows_cols_with_default(rows, 32, CV_8U, Scalar::all(0.0))?;
    for row in 0..rows {
        let pattern = next() % patterns;
        let flipped = next() % 4;
        let bytes = mat.at_row_mut::<u8>(row)?;
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = (pattern.wrapping_mul(0x0101_0101_0101_0101) >> (i % 8 * 8)) as u8
                ^ (i as u8).wrapping_mul(pattern as u8);
        }
        for _ in 0..flipped {
            let bit = (next() % 256) as usize;
            bytes[bit / 8] ^= 1 << (bit % 8);
        }
    }
    Ok(mat)
}

#[test]
fn ties_are_resolved_as_opencv_resolves_them() -> Result<()> {
    for seed in 0..20 {
        let query = tying_descriptors(120, 6, seed)?;
        let train = tying_descriptors(150, 6, seed + 1000)?;
        let ours = unambiguous_matches(&query, &train)?;
        ensure!(ours == opencv_matches(&query, &train)?, "seed {seed}");
    }
    Ok(())
}

#[test]
fn fewer_than_two_descriptors_to_match_with_match_nothing() -> Result<()> {
    let one = tying_descriptors(1, 3, 1)?;
    let many = tying_descriptors(50, 3, 2)?;
    ensure!(unambiguous_matches(&one, &many)? == opencv_matches(&one, &many)?);
    ensure!(unambiguous_matches(&many, &one)?.is_empty());
    ensure!(opencv_matches(&many, &one)?.is_empty());
    ensure!(unambiguous_matches(&Mat::default(), &many)?.is_empty());
    Ok(())
}

#[test]
fn descriptors_of_another_kind_are_refused() -> Result<()> {
    let floats = Mat::new_rows_cols_with_default(10, 32, cv::CV_32F, Scalar::all(0.0))?;
    let binary = tying_descriptors(10, 3, 3)?;
    ensure!(unambiguous_matches(&floats, &binary).is_err());
    Ok(())
}
