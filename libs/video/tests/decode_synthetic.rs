//! Decoder behaviour on clips generated here with the ffmpeg CLI, so every expected
//! value (rotation, timestamps, sizes) is known exactly and no shared video is needed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, ensure};
use fitvision_video::opencv::core::{Mat, Size, Vec3b};
use fitvision_video::opencv::imgproc;
use fitvision_video::opencv::prelude::*;
use fitvision_video::{
    DecodeOptions, EncoderSettings, FrameScanner, FrameWriter, VideoDecoder, VideoError,
};

mod common;
use common::{ffmpeg, rotated_copy};

/// A 1 s test pattern with a moving element, so frames differ from one another.
fn test_pattern(dir: &Path, name: &str, size: &str, extra: &[&str]) -> Result<PathBuf> {
    let path = dir.join(name);
    let source = format!("testsrc2=size={size}:rate=30:duration=1");
    let mut args = vec!["-f", "lavfi", "-i", &source];
    args.extend_from_slice(extra);
    args.push(path.to_str().unwrap());
    ffmpeg(&args)?;
    Ok(path)
}

/// The display matrix rotation ffprobe reports (degrees, counter-clockwise).
fn ffprobe_display_rotation(path: &Path) -> Result<i32> {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .args(["stream_side_data=rotation", "-of", "csv=p=0"])
        .arg(path)
        .output()?;
    ensure!(output.status.success(), "ffprobe failed");
    let text = String::from_utf8(output.stdout)?;
    Ok(text.trim().trim_end_matches(',').parse::<f64>()?.round() as i32)
}

/// Frame 0 as ffmpeg itself displays it (ffmpeg applies rotation metadata by default).
fn ffmpeg_first_frame_bgr(path: &Path) -> Result<Vec<u8>> {
    let output = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(path)
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "bgr24", "-"])
        .output()?;
    ensure!(output.status.success(), "ffmpeg raw decode failed");
    Ok(output.stdout)
}

fn mean_abs_diff(image: &Mat, reference: &[u8]) -> Result<f64> {
    let bytes = image.data_bytes()?;
    ensure!(
        bytes.len() == reference.len(),
        "sizes differ: {} vs {}",
        bytes.len(),
        reference.len()
    );
    let total: u64 = bytes
        .iter()
        .zip(reference)
        .map(|(a, b)| u64::from(a.abs_diff(*b)))
        .sum();
    Ok(total as f64 / bytes.len() as f64)
}

/// The displayed size and pixels must equal what ffmpeg (and so every player) shows,
/// whatever the OpenCV version's orientation convention (see opencv/opencv#22088).
#[test]
fn rotation_metadata_is_applied_like_ffmpeg_displays_it() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let coded = test_pattern(
        dir.path(),
        "coded.mp4",
        "320x240",
        &["-c:v", "libx264", "-pix_fmt", "yuv420p"],
    )?;
    for rotate in [90, 180, 270] {
        let rotated = rotated_copy(&coded, rotate)?;
        let mut decoder = VideoDecoder::open(&rotated)?;
        let meta = decoder.meta().clone();
        let transposed = rotate != 180;
        let (width, height) = if transposed { (240, 320) } else { (320, 240) };
        assert_eq!(
            (meta.width, meta.height),
            (width, height),
            "rotate={rotate}"
        );
        // ffprobe reports the display matrix counter-clockwise; we report clockwise.
        let clockwise = (360 - ffprobe_display_rotation(&rotated)?).rem_euclid(360);
        assert_eq!(meta.rotation_deg, clockwise, "rotate={rotate}");
        let first = decoder.next().context("a frame")??;
        assert_eq!(
            (first.image.cols(), first.image.rows()),
            (width as i32, height as i32)
        );
        let difference = mean_abs_diff(&first.image, &ffmpeg_first_frame_bgr(&rotated)?)?;
        // Same decoder underneath: only colour-conversion rounding may differ.
        assert!(
            difference < 3.0,
            "rotate={rotate}: mean abs diff {difference}"
        );
        // A grey thumbnail read from the luma plane turns with the picture: it matches
        // one made from the displayed (rotated) BGR picture.
        let mut scanner = FrameScanner::open(&rotated, DecodeOptions::default())?;
        let thumb = Size::new(
            64,
            (64.0 * f64::from(height) / f64::from(width)).round() as i32,
        );
        while scanner.next_frame()?.is_some() {
            let mut small = Mat::default();
            imgproc::resize(
                &scanner.bgr()?,
                &mut small,
                thumb,
                0.0,
                0.0,
                imgproc::INTER_LINEAR,
            )?;
            let mut from_bgr = Mat::default();
            imgproc::cvt_color_def(&small, &mut from_bgr, imgproc::COLOR_BGR2GRAY)?;
            let from_luma = scanner.gray(thumb)?;
            let bytes = from_bgr.data_bytes()?;
            let diff = mean_abs_diff(&from_luma, bytes)?;
            assert!(diff < 2.0, "rotate={rotate}: thumbnail differs by {diff}");
        }
    }
    Ok(())
}

