//! What one pass over every frame of a video costs, per source frame, the way the
//! authenticity check makes it: a 64 px grey thumbnail of every frame and a BGR picture
//! every 100 ms of video. Compared: OpenCV's capture (what `VideoDecoder` was until
//! FFmpeg was used directly: every frame converted to BGR, the thumbnail shrunk from it)
//! and the FFmpeg scanner (thumbnail from the luma plane, BGR only at the samples) with
//! its decoding options; then decoding alone and with a BGR picture of every frame (the
//! pose stage's work on analysed frames). Prints wall and CPU ms per frame (CPU of this
//! process: user + system, so decoder threads count).
//!
//!   cargo run --release -p fitvision-video --example decode_cost -- VIDEO [REPEATS]

use std::path::Path;
use std::time::Instant;

use fitvision_video::opencv::core::{Mat, Size};
use fitvision_video::opencv::imgproc;
use fitvision_video::opencv::prelude::*;
use fitvision_video::opencv::videoio::{CAP_FFMPEG, VideoCapture};
use fitvision_video::{DecodeOptions, FrameScanner, VideoError};

const SAMPLE_MS: f64 = 100.0;

/// User + system CPU seconds of this process so far (Linux `/proc/self/stat`).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn thumb_size(width: u32, height: u32) -> Size {
    Size::new(
        64,
        ((64.0 * f64::from(height) / f64::from(width)).round() as i32).max(8),
    )
}

fn opencv_pass(path: &Path) -> Result<u32, VideoError> {
    let mut capture = VideoCapture::from_file(path.to_str().unwrap_or_default(), CAP_FFMPEG)?;
    let mut frames = 0;
    let mut image = Mat::default();
    while capture.grab()? {
        capture.retrieve(&mut image, 0)?;
        let thumb = thumb_size(image.cols() as u32, image.rows() as u32);
        let mut small = Mat::default();
        imgproc::resize(&image, &mut small, thumb, 0.0, 0.0, imgproc::INTER_LINEAR)?;
        let mut gray = Mat::default();
        imgproc::cvt_color_def(&small, &mut gray, imgproc::COLOR_BGR2GRAY)?;
        frames += 1;
    }
    Ok(frames)
}

/// What a pass does with each frame besides decoding it.
#[derive(Clone, Copy)]
enum Work {
    /// The check's: grey thumbnail of every frame, BGR every `SAMPLE_MS`.
    Check,
    /// Decoding alone.
    Nothing,
    /// A BGR picture of every frame (the pose stage's work on an analysed frame).
    BgrEveryFrame,
}

fn scanner_pass(path: &Path, options: DecodeOptions, work: Work) -> Result<u32, VideoError> {
    let mut scanner = FrameScanner::open(path, options)?;
    let thumb = thumb_size(scanner.meta().width, scanner.meta().height);
    let (mut frames, mut next_sample_ms) = (0, 0.0);
    while let Some(frame) = scanner.next_frame()? {
        match work {
            Work::Check => {
                scanner.gray(thumb)?;
                if frame.timestamp_ms >= next_sample_ms {
                    next_sample_ms = frame.timestamp_ms + SAMPLE_MS;
                    scanner.bgr()?;
                }
            }
            Work::Nothing => {}
            Work::BgrEveryFrame => {
                scanner.bgr()?;
            }
        }
        frames += 1;
    }
    Ok(frames)
}

fn main() -> Result<(), VideoError> {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: decode_cost VIDEO [REPEATS]");
    let repeats: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(3);
    let path = Path::new(&path);
    let scanner = |skip_loop_filter, decoder_threads| DecodeOptions {
        skip_loop_filter,
        decoder_threads,
    };
    let check = |options| Some((options, Work::Check));
    let passes = [
        ("opencv capture: BGR every frame", None),
        ("scanner: auto threads", check(scanner(false, 0))),
        ("scanner: 1 thread", check(scanner(false, 1))),
        ("scanner: no deblock, auto threads", check(scanner(true, 0))),
        ("scanner: no deblock, 1 thread", check(scanner(true, 1))),
        (
            "decode only, 1 thread",
            Some((scanner(false, 1), Work::Nothing)),
        ),
        (
            "decode + BGR every frame, 1 thread",
            Some((scanner(false, 1), Work::BgrEveryFrame)),
        ),
        (
            "decode + BGR every frame, auto threads",
            Some((scanner(false, 0), Work::BgrEveryFrame)),
        ),
    ];
    for round in 0..repeats {
        for (name, options) in &passes {
            let (wall, cpu) = (Instant::now(), cpu_seconds());
            let frames = match options {
                None => opencv_pass(path)?,
                Some((options, work)) => scanner_pass(path, *options, *work)?,
            };
            let per_frame = |seconds: f64| seconds * 1000.0 / f64::from(frames.max(1));
            println!(
                "round {round} {name:<36} {frames} frames: wall {:.2} ms/frame, cpu {:.2} ms/frame",
                per_frame(wall.elapsed().as_secs_f64()),
                per_frame(cpu_seconds() - cpu),
            );
        }
    }
    Ok(())
}
