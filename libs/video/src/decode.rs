use std::path::{Path, PathBuf};

use opencv::core::{Mat, Size};
use opencv::prelude::*;
use opencv::videoio::{
    CAP_FFMPEG, CAP_PROP_FOURCC, CAP_PROP_FPS, CAP_PROP_FRAME_COUNT, CAP_PROP_FRAME_HEIGHT,
    CAP_PROP_FRAME_WIDTH, CAP_PROP_ORIENTATION_AUTO, CAP_PROP_ORIENTATION_META, CAP_PROP_POS_MSEC,
    VideoCapture,
};

use crate::{Rotation, VideoError};

/// Smallest and largest accepted side, and the largest pixel count (8K UHD):
/// beyond these a "video" is a mistake or an attack on memory, not an exercise clip.
const MIN_SIDE_PX: u32 = 16;
const MAX_SIDE_PX: u32 = 8192;
const MAX_PIXELS: u64 = 7680 * 4320;
/// A clip whose decodable content ends before this share of the declared duration is
/// reported as truncated. Headers lie by a few frames (or ~25% on re-encoded social clips),
/// never by half.
const TRUNCATION_SHARE: f64 = 0.5;
/// Used when neither the header nor the stream gives a plausible frame period.
const FALLBACK_FPS: f64 = 30.0;

/// What the container says, corrected for rotation.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoMeta {
    /// Displayed width (after rotation).
    pub width: u32,
    /// Displayed height (after rotation).
    pub height: u32,
    /// Clockwise rotation applied to coded frames: 0, 90, 180 or 270.
    pub rotation_deg: i32,
    /// Frame rate the header claims; decoder timestamps are the truth.
    pub header_fps: f64,
    /// Frame count the header claims; may be wrong.
    pub header_frame_count: u32,
    /// Codec name, e.g. "h264", "hevc", "vp9" (other fourccs as lower-case text).
    pub codec: String,
}

impl VideoMeta {
    /// Header duration in ms, when the header gives both count and rate.
    pub fn declared_duration_ms(&self) -> Option<f64> {
        (self.header_fps > 0.0 && self.header_frame_count > 0)
            .then(|| f64::from(self.header_frame_count) * 1000.0 / self.header_fps)
    }
}

/// One displayed frame.
pub struct DecodedFrame {
    /// 0-based index counting every decoded frame.
    pub index: u32,
    /// Presentation time from the decoder, ms, strictly increasing.
    pub timestamp_ms: f64,
    /// BGR, 8-bit, rotation applied.
    pub image: Mat,
}

/// A decoded frame that sampling either kept (converted to BGR) or skipped.
pub enum SampledFrame {
    Kept(DecodedFrame),
    Skipped { index: u32, timestamp_ms: f64 },
}

/// Streaming decoder over one video file. Holds at most one decoded frame.
pub struct VideoDecoder {
    capture: VideoCapture,
    path: PathBuf,
    meta: VideoMeta,
    rotation: Rotation,
    /// Frame read during `open` to prove the file decodes; handed out first.
    pending: Option<DecodedFrame>,
    next_index: u32,
    last_timestamp_ms: Option<f64>,
    nominal_period_ms: f64,
    finished: bool,
}

