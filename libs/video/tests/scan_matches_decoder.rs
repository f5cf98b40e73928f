//! The FFmpeg decoder (`FrameScanner`, under `VideoDecoder`) against OpenCV's capture,
//! the decoder this project used before and that every pose track so far was made with:
//! frame for frame the same count, timestamps and BGR pictures, and a grey thumbnail
//! read from the luma plane within rounding of one made from the BGR picture. Clips are
//! made here with the ffmpeg CLI; one test also runs over shared clips when present.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use fitvision_video::opencv::core::{self as cv, Mat, Size};
use fitvision_video::opencv::imgproc;
use fitvision_video::opencv::prelude::*;
use fitvision_video::opencv::videoio::{
    CAP_FFMPEG, CAP_PROP_ORIENTATION_AUTO, CAP_PROP_POS_MSEC, VideoCapture,
};
use fitvision_video::{DecodeOptions, FrameScanner, VideoError};

mod common;
use common::{ffmpeg, rotated_copy, shared_clip};

/// A 2 s moving test pattern encoded with `codec_args`.
fn clip(dir: &Path, name: &str, filter: &str, codec_args: &[&str]) -> Result<PathBuf> {
    let path = dir.join(name);
    let mut args = vec![
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=30:duration=2",
        "-vf",
        filter,
    ];
    args.extend_from_slice(codec_args);
    args.push(path.to_str().unwrap());
    ffmpeg(&args)?;
    Ok(path)
}

/// [`clip`] in plain H.264 (yuv420p), resized by `filter`.
fn h264_clip(dir: &Path, name: &str, filter: &str) -> Result<PathBuf> {
    clip(
        dir,
        name,
        filter,
        &["-c:v", "libx264", "-pix_fmt", "yuv420p"],
    )
}

fn mean_abs_diff(a: &Mat, b: &Mat) -> Result<f64> {
    ensure!(a.size()? == b.size()?, "sizes differ");
    let mut diff = Mat::default();
    cv::absdiff(a, b, &mut diff)?;
    let means = cv::mean_def(&diff)?;
    Ok((means[0] + means[1] + means[2]) / f64::from(a.channels()))
}

/// What OpenCV's capture gives per frame (rotation metadata not applied: the clips
/// compared here have none): time, BGR picture, and the grey thumbnail made the way the
/// checks made it before the scanner (BGR shrunk, then grey).
fn opencv_frames(path: &Path, thumb: Size, period_ms: f64) -> Result<Vec<(f64, Mat, Mat)>> {
    let mut capture = VideoCapture::from_file(path.to_str().unwrap(), CAP_FFMPEG)?;
    ensure!(
        capture.is_opened()?,
        "OpenCV cannot open {}",
        path.display()
    );
    capture.set(CAP_PROP_ORIENTATION_AUTO, 0.0)?;
    let mut frames = Vec::new();
    let mut last_ms: Option<f64> = None;
    while capture.grab()? {
        let mut image = Mat::default();
        capture.retrieve(&mut image, 0)?;
        // The rule both decoders apply to missing or repeated timestamps.
        let reported = capture.get(CAP_PROP_POS_MSEC)?;
        let timestamp_ms = match last_ms {
            None => reported.max(0.0),
            Some(last) if reported > last => reported,
            Some(last) => last + period_ms,
        };
        last_ms = Some(timestamp_ms);
        let mut small = Mat::default();
        imgproc::resize(&image, &mut small, thumb, 0.0, 0.0, imgproc::INTER_LINEAR)?;
        let mut gray = Mat::default();
        imgproc::cvt_color_def(&small, &mut gray, imgproc::COLOR_BGR2GRAY)?;
        frames.push((timestamp_ms, image, gray));
    }
    Ok(frames)
}

