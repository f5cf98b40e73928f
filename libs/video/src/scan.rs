//! Every frame of a video, decoded by FFmpeg directly.
//!
//! OpenCV's capture converts every frame it hands out to full-size BGR and passes no
//! options to the codec (thread count, loop filter). A pass that looks at every frame but
//! needs colour pictures only now and then (the authenticity check: a small grey
//! thumbnail of every frame, a colour picture ten times a second; the pose stage: colour
//! for the analysed frames only) pays for conversions it throws away. [`FrameScanner`]
//! decodes each frame once and leaves it in the codec's planes: a grey thumbnail is read
//! straight from the luma plane, and BGR is made only for the frames asked for, with the
//! conversion OpenCV's FFmpeg backend uses (so pictures are the same). It can also ask the
//! codec to skip the in-loop deblocking filter, which changes pixels by a few grey levels
//! at block edges and costs about a quarter of H.264 decoding time
//! (see `DecodeOptions::skip_loop_filter`).
//!
//! A sampled pass can also leave frames out altogether: H.264 pictures that no other
//! picture is predicted from, when the sampler will not keep them, are never sent to the
//! codec, yet still handed out in their place without pixels
//! ([`FrameScanner::leave_out_unsampled`], [`crate::drop_plan`]).
//!
//! [`VideoDecoder`](crate::VideoDecoder) hands out the scanner's frames, so the pose
//! stage and the checks count frames and read timestamps alike (every decoded frame
//! counts; presentation time from the stream, made strictly increasing) and two passes
//! over one file match frame by frame.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Once;

use ffmpeg_next as ff;
use opencv::core::{CV_8UC1, CV_8UC3, Mat, Size};
use opencv::imgproc;
use opencv::prelude::*;

use crate::disposable::{NalFraming, is_disposable_h264};
use crate::drop_plan::{DropPlan, InFlight, LOOKAHEAD_PACKETS, Stamper};
use crate::{Rotation, TimeSampler, VideoError, VideoMeta};

/// Used when the stream gives no plausible frame rate (as `VideoDecoder`).
const FALLBACK_FPS: f64 = 30.0;

/// How FFmpeg decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Skip the codec's in-loop deblocking filter. Pictures then differ from the
    /// normal decode by a few grey levels along block edges (errors also carry on
    /// to frames predicted from them, within a group of pictures). Made for signals
    /// measured on small, averaged images.
    pub skip_loop_filter: bool,
    /// Decoder threads; 0 lets FFmpeg choose (one per core, plus one).
    pub decoder_threads: usize,
}

impl Default for DecodeOptions {
    /// Every picture exactly as coded, with FFmpeg's own thread count (as OpenCV's
    /// capture decoded). One thread was tried for the pose stage and dropped: a 1080p
    /// frame decoded and converted to BGR took 10.9-11.8 ms of CPU on one thread against
    /// 9.4-12.1 through OpenCV's threads, no saving, while the stage's decoding thread,
    /// which must keep pace with inference, took twice the wall time (`decode_cost`
    /// example, 1920x1080 clip, this project's 2-core machine).
    fn default() -> Self {
        Self {
            skip_loop_filter: false,
            decoder_threads: 0,
        }
    }
}

/// Index and presentation time of the frame the scanner stands on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScannedFrame {
    /// 0-based index counting every frame of the stream.
    pub index: u32,
    /// Presentation time, ms, strictly increasing.
    pub timestamp_ms: f64,
    /// False for a frame left undecoded (see [`FrameScanner::leave_out_unsampled`]): it
    /// has its place and time but no pixels.
    pub decoded: bool,
}

