//! Sampling with frames left undecoded (`VideoDecoder::sample_at`) against sampling with
//! every frame decoded: the same frames in the same places with the same times, the same
//! frames kept, bit for bit the same pictures; and frames really left out where the
//! stream has non-reference pictures (x264's B-frames), none where it has none.

use std::path::{Path, PathBuf};

use anyhow::{Result, ensure};
use fitvision_video::opencv::core::{self as cv, Mat};
use fitvision_video::opencv::prelude::*;
use fitvision_video::{SampledFrame, TimeSampler, VideoDecoder};

mod common;
use common::{ffmpeg, shared_clip};

/// What a sampled pass hands out: (index, time, kept picture).
type Pass = Vec<(u32, f64, Option<Mat>)>;

fn entry(frame: SampledFrame) -> (u32, f64, Option<Mat>) {
    match frame {
        SampledFrame::Kept(frame) => (frame.index, frame.timestamp_ms, Some(frame.image)),
        SampledFrame::Skipped {
            index,
            timestamp_ms,
        } => (index, timestamp_ms, None),
    }
}

/// Every frame decoded; the sampler asked about each in turn.
fn decoding_everything(path: &Path, target_fps: f64) -> Result<Pass> {
    let mut decoder = VideoDecoder::open(path)?;
    let mut sampler = TimeSampler::new(target_fps, decoder.nominal_period_ms());
    let mut pass = Vec::new();
    while let Some(frame) = decoder.next_sampled(|_, timestamp_ms| sampler.keep(timestamp_ms)) {
        pass.push(entry(frame?));
    }
    ensure!(decoder.frames_left_undecoded() == 0);
    Ok(pass)
}

/// The same with frames left out; returns how many were.
fn leaving_frames_out(path: &Path, target_fps: f64) -> Result<(Pass, u64)> {
    let mut decoder = VideoDecoder::open(path)?;
    decoder.sample_at(target_fps);
    let mut pass = Vec::new();
    while let Some(frame) = decoder.next_in_sample() {
        pass.push(entry(frame?));
    }
    Ok((pass, decoder.frames_left_undecoded()))
}

/// Both passes agree frame for frame; returns (frames, kept, left undecoded).
fn assert_same_sample(path: &Path, target_fps: f64) -> Result<(usize, usize, u64)> {
    let name = path.display();
    let everything = decoding_everything(path, target_fps)?;
    let (sampled, left_out) = leaving_frames_out(path, target_fps)?;
    ensure!(
        everything.len() == sampled.len(),
        "{name}: {} frames vs {}",
        everything.len(),
        sampled.len()
    );
    let mut kept = 0;
    for ((index, time, picture), (other_index, other_time, other_picture)) in
        everything.iter().zip(&sampled)
    {
        ensure!(
            index == other_index,
            "{name}: frame {index} vs {other_index}"
        );
        ensure!(
            time == other_time,
            "{name} frame {index}: {time} ms vs {other_time} ms"
        );
        match (picture, other_picture) {
            (None, None) => {}
            (Some(a), Some(b)) => {
                let mut diff = Mat::default();
                cv::absdiff(a, b, &mut diff)?;
                let differing = cv::count_non_zero(&diff.reshape(1, 0)?)?;
                ensure!(
                    differing == 0,
                    "{name} frame {index}: {differing} values differ"
                );
                kept += 1;
            }
            _ => anyhow::bail!("{name} frame {index}: kept by one pass only"),
        }
    }
    Ok((everything.len(), kept, left_out))
}

/// A 3 s moving test pattern at `rate` fps encoded with `codec_args`.
fn clip(dir: &Path, name: &str, rate: u32, codec_args: &[&str]) -> Result<PathBuf> {
    let path = dir.join(name);
    let source = format!("testsrc2=size=320x240:rate={rate}:duration=3");
    let mut args = vec!["-f", "lavfi", "-i", &source];
    args.extend_from_slice(codec_args);
    args.push(path.to_str().unwrap());
    ffmpeg(&args)?;
    Ok(path)
}