impl VideoDecoder {
    /// Opens `path`, validates its resolution and decodes the first frame, so a file
    /// that is not a video or has no decodable frame fails here with a typed error.
    pub fn open(path: &Path) -> Result<Self, VideoError> {
        let file_meta = std::fs::metadata(path).map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => VideoError::NotFound(path.to_owned()),
            _ => VideoError::Io(error),
        })?;
        if file_meta.len() == 0 {
            return Err(VideoError::Empty(path.to_owned()));
        }
        let path_text = path
            .to_str()
            .ok_or_else(|| VideoError::NotAVideo(path.to_owned()))?;
        let mut capture = VideoCapture::from_file(path_text, CAP_FFMPEG)?;
        if !capture.is_opened()? {
            return Err(VideoError::NotAVideo(path.to_owned()));
        }
        // We rotate ourselves: whether OpenCV auto-rotates depends on the build and the
        // version, while the metadata read below is reliable in both cases.
        let auto_rotation_off = capture.set(CAP_PROP_ORIENTATION_AUTO, 0.0)?;
        let rotation = if auto_rotation_off {
            clockwise_rotation(capture.get(CAP_PROP_ORIENTATION_META)?)
        } else {
            Rotation::None
        };
        let coded_width = capture.get(CAP_PROP_FRAME_WIDTH)?.max(0.0) as u32;
        let coded_height = capture.get(CAP_PROP_FRAME_HEIGHT)?.max(0.0) as u32;
        check_resolution(coded_width, coded_height)?;
        let (width, height) = if rotation.is_transposing() {
            (coded_height, coded_width)
        } else {
            (coded_width, coded_height)
        };
        let header_fps = sane_positive(capture.get(CAP_PROP_FPS)?).unwrap_or(0.0);
        let header_frame_count = sane_positive(capture.get(CAP_PROP_FRAME_COUNT)?)
            .map(|count| count.min(f64::from(u32::MAX)) as u32)
            .unwrap_or(0);
        let codec = fourcc_text(capture.get(CAP_PROP_FOURCC)?);
        let meta = VideoMeta {
            width,
            height,
            rotation_deg: rotation.degrees(),
            header_fps,
            header_frame_count,
            codec,
        };
        let nominal_period_ms = 1000.0
            / if header_fps > 0.0 {
                header_fps
            } else {
                FALLBACK_FPS
            };
        let mut decoder = Self {
            capture,
            path: path.to_owned(),
            meta,
            rotation,
            pending: None,
            next_index: 0,
            last_timestamp_ms: None,
            nominal_period_ms,
            finished: false,
        };
        match decoder.advance(&mut |_, _| true)? {
            Some(SampledFrame::Kept(first)) => decoder.pending = Some(first),
            _ => return Err(VideoError::NoFrames(path.to_owned())),
        }
        Ok(decoder)
    }

    pub fn meta(&self) -> &VideoMeta {
        &self.meta
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Frames handed out or pending so far.
    pub fn frames_decoded(&self) -> u32 {
        self.next_index
    }

    /// Decodes the next frame; converts and rotates it only when `keep` says so,
    /// because colour conversion and rotation are wasted on frames sampling skips.
    fn advance(
        &mut self,
        keep: &mut dyn FnMut(u32, f64) -> bool,
    ) -> Result<Option<SampledFrame>, VideoError> {
        if !self.capture.grab()? {
            return Ok(None);
        }
        let index = self.next_index;
        let timestamp_ms = self.next_timestamp(self.capture.get(CAP_PROP_POS_MSEC)?);
        self.next_index += 1;
        if !keep(index, timestamp_ms) {
            return Ok(Some(SampledFrame::Skipped {
                index,
                timestamp_ms,
            }));
        }
        let mut coded = Mat::default();
        if !self.capture.retrieve(&mut coded, 0)? || coded.empty() {
            return Ok(None);
        }
        let image = self.to_displayed(coded, index)?;
        Ok(Some(SampledFrame::Kept(DecodedFrame {
            index,
            timestamp_ms,
            image,
        })))
    }

    fn to_displayed(&self, coded: Mat, index: u32) -> Result<Mat, VideoError> {
        let image = self.rotation.apply(coded)?;
        let expected = Size::new(self.meta.width as i32, self.meta.height as i32);
        if image.size()? == expected {
            return Ok(image);
        }
        // Mid-stream size changes (spliced clips) are rare; keeping one geometry for
        // the whole video keeps every keypoint in one coordinate system.
        tracing::warn!(index, "frame size changed mid-stream; resizing");
        let mut resized = Mat::default();
        opencv::imgproc::resize(
            &image,
            &mut resized,
            expected,
            0.0,
            0.0,
            opencv::imgproc::INTER_LINEAR,
        )?;
        Ok(resized)
    }

    /// Streams frames, converting only those `keep(index, timestamp_ms)` accepts;
    /// the others come back as [`SampledFrame::Skipped`] (still decoded, as the codec
    /// needs, but never converted). `None` at the end of the stream.
    pub fn next_sampled(
        &mut self,
        mut keep: impl FnMut(u32, f64) -> bool,
    ) -> Option<Result<SampledFrame, VideoError>> {
        if let Some(frame) = self.pending.take() {
            return Some(Ok(if keep(frame.index, frame.timestamp_ms) {
                SampledFrame::Kept(frame)
            } else {
                SampledFrame::Skipped {
                    index: frame.index,
                    timestamp_ms: frame.timestamp_ms,
                }
            }));
        }
        if self.finished {
            return None;
        }
        match self.advance(&mut keep) {
            Ok(Some(frame)) => Some(Ok(frame)),
            Ok(None) => {
                self.finished = true;
                self.check_complete().err().map(Err)
            }
            Err(error) => {
                self.finished = true;
                Some(Err(error))
            }
        }
    }

    /// Timestamp of the last decoded frame, ms.
    pub fn last_timestamp_ms(&self) -> Option<f64> {
        self.last_timestamp_ms
    }

    /// Frame period assumed where the stream gives none (from the header rate).
    pub fn nominal_period_ms(&self) -> f64 {
        self.nominal_period_ms
    }

    /// Decoder timestamps are the truth for variable frame rate video, but a missing
    /// or non-increasing one (no pts, B-frame quirks) is replaced by the previous one
    /// plus the nominal period, so downstream time derivatives stay finite.
    fn next_timestamp(&mut self, reported_ms: f64) -> f64 {
        let timestamp = match self.last_timestamp_ms {
            None if reported_ms.is_finite() && reported_ms >= 0.0 => reported_ms,
            None => 0.0,
            Some(last) if reported_ms.is_finite() && reported_ms > last => reported_ms,
            Some(last) => last + self.nominal_period_ms,
        };
        self.last_timestamp_ms = Some(timestamp);
        timestamp
    }

    /// Called when the decoder runs dry: a stream ending far before its declared
    /// duration is a truncated upload, not a short video.
    fn check_complete(&self) -> Result<(), VideoError> {
        let (Some(declared_ms), Some(last_ms)) =
            (self.meta.declared_duration_ms(), self.last_timestamp_ms)
        else {
            return Ok(());
        };
        let decoded_ms = last_ms + self.nominal_period_ms;
        if decoded_ms < declared_ms * TRUNCATION_SHARE {
            return Err(VideoError::Truncated {
                decoded_ms,
                declared_ms,
            });
        }
        Ok(())
    }
}

