//! From an opened video to pose frames: decoding on one thread; preprocessing,
//! inference, decoding of the network output and tracking on the caller's thread,
//! joined by a small bounded queue. The queue overlaps the two halves (the decoder
//! reads frame n+1 while the model runs on frame n) and gives backpressure: a slow
//! consumer stalls inference, which stalls decoding, so memory stays bounded by the
//! queue depth whatever the video length. Preprocessing sits with inference because
//! what to analyse in a frame (the whole frame or the region around the tracked
//! people, see [`crate::focus`]) depends on the tracks of the frame before.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Instant;

use fitvision_proto::v1::{
    BoundingBox, CameraMotion, Keypoint, PersonPose, PoseFrame, PoseSummary, PoseTrack, VideoInfo,
};
use fitvision_video::camera_motion::{
    ExcludedRect, FeatureMatcher, PointPair, Similarity, estimate_background_motion,
};
use fitvision_video::opencv::core::Mat;
use fitvision_video::opencv::prelude::*;
use fitvision_video::{SampledFrame, VideoDecoder, VideoMeta};

use crate::cadence::{Cadence, CadenceConfig, Plan};
use crate::focus::{FocusConfig, FocusPlanner};
use crate::model::{FrameMemory, PoseModel};
use crate::tracker::{Tracker, TrackerConfig};
use crate::{Detection, PoseError};

/// Frames decoded ahead of inference. Two is enough to keep both threads busy;
/// more only costs memory (one 1080p BGR frame is ~6 MB).
const QUEUE_DEPTH: usize = 2;

/// With the default confidence, detections down to this share of it may continue a track.
const TRACK_CONTINUATION_SHARE: f32 = 0.4;

/// Which part of each frame the model sees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InputPolicy {
    /// The region around the tracked people at a scale picked from their size, with
    /// the whole frame at the model's scale periodically and whenever a track may be
    /// lost (see [`crate::focus`]). Models with a fixed input size always get the
    /// whole frame.
    PersonSized(FocusConfig),
    /// Always the whole frame at the model's scale.
    WholeFrame,
}

impl Default for InputPolicy {
    fn default() -> Self {
        Self::PersonSized(FocusConfig::default())
    }
}

/// What to extract, per request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoseOptions {
    /// Registry model id; `None` or empty = the default model.
    pub model_id: Option<String>,
    /// Analyse at most this many frames per second (0 = every frame).
    pub target_fps: f64,
    /// Keep at most this many persons per frame, the most prominent (0 = all).
    pub max_persons: u32,
    /// Drop detections below this confidence (0 = the model's default).
    pub min_confidence: f32,
    pub input: InputPolicy,
    /// Coarse to fine (see [`crate::cadence`]); `None` = every sampled frame analysed.
    pub cadence: Option<CadenceConfig>,
}

impl PoseOptions {
    pub fn validate(&self) -> Result<(), PoseError> {
        if !self.target_fps.is_finite() || self.target_fps < 0.0 {
            return Err(PoseError::InvalidOptions(format!(
                "sampling.target_fps must be >= 0, got {}",
                self.target_fps
            )));
        }
        if !self.min_confidence.is_finite() || !(0.0..=1.0).contains(&self.min_confidence) {
            return Err(PoseError::InvalidOptions(format!(
                "min_confidence must be within 0..1, got {}",
                self.min_confidence
            )));
        }
        if let Some(cadence) = &self.cadence
            && !(cadence.max_bend_share.is_finite() && cadence.max_bend_share > 0.0)
        {
            return Err(PoseError::InvalidOptions(format!(
                "coarse-to-fine bend limit must be > 0, got {}",
                cadence.max_bend_share
            )));
        }
        if let InputPolicy::PersonSized(focus) = &self.input {
            let valid = focus.person_long_side_px.is_finite()
                && focus.person_long_side_px > 0.0
                && focus.margin_share.is_finite()
                && focus.margin_share >= 0.0
                && focus.max_cost_share > 0.0
                && focus.max_cost_share <= 1.0
                && focus.refresh_ms.is_finite();
            if !valid {
                return Err(PoseError::InvalidOptions(format!(
                    "person-sized input settings out of range: {focus:?}"
                )));
            }
        }
        Ok(())
    }
}

/// One streamed event.
#[derive(Debug, Clone, PartialEq)]
pub enum PoseEvent {
    /// First: what the container says (frame count and duration are header estimates;
    /// the summary carries the decoded truth).
    Video(VideoInfo),
    Frame(PoseFrame),
}

/// Whether the consumer wants more events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// Streams pose events for `decoder` to `emit`; returns the summary (with the final
/// video info). `Flow::Stop` from `emit` ends the run early with `PoseError::Pipeline`.
/// Fails with `PoseError::NoPerson` if no analysed frame had a person.
pub fn stream_poses(
    model: &dyn PoseModel,
    decoder: VideoDecoder,
    options: &PoseOptions,
    emit: &mut dyn FnMut(PoseEvent) -> Flow,
) -> Result<PoseSummary, PoseError> {
    options.validate()?;
    let meta = decoder.meta().clone();
    if emit(PoseEvent::Video(header_video_info(&meta))) == Flow::Stop {
        return Err(PoseError::Pipeline("consumer went away".to_owned()));
    }
    let mut analysis = Analysis::new(model, options);
    let (sender, receiver) = sync_channel::<DecodedFrame>(QUEUE_DEPTH);

    let decoded = std::thread::scope(|scope| {
        let producer = scope.spawn(|| decode_frames(decoder, options.target_fps, sender));
        let consumed = analysis.consume(receiver, &meta, emit);
        // The receiver is gone once `consume` returns, so the producer ends promptly.
        let produced = producer
            .join()
            .map_err(|_| PoseError::Pipeline("decoder thread panicked".to_owned()))?;
        consumed?;
        produced
    })?;

    let totals = analysis.totals;
    tracing::debug!(
        frames_analysed = totals.frames_analysed,
        frames_interpolated = totals.frames_interpolated,
        frames_focused = totals.frames_focused,
        frames_redetected = totals.frames_redetected,
        frames_followed_back = totals.frames_followed_back,
        "pose run done"
    );
    if totals.frames_with_person == 0 {
        return Err(PoseError::NoPerson {
            analysed_frames: totals.frames_analysed,
        });
    }
    let per_analysed = |total_ms: f64| total_ms / f64::from(totals.frames_analysed.max(1));
    // The model's stages per frame it saw (interpolated frames cost none of them).
    let inferred = totals.frames_analysed - totals.frames_interpolated;
    let per_frame = |total_ms: f64| total_ms / f64::from(inferred.max(1));
    Ok(PoseSummary {
        frames_decoded: decoded.frames_decoded,
        frames_analysed: totals.frames_analysed,
        frames_interpolated: totals.frames_interpolated,
        frames_left_undecoded: decoded.frames_left_undecoded,
        frames_with_person: totals.frames_with_person,
        max_persons_in_frame: totals.max_persons_in_frame,
        model_id: model.info().id.clone(),
        schema: model.info().schema.into(),
        decode_ms_per_frame: per_analysed(decoded.decode_ms),
        preprocess_ms_per_frame: per_frame(totals.preprocess_ms),
        inference_ms_per_frame: per_frame(totals.inference_ms),
        postprocess_ms_per_frame: per_frame(totals.postprocess_ms),
        video: Some(decoded_video_info(&meta, &decoded)),
    })
}

