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