#[test]
fn b_frames_not_sampled_are_left_out_and_nothing_else_changes() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let x264 = ["-c:v", "libx264", "-bf", "3", "-pix_fmt", "yuv420p"];
    let at_60 = clip(dir.path(), "b60.mp4", 60, &x264)?;
    let at_30 = clip(dir.path(), "b30.mp4", 30, &x264)?;
    // 60 fps at 15: three frames in four are not kept; of x264's B-frames (with a
    // reference B in the middle of each run) about half are non-reference pictures.
    let (frames, kept, left_out) = assert_same_sample(&at_60, 15.0)?;
    assert_eq!((frames, kept), (180, 45));
    assert!(
        left_out >= 50,
        "60 fps: {left_out} of {frames} frames left undecoded"
    );
    let (frames, kept, left_out) = assert_same_sample(&at_30, 15.0)?;
    assert_eq!((frames, kept), (90, 45));
    assert!(
        left_out >= 15,
        "30 fps: {left_out} of {frames} frames left undecoded"
    );
    // Every frame wanted: nothing left out.
    let (frames, kept, left_out) = assert_same_sample(&at_60, 0.0)?;
    assert_eq!((frames, kept, left_out), (180, 180, 0));
    Ok(())
}

#[test]
fn streams_without_disposable_frames_decode_every_frame() -> Result<()> {
    let dir = tempfile::tempdir()?;
    // No B-frames (as phones record), and VP9 (not H.264: never parsed).
    let no_b = clip(
        dir.path(),
        "no_b.mp4",
        60,
        &["-c:v", "libx264", "-bf", "0", "-pix_fmt", "yuv420p"],
    )?;
    let vp9 = clip(
        dir.path(),
        "vp9.webm",
        60,
        &[
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
        ],
    )?;
    for path in [&no_b, &vp9] {
        let (frames, kept, left_out) = assert_same_sample(path, 15.0)?;
        assert_eq!((frames, kept, left_out), (180, 45, 0), "{}", path.display());
    }
    Ok(())
}

#[test]
fn a_cut_with_an_edit_list_keeps_its_frames_in_place() -> Result<()> {
    // Copying from 1.1 s without re-encoding keeps the frames from the key frame before
    // the cut, which the container's edit list marks to be discarded: those packets
    // yield no frame and must not be stood in for.
    let dir = tempfile::tempdir()?;
    let source = clip(
        dir.path(),
        "source.mp4",
        60,
        &[
            "-c:v", "libx264", "-bf", "3", "-g", "48", "-pix_fmt", "yuv420p",
        ],
    )?;
    let cut = dir.path().join("cut.mp4");
    ffmpeg(&[
        "-ss",
        "1.1",
        "-i",
        source.to_str().unwrap(),
        "-c",
        "copy",
        cut.to_str().unwrap(),
    ])?;
    let (frames, kept, _) = assert_same_sample(&cut, 15.0)?;
    assert!(frames > 100 && kept > 25, "{frames} frames, {kept} kept");
    Ok(())
}

/// Real re-encoded clips of the shared set, when present: 1080x1920 at 60 fps, 960x540
/// at 30 fps and a 426x240 web clip at 29.97 fps, all with B-frames.
#[test]
fn shared_clips_sample_the_same_frames_with_b_frames_left_out() -> Result<()> {
    let clips = [
        "squat_barbell_side_60fps.mp4",
        "pullup_back_gym.mp4",
        "pushup_closeup_cropped.mp4",
    ];
    for clip in clips {
        let Some(path) = shared_clip(clip) else {
            continue;
        };
        let (frames, kept, left_out) = assert_same_sample(&path, 15.0)?;
        eprintln!("{clip}: {frames} frames, {kept} kept, {left_out} left undecoded");
        assert!(left_out > 0, "{clip}: no frame left undecoded");
    }
    Ok(())
}