impl Iterator for VideoDecoder {
    type Item = Result<DecodedFrame, VideoError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.next_sampled(|_, _| true)? {
                Ok(SampledFrame::Kept(frame)) => return Some(Ok(frame)),
                Ok(SampledFrame::Skipped { .. }) => continue,
                Err(error) => return Some(Err(error)),
            }
        }
    }
}

/// OpenCV 4.6.x (Debian 12's) reports the display matrix angle counter-clockwise
/// (regression opencv/opencv#22088, fixed in 4.7), every other version clockwise; a
/// portrait phone clip would otherwise come out upside down.
fn clockwise_rotation(orientation_meta_deg: f64) -> Rotation {
    let version = (
        opencv::core::get_version_major(),
        opencv::core::get_version_minor(),
    );
    if version == (4, 6) {
        Rotation::from_degrees(-orientation_meta_deg)
    } else {
        Rotation::from_degrees(orientation_meta_deg)
    }
}

fn check_resolution(width: u32, height: u32) -> Result<(), VideoError> {
    let within = |side: u32| (MIN_SIDE_PX..=MAX_SIDE_PX).contains(&side);
    if within(width) && within(height) && u64::from(width) * u64::from(height) <= MAX_PIXELS {
        return Ok(());
    }
    Err(VideoError::AbsurdResolution {
        width,
        height,
        min: MIN_SIDE_PX,
        max: MAX_SIDE_PX,
        max_pixels: MAX_PIXELS,
    })
}

fn sane_positive(value: f64) -> Option<f64> {
    (value.is_finite() && value > 0.0).then_some(value)
}

/// Codec name from the fourcc OpenCV reports; container tags for the same codec
/// (`avc1`/`h264`, `hvc1`/`hev1`, ...) map to one name.
fn fourcc_text(value: f64) -> String {
    let code = value.max(0.0) as u32;
    let text: String = code
        .to_le_bytes()
        .iter()
        .filter(|byte| byte.is_ascii_graphic())
        .map(|&byte| char::from(byte).to_ascii_lowercase())
        .collect();
    match text.as_str() {
        "" => "unknown".to_owned(),
        "avc1" | "avc3" | "h264" | "x264" => "h264".to_owned(),
        "hvc1" | "hev1" | "hevc" | "h265" => "hevc".to_owned(),
        "vp09" | "vp90" => "vp9".to_owned(),
        "vp08" | "vp80" => "vp8".to_owned(),
        "av01" => "av1".to_owned(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_limits() {
        assert!(check_resolution(1920, 1080).is_ok());
        assert!(check_resolution(202, 360).is_ok());
        assert!(matches!(
            check_resolution(0, 0),
            Err(VideoError::AbsurdResolution { .. })
        ));
        assert!(matches!(
            check_resolution(8192, 8192),
            Err(VideoError::AbsurdResolution { .. })
        ));
        assert!(matches!(
            check_resolution(10_000, 100),
            Err(VideoError::AbsurdResolution { .. })
        ));
    }

    #[test]
    fn fourcc_decodes_little_endian_text() {
        let fourcc = |tag: &[u8; 4]| f64::from(u32::from_le_bytes(*tag));
        assert_eq!(fourcc_text(fourcc(b"avc1")), "h264");
        assert_eq!(fourcc_text(fourcc(b"vp09")), "vp9");
        assert_eq!(fourcc_text(fourcc(b"mp4v")), "mp4v");
        assert_eq!(fourcc_text(0.0), "unknown");
    }
}