/// Runs [`stream_poses`] and collects a [`PoseTrack`].
pub fn collect_pose_track(
    model: &dyn PoseModel,
    decoder: VideoDecoder,
    options: &PoseOptions,
) -> Result<(PoseTrack, PoseSummary), PoseError> {
    let mut frames = Vec::new();
    let summary = stream_poses(model, decoder, options, &mut |event| {
        if let PoseEvent::Frame(frame) = event {
            frames.push(frame);
        }
        Flow::Continue
    })?;
    let track = PoseTrack {
        schema: model.info().schema.into(),
        video: summary.video.clone(),
        model_id: model.info().id.clone(),
        frames,
    };
    Ok((track, summary))
}

struct DecodedFrame {
    index: u32,
    timestamp_ms: f64,
    /// The picture as decoded, or smaller while it is held (see [`UnseenFrames`]).
    image: Mat,
    /// Width and height as decoded: what the frame's pixels are measured in.
    size: (u32, u32),
    /// Features matched with the previous kept frame (for the camera motion), found on
    /// the decoding thread where they cost no inference time.
    matches: Vec<PointPair>,
}

#[derive(Debug, Default)]
struct DecodeTotals {
    frames_decoded: u32,
    first_timestamp_ms: Option<f64>,
    last_timestamp_ms: Option<f64>,
    nominal_period_ms: f64,
    decode_ms: f64,
    frames_left_undecoded: u32,
}

#[derive(Debug, Default)]
struct StageTotals {
    /// Frames given poses: inferred or interpolated.
    frames_analysed: u32,
    /// Of those, frames whose poses were interpolated (see [`crate::cadence`]).
    frames_interpolated: u32,
    frames_with_person: u32,
    max_persons_in_frame: u32,
    /// Frames where the model saw only a window around the tracked people.
    frames_focused: u32,
    /// Frames analysed a second time with a margin because someone vanished.
    frames_redetected: u32,
    /// Opening frames where the first person found was followed back into.
    frames_followed_back: u32,
    preprocess_ms: f64,
    inference_ms: f64,
    postprocess_ms: f64,
}

/// `FITVISION_POSE_DECODE_EVERY_FRAME=true` decodes every frame, sampled or not, as the
/// pose stage did before it left frames out (`VideoDecoder::sample_at`): the poses are
/// the same either way; it is there to measure the saving (`pose-bench`).
fn decode_every_frame() -> bool {
    static EVERY_FRAME: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *EVERY_FRAME.get_or_init(|| {
        std::env::var("FITVISION_POSE_DECODE_EVERY_FRAME").is_ok_and(|value| value == "true")
    })
}

fn decode_frames(
    mut decoder: VideoDecoder,
    target_fps: f64,
    sender: SyncSender<DecodedFrame>,
) -> Result<DecodeTotals, PoseError> {
    if decode_every_frame() {
        decoder.sample_at_decoding_all(target_fps);
    } else {
        decoder.sample_at(target_fps);
    }
    decoder.keep_feature_pictures()?;
    let mut matcher = FeatureMatcher::new()?;
    let mut totals = DecodeTotals {
        nominal_period_ms: decoder.nominal_period_ms(),
        ..DecodeTotals::default()
    };
    loop {
        let started = Instant::now();
        let Some(next) = decoder.next_in_sample() else {
            break;
        };
        totals.decode_ms += started.elapsed().as_secs_f64() * 1000.0;
        let (index, timestamp_ms, kept) = match next? {
            SampledFrame::Kept(frame) => (
                frame.index,
                frame.timestamp_ms,
                Some((frame.image, frame.feature_picture)),
            ),
            SampledFrame::Skipped {
                index,
                timestamp_ms,
            } => (index, timestamp_ms, None),
        };
        totals.frames_decoded = index + 1;
        totals.first_timestamp_ms.get_or_insert(timestamp_ms);
        totals.last_timestamp_ms = Some(timestamp_ms);
        let Some((image, feature_picture)) = kept else {
            continue;
        };
        let matches = match feature_picture {
            Some(picture) => matcher.next_picture(picture),
            None => matcher.next(&image),
        }
        .unwrap_or_else(|error| {
            tracing::debug!(%error, frame = index, "camera features failed; camera assumed still");
            Vec::new()
        });
        let frame = DecodedFrame {
            index,
            timestamp_ms,
            size: image_size(&image),
            image,
            matches,
        };
        if sender.send(frame).is_err() {
            // The consumer stopped (client gone or inference failed): stop decoding.
            break;
        }
    }
    totals.frames_left_undecoded =
        u32::try_from(decoder.frames_left_undecoded()).unwrap_or(u32::MAX);
    Ok(totals)
}

/// A frame's detections before tracking, and what finishing the frame needs of them.
struct FoundPeople {
    output: crate::model::InferenceOutput,
    letterbox: crate::letterbox::Letterbox,
    preprocess_ms: f64,
}

