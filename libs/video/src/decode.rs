use std::path::{Path, PathBuf};

use opencv::core::Mat;

use crate::camera_motion::{FeaturePicture, feature_size};
use crate::{DecodeOptions, FrameScanner, TimeSampler, VideoError};

/// Smallest and largest accepted side, and the largest pixel count (8K UHD):
/// beyond these a "video" is a mistake or an attack on memory, not an exercise clip.
const MIN_SIDE_PX: u32 = 16;
const MAX_SIDE_PX: u32 = 8192;
const MAX_PIXELS: u64 = 7680 * 4320;
/// A clip whose decodable content ends before this share of the declared duration is
/// reported as truncated. Headers lie by a few frames (or ~25% on re-encoded social clips),
/// never by half.
const TRUNCATION_SHARE: f64 = 0.5;

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
    /// The grey picture camera features are found on, when the decoder was asked for
    /// it ([`VideoDecoder::keep_feature_pictures`]).
    pub feature_picture: Option<FeaturePicture>,
}

/// A decoded frame that sampling either kept (converted to BGR) or skipped.
pub enum SampledFrame {
    Kept(DecodedFrame),
    Skipped { index: u32, timestamp_ms: f64 },
}

/// Streaming decoder over one video file. Holds at most one decoded frame.
///
/// Frames come from [`FrameScanner`] (FFmpeg directly, with its default options): the
/// same pictures OpenCV's capture gives (same colour conversion), without the conversion
/// of frames sampling skips.
pub struct VideoDecoder {
    scanner: FrameScanner,
    path: PathBuf,
    /// Frame read during `open` to prove the file decodes; handed out first.
    pending: Option<DecodedFrame>,
    /// The rate set by [`VideoDecoder::sample_at`].
    sampler: Option<TimeSampler>,
    /// Kept frames come with their feature picture.
    feature_pictures: bool,
    finished: bool,
}

impl VideoDecoder {
    /// Opens `path`, validates its resolution and decodes the first frame, so a file
    /// that is not a video or has no decodable frame fails here with a typed error.
    pub fn open(path: &Path) -> Result<Self, VideoError> {
        let scanner = FrameScanner::open(path, DecodeOptions::default())?;
        check_resolution(scanner.meta().width, scanner.meta().height)?;
        let mut decoder = Self {
            scanner,
            path: path.to_owned(),
            pending: None,
            sampler: None,
            feature_pictures: false,
            finished: false,
        };
        match decoder.advance(&mut |_, _| true)? {
            Some(SampledFrame::Kept(first)) => decoder.pending = Some(first),
            _ => return Err(VideoError::NoFrames(path.to_owned())),
        }
        Ok(decoder)
    }