/// Every frame: same index and time, same picture (BGR within conversion rounding), a
/// grey thumbnail within rounding of the BGR-made one. Returns the frames compared.
fn assert_scanner_matches_opencv(path: &Path, options: DecodeOptions) -> Result<usize> {
    let mut scanner = FrameScanner::open(path, options)?;
    let meta = scanner.meta().clone();
    ensure!(
        meta.rotation_deg == 0,
        "compare clips without rotation metadata"
    );
    let thumb = Size::new(
        64,
        (64.0 * meta.height as f64 / meta.width as f64).round() as i32,
    );
    let expected = opencv_frames(path, thumb, scanner.nominal_period_ms())?;
    // Grey from luma equals grey from BGR but where BGR clips saturated colours (the
    // test pattern's colour bars do): a grey level or two there. Without the deblocking
    // filter pictures differ a little more, never the frames.
    let (bgr_tolerance, gray_tolerance) = if options.skip_loop_filter {
        (3.0, 3.0)
    } else {
        (0.01, 2.0)
    };
    let mut seen = 0;
    while let Some(frame) = scanner.next_frame()? {
        let (timestamp_ms, image, gray) = expected
            .get(seen)
            .with_context(|| format!("scanner gave more than {} frames", expected.len()))?;
        let name = path.display();
        assert_eq!(frame.index as usize, seen, "{name}");
        assert!(
            (frame.timestamp_ms - timestamp_ms).abs() < 0.5,
            "{name} frame {seen}: {} ms vs OpenCV {timestamp_ms} ms",
            frame.timestamp_ms
        );
        let bgr_diff = mean_abs_diff(&scanner.bgr()?, image)?;
        assert!(
            bgr_diff < bgr_tolerance,
            "{name} frame {seen}: BGR differs by {bgr_diff}"
        );
        let gray_diff = mean_abs_diff(&scanner.gray(thumb)?, gray)?;
        assert!(
            gray_diff < gray_tolerance,
            "{name} frame {seen}: thumbnail differs by {gray_diff}"
        );
        seen += 1;
    }
    assert_eq!(seen, expected.len(), "{}", path.display());
    Ok(seen)
}

#[test]
fn frames_match_opencv_on_b_frames_full_range_odd_sizes_and_vp9() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let b_frames = clip(
        dir.path(),
        "b_frames.mp4",
        "null",
        &["-c:v", "libx264", "-bf", "3", "-pix_fmt", "yuv420p"],
    )?;
    let full_range = clip(
        dir.path(),
        "full_range.mp4",
        "null",
        &["-c:v", "libx264", "-pix_fmt", "yuvj420p"],
    )?;
    let odd = h264_clip(dir.path(), "odd.mp4", "scale=202:150")?;
    let vp9 = clip(
        dir.path(),
        "vp9.webm",
        "null",
        &[
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
        ],
    )?;
    for path in [&b_frames, &full_range, &odd, &vp9] {
        assert_scanner_matches_opencv(path, DecodeOptions::default())?;
    }
    assert_scanner_matches_opencv(
        &b_frames,
        DecodeOptions {
            skip_loop_filter: true,
            decoder_threads: 1,
        },
    )?;
    Ok(())
}

/// Real phone and web clips: the pose tracks of the shared videos were made with OpenCV's
/// capture, so the FFmpeg decoder must give them the very same frames.
#[test]
fn shared_clips_decode_to_the_frames_opencv_gave() -> Result<()> {
    // Landscape 30 fps, portrait 1080x1920 at 60 fps with B-frames, a tiny 24 fps web
    // clip with B-frames.
    let clips = [
        "squat_side_3reps.mp4",
        "squat_barbell_side_60fps.mp4",
        "pushup_side_tiny_426x226.mp4",
    ];
    let mut compared = 0;
    for clip in clips {
        let Some(path) = shared_clip(clip) else {
            continue;
        };
        compared += assert_scanner_matches_opencv(&path, DecodeOptions::default())?;
    }
    eprintln!("{compared} frames compared");
    Ok(())
}