/// Streams the frames of one video; holds one decoded frame at a time.
pub struct FrameScanner {
    input: ff::format::context::Input,
    decoder: ff::decoder::Video,
    stream_index: usize,
    /// Seconds per stream time-base tick.
    seconds_per_tick: f64,
    start_pts: i64,
    meta: VideoMeta,
    rotation: Rotation,
    frame: ff::frame::Video,
    /// Converter to BGR for the current source format and size.
    to_bgr: Option<(ff::format::Pixel, u32, u32, BgrConverter)>,
    /// Converter to a shrunk BGR picture: source format and size, coded target size.
    to_shrunk_bgr: Option<(ShrinkKey, BgrConverter)>,
    next_index: u32,
    stamper: Stamper,
    nominal_period_ms: f64,
    /// Packets read from the container and not yet sent to the codec (more than one
    /// only while a drop plan reads ahead), with their reading order.
    read_ahead: VecDeque<(ff::Packet, u64)>,
    packets_read: u64,
    in_flight: InFlight,
    /// How the stream's packets frame their NAL units, for H.264 only.
    nal_framing: Option<NalFraming>,
    plan: Option<DropPlan>,
    /// Frames left out that come before the decoded frame held in `frame`.
    left_out_due: VecDeque<i64>,
    /// `frame` holds a decoded frame not handed out yet.
    frame_held: bool,
    /// The frame handed out last was left undecoded.
    current_undecoded: bool,
    /// The container has no more packets.
    demuxer_done: bool,
    /// End of input was sent to the codec.
    eof_sent: bool,
    finished: bool,
}

/// FFmpeg's scaler context and the picture it writes into, owned by one scanner. The
/// picture is kept between frames: allocating 6 MB afresh for each 1080p frame made the
/// conversion cost 11 ms instead of ~4 (page faults on a new mapping every time).
struct BgrConverter {
    context: ff::software::scaling::Context,
    picture: ff::frame::Video,
}

/// Source format, width and height, and the coded size a shrunk picture is made at.
type ShrinkKey = (ff::format::Pixel, u32, u32, u32, u32);

impl BgrConverter {
    /// A converter from `(format, width, height)` to BGR at `target_width` x
    /// `target_height`, resampling with `flags`.
    fn new(
        (format, width, height, target_width, target_height): ShrinkKey,
        flags: ff::software::scaling::Flags,
    ) -> Result<Self, VideoError> {
        let context = ff::software::scaling::Context::get(
            format,
            width,
            height,
            ff::format::Pixel::BGR24,
            target_width,
            target_height,
            flags,
        )
        .map_err(|error| VideoError::Conversion(format!("no BGR converter: {error}")))?;
        Ok(Self {
            context,
            picture: ff::frame::Video::empty(),
        })
    }

    /// `frame` converted, as a picture of its own.
    fn convert(&mut self, frame: &ff::frame::Video) -> Result<Mat, VideoError> {
        self.context
            .run(frame, &mut self.picture)
            .map_err(|error| VideoError::Conversion(format!("to BGR: {error}")))?;
        let converted = &self.picture;
        let stride = converted.stride(0);
        let plane = converted.data(0);
        // SAFETY: `converted` holds `height` rows of `stride` bytes; the Mat wrapping
        // them is copied (`try_clone`) while `converted` is borrowed.
        let image = unsafe {
            Mat::new_rows_cols_with_data_unsafe(
                converted.height() as i32,
                converted.width() as i32,
                CV_8UC3,
                plane.as_ptr().cast_mut().cast(),
                stride,
            )?
        }
        .try_clone()?;
        Ok(image)
    }
}

// SAFETY: an SwsContext holds no thread-bound state; it is only unsafe to use from two
// threads at once, which `&mut` access through the owning scanner rules out. Moving it
// with its scanner to another thread (decoding runs on blocking threads) is sound.
unsafe impl Send for BgrConverter {}

fn init_ffmpeg() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // Registration is a no-op on FFmpeg >= 4; the log level keeps codec chatter
        // (the same level OpenCV sets) out of the service logs.
        let _ = ff::init();
        ff::util::log::set_level(ff::util::log::Level::Error);
    });
}