/// Whether any of `detections` is confident enough to start a track.
fn anyone(detections: &[Detection], min_confidence: f32) -> bool {
    detections.iter().any(|d| d.score >= min_confidence)
}

/// Pictures held while nobody is found: at most this many bytes, so a video that opens
/// on an empty scene, or that the athlete leaves, costs a bounded amount of memory (four
/// videos in flight at once stay under 100 MB of held pictures) and the earliest such
/// frames are let go.
const UNSEEN_HOLD_BYTES: usize = 24 << 20;

/// Held pictures are scaled down to this long side: 36 frames fit in the hold (2.4 s at
/// 15 analysed fps) whatever the source. The 640x360 re-encodings of every shared clip
/// are read as well as their sources (robustness table, `lowres`), and following back
/// through 640x360 pictures recovered 26 frames of a side push-up intro.
const HELD_LONG_SIDE_PX: u32 = 640;

/// A frame where nobody was found, held smaller than decoded.
struct HeldFrame {
    decoded: DecodedFrame,
    found: FoundPeople,
}

/// The latest run of analysed frames where nobody was found, held until someone is, so
/// that the person found can be followed back into them (see [`Analysis::follow_back`]).
#[derive(Default)]
struct UnseenFrames {
    held: VecDeque<HeldFrame>,
    bytes: usize,
}

impl UnseenFrames {
    /// Holds a frame with nobody in it; returns the oldest ones that no longer fit.
    fn hold(
        &mut self,
        mut decoded: DecodedFrame,
        found: FoundPeople,
    ) -> Result<Vec<HeldFrame>, PoseError> {
        if let Some(small) = held_picture(&decoded.image)? {
            decoded.image = small;
        }
        self.bytes += picture_bytes(&decoded.image);
        self.held.push_back(HeldFrame { decoded, found });
        let mut released = Vec::new();
        while self.bytes > UNSEEN_HOLD_BYTES {
            let Some(oldest) = self.held.pop_front() else {
                break;
            };
            self.bytes -= picture_bytes(&oldest.decoded.image);
            released.push(oldest);
        }
        Ok(released)
    }

    /// Every held frame, oldest first; nothing is held afterwards.
    fn release(&mut self) -> Vec<HeldFrame> {
        self.bytes = 0;
        self.held.drain(..).collect()
    }
}

/// Width and height of a picture in pixels.
fn image_size(image: &Mat) -> (u32, u32) {
    (image.cols().max(0) as u32, image.rows().max(0) as u32)
}

/// `image` scaled down to [`HELD_LONG_SIDE_PX`]; `None` when it is not larger.
fn held_picture(image: &Mat) -> Result<Option<Mat>, PoseError> {
    let (width, height) = image_size(image);
    let scale = HELD_LONG_SIDE_PX as f32 / width.max(height).max(1) as f32;
    if scale >= 1.0 {
        return Ok(None);
    }
    let target = fitvision_video::opencv::core::Size::new(
        ((width as f32 * scale).round() as i32).max(1),
        ((height as f32 * scale).round() as i32).max(1),
    );
    let mut small = Mat::default();
    fitvision_video::opencv::imgproc::resize(
        image,
        &mut small,
        target,
        0.0,
        0.0,
        fitvision_video::opencv::imgproc::INTER_AREA,
    )?;
    Ok(Some(small))
}

/// `detection`, read on a picture of `read_size`, in the pixels of a frame of `size`.
fn rescaled(mut detection: Detection, read_size: (u32, u32), size: (u32, u32)) -> Detection {
    if read_size == size {
        return detection;
    }
    let sx = size.0 as f32 / read_size.0.max(1) as f32;
    let sy = size.1 as f32 / read_size.1.max(1) as f32;
    let b = detection.bbox;
    detection.bbox = crate::PixelBox {
        x1: b.x1 * sx,
        y1: b.y1 * sy,
        x2: b.x2 * sx,
        y2: b.y2 * sy,
    };
    for k in &mut detection.keypoints {
        k.x *= sx;
        k.y *= sy;
    }
    detection
}

fn picture_bytes(image: &Mat) -> usize {
    image.total() * image.elem_size().unwrap_or(3)
}

/// The inference side of one run.
struct Analysis<'m> {
    model: &'m dyn PoseModel,
    tracker: Tracker,
    /// `None`: every frame whole (policy, or a fixed-size model).
    focus: Option<FocusPlanner>,
    min_confidence: f32,
    detection_floor: f32,
    max_persons: u32,
    totals: StageTotals,
    camera: CameraPath,
    /// Boxes of the persons tracked lately, with when they were last seen (ms).
    recently_tracked: Vec<(crate::PixelBox, f64)>,
    /// The model's own state between frames (see [`FrameMemory`]).
    memory: FrameMemory,
    cadence: Option<CadenceConfig>,
}

/// The camera's path so far: every analysed frame expressed in the first one's pixels.
#[derive(Debug, Default)]
struct CameraPath {
    /// Maps the last analysed frame's pixels into the first frame's.
    reference_from_last: Similarity,
    /// People in the last analysed frame, whose own movement is not the camera's.
    last_people: Vec<ExcludedRect>,
}

/// A tracked person counts as vanished when no detection overlaps their last box by
/// this much ...
const VANISHED_MAX_IOU: f32 = 0.3;
/// ... nor holds this share of it: a body tracked in a part of itself (a partial reading
/// of the upper body on a pull-up bar, say) and now read whole in a larger box is there.
/// Counted as vanished, it sent the frame to the margin re-detection (a padded frame,
/// the detector over it and its tiles: 80-115 ms of CPU on 2 cores) on every frame for
/// a second: on 84 of the 180 analysed frames of a chin-up clip, doubling its pose
/// stage's time. The price: someone lost while standing inside a larger person's box is
/// not looked for in the margin, which is meant for bodies cut by the frame's edge.
const FOUND_WHOLE_MIN_SHARE: f32 = 0.7;
/// A person tracked within this long who has no detection now is looked for again.
const RECENTLY_TRACKED_MS: f64 = 1000.0;
/// Margin around the frame (share of its width and height, each side) for re-detection.
const REDETECT_MARGIN: f32 = 0.25;
/// Highest confidence kept for a keypoint placed outside the picture.
const OUTSIDE_KEYPOINT_SCORE: f32 = 0.2;