/// The camera samples' small picture, converted and shrunk in one pass by FFmpeg's
/// scaler, is the full-size BGR picture shrunk (`fitvision_video::shrink`): same size and
/// orientation, stored sideways or not, and the same pixels within a few grey levels.
#[test]
fn a_shrunk_picture_is_the_full_picture_shrunk_at_any_rotation() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let coded = h264_clip(dir.path(), "coded.mp4", "scale=1280:720")?;
    let mut clips = vec![(coded.clone(), 0)];
    for rotate in [90, 180] {
        clips.push((rotated_copy(&coded, rotate)?, rotate));
    }
    for (path, rotate) in clips {
        let mut scanner = FrameScanner::open(&path, DecodeOptions::default())?;
        let meta = scanner.meta().clone();
        let target = Size::new(
            320,
            (320.0 * meta.height as f64 / meta.width as f64).round() as i32,
        );
        let mut compared = 0;
        while let Some(frame) = scanner.next_frame()? {
            if frame.index % 10 != 0 {
                continue;
            }
            let shrunk = scanner.bgr_shrunk(target)?;
            assert_eq!(shrunk.size()?, target, "rotate={rotate}");
            let reference = fitvision_video::shrink(&scanner.bgr()?, target)?;
            let difference = mean_abs_diff(&shrunk, &reference)?;
            assert!(
                difference < 3.0,
                "rotate={rotate} frame {}: {difference} grey levels apart",
                frame.index
            );
            compared += 1;
        }
        assert_eq!(compared, 6, "rotate={rotate}");
    }
    Ok(())
}

/// The camera-feature picture a decoder hands out with each kept frame, read from the
/// luma plane, is the one the matcher made from the BGR frame (`feature_image`, then
/// grey): same size and scale, stored sideways or not, the first frame included, and
/// the same grey levels within a few.
#[test]
fn feature_pictures_from_luma_are_the_bgr_feature_images() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let coded = h264_clip(dir.path(), "coded.mp4", "scale=1280:720")?;
    let small = h264_clip(dir.path(), "small.mp4", "scale=202:150")?;
    let rotated = rotated_copy(&coded, 90)?;
    for path in [&coded, &small, &rotated] {
        let name = path.display();
        let mut decoder = fitvision_video::VideoDecoder::open(path)?;
        decoder.keep_feature_pictures()?;
        let mut frames = 0;
        for frame in decoder {
            let frame = frame?;
            let picture = frame
                .feature_picture
                .with_context(|| format!("{name} frame {}: no feature picture", frame.index))?;
            let (expected, to_source) =
                fitvision_video::camera_motion::feature_image(&frame.image)?;
            let mut expected_gray = Mat::default();
            imgproc::cvt_color_def(&expected, &mut expected_gray, imgproc::COLOR_BGR2GRAY)?;
            assert_eq!(picture.gray.size()?, expected_gray.size()?, "{name}");
            assert_eq!(picture.to_source, to_source, "{name}");
            let difference = mean_abs_diff(&picture.gray, &expected_gray)?;
            assert!(
                difference < 2.0,
                "{name} frame {}: {difference} grey levels apart",
                frame.index
            );
            frames += 1;
        }
        assert_eq!(frames, 60, "{name}");
    }
    Ok(())
}

#[test]
fn scanner_rejects_what_is_not_a_video() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"")?;
    let text = dir.path().join("notes.mp4");
    std::fs::write(&text, b"these are not the frames you are looking for")?;
    assert!(matches!(
        FrameScanner::open(&empty, DecodeOptions::default()),
        Err(VideoError::Empty(_))
    ));
    assert!(matches!(
        FrameScanner::open(&text, DecodeOptions::default()),
        Err(VideoError::NotAVideo(_))
    ));
    assert!(matches!(
        FrameScanner::open(&dir.path().join("missing.mp4"), DecodeOptions::default()),
        Err(VideoError::NotFound(_))
    ));
    Ok(())
}
