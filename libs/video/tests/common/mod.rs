//! Helpers shared by the decoder tests.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, ensure};

/// Runs the ffmpeg CLI quietly, overwriting its output.
#[allow(dead_code)] // not every test binary that includes this module uses it
pub fn ffmpeg(args: &[&str]) -> Result<()> {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .status()
        .context("ffmpeg must be installed")?;
    ensure!(status.success(), "ffmpeg {args:?} failed");
    Ok(())
}

/// A copy of `source` (next to it) whose stream says to display it turned by
/// `degrees` (counter-clockwise, as the `rotate` tag has it): a phone's sideways clip.
#[allow(dead_code)] // not every test binary that includes this module uses it
pub fn rotated_copy(source: &Path, degrees: i32) -> Result<PathBuf> {
    let rotated = source.with_file_name(format!("rotated_{degrees}.mp4"));
    ffmpeg(&[
        "-i",
        source.to_str().context("a UTF-8 path")?,
        "-c",
        "copy",
        "-metadata:s:v:0",
        &format!("rotate={degrees}"),
        rotated.to_str().context("a UTF-8 path")?,
    ])?;
    Ok(rotated)
}

/// The shared clip `name` (`../shared/videos`), or None, with a message, when absent:
/// tests over real clips run where the shared set is and pass without it.
#[allow(dead_code)] // not every test binary that includes this module uses it
pub fn shared_clip(name: &str) -> Option<PathBuf> {
    let videos = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/videos");
    let path = videos.join(name);
    if path.is_file() {
        return Some(path);
    }
    eprintln!("skipped {name}: not in {}", videos.display());
    None
}

/// The pairs OpenCV's brute-force Hamming matcher (`knnMatch`, k = 2) and Lowe's ratio
/// test keep: the reference `fitvision_video::unambiguous_matches` replaced, for the
/// equivalence test and the `match_cost` example.
#[allow(dead_code)] // not every test binary that includes this module uses it
pub fn opencv_matches(
    query: &fitvision_video::opencv::core::Mat,
    train: &fitvision_video::opencv::core::Mat,
) -> fitvision_video::opencv::Result<Vec<fitvision_video::DescriptorMatch>> {
    use fitvision_video::opencv::core::{self as cv, DMatch, Vector};
    use fitvision_video::opencv::features2d::BFMatcher;
    use fitvision_video::opencv::prelude::*;
    let matcher = BFMatcher::create(cv::NORM_HAMMING, false)?;
    let mut knn = Vector::<Vector<DMatch>>::new();
    matcher.knn_train_match(query, train, &mut knn, 2, &cv::no_array(), false)?;
    let mut pairs = Vec::new();
    for candidates in knn.iter() {
        if candidates.len() < 2 {
            continue;
        }
        let (m, n) = (candidates.get(0)?, candidates.get(1)?);
        if m.distance < fitvision_video::LOWE_RATIO * n.distance {
            pairs.push(fitvision_video::DescriptorMatch {
                query: m.query_idx as usize,
                train: m.train_idx as usize,
            });
        }
    }
    Ok(pairs)
}