/// Adds the re-detected people that the first pass missed (those the model does not
/// take for anybody it found).
fn merge_new_detections(
    model: &dyn PoseModel,
    found: &mut Vec<Detection>,
    recovered: Vec<Detection>,
) {
    for d in recovered {
        if !found.iter().any(|f| model.same_person(f, &d)) {
            found.push(d);
        }
    }
}

/// People's boxes are widened by this share of their size on each side before their
/// features are ignored (limbs reach outside a detector's box).
const PERSON_EXCLUSION_MARGIN: f32 = 0.1;

impl CameraPath {
    /// Follows the camera through a frame the model does not see: the people are taken
    /// to be where they were in the frame before.
    fn advance_unseen(&mut self, matches: &[PointPair]) -> CameraMotion {
        let people = self.last_people.clone();
        self.advance(matches, people)
    }

    fn advance(&mut self, matches: &[PointPair], people: Vec<ExcludedRect>) -> CameraMotion {
        let motion = estimate_background_motion(matches, &self.last_people, &people)
            .unwrap_or_else(|error| {
                tracing::debug!(%error, "camera motion fit failed; camera assumed still");
                None
            });
        if let Some(m) = &motion {
            // reference <- last <- current
            self.reference_from_last = self
                .reference_from_last
                .after(&m.current_from_previous.inverse());
        }
        self.last_people = people;
        let t = self.reference_from_last;
        CameraMotion {
            scale: t.scale,
            rotation_rad: t.rotation_rad,
            translate_x_px: t.tx,
            translate_y_px: t.ty,
            measured: motion.is_some(),
        }
    }
}

fn excluded_rect(bbox: &crate::PixelBox) -> ExcludedRect {
    let mx = bbox.width() * PERSON_EXCLUSION_MARGIN;
    let my = bbox.height() * PERSON_EXCLUSION_MARGIN;
    (bbox.x1 - mx, bbox.y1 - my, bbox.x2 + mx, bbox.y2 + my)
}

impl<'m> Analysis<'m> {
    fn new(model: &'m dyn PoseModel, options: &PoseOptions) -> Self {
        // An explicit minimum is a hard floor. With the default, weaker detections are
        // decoded too, but only ever continue an existing track (see Tracker::update).
        let (min_confidence, detection_floor) = if options.min_confidence > 0.0 {
            (options.min_confidence, options.min_confidence)
        } else {
            let confident = model.default_confidence();
            (confident, confident * TRACK_CONTINUATION_SHARE)
        };
        Self {
            model,
            tracker: Tracker::new(TrackerConfig::default()),
            focus: match (options.input, model.whole_frame_long_side()) {
                (InputPolicy::PersonSized(config), Some(long_side)) => {
                    Some(FocusPlanner::new(config, long_side, model.input_stride()))
                }
                _ => None,
            },
            min_confidence,
            detection_floor,
            max_persons: options.max_persons,
            totals: StageTotals::default(),
            camera: CameraPath::default(),
            recently_tracked: Vec::new(),
            memory: FrameMemory::default(),
            cadence: options.cadence,
        }
    }

    /// Keeps the boxes of the people tracked within the last [`RECENTLY_TRACKED_MS`].
    fn remember_tracked(
        &mut self,
        timestamp_ms: f64,
        boxes: impl Iterator<Item = crate::PixelBox>,
    ) {
        for b in boxes {
            match self
                .recently_tracked
                .iter_mut()
                .find(|(seen, _)| seen.iou(&b) >= VANISHED_MAX_IOU)
            {
                Some(entry) => *entry = (b, timestamp_ms),
                None => self.recently_tracked.push((b, timestamp_ms)),
            }
        }
        self.recently_tracked
            .retain(|(_, seen_ms)| timestamp_ms - seen_ms <= RECENTLY_TRACKED_MS);
    }

    /// Whether a person tracked a moment ago has no detection here.
    fn someone_vanished(&self, detections: &[Detection]) -> bool {
        self.recently_tracked.iter().any(|(seen, _)| {
            !detections.iter().any(|d| {
                d.bbox.iou(seen) >= VANISHED_MAX_IOU
                    || seen.share_inside(&d.bbox) >= FOUND_WHOLE_MIN_SHARE
            })
        })
    }

    /// Detections on the frame set in a grey margin of [`REDETECT_MARGIN`] of its size
    /// on each side (the grey the model was trained to pad with), mapped back to the
    /// frame. Keypoints the model places outside the picture are kept with at most
    /// [`OUTSIDE_KEYPOINT_SCORE`]: they are guesses, not observations.
    fn detect_with_margin(&self, image: &Mat) -> Result<Vec<Detection>, PoseError> {
        let (width, height) = (image.cols(), image.rows());
        let (mx, my) = (
            (width as f32 * REDETECT_MARGIN).round() as i32,
            (height as f32 * REDETECT_MARGIN).round() as i32,
        );
        let mut padded = Mat::default();
        fitvision_video::opencv::core::copy_make_border(
            image,
            &mut padded,
            my,
            my,
            mx,
            mx,
            fitvision_video::opencv::core::BORDER_CONSTANT,
            fitvision_video::opencv::core::Scalar::all(114.0),
        )?;
        let input = self.model.prepare(&padded, None)?;
        // A fresh memory: the padded frame is a one-off look, not the video's next frame.
        let output = self
            .model
            .infer(input, self.detection_floor, &mut FrameMemory::default())?;
        let (w, h) = (width as f32, height as f32);
        Ok(output
            .detections
            .into_iter()
            .map(|mut d| {
                d.bbox = crate::PixelBox {
                    x1: d.bbox.x1 - mx as f32,
                    y1: d.bbox.y1 - my as f32,
                    x2: d.bbox.x2 - mx as f32,
                    y2: d.bbox.y2 - my as f32,
                }
                .clamped(w, h);
                for k in &mut d.keypoints {
                    k.x -= mx as f32;
                    k.y -= my as f32;
                    if k.x < 0.0 || k.y < 0.0 || k.x > w || k.y > h {
                        k.score = k.score.min(OUTSIDE_KEYPOINT_SCORE);
                    }
                }
                d
            })
            .filter(|d| d.bbox.area() > 0.0)
            .collect())
    }