impl FrameScanner {
    /// Opens `path` for scanning. Errors are those of [`crate::VideoDecoder::open`] for
    /// a missing, empty or undecodable file.
    pub fn open(path: &Path, options: DecodeOptions) -> Result<Self, VideoError> {
        init_ffmpeg();
        let file_meta = std::fs::metadata(path).map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => VideoError::NotFound(path.to_owned()),
            _ => VideoError::Io(error),
        })?;
        if file_meta.len() == 0 {
            return Err(VideoError::Empty(path.to_owned()));
        }
        let not_a_video = |_| VideoError::NotAVideo(path.to_owned());
        let input = ff::format::input(&path).map_err(not_a_video)?;
        let stream = input
            .streams()
            .best(ff::media::Type::Video)
            .ok_or_else(|| VideoError::NotAVideo(path.to_owned()))?;
        let stream_index = stream.index();
        let time_base = stream.time_base();
        let seconds_per_tick = rational(time_base).unwrap_or(0.0);
        let start_pts = match stream.start_time() {
            ff::ffi::AV_NOPTS_VALUE => 0,
            start => start,
        };
        let rotation = Rotation::from_degrees(clockwise_display_rotation(&stream));
        let header_fps = rational(stream.avg_frame_rate())
            .filter(|fps| *fps > 0.0)
            .or_else(|| rational(stream.rate()).filter(|fps| *fps > 0.0))
            .unwrap_or(0.0);
        let header_frame_count = header_frame_count(&input, &stream, header_fps);

        let parameters = stream.parameters();
        let nal_framing = (parameters.id() == ff::codec::Id::H264)
            .then(|| NalFraming::from_h264_extradata(extradata(&parameters)))
            .flatten();
        let mut context =
            ff::codec::context::Context::from_parameters(parameters).map_err(not_a_video)?;
        context.set_threading(ff::threading::Config {
            kind: ff::threading::Type::Frame,
            count: options.decoder_threads,
            ..Default::default()
        });
        let mut decoder = context.decoder().video().map_err(not_a_video)?;
        if options.skip_loop_filter {
            // SAFETY: the context is open and owned by `decoder`; codecs read this
            // field per slice, so setting it after opening is what FFmpeg's own
            // `-skip_loop_filter` option does.
            unsafe {
                (*decoder.as_mut_ptr()).skip_loop_filter = ff::ffi::AVDiscard::AVDISCARD_ALL;
            }
        }
        // The codec's name, not the decoder's ("av1" whether dav1d or libaom decodes).
        let codec = match decoder.id() {
            ff::codec::Id::None => "unknown".to_owned(),
            id => id.name().to_owned(),
        };
        let (coded_width, coded_height) = (decoder.width(), decoder.height());
        let (width, height) = if rotation.is_transposing() {
            (coded_height, coded_width)
        } else {
            (coded_width, coded_height)
        };
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
        Ok(Self {
            input,
            decoder,
            stream_index,
            seconds_per_tick,
            start_pts,
            meta,
            rotation,
            frame: ff::frame::Video::empty(),
            to_bgr: None,
            to_shrunk_bgr: None,
            next_index: 0,
            stamper: Stamper::new(nominal_period_ms),
            nominal_period_ms,
            read_ahead: VecDeque::new(),
            packets_read: 0,
            in_flight: InFlight::default(),
            nal_framing,
            plan: None,
            left_out_due: VecDeque::new(),
            frame_held: false,
            current_undecoded: false,
            demuxer_done: false,
            eof_sent: false,
            finished: false,
        })
    }

    /// From now on, leaves undecoded the frames nothing is predicted from that `sampler`
    /// will not keep (H.264 only; other codecs decode every frame as before). `sampler`
    /// must have been shown the timestamps of every frame handed out so far, in order,
    /// and the caller must keep asking its own copy of it about every frame handed out
    /// after: the frames left out are exactly frames that copy skips (see
    /// [`crate::drop_plan`]). Returns whether frames may be left out.
    pub fn leave_out_unsampled(&mut self, sampler: TimeSampler) -> bool {
        if self.nal_framing.is_none() || sampler.keeps_every_frame() {
            return false;
        }
        self.plan = Some(DropPlan::new(sampler, self.stamper.clone()));
        true
    }

    /// Ends leaving frames out (the caller's sampler disagreed with the plan's copy).
    pub fn stop_leaving_out(&mut self, why: &str) {
        if let Some(plan) = &mut self.plan {
            plan.stop(why);
        }
    }

    /// Frames left undecoded so far.
    pub fn frames_left_undecoded(&self) -> u64 {
        self.plan.as_ref().map_or(0, DropPlan::dropped_total)
    }

    pub fn meta(&self) -> &VideoMeta {
        &self.meta
    }

    /// Frames of the stream handed out so far (decoded or left out).
    pub fn frames_decoded(&self) -> u32 {
        self.next_index
    }

    /// Timestamp of the last frame handed out, ms.
    pub fn last_timestamp_ms(&self) -> Option<f64> {
        self.stamper.last_ms()
    }

    /// Frame period assumed where the stream gives none (from the header rate).
    pub fn nominal_period_ms(&self) -> f64 {
        self.nominal_period_ms
    }

    /// The next frame, decoded or (while a drop plan runs) left out; `None` at the end
    /// of the stream. A packet the codec rejects (a damaged frame) is skipped, as
    /// players do.
    pub fn next_frame(&mut self) -> Result<Option<ScannedFrame>, VideoError> {
        loop {
            if let Some(pts) = self.left_out_due.pop_front() {
                return Ok(Some(self.hand_out_left_out(pts)));
            }
            if self.frame_held {
                self.frame_held = false;
                return Ok(Some(self.hand_out_decoded()));
            }
            if self.finished {
                if let Some(plan) = &mut self.plan {
                    self.left_out_due.extend(plan.at_end());
                }
                if self.left_out_due.is_empty() {
                    return Ok(None);
                }
                continue;
            }
            match self.decoder.receive_frame(&mut self.frame) {
                Ok(()) => {
                    if let Some(plan) = &mut self.plan {
                        let earlier = plan.before_output(self.frame.pts(), self.frame.timestamp());
                        self.left_out_due.extend(earlier);
                    }
                    self.frame_held = true;
                }
                Err(ff::Error::Eof) => self.finished = true,
                Err(ff::Error::Other { errno }) if errno == ff::util::error::EAGAIN => {
                    self.feed()?;
                }
                Err(error) => {
                    // A damaged frame: skipped, as players do; decoding goes on.
                    tracing::debug!(%error, "frame not decoded; skipped");
                    self.feed()?;
                }
            }
        }
    }

    /// Sends the next packet of the video stream to the codec (or the end of input),
    /// leaving out those the drop plan says no one will look at.
    fn feed(&mut self) -> Result<(), VideoError> {
        loop {
            let wanted = if self.plan.as_ref().is_some_and(DropPlan::is_active) {
                LOOKAHEAD_PACKETS as usize
            } else {
                1
            };
            while !self.demuxer_done && self.read_ahead.len() < wanted {
                self.read_packet();
            }
            if let Some(plan) = &mut self.plan {
                let (start_pts, seconds_per_tick) = (self.start_pts, self.seconds_per_tick);
                plan.resolve(
                    &mut self.in_flight,
                    self.packets_read,
                    self.demuxer_done,
                    |pts| (pts - start_pts) as f64 * seconds_per_tick * 1000.0,
                );
            }
            let Some((packet, _)) = self.read_ahead.pop_front() else {
                if self.eof_sent {
                    // receive_frame answered EAGAIN after end of input was sent: nothing left.
                    self.finished = true;
                } else {
                    self.eof_sent = true;
                    let _ = self.decoder.send_eof();
                }
                return Ok(());
            };
            if self.leave_out(&packet) {
                continue;
            }
            if let Err(error) = self.decoder.send_packet(&packet) {
                tracing::debug!(%error, "packet rejected by the codec; skipped");
            }
            return Ok(());
        }
    }

    /// Reads the next packet of the video stream into `read_ahead`.
    fn read_packet(&mut self) {
        let mut packet = ff::Packet::empty();
        loop {
            match packet.read(&mut self.input) {
                Ok(()) if packet.stream() == self.stream_index => {
                    // A packet the container marks to be discarded (before the start of
                    // an edit list) is decoded for the frames after it but yields no
                    // frame of its own: it has no place in the stream.
                    if flags(&packet) & ff::ffi::AV_PKT_FLAG_DISCARD == 0 {
                        self.in_flight.read(packet.pts(), self.packets_read);
                    }
                    self.read_ahead.push_back((packet, self.packets_read));
                    self.packets_read += 1;
                    return;
                }
                Ok(()) => continue,
                Err(ff::Error::Eof) => break,
                Err(error) => {
                    // A damaged container ends the stream where it breaks, as
                    // `VideoDecoder` does; what was decoded so far stands.
                    tracing::debug!(%error, "container read failed; stream ends here");
                    break;
                }
            }
        }
        self.demuxer_done = true;
    }

    /// Whether the plan leaves `packet` out (and records it to take its place).
    fn leave_out(&mut self, packet: &ff::Packet) -> bool {
        let (Some(plan), Some(framing)) = (&mut self.plan, self.nal_framing) else {
            return false;
        };
        // A packet the container marks to be discarded yields no frame, and a corrupt
        // one may yield none: either way it must not be stood in for.
        let marked =
            flags(packet) & (ff::ffi::AV_PKT_FLAG_DISCARD | ff::ffi::AV_PKT_FLAG_CORRUPT) != 0;
        let disposable = !marked
            && packet
                .data()
                .is_some_and(|data| is_disposable_h264(data, framing));
        plan.drop_if_unsampled(packet.pts(), disposable)
    }

    fn hand_out_decoded(&mut self) -> ScannedFrame {
        let reported = self.frame.timestamp();
        let plan_deciding = self.plan.as_ref().is_some_and(DropPlan::is_active);
        if !plan_deciding && let Some(pts) = reported {
            self.in_flight.settle(pts);
        }
        self.current_undecoded = false;
        self.stamp(reported, true)
    }

    fn hand_out_left_out(&mut self, pts: i64) -> ScannedFrame {
        self.current_undecoded = true;
        self.stamp(Some(pts), false)
    }

    fn stamp(&mut self, reported: Option<i64>, decoded: bool) -> ScannedFrame {
        let index = self.next_index;
        self.next_index += 1;
        let reported_ms = reported
            .map(|ts| (ts - self.start_pts) as f64 * self.seconds_per_tick * 1000.0)
            .unwrap_or(f64::NAN);
        ScannedFrame {
            index,
            timestamp_ms: self.stamper.stamp(reported_ms),
            decoded,
        }
    }

    /// The size in coded pixels of a picture shown at `displayed` size (rotation
    /// applied afterwards).
    fn coded_size(&self, displayed: Size) -> Size {
        if self.rotation.is_transposing() {
            Size::new(displayed.height, displayed.width)
        } else {
            displayed
        }
    }

    /// Pixels are asked of a frame left undecoded.
    fn no_pixels(&self) -> Result<(), VideoError> {
        if self.current_undecoded {
            return Err(VideoError::Conversion(
                "the frame was left undecoded (no sampler keeps it)".to_owned(),
            ));
        }
        Ok(())
    }

    /// The current frame as a grey picture of `displayed` size (rotation applied),
    /// resized linearly: grey levels as a BGR decode turned grey would give (within
    /// rounding). Read from the luma plane where the format has one, so that a
    /// thumbnail costs a few hundred pixel reads, not a full-frame conversion.
    pub fn gray(&mut self, displayed: Size) -> Result<Mat, VideoError> {
        self.gray_resized(displayed, GreyResize::Linear)
    }

    /// The current frame as a grey picture of `displayed` size (rotation applied),
    /// shrunk by [`crate::shrink`] (enlarged linearly when larger): the camera features'
    /// working picture ([`crate::camera_motion::feature_image`]) read from the luma
    /// plane, without converting the frame to colour first.
    pub fn gray_shrunk(&mut self, displayed: Size) -> Result<Mat, VideoError> {
        self.gray_resized(displayed, GreyResize::Shrink)
    }

    fn gray_resized(&mut self, displayed: Size, how: GreyResize) -> Result<Mat, VideoError> {
        self.no_pixels()?;
        let coded_target = self.coded_size(displayed);
        let Some(full_range) = luma_range(self.frame.format()) else {
            let small = how.apply(&self.bgr()?, displayed)?;
            let mut gray = Mat::default();
            imgproc::cvt_color_def(&small, &mut gray, imgproc::COLOR_BGR2GRAY)?;
            return Ok(gray);
        };
        let (width, height) = (self.frame.width() as i32, self.frame.height() as i32);
        let stride = self.frame.stride(0);
        let plane = self.frame.data(0);
        // SAFETY: the plane holds `height` rows of `stride` bytes and outlives `luma`,
        // which is only read by `resize` below.
        let luma = unsafe {
            Mat::new_rows_cols_with_data_unsafe(
                height,
                width,
                CV_8UC1,
                plane.as_ptr().cast_mut().cast(),
                stride,
            )?
        };
        let mut small = how.apply(&luma, coded_target)?;
        drop(luma);
        if !full_range {
            // Studio-range luma (16..235) to the 0..255 grey a BGR decode gives:
            // grey = 0.299 R + 0.587 G + 0.114 B of the BT.601 conversion is exactly
            // 255/219 (Y - 16); the chroma terms cancel.
            let lut = Mat::from_slice(&STUDIO_TO_FULL)?;
            let mut expanded = Mat::default();
            opencv::core::lut(&small, &lut, &mut expanded)?;
            small = expanded;
        }
        Ok(self.rotation.apply(small)?)
    }

    /// The current frame in BGR shrunk to `displayed` (rotation applied), converted and
    /// shrunk in one pass over the decoded planes by FFmpeg's scaler with area averaging
    /// (no aliasing, as [`crate::shrink`]), instead of a full-size BGR picture that is
    /// copied and then shrunk: ~3.4 ms less CPU per 1080x1920 frame shrunk to 320 px
    /// wide (the authenticity check's camera samples, ten a second).
    pub fn bgr_shrunk(&mut self, displayed: Size) -> Result<Mat, VideoError> {
        self.no_pixels()?;
        let coded_target = self.coded_size(displayed);
        let (target_width, target_height) = (
            u32::try_from(coded_target.width.max(1)).unwrap_or(1),
            u32::try_from(coded_target.height.max(1)).unwrap_or(1),
        );
        let key = (
            self.frame.format(),
            self.frame.width(),
            self.frame.height(),
            target_width,
            target_height,
        );
        let converter = match &mut self.to_shrunk_bgr {
            Some((current, converter)) if *current == key => converter,
            slot => {
                let converter = BgrConverter::new(key, ff::software::scaling::Flags::AREA)?;
                &mut slot.insert((key, converter)).1
            }
        };
        let small = converter.convert(&self.frame)?;
        Ok(self.rotation.apply(small)?)
    }

    /// The current frame in BGR at its displayed size (rotation applied), converted as
    /// OpenCV's FFmpeg backend converts (bicubic chroma), so checks see the same pixels
    /// whichever decoder made them.
    pub fn bgr(&mut self) -> Result<Mat, VideoError> {
        self.no_pixels()?;
        let (format, width, height) =
            (self.frame.format(), self.frame.width(), self.frame.height());
        let converter = match &mut self.to_bgr {
            Some((f, w, h, converter)) if (*f, *w, *h) == (format, width, height) => converter,
            slot => {
                let converter = BgrConverter::new(
                    (format, width, height, width, height),
                    ff::software::scaling::Flags::BICUBIC,
                )?;
                &mut slot.insert((format, width, height, converter)).3
            }
        };
        let coded = converter.convert(&self.frame)?;
        let image = self.rotation.apply(coded)?;
        let expected = Size::new(self.meta.width as i32, self.meta.height as i32);
        if image.size()? == expected {
            return Ok(image);
        }
        // Mid-stream size change (spliced clips): one geometry for the whole video.
        let mut resized = Mat::default();
        imgproc::resize(
            &image,
            &mut resized,
            expected,
            0.0,
            0.0,
            imgproc::INTER_LINEAR,
        )?;
        Ok(resized)
    }
}

