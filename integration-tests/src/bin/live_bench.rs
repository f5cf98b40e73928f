//! Live counting latency and capacity (issue 19).
//!
//!   cargo build --release --workspace --bins
//!   cargo run --release -p fitvision-integration-tests --bin live_bench -- \
//!       [--clip=NAME] [--fps=15] [--long-side=640] [--max-streams=4]
//!
//! Starts `fitvision serve` (the same build, default settings) and plays a shared
//! clip to `GET /live` as a phone camera would: JPEG frames of `--long-side` px at
//! `--fps`, sent at the clip's own pace. Prints, for 1..=`--max-streams` streams at
//! once: the frames analysed per stream and per second, the share dropped
//! (latest-wins), and the delay from sending the frame that ends a rep to receiving
//! its `rep` event (median, p95, over every rep of every stream). A machine
//! sustains N streams when each keeps its analysed rate near `--fps`.

use anyhow::{Context, Result, bail};
use fitvision_integration_tests::edge_http::api_key;
use fitvision_integration_tests::live_feed::{
    LiveTarget, camera_frames, median_and_p95, stream_set,
};
use fitvision_integration_tests::{Suite, ground_truth, shared_video};

struct Args {
    clip: String,
    fps: f64,
    long_side: i32,
    max_streams: usize,
}

impl Args {
    fn parse() -> Result<Self> {
        let mut args = Self {
            clip: "squat_bodyweight_side_bluewall.mp4".to_owned(),
            fps: 15.0,
            long_side: 640,
            max_streams: 4,
        };
        for arg in std::env::args().skip(1) {
            let (name, value) = arg
                .split_once('=')
                .with_context(|| format!("expected --name=value, got {arg}"))?;
            match name {
                "--clip" => args.clip = value.to_owned(),
                "--fps" => args.fps = value.parse()?,
                "--long-side" => args.long_side = value.parse()?,
                "--max-streams" => args.max_streams = value.parse()?,
                other => bail!("unknown option {other}"),
            }
        }
        Ok(args)
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse()?;
    let path = shared_video(&args.clip).context("the clip is not in the shared videos")?;
    let (exercise, truth) = ground_truth(&args.clip).context("the clip has no counted truth")?;
    let frames = camera_frames(&path, args.fps, args.long_side)?;
    let seconds = frames
        .last()
        .zip(frames.first())
        .map_or(0.0, |(last, first)| {
            (last.timestamp_ms - first.timestamp_ms) / 1000.0
        });
    println!(
        "clip {} ({exercise}, {truth} reps): {} frames of {} px at {} fps over {seconds:.1} s",
        args.clip,
        frames.len(),
        args.long_side,
        args.fps
    );
    let suite = Suite::start().await?;
    let authorization = api_key(&suite.admin_key);
    let edge = suite.edge_url();
    let query = format!("activity={exercise}&keep=false");
    println!(
        "| streams | analysed fps per stream | dropped | reps counted (truth {truth}) | rep latency median | p95 |"
    );
    println!("|---|---|---|---|---|---|");
    for streams in 1..=args.max_streams {
        let target = LiveTarget {
            edge_url: &edge,
            authorization: Some(&authorization),
            query: &query,
        };
        let runs =
            futures::future::join_all((0..streams).map(|_| stream_set(&target, &frames, true)))
                .await;
        let mut latencies = Vec::new();
        let mut rates = Vec::new();
        let mut dropped = Vec::new();
        let mut counts = Vec::new();
        for run in runs {
            let run = run?;
            if let Some(error) = run.error {
                bail!("a stream failed: {error}");
            }
            let summary = run.summary.context("a stream ended without its summary")?;
            let received = summary["frames_received"].as_f64().unwrap_or_default();
            let analysed = summary["frames_analysed"].as_f64().unwrap_or_default();
            rates.push(analysed / seconds.max(0.001));
            dropped.push(1.0 - analysed / received.max(1.0));
            counts.push(summary["rep_count"].as_u64().unwrap_or_default());
            latencies.extend(run.rep_latencies_ms);
        }
        let mean = |values: &[f64]| values.iter().sum::<f64>() / values.len().max(1) as f64;
        let (median, p95) = median_and_p95(&latencies).unwrap_or((f64::NAN, f64::NAN));
        println!(
            "| {streams} | {:.1} | {:.0}% | {counts:?} | {median:.0} ms | {p95:.0} ms |",
            mean(&rates),
            mean(&dropped) * 100.0
        );
    }
    if let Some(rss) = suite.peak_rss_mb() {
        println!("suite peak RSS: {rss:.0} MB");
    }
    Ok(())
}