    fn consume(
        &mut self,
        receiver: Receiver<DecodedFrame>,
        meta: &VideoMeta,
        emit: &mut dyn FnMut(PoseEvent) -> Flow,
    ) -> Result<(), PoseError> {
        let mut cadence = Cadence::new(self.cadence);
        let mut emit_frames = |frames: Vec<PoseFrame>| {
            for frame in frames {
                if emit(PoseEvent::Frame(frame)) == Flow::Stop {
                    return Err(PoseError::Pipeline("consumer went away".to_owned()));
                }
            }
            Ok(())
        };
        let mut unseen = UnseenFrames::default();
        let mut found_anyone = false;
        for decoded in receiver {
            // Frames held while nobody is found need the model on every frame after them.
            // Where people come and go (a track not matched lately), every sampled frame
            // is analysed: a frame skipped there delays finding a lost person again, and
            // a person a model follows from frame to frame (BlazePose) may not be found
            // again by its detector in a push-up or a crouch.
            let may_skip = cadence.is_on()
                && found_anyone
                && unseen.held.is_empty()
                && self.tracker.nobody_missing();
            if cadence.plan(decoded.index, may_skip) == Plan::Interpolate {
                let camera = self.camera.advance_unseen(&decoded.matches);
                cadence.hold(decoded.index, decoded.timestamp_ms, camera);
                continue;
            }
            let found = self.find_people(&decoded)?;
            if !anyone(&found.output.detections, self.min_confidence) {
                // The frame waiting for this one cannot wait for those held after it.
                emit_frames(cadence.flush().into_iter().collect())?;
                // Held at the opening with any model; after someone was found, only a
                // model that follows regions can bring them back into these frames.
                if !found_anyone || self.model.follows_regions() {
                    // Finished later: the people tracked lately are forgotten on this
                    // frame's clock, as finishing it now would.
                    self.remember_tracked(decoded.timestamp_ms, std::iter::empty());
                    for held in unseen.hold(decoded, found)? {
                        let frame = self.finish(held.decoded, held.found, meta)?;
                        emit_frames(cadence.emitted(frame))?;
                    }
                } else {
                    let frame = self.finish(decoded, found, meta)?;
                    emit_frames(cadence.emitted(frame))?;
                }
                continue;
            }
            found_anyone = true;
            self.follow_back(&decoded, &mut unseen.held)?;
            for held in unseen.release() {
                let frame = self.finish(held.decoded, held.found, meta)?;
                emit_frames(cadence.emitted(frame))?;
            }
            let frame = self.finish(decoded, found, meta)?;
            emit_frames(cadence.emitted(frame))?;
        }
        // Nobody found again before the end.
        emit_frames(cadence.flush().into_iter().collect())?;
        for held in unseen.release() {
            let frame = self.finish(held.decoded, held.found, meta)?;
            emit_frames(cadence.emitted(frame))?;
        }
        let (interpolated, with_person) = cadence.interpolated();
        self.totals.frames_interpolated += interpolated;
        self.totals.frames_analysed += interpolated;
        self.totals.frames_with_person += with_person;
        Ok(())
    }

    /// Follows the person found (in `found_in`) back into the frames `held` before it,
    /// where nobody was found, latest first, until a frame no longer shows them. A
    /// detector misses bodies in unusual postures (lying, crouched, hanging) that a
    /// model following a region from the frame next to it still reads: BlazePose found
    /// an athlete lying for sit-ups 0.2 s into a 24 fps re-encoding but from the first
    /// frame of the original, and the set's first rep was lost with those frames.
    fn follow_back(
        &mut self,
        found_in: &DecodedFrame,
        held: &mut VecDeque<HeldFrame>,
    ) -> Result<(), PoseError> {
        if held.is_empty() {
            return Ok(());
        }
        // The model's own memory, walking backwards from the frame where it found them,
        // on pictures the size of the held ones (its regions are in their pixels).
        let smaller = held_picture(&found_in.image)?;
        let mut memory = FrameMemory::default();
        let primed = self.model.infer(
            self.model
                .prepare(smaller.as_ref().unwrap_or(&found_in.image), None)?,
            self.detection_floor,
            &mut memory,
        )?;
        self.totals.inference_ms += primed.inference_ms;
        for HeldFrame { decoded, found } in held.iter_mut().rev() {
            let input = self.model.prepare(&decoded.image, None)?;
            let output = self.model.infer(input, self.detection_floor, &mut memory)?;
            found.output.inference_ms += output.inference_ms;
            if !anyone(&output.detections, self.min_confidence) {
                break;
            }
            found.output.detections = output
                .detections
                .into_iter()
                .map(|d| rescaled(d, image_size(&decoded.image), decoded.size))
                .collect();
            self.totals.frames_followed_back += 1;
        }
        Ok(())
    }

    fn analyse(&mut self, decoded: DecodedFrame, meta: &VideoMeta) -> Result<PoseFrame, PoseError> {
        let found = self.find_people(&decoded)?;
        self.finish(decoded, found, meta)
    }

    /// The model's detections in one frame (the first half of its analysis).
    fn find_people(&mut self, decoded: &DecodedFrame) -> Result<FoundPeople, PoseError> {
        let (width, height) = decoded.size;
        let focus = self
            .focus
            .as_ref()
            .and_then(|planner| planner.plan(width, height, decoded.timestamp_ms));
        let started = Instant::now();
        let input = self.model.prepare(&decoded.image, focus)?;
        let preprocess_ms = started.elapsed().as_secs_f64() * 1000.0;
        let letterbox = input.letterbox;
        let mut output = self
            .model
            .infer(input, self.detection_floor, &mut self.memory)?;
        if self.someone_vanished(&output.detections) {
            // A person tracked a moment ago is gone while nothing says they left: often a
            // body cut by the frame edge, crouched or half hidden, which the detector finds
            // again once the frame has room around it (measured: a close-up push-up cut
            // to a portrait crop, person found in 76% -> 95% of frames with a 25% margin).
            let recovered = self.detect_with_margin(&decoded.image)?;
            self.totals.frames_redetected += 1;
            merge_new_detections(self.model, &mut output.detections, recovered);
        }
        Ok(FoundPeople {
            output,
            letterbox,
            preprocess_ms,
        })
    }