/// How a grey picture is resized from the frame.
#[derive(Debug, Clone, Copy)]
enum GreyResize {
    /// Linear resampling (thumbnails: a few hundred pixel reads).
    Linear,
    /// [`crate::shrink`] where the target is smaller, linear where it is larger.
    Shrink,
}

impl GreyResize {
    fn apply(self, image: &Mat, target: Size) -> opencv::Result<Mat> {
        let smaller = target.width < image.cols() && target.height < image.rows();
        if matches!(self, Self::Shrink) && smaller {
            return crate::shrink(image, target);
        }
        let mut resized = Mat::default();
        imgproc::resize(image, &mut resized, target, 0.0, 0.0, imgproc::INTER_LINEAR)?;
        Ok(resized)
    }
}

/// `Some(full_range)` for 8-bit formats whose first plane is luma.
fn luma_range(format: ff::format::Pixel) -> Option<bool> {
    use ff::format::Pixel;
    match format {
        Pixel::YUV420P
        | Pixel::YUV422P
        | Pixel::YUV444P
        | Pixel::YUV440P
        | Pixel::YUV411P
        | Pixel::NV12
        | Pixel::NV21 => Some(false),
        // The "J" formats are full range, as swscale reads them.
        Pixel::YUVJ420P | Pixel::YUVJ422P | Pixel::YUVJ444P | Pixel::YUVJ440P | Pixel::GRAY8 => {
            Some(true)
        }
        _ => None,
    }
}