    pub fn meta(&self) -> &VideoMeta {
        self.scanner.meta()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Frames of the stream handed out or pending so far (decoded or left out).
    pub fn frames_decoded(&self) -> u32 {
        self.scanner.frames_decoded()
    }

    /// Frames left undecoded so far (see [`VideoDecoder::sample_at`]).
    pub fn frames_left_undecoded(&self) -> u64 {
        self.scanner.frames_left_undecoded()
    }

    /// Samples the stream at `target_fps` ([`TimeSampler`]; 0 keeps every frame) for
    /// [`VideoDecoder::next_in_sample`]. Frames no other frame is predicted from and the
    /// sampler will not keep are then not decoded at all (H.264 non-reference pictures:
    /// the B-frames of most re-encoded clips, about half their frames), yet still handed
    /// out as skipped in their place, so indices, timestamps and the frames kept are
    /// those of decoding everything. Call it before any frame is handed out; later it
    /// samples without leaving frames out.
    pub fn sample_at(&mut self, target_fps: f64) {
        self.sample_at_decoding_all(target_fps);
        let Some(sampler) = &self.sampler else {
            return;
        };
        // The plan's copy of the sampler must have seen every frame the scanner has
        // handed out: right after `open`, that is the pending first frame alone.
        if self.scanner.frames_decoded() == 1
            && let Some(first) = &self.pending
        {
            let mut copy = sampler.clone();
            copy.keep(first.timestamp_ms);
            self.scanner.leave_out_unsampled(copy);
        }
    }

    /// Hands out each kept frame with its camera-feature picture
    /// ([`DecodedFrame::feature_picture`]), made from the decoded luma plane (a third
    /// of the bytes of the BGR frame, and already grey) rather than from the BGR frame
    /// shrunk and turned grey: ~3 ms less CPU per analysed 1080p frame (`pose-bench`).
    /// Call it before any frame is handed out; the frame read by `open` is still the
    /// scanner's current one then.
    pub fn keep_feature_pictures(&mut self) -> Result<(), VideoError> {
        self.feature_pictures = true;
        if self.scanner.frames_decoded() == 1
            && self
                .pending
                .as_ref()
                .is_some_and(|first| first.feature_picture.is_none())
        {
            let picture = self.feature_picture()?;
            if let Some(first) = &mut self.pending {
                first.feature_picture = Some(picture);
            }
        }
        Ok(())
    }

    /// The scanner's current frame as a feature picture.
    fn feature_picture(&mut self) -> Result<FeaturePicture, VideoError> {
        let meta = self.scanner.meta();
        let (size, to_source) = feature_size(meta.width as i32, meta.height as i32);
        Ok(FeaturePicture {
            gray: self.scanner.gray_shrunk(size)?,
            to_source,
        })
    }

    /// [`VideoDecoder::sample_at`] decoding every frame (to measure what leaving frames
    /// out saves).
    pub fn sample_at_decoding_all(&mut self, target_fps: f64) {
        self.sampler = Some(TimeSampler::new(target_fps, self.nominal_period_ms()));
    }

    /// [`VideoDecoder::next_sampled`] with the sampler of [`VideoDecoder::sample_at`]
    /// (every frame kept when it was not called).
    pub fn next_in_sample(&mut self) -> Option<Result<SampledFrame, VideoError>> {
        let mut sampler = self
            .sampler
            .take()
            .unwrap_or_else(|| TimeSampler::new(0.0, 0.0));
        let next = self.next_sampled(|_, timestamp_ms| sampler.keep(timestamp_ms));
        self.sampler = Some(sampler);
        next
    }

    /// Decodes the next frame; converts and rotates it only when `keep` says so,
    /// because colour conversion and rotation are wasted on frames sampling skips.
    fn advance(
        &mut self,
        keep: &mut dyn FnMut(u32, f64) -> bool,
    ) -> Result<Option<SampledFrame>, VideoError> {
        let Some(frame) = self.scanner.next_frame()? else {
            return Ok(None);
        };
        let kept = keep(frame.index, frame.timestamp_ms);
        if kept && !frame.decoded {
            // The plan's copy of the sampler skipped a frame this sampler keeps: not
            // possible while both see the same timestamps, so the stream is not what
            // the plan assumed. This frame is lost; none is left out after it.
            tracing::warn!(
                frame = frame.index,
                "a frame left undecoded was wanted; leaving frames out stops"
            );
            self.scanner
                .stop_leaving_out("the sampler kept a frame left undecoded");
        }
        if !kept || !frame.decoded {
            return Ok(Some(SampledFrame::Skipped {
                index: frame.index,
                timestamp_ms: frame.timestamp_ms,
            }));
        }
        let feature_picture = if self.feature_pictures {
            Some(self.feature_picture()?)
        } else {
            None
        };
        Ok(Some(SampledFrame::Kept(DecodedFrame {
            index: frame.index,
            timestamp_ms: frame.timestamp_ms,
            image: self.scanner.bgr()?,
            feature_picture,
        })))
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
        self.scanner.last_timestamp_ms()
    }

    /// Frame period assumed where the stream gives none (from the header rate).
    pub fn nominal_period_ms(&self) -> f64 {
        self.scanner.nominal_period_ms()
    }

    /// Called when the decoder runs dry: a stream ending far before its declared
    /// duration is a truncated upload, not a short video.
    fn check_complete(&self) -> Result<(), VideoError> {
        let (Some(declared_ms), Some(last_ms)) =
            (self.meta().declared_duration_ms(), self.last_timestamp_ms())
        else {
            return Ok(());
        };
        let decoded_ms = last_ms + self.nominal_period_ms();
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
}