    /// Tracks the people found in a frame and follows the camera: the frame's output.
    /// Frames are finished in their order (the tracker and the camera path run forward).
    fn finish(
        &mut self,
        decoded: DecodedFrame,
        found: FoundPeople,
        meta: &VideoMeta,
    ) -> Result<PoseFrame, PoseError> {
        let (width, height) = decoded.size;
        drop(decoded.image);
        let FoundPeople {
            output,
            letterbox,
            preprocess_ms,
        } = found;

        let started = Instant::now();
        // Every detection (tracked or not) is someone whose movement is not the camera's.
        let people: Vec<ExcludedRect> = output
            .detections
            .iter()
            .map(|d| excluded_rect(&d.bbox))
            .collect();
        let camera = self.camera.advance(&decoded.matches, people);
        let mut tracked =
            self.tracker
                .update(decoded.timestamp_ms, output.detections, self.min_confidence);
        self.remember_tracked(decoded.timestamp_ms, tracked.iter().map(|(_, d)| d.bbox));
        if let Some(planner) = &mut self.focus {
            let boxes = tracked
                .iter()
                .map(|(_, detection)| detection.bbox)
                .collect();
            planner.observe(&letterbox, width, height, decoded.timestamp_ms, boxes);
        }
        let max_persons = self.max_persons as usize;
        if max_persons > 0 && tracked.len() > max_persons {
            // The most prominent people: large and confidently seen.
            tracked.sort_by(|a, b| prominence(&b.1).total_cmp(&prominence(&a.1)));
            tracked.truncate(max_persons);
            tracked.sort_by_key(|(id, _)| *id);
        }
        let persons: Vec<PersonPose> = tracked
            .into_iter()
            .map(|(track_id, detection)| person_pose(track_id, &detection, meta))
            .collect();
        let totals = &mut self.totals;
        totals.frames_analysed += 1;
        totals.frames_focused += u32::from(!letterbox.is_whole());
        totals.frames_with_person += u32::from(!persons.is_empty());
        totals.max_persons_in_frame = totals.max_persons_in_frame.max(persons.len() as u32);
        totals.preprocess_ms += preprocess_ms;
        totals.inference_ms += output.inference_ms;
        totals.postprocess_ms += output.postprocess_ms + started.elapsed().as_secs_f64() * 1000.0;
        Ok(PoseFrame {
            frame_index: decoded.index,
            timestamp_ms: decoded.timestamp_ms,
            persons,
            camera: Some(camera),
            interpolated: false,
        })
    }
}

/// Poses of pictures that arrive one at a time (a live feed) instead of from a
/// decoder: the same per-frame analysis as [`stream_poses`], people tracked and
/// the camera's motion followed across the pictures.
pub struct FrameTracker<'m> {
    analysis: Analysis<'m>,
    matcher: FeatureMatcher,
    received: u32,
}

impl<'m> FrameTracker<'m> {
    pub fn new(model: &'m dyn PoseModel, options: &PoseOptions) -> Result<Self, PoseError> {
        options.validate()?;
        Ok(Self {
            analysis: Analysis::new(model, options),
            matcher: FeatureMatcher::new()?,
            received: 0,
        })
    }

    /// Poses in `image` (BGR), captured at `timestamp_ms`; the frame index counts
    /// the pictures tracked so far.
    pub fn track(&mut self, image: Mat, timestamp_ms: f64) -> Result<PoseFrame, PoseError> {
        let meta = VideoMeta {
            width: image.cols().max(0) as u32,
            height: image.rows().max(0) as u32,
            rotation_deg: 0,
            header_fps: 0.0,
            header_frame_count: 0,
            codec: String::new(),
        };
        let matches = self.matcher.next(&image).unwrap_or_else(|error| {
            tracing::debug!(%error, "camera features failed; camera assumed still");
            Vec::new()
        });
        let frame = DecodedFrame {
            index: self.received,
            timestamp_ms,
            size: image_size(&image),
            image,
            matches,
        };
        self.received += 1;
        self.analysis.analyse(frame, &meta)
    }
}

fn prominence(detection: &Detection) -> f32 {
    detection.bbox.area() * detection.score
}

fn person_pose(track_id: u32, detection: &Detection, meta: &VideoMeta) -> PersonPose {
    let (width, height) = (meta.width.max(1) as f32, meta.height.max(1) as f32);
    PersonPose {
        track_id,
        r#box: Some(BoundingBox {
            x_px: detection.bbox.x1,
            y_px: detection.bbox.y1,
            width_px: detection.bbox.width(),
            height_px: detection.bbox.height(),
        }),
        confidence: detection.score,
        keypoints: detection
            .keypoints
            .iter()
            .map(|keypoint| Keypoint {
                x_px: keypoint.x,
                y_px: keypoint.y,
                x_norm: (keypoint.x / width).clamp(0.0, 1.0),
                y_norm: (keypoint.y / height).clamp(0.0, 1.0),
                score: keypoint.score,
            })
            .collect(),
    }
}

/// Container view before decoding: frame count 0 means "not known yet".
fn header_video_info(meta: &VideoMeta) -> VideoInfo {
    VideoInfo {
        width_px: meta.width,
        height_px: meta.height,
        fps: meta.header_fps,
        frame_count: 0,
        header_frame_count: meta.header_frame_count,
        duration_ms: meta.declared_duration_ms().unwrap_or_default(),
        rotation_deg: meta.rotation_deg,
        codec: meta.codec.clone(),
    }
}