/// 255/219 (Y - 16), rounded and clamped.
const STUDIO_TO_FULL: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut y = 0;
    while y < 256 {
        let scaled = if y <= 16 {
            0
        } else {
            ((y as i32 - 16) * 255 * 2 + 219) / (219 * 2)
        };
        table[y] = if scaled > 255 { 255 } else { scaled as u8 };
        y += 1;
    }
    table
};

/// The packet's `AV_PKT_FLAG_*` bits (the wrapper exposes only key and corrupt).
fn flags(packet: &ff::Packet) -> i32 {
    // SAFETY: reading a plain field of a packet borrowed for the call.
    unsafe { (*ff::packet::Ref::as_ptr(packet)).flags }
}

/// The codec's extradata (`avcC` for H.264 in MP4), empty when there is none.
fn extradata(parameters: &ff::codec::Parameters) -> &[u8] {
    // SAFETY: the parameters own `extradata_size` bytes at `extradata` (or a null
    // pointer), alive as long as `parameters` is borrowed.
    unsafe {
        let raw = &*parameters.as_ptr();
        match usize::try_from(raw.extradata_size) {
            Ok(size) if size > 0 && !raw.extradata.is_null() => {
                std::slice::from_raw_parts(raw.extradata, size)
            }
            _ => &[],
        }
    }
}