/// Presentation times as ffprobe reads them from the container, in ms.
fn ffprobe_frame_times_ms(path: &Path) -> Result<Vec<f64>> {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "frame=pts_time",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()?;
    ensure!(output.status.success(), "ffprobe failed");
    String::from_utf8(output.stdout)?
        .lines()
        .map(|line| line.trim().trim_end_matches(','))
        .filter(|line| !line.is_empty())
        .map(|line| Ok(line.parse::<f64>()? * 1000.0))
        .collect()
}

#[test]
fn variable_frame_rate_uses_decoder_timestamps() -> Result<()> {
    let dir = tempfile::tempdir()?;
    // First 10 frames 1/30 s apart, the rest ~1/10 s apart.
    let path = test_pattern(
        dir.path(),
        "vfr.mp4",
        "160x120",
        &[
            "-vf",
            "setpts='if(lt(N,10),N/30,10/30+(N-10)/10)/TB'",
            "-fps_mode",
            "passthrough",
            "-c:v",
            "libx264",
            "-bf",
            "0",
        ],
    )?;
    let timestamps: Vec<f64> = VideoDecoder::open(&path)?
        .map(|frame| frame.map(|frame| frame.timestamp_ms))
        .collect::<Result<_, _>>()?;
    let container_times = ffprobe_frame_times_ms(&path)?;
    assert_eq!(timestamps.len(), container_times.len());
    for (index, (ours, container)) in timestamps.iter().zip(&container_times).enumerate() {
        assert!(
            (ours - container).abs() < 1.0,
            "frame {index}: {ours} ms vs container {container} ms"
        );
    }
    // And the clip really is variable rate: index/fps would be wrong by far.
    let gaps: Vec<f64> = timestamps
        .windows(2)
        .map(|pair| pair[1] - pair[0])
        .collect();
    let (shortest, longest) = gaps.iter().fold((f64::MAX, 0.0_f64), |(lo, hi), &gap| {
        (lo.min(gap), hi.max(gap))
    });
    assert!(
        longest > 2.0 * shortest,
        "gaps {shortest}..{longest} ms are not variable"
    );
    Ok(())
}

#[test]
fn odd_sizes_decode_at_their_exact_size() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = test_pattern(
        dir.path(),
        "odd.mp4",
        "320x240",
        &[
            "-vf",
            "scale=321:241",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv444p",
        ],
    )?;
    let decoder = VideoDecoder::open(&path)?;
    assert_eq!((decoder.meta().width, decoder.meta().height), (321, 241));
    let frames: Vec<_> = decoder.collect::<Result<_, _>>()?;
    assert_eq!(frames.len(), 30);
    assert!(
        frames
            .iter()
            .all(|frame| frame.image.cols() == 321 && frame.image.rows() == 241)
    );
    assert!(
        frames
            .iter()
            .enumerate()
            .all(|(i, frame)| frame.index as usize == i)
    );
    Ok(())
}