/// Decoded truth: frames counted, rate and duration from decoder timestamps.
fn decoded_video_info(meta: &VideoMeta, decoded: &DecodeTotals) -> VideoInfo {
    let span_ms = match (decoded.first_timestamp_ms, decoded.last_timestamp_ms) {
        (Some(first), Some(last)) => last - first,
        _ => 0.0,
    };
    let period_ms = if decoded.frames_decoded > 1 && span_ms > 0.0 {
        span_ms / f64::from(decoded.frames_decoded - 1)
    } else {
        decoded.nominal_period_ms
    };
    VideoInfo {
        width_px: meta.width,
        height_px: meta.height,
        fps: if period_ms > 0.0 {
            1000.0 / period_ms
        } else {
            meta.header_fps
        },
        frame_count: decoded.frames_decoded,
        header_frame_count: meta.header_frame_count,
        duration_ms: span_ms + period_ms,
        rotation_deg: meta.rotation_deg,
        codec: meta.codec.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_validated() {
        let bad_fps = PoseOptions {
            target_fps: -1.0,
            ..PoseOptions::default()
        };
        assert!(matches!(
            bad_fps.validate(),
            Err(PoseError::InvalidOptions(_))
        ));
        let bad_confidence = PoseOptions {
            min_confidence: 1.5,
            ..PoseOptions::default()
        };
        assert!(matches!(
            bad_confidence.validate(),
            Err(PoseError::InvalidOptions(_))
        ));
        assert!(PoseOptions::default().validate().is_ok());
    }

    /// A model whose detector finds a person only when the frame says it can (first
    /// pixel 2), and which, once it has found them, keeps reading them in the next
    /// frames it is given while they are there (1), as BlazePose follows a region. In a
    /// frame where it loses them (3), the person is there but read by neither.
    struct FollowingModel {
        info: crate::model::ModelInfo,
        /// What the model says of itself (see [`PoseModel::follows_regions`]).
        follows_regions: bool,
    }

    #[derive(Default)]
    struct Followed(bool);

    const NOBODY: u8 = 0;
    const UNDETECTABLE: u8 = 1;
    const DETECTABLE: u8 = 2;
    const LOST: u8 = 3;

    impl FollowingModel {
        fn new(follows_regions: bool) -> Self {
            Self {
                follows_regions,
                info: crate::model::ModelInfo {
                    id: "following".to_owned(),
                    family: "test".to_owned(),
                    schema: fitvision_proto::v1::KeypointSchema::Coco17,
                    keypoint_count: 17,
                    input_width: 32,
                    input_height: 32,
                    dynamic_shape: false,
                    licence: "test".to_owned(),
                    sha256_hex: String::new(),
                },
            }
        }
    }

    impl PoseModel for FollowingModel {
        fn info(&self) -> &crate::model::ModelInfo {
            &self.info
        }

        fn prepare<'f>(
            &self,
            frame: &'f Mat,
            _focus: Option<crate::letterbox::Focus>,
        ) -> Result<crate::model::PreparedInput<'f>, PoseError> {
            let (width, height) = (frame.cols() as u32, frame.rows() as u32);
            Ok(crate::model::PreparedInput {
                tensor: Vec::new(),
                frame: Some(frame),
                letterbox: crate::letterbox::Letterbox::fixed(width, height, width, height),
                frame_width: width,
                frame_height: height,
            })
        }

        fn whole_frame_long_side(&self) -> Option<u32> {
            None
        }

        fn input_stride(&self) -> u32 {
            1
        }

        fn follows_regions(&self) -> bool {
            self.follows_regions
        }

        fn infer(
            &self,
            input: crate::model::PreparedInput<'_>,
            _min_confidence: f32,
            memory: &mut FrameMemory,
        ) -> Result<crate::model::InferenceOutput, PoseError> {
            let frame = input.frame.expect("the frame");
            let code = *frame.at_2d::<fitvision_video::opencv::core::Vec3b>(0, 0)?;
            let followed: &mut Followed = memory.get_or_default();
            followed.0 = code[0] == DETECTABLE || (code[0] == UNDETECTABLE && followed.0);
            // The person fills the middle half of the picture, whatever its size.
            let (w, h) = (frame.cols() as f32, frame.rows() as f32);
            let detections = if followed.0 {
                let keypoint = crate::geometry::PixelKeypoint {
                    x: w / 2.0,
                    y: h / 2.0,
                    score: 0.9,
                };
                vec![Detection {
                    bbox: crate::PixelBox {
                        x1: w / 4.0,
                        y1: h / 4.0,
                        x2: w * 0.75,
                        y2: h * 0.75,
                    },
                    score: 0.9,
                    keypoints: vec![keypoint; 17],
                }]
            } else {
                Vec::new()
            };
            Ok(crate::model::InferenceOutput {
                detections,
                inference_ms: 0.0,
                postprocess_ms: 0.0,
            })
        }

        fn default_confidence(&self) -> f32 {
            0.5
        }
    }

    /// Runs the analysis over frames of `size` whose first pixel is each of `codes`;
    /// returns each output frame's index and track ids.
    fn track_ids(codes: &[u8], size: (i32, i32)) -> Vec<(u32, Vec<u32>)> {
        track_ids_with(&FollowingModel::new(true), codes, size)
    }

    fn track_ids_with(
        model: &FollowingModel,
        codes: &[u8],
        size: (i32, i32),
    ) -> Vec<(u32, Vec<u32>)> {
        pose_frames(model, codes, size)
            .into_iter()
            .map(|frame| {
                let ids = frame.persons.iter().map(|p| p.track_id).collect();
                (frame.frame_index, ids)
            })
            .collect()
    }

    fn pose_frames(model: &FollowingModel, codes: &[u8], size: (i32, i32)) -> Vec<PoseFrame> {
        use fitvision_video::opencv::core::{CV_8UC3, Scalar};
        let mut analysis = Analysis::new(model, &PoseOptions::default());
        let (sender, receiver) = sync_channel(codes.len());
        for (index, &code) in codes.iter().enumerate() {
            let image = Mat::new_rows_cols_with_default(
                size.1,
                size.0,
                CV_8UC3,
                Scalar::all(f64::from(code)),
            )
            .expect("frame");
            let frame = DecodedFrame {
                index: index as u32,
                timestamp_ms: index as f64 * 40.0,
                size: image_size(&image),
                image,
                matches: Vec::new(),
            };
            sender.send(frame).expect("queued");
        }
        drop(sender);
        let meta = VideoMeta {
            width: size.0 as u32,
            height: size.1 as u32,
            rotation_deg: 0,
            header_fps: 25.0,
            header_frame_count: codes.len() as u32,
            codec: String::new(),
        };
        let mut frames = Vec::new();
        analysis
            .consume(receiver, &meta, &mut |event| {
                if let PoseEvent::Frame(frame) = event {
                    frames.push(frame);
                }
                Flow::Continue
            })
            .expect("analysed");
        frames
    }

    #[test]
    fn a_body_tracked_in_part_and_now_read_whole_has_not_vanished() {
        let model = FollowingModel::new(true);
        let mut analysis = Analysis::new(&model, &PoseOptions::default());
        // Tracked a moment ago as the upper body alone.
        let upper_body = crate::PixelBox {
            x1: 500.0,
            y1: 230.0,
            x2: 560.0,
            y2: 290.0,
        };
        analysis.remember_tracked(0.0, std::iter::once(upper_body));
        let found = |x1: f32, y1: f32, x2: f32, y2: f32| Detection {
            bbox: crate::PixelBox { x1, y1, x2, y2 },
            score: 0.9,
            keypoints: Vec::new(),
        };
        // Now read whole: the old box lies inside the new one (IoU 0.03).
        let whole = found(390.0, 60.0, 630.0, 540.0);
        assert!(whole.bbox.iou(&upper_body) < VANISHED_MAX_IOU);
        assert!(!analysis.someone_vanished(&[whole]));
        // A detection over a third of the old box does not account for it; nor does
        // anyone elsewhere.
        assert!(analysis.someone_vanished(&[found(540.0, 60.0, 700.0, 540.0)]));
        assert!(analysis.someone_vanished(&[found(0.0, 0.0, 200.0, 400.0)]));
        assert!(analysis.someone_vanished(&[]));
    }

    #[test]
    fn the_first_person_found_is_followed_back_into_the_opening_frames() {
        const N: u8 = NOBODY;
        const U: u8 = UNDETECTABLE;
        const D: u8 = DETECTABLE;
        let frames = track_ids(&[N, N, U, U, U, D, U, D], (32, 32));
        // Every frame comes out, in order.
        let indices: Vec<u32> = frames.iter().map(|(index, _)| *index).collect();
        assert_eq!(indices, (0..8).collect::<Vec<_>>());
        // Nobody where nobody is; the person from the first frame they are in (the
        // detector found them only in frame 5), under one track.
        assert!(
            frames[..2].iter().all(|(_, ids)| ids.is_empty()),
            "{frames:?}"
        );
        let id = frames[5].1.clone();
        assert_eq!(id.len(), 1, "{frames:?}");
        assert!(frames[2..].iter().all(|(_, ids)| *ids == id), "{frames:?}");
    }

    #[test]
    fn a_video_without_anyone_comes_out_whole_and_empty() {
        let frames = track_ids(&[NOBODY, UNDETECTABLE, NOBODY, UNDETECTABLE], (32, 32));
        assert_eq!(frames.len(), 4);
        assert!(frames.iter().all(|(_, ids)| ids.is_empty()), "{frames:?}");
    }

    #[test]
    fn frames_are_held_smaller_and_only_up_to_the_memory_bound() {
        // 1080p frames are held at 640x360: 36 fit in the hold. The person is there from
        // the first of 41, found by the detector in the last: the 4 oldest were let go
        // unread.
        let mut codes = vec![UNDETECTABLE; 40];
        codes.push(DETECTABLE);
        let frames = pose_frames(&FollowingModel::new(true), &codes, (1920, 1080));
        let with_person: Vec<u32> = frames
            .iter()
            .filter(|frame| !frame.persons.is_empty())
            .map(|frame| frame.frame_index)
            .collect();
        assert_eq!(with_person, (4..41).collect::<Vec<_>>());
        // What was read on the smaller pictures is in the frame's own pixels: the person
        // fills the middle half of the 1920x1080 frame, under one track throughout.
        for frame in &frames[4..] {
            let [person] = frame.persons.as_slice() else {
                panic!("one person in frame {}", frame.frame_index);
            };
            assert_eq!(person.track_id, frames[40].persons[0].track_id);
            let b = person.r#box.expect("a box");
            assert_eq!(
                (b.x_px, b.y_px, b.width_px, b.height_px),
                (480.0, 270.0, 960.0, 540.0),
                "frame {}",
                frame.frame_index
            );
            let nose = &person.keypoints[0];
            assert_eq!((nose.x_px, nose.y_px), (960.0, 540.0));
        }
    }

    #[test]
    fn a_person_lost_mid_video_is_followed_back_from_where_they_are_found_again() {
        const U: u8 = UNDETECTABLE;
        const D: u8 = DETECTABLE;
        let codes = [D, U, LOST, U, U, U, D, U];
        let frames = track_ids(&codes, (32, 32));
        let indices: Vec<u32> = frames.iter().map(|(index, _)| *index).collect();
        assert_eq!(indices, (0..8).collect::<Vec<_>>());
        // Only the frame where the model itself loses them stays empty; the frames
        // after it, which it read only once the detector had found them again, carry
        // the person under the track they had before.
        let id = frames[0].1.clone();
        assert_eq!(id.len(), 1, "{frames:?}");
        assert!(frames[2].1.is_empty(), "{frames:?}");
        for (index, ids) in frames.iter().filter(|(index, _)| *index != 2) {
            assert_eq!(*ids, id, "frame {index}: {frames:?}");
        }

        // A model that reads every frame afresh cannot bring them back: those frames
        // go out as they were found, empty.
        let frames = track_ids_with(&FollowingModel::new(false), &codes, (32, 32));
        let empty: Vec<u32> = frames
            .iter()
            .filter(|(_, ids)| ids.is_empty())
            .map(|(index, _)| *index)
            .collect();
        assert_eq!(empty, vec![2, 3, 4, 5], "{frames:?}");
    }
}