fn rational(value: ff::Rational) -> Option<f64> {
    (value.denominator() != 0)
        .then(|| f64::from(value.numerator()) / f64::from(value.denominator()))
        .filter(|v| v.is_finite())
}

/// Clockwise rotation the display matrix asks for, degrees (0 without one).
fn clockwise_display_rotation(stream: &ff::format::stream::Stream) -> f64 {
    for side_data in stream.side_data() {
        if side_data.kind() != ff::codec::packet::side_data::Type::DisplayMatrix {
            continue;
        }
        let bytes = side_data.data();
        if bytes.len() < 9 * 4 {
            continue;
        }
        // SAFETY: a display matrix is nine 32-bit integers; FFmpeg reads them
        // unaligned-safe from the side-data buffer it allocated.
        let counter_clockwise =
            unsafe { ff::ffi::av_display_rotation_get(bytes.as_ptr().cast::<i32>()) };
        if counter_clockwise.is_finite() {
            return -counter_clockwise;
        }
    }
    0.0
}

/// Frame count as OpenCV reports it: the stream's, else duration x rate.
fn header_frame_count(
    input: &ff::format::context::Input,
    stream: &ff::format::stream::Stream,
    fps: f64,
) -> u32 {
    if stream.frames() > 0 {
        return stream.frames().min(i64::from(u32::MAX)) as u32;
    }
    let container_seconds = input.duration() as f64 / f64::from(ff::ffi::AV_TIME_BASE);
    let seconds = if container_seconds > 0.0 {
        container_seconds
    } else {
        stream.duration() as f64 * rational(stream.time_base()).unwrap_or(0.0)
    };
    let frames = (seconds * fps + 0.5).floor();
    if frames.is_finite() && frames > 0.0 {
        frames.min(f64::from(u32::MAX)) as u32
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decoders move to blocking threads with their video.
    #[test]
    fn decoders_can_move_between_threads() {
        fn movable<T: Send>() {}
        movable::<FrameScanner>();
        movable::<crate::VideoDecoder>();
    }

    #[test]
    fn studio_range_expands_to_full_grey() {
        assert_eq!(STUDIO_TO_FULL[0], 0);
        assert_eq!(STUDIO_TO_FULL[16], 0);
        assert_eq!(STUDIO_TO_FULL[235], 255);
        assert_eq!(STUDIO_TO_FULL[255], 255);
        // Mid grey: 255/219 * (126 - 16) = 128.08.
        assert_eq!(STUDIO_TO_FULL[126], 128);
    }
}
