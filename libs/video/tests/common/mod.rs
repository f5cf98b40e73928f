//! Helpers shared by the decoder tests.

use std::process::Command;

use anyhow::{Context, Result, ensure};

/// Runs the ffmpeg CLI quietly, overwriting its output.
pub fn ffmpeg(args: &[&str]) -> Result<()> {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .status()
        .context("ffmpeg must be installed")?;
    ensure!(status.success(), "ffmpeg {args:?} failed");
    Ok(())
}