#[test]
fn bad_inputs_give_typed_errors() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let missing = dir.path().join("missing.mp4");
    assert!(matches!(
        VideoDecoder::open(&missing),
        Err(VideoError::NotFound(_))
    ));

    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"")?;
    assert!(matches!(
        VideoDecoder::open(&empty),
        Err(VideoError::Empty(_))
    ));

    let text = dir.path().join("notes.mp4");
    std::fs::write(
        &text,
        "this is not a video at all, just some text\n".repeat(100),
    )?;
    assert!(matches!(
        VideoDecoder::open(&text),
        Err(VideoError::NotAVideo(_))
    ));

    let tiny = test_pattern(
        dir.path(),
        "tiny.mp4",
        "320x240",
        &["-vf", "scale=8:8", "-c:v", "libx264", "-pix_fmt", "yuv444p"],
    )?;
    assert!(matches!(
        VideoDecoder::open(&tiny),
        Err(VideoError::AbsurdResolution {
            width: 8,
            height: 8,
            ..
        })
    ));
    Ok(())
}

#[test]
fn truncated_upload_is_an_error_not_a_short_video() -> Result<()> {
    let dir = tempfile::tempdir()?;
    // faststart puts the index first, so a cut file still opens and decodes its head.
    let source = "testsrc2=size=320x240:rate=30:duration=4";
    let full = dir.path().join("full.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        source,
        "-c:v",
        "libx264",
        "-movflags",
        "+faststart",
        full.to_str().unwrap(),
    ])?;
    let bytes = std::fs::read(&full)?;
    let cut = dir.path().join("cut.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() * 3 / 10])?;
    let outcome: Result<Vec<_>, VideoError> = match VideoDecoder::open(&cut) {
        Ok(decoder) => decoder.collect(),
        Err(error) => Err(error),
    };
    assert!(
        matches!(
            outcome,
            Err(VideoError::Truncated { .. } | VideoError::NotAVideo(_) | VideoError::NoFrames(_))
        ),
        "a 30% prefix must not decode as a valid video: {:?}",
        outcome.map(|frames| frames.len())
    );
    // The complete file decodes fully without error.
    assert_eq!(
        VideoDecoder::open(&full)?
            .collect::<Result<Vec<_>, _>>()?
            .len(),
        120
    );
    Ok(())
}

#[test]
fn sampling_skips_conversion_but_counts_every_frame() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = test_pattern(dir.path(), "sample.mp4", "160x120", &["-c:v", "libx264"])?;
    let mut decoder = VideoDecoder::open(&path)?;
    let (mut kept, mut skipped) = (Vec::new(), 0);
    while let Some(frame) = decoder.next_sampled(|index, _| index % 3 == 0) {
        match frame? {
            fitvision_video::SampledFrame::Kept(frame) => kept.push(frame.index),
            fitvision_video::SampledFrame::Skipped { .. } => skipped += 1,
        }
    }
    assert_eq!(kept, (0..30).step_by(3).collect::<Vec<_>>());
    assert_eq!(skipped, 20);
    assert_eq!(decoder.frames_decoded(), 30);
    Ok(())
}

#[test]
fn frame_writer_produces_faststart_h264_that_decodes_back() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let output = dir.path().join("out.mp4");
    let (width, height) = (101, 77);
    let mut writer = FrameWriter::create(&output, EncoderSettings::new(width, height, 25.0))?;
    for index in 0..25 {
        let shade = (index * 10) as u8;
        let frame = Mat::new_rows_cols_with_default(
            height as i32,
            width as i32,
            fitvision_video::opencv::core::CV_8UC3,
            Vec3b::from([shade, 128, 255 - shade]).into(),
        )?;
        writer.write(&frame)?;
    }
    let written = writer.finish()?;
    let decoder = VideoDecoder::open(&written)?;
    assert_eq!(decoder.meta().codec, "h264");
    // Odd sides are padded by one pixel for yuv420p.
    assert_eq!((decoder.meta().width, decoder.meta().height), (102, 78));
    let timestamps: Vec<f64> = decoder
        .map(|frame| frame.map(|frame| frame.timestamp_ms))
        .collect::<Result<_, _>>()?;
    assert_eq!(timestamps.len(), 25);
    assert!((timestamps[24] - 24.0 * 40.0).abs() < 1.0);
    let bytes = std::fs::read(&written)?;
    let find = |tag: &[u8]| bytes.windows(4).position(|window| window == tag);
    assert!(
        find(b"moov").context("moov")? < find(b"mdat").context("mdat")?,
        "not faststart"
    );
    Ok(())
}
