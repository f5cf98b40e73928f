//! Matching binary feature descriptors (ORB's 256 bits) between two frames: for each
//! descriptor of the first frame, the nearest of the second by Hamming distance, kept
//! only when it is clearly nearer than the second nearest (Lowe's ratio test).
//!
//! This is what OpenCV's brute-force matcher (`BFMatcher`, `NORM_HAMMING`, `knnMatch`
//! with k = 2) followed by the ratio test gives, pair for pair. OpenCV's version costs
//! far more than the distances: its matcher calls an instrumented function per pair of
//! descriptors (a trace region is opened and closed around every 32-byte comparison), so
//! 400 x 400 descriptors took 1.0-1.5 ms per frame pair on a 2-core machine (500 x 500:
//! 1.8-2.7 ms), on every analysed frame of the pose stage and every camera sample of the
//! authenticity check; here 0.3 ms (0.5 ms), the descriptors read once as 64-bit words
//! (`cargo run -p fitvision-video --example match_cost -- VIDEO`).

use opencv::core::{CV_8U, Mat};
use opencv::prelude::*;

use crate::VideoError;

/// Lowe's ratio: the nearest must be nearer than this share of the second nearest.
pub const LOWE_RATIO: f32 = 0.8;

/// Bytes of an ORB descriptor.
const DESCRIPTOR_BYTES: usize = 32;
const WORDS: usize = DESCRIPTOR_BYTES / 8;

/// A matched pair: the row of a descriptor of the first set and of its match in the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DescriptorMatch {
    pub query: usize,
    pub train: usize,
}

/// Rows of `query` (descriptors of one frame) with their unambiguous nearest row of
/// `train` (the other frame's), in `query`'s order. Empty when `train` has fewer than
/// two descriptors (no second nearest to compare with).
///
/// Ties are resolved as OpenCV resolves them: the first row wins a tie for the nearest,
/// and a tie for the nearest never passes the ratio test (equal distances are not
/// "clearly nearer").
pub fn unambiguous_matches(query: &Mat, train: &Mat) -> Result<Vec<DescriptorMatch>, VideoError> {
    let query = descriptor_words(query)?;
    let train = descriptor_words(train)?;
    if train.len() < 2 {
        return Ok(Vec::new());
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the CPU has just been found to have the instruction the function is
        // compiled for.
        return Ok(unsafe { nearest_pairs_with_popcnt(&query, &train) });
    }
    Ok(nearest_pairs(&query, &train))
}

/// [`nearest_pairs`] compiled with the CPU's population-count instruction: the baseline
/// x86-64 target has none, and counting bits without it took most of the time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn nearest_pairs_with_popcnt(
    query: &[[u64; WORDS]],
    train: &[[u64; WORDS]],
) -> Vec<DescriptorMatch> {
    nearest_pairs(query, train)
}

#[inline(always)]
fn nearest_pairs(query: &[[u64; WORDS]], train: &[[u64; WORDS]]) -> Vec<DescriptorMatch> {
    let mut matches = Vec::new();
    for (query_row, q) in query.iter().enumerate() {
        let (mut nearest, mut nearest_row, mut second) = (u32::MAX, 0, u32::MAX);
        for (train_row, t) in train.iter().enumerate() {
            let distance = hamming(q, t);
            if distance < nearest {
                second = nearest;
                (nearest, nearest_row) = (distance, train_row);
            } else if distance < second {
                second = distance;
            }
        }
        // Compared in f32 as OpenCV's `DMatch::distance` is.
        if (nearest as f32) < LOWE_RATIO * second as f32 {
            matches.push(DescriptorMatch {
                query: query_row,
                train: nearest_row,
            });
        }
    }
    matches
}

#[inline(always)]
fn hamming(a: &[u64; WORDS], b: &[u64; WORDS]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// The rows of a descriptor matrix (8-bit, 32 columns) as 64-bit words; no rows for an
/// empty matrix (a frame without texture).
fn descriptor_words(descriptors: &Mat) -> Result<Vec<[u64; WORDS]>, VideoError> {
    if descriptors.empty() || descriptors.rows() == 0 {
        return Ok(Vec::new());
    }
    if descriptors.typ() != CV_8U || descriptors.cols() as usize != DESCRIPTOR_BYTES {
        // The error OpenCV's matcher gives for descriptors it cannot compare.
        return Err(VideoError::OpenCv(opencv::Error::new(
            opencv::core::StsBadArg,
            format!(
                "binary descriptors are {DESCRIPTOR_BYTES} bytes of CV_8U, got {} columns of type {}",
                descriptors.cols(),
                descriptors.typ()
            ),
        )));
    }
    let mut rows = Vec::with_capacity(descriptors.rows() as usize);
    for row in 0..descriptors.rows() {
        let bytes = descriptors.at_row::<u8>(row)?;
        let mut words = [0u64; WORDS];
        for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
            *word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        }
        rows.push(words);
    }
    Ok(rows)
}
