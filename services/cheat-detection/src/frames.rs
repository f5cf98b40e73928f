//! The one decoding pass over a video. Every frame is decoded once (H.264 cannot skip
//! without decoding), but only cheap work happens per frame: a 64 px grey thumbnail for
//! the duplicate-frame signal, read from the decoded luma plane ([`FrameScanner`]), so
//! most frames are never converted to colour. Heavier work runs on a sparse sample: ORB
//! features + RANSAC homography + colour histograms at ~10 Hz on 320 px greyscale for
//! camera consistency, and a few frames (about one per 1.5 s) kept at detector size for
//! text detection; only these are converted to BGR. Decoding (with the thumbnails and
//! the samples' pictures) runs on a thread of its own, the sampling on the caller's.

use std::path::Path;
use std::sync::mpsc::{SyncSender, sync_channel};

use fitvision_video::opencv::calib3d;
use fitvision_video::opencv::core::{
    self as cv, KeyPoint, Mat, Point2f, Rect, Scalar, Size, Vector,
};
use fitvision_video::opencv::features2d::{ORB, ORB_ScoreType};
use fitvision_video::opencv::imgproc;
use fitvision_video::opencv::prelude::*;
use fitvision_video::{DecodeOptions, FrameScanner, unambiguous_matches};

use crate::checks::camera::CameraPair;
use crate::checks::manipulation::FrameSignal;
use crate::error::CheckError;
use crate::growing::TrackFeed;
use crate::track::Side;

/// What to sample, in time rather than frames so that 24, 30 and 60 fps clips are treated alike.
#[derive(Debug, Clone)]
pub struct SamplingPlan {
    /// Camera-consistency sample period.
    pub camera_interval_ms: f64,
    /// Width of the greyscale image features are computed on.
    pub camera_width_px: i32,
    /// Text-detection sample period (stretched so that at most `text_max_samples` are taken).
    pub text_interval_ms: f64,
    pub text_min_samples: usize,
    pub text_max_samples: usize,
    /// Longest side of the image given to the text detector.
    pub text_max_side_px: i32,
    /// How frames are decoded.
    pub decode: DecodeOptions,
}

impl Default for SamplingPlan {
    fn default() -> Self {
        Self {
            camera_interval_ms: 100.0,
            camera_width_px: 320,
            text_interval_ms: 1500.0,
            text_min_samples: 4,
            text_max_samples: 16,
            text_max_side_px: 640,
            // The signals are read on 64 px thumbnails and 320 px grey pictures, where the
            // deblocking filter's few grey levels at block edges average out. Skipping it,
            // with grey thumbnails from the luma plane and BGR only at the samples, took
            // this pass from 9.4-13.4 ms of CPU per 1080p frame (OpenCV's capture, every
            // frame in BGR) to 7.4-9.4 with FFmpeg's own thread count, 6.2-7.7 on one
            // thread (`decode_cost` example, two 1080p clips). One thread, since decoding
            // has a thread of its own beside the sampling (see `sample_video`); with one
            // thread and the sampling in turn, the check outlasted the pose stage on a
            // lone 1080p clip by 1.5 s, one core idle meanwhile (`e2e_bench`).
            decode: DecodeOptions {
                skip_loop_filter: true,
                decoder_threads: 1,
            },
        }
    }
}

/// A frame kept for text detection, already resized for the detector (BGR).
pub struct TextSample {
    pub frame_index: u32,
    pub timestamp_ms: f64,
    pub image: Mat,
}

/// Everything the checks need from the pixels.
pub struct VideoSamples {
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    pub frame_count: u32,
    pub duration_ms: f64,
    pub signals: Vec<FrameSignal>,
    pub camera_pairs: Vec<CameraPair>,
    pub text_samples: Vec<TextSample>,
}

/// Per-camera-sample state kept until the next sample.
struct CameraFrame {
    frame_index: u32,
    timestamp_ms: f64,
    gray: Mat,
    hist: Mat,
    keypoints: Vector<KeyPoint>,
    descriptors: Mat,
    /// Background mask (people removed) when the people leave enough background.
    background: Option<Mat>,
    uniform: bool,
    /// Mean grey level, to see a global gain change (fade, exposure).
    brightness: f64,
    /// Whether the pose track saw anyone at or just before this frame, and at or just
    /// after it (None without a track): a cut's two sides are judged apart.
    person_seen_before: Option<bool>,
    person_seen_after: Option<bool>,
}

const THUMB_WIDTH: i32 = 64;
/// Grey-level standard deviation under which a frame is one flat colour (fade, blank card).
const UNIFORM_STD: f64 = 6.0;

/// What the decoding thread hands on for one frame: its thumbnail, and the pictures
/// of the samples due at it.
struct FramePictures {
    index: u32,
    timestamp_ms: f64,
    /// Grey, [`thumbnail_size`].
    thumb: Mat,
    /// BGR, [`camera_picture_size`], at a camera sample.
    camera: Option<Mat>,
    /// BGR, the text detector's size, at a text sample.
    text: Option<Mat>,
}

/// Frames decoded ahead of the sampling side: a camera sample waits there for the pose
/// track to reach it while the decoder goes on.
const FRAMES_AHEAD: usize = 8;

/// Decodes `path` once and collects the sampled signals. `track` supplies person boxes
/// so that feature matching looks at the background, not the moving athlete; a track
/// still arriving is waited for only as far as each camera sample needs.
///
/// Decoding runs on a thread of its own with one FFmpeg thread, the sampling (feature
/// matching, the waits for the track) on the caller's: the two overlap, without
/// FFmpeg's frame threads (three on two cores) and their hand-overs, which paid only
/// while the sampling waited on the decoding in turn. The check alone on a 1080x1920
/// 60 fps clip (`cheat-eval`, interleaved with the pass before, three runs each): CPU
/// 4.21 / 4.52 / 4.75 -> 3.38 / 4.06 / 3.79 s, this pass 2.19 / 2.35 / 2.46 -> 1.74 /
/// 2.23 / 2.06 s. Decoding is bit-exact with any thread count: the signals are the same.
pub fn sample_video(
    path: &Path,
    track: TrackFeed<'_>,
    plan: &SamplingPlan,
) -> Result<VideoSamples, CheckError> {
    let scanner = FrameScanner::open(path, plan.decode)?;
    let meta = scanner.meta().clone();
    let person_boxes = PersonBoxes::new(track);

    let mut orb = ORB::create(500, 1.2, 8, 15, 0, 2, ORB_ScoreType::HARRIS_SCORE, 31, 12)?;

    let mut signals = Vec::new();
    let mut camera_pairs = Vec::new();
    let mut text_samples = Vec::new();
    let mut prev_thumb: Option<Mat> = None;
    let mut prev_camera: Option<CameraFrame> = None;
    let mut last_ts = 0.0;
    let mut count = 0u32;

    let (sender, receiver) = sync_channel(FRAMES_AHEAD);
    std::thread::scope(|scope| -> Result<(), CheckError> {
        let decoding = scope.spawn(move || decode_pictures(scanner, plan, sender));
        for pictures in receiver {
            let FramePictures {
                index,
                timestamp_ms,
                thumb,
                camera,
                text,
            } = pictures;
            count += 1;
            last_ts = timestamp_ms;
            let (thumb, thumb_bytes, uniform) = thumbnail(thumb)?;
            let diff_to_prev = match &prev_thumb {
                Some(prev) => Some(mean_abs_diff(prev, &thumb)? as f32),
                None => None,
            };
            signals.push(FrameSignal {
                frame_index: index,
                timestamp_ms,
                diff_to_prev,
                uniform,
                thumb: thumb_bytes,
            });
            prev_thumb = Some(thumb);

            if let Some(picture) = camera {
                let people = person_boxes.around(index, timestamp_ms)?;
                let mut current = camera_frame(
                    picture,
                    index,
                    timestamp_ms,
                    people.boxes,
                    meta.width,
                    &mut orb,
                )?;
                current.person_seen_before = people.seen_before;
                current.person_seen_after = people.seen_after;
                if let Some(prev) = &prev_camera {
                    camera_pairs.push(compare(prev, &current)?);
                }
                prev_camera = Some(current);
            }
            if let Some(image) = text {
                text_samples.push(TextSample {
                    frame_index: index,
                    timestamp_ms,
                    image,
                });
            }
        }
        // The receiver is drained: decoding has ended, with its error if it failed.
        decoding
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })?;
    attach_frame_steps(&mut camera_pairs, &signals);
    let duration_ms = if count >= 2 {
        last_ts * f64::from(count) / f64::from(count - 1)
    } else {
        1000.0 / meta.header_fps.max(1.0)
    };
    let fps = if duration_ms > 0.0 {
        f64::from(count) * 1000.0 / duration_ms
    } else {
        meta.header_fps
    };
    Ok(VideoSamples {
        width: meta.width,
        height: meta.height,
        fps,
        frame_count: count,
        duration_ms,
        signals,
        camera_pairs,
        text_samples,
    })
}

/// The decoding side of [`sample_video`]: every frame's thumbnail, and the camera and
/// text pictures where their samples fall due (in video time), sent in decoding order.
/// Ends early, without error, when the sampling side has gone away.
fn decode_pictures(
    mut scanner: FrameScanner,
    plan: &SamplingPlan,
    sender: SyncSender<FramePictures>,
) -> Result<(), CheckError> {
    let meta = scanner.meta().clone();
    let thumb_size = thumbnail_size(meta.width, meta.height);
    let camera_size = camera_picture_size(meta.width, meta.height, plan.camera_width_px);
    let declared_ms = meta.declared_duration_ms().unwrap_or(10_000.0);
    let text_interval = (declared_ms / plan.text_min_samples as f64)
        .min(plan.text_interval_ms)
        .max(declared_ms / plan.text_max_samples as f64);
    let mut next_camera_ms = 0.0;
    let mut next_text_ms = text_interval * 0.25;
    let mut text_samples = 0;
    while let Some(frame) = scanner.next_frame()? {
        let camera = if frame.timestamp_ms >= next_camera_ms {
            next_camera_ms = frame.timestamp_ms + plan.camera_interval_ms;
            Some(scanner.bgr_shrunk(camera_size)?)
        } else {
            None
        };
        let text = if frame.timestamp_ms >= next_text_ms && text_samples < plan.text_max_samples {
            next_text_ms = frame.timestamp_ms + text_interval;
            text_samples += 1;
            Some(resize_max_side(&scanner.bgr()?, plan.text_max_side_px)?)
        } else {
            None
        };
        let pictures = FramePictures {
            index: frame.index,
            timestamp_ms: frame.timestamp_ms,
            thumb: scanner.gray(thumb_size)?,
            camera,
            text,
        };
        if sender.send(pictures).is_err() {
            break;
        }
    }
    Ok(())
}

/// Frame steps on each side of a step that make up its surroundings.
const STEP_NEIGHBOURS: usize = 4;
/// Thumbnail noise floor (grey levels): a still picture's steps are not taken below it, so
/// that a small step on a perfectly still picture is not a huge ratio.
const STEP_NOISE_FLOOR: f64 = 0.5;

/// Gives each camera pair its sharpest frame step (see `CameraPair::sharpest_step_spike`)
/// from the per-frame thumbnail differences.
fn attach_frame_steps(pairs: &mut [CameraPair], signals: &[FrameSignal]) {
    let diffs: Vec<Option<f64>> = signals
        .iter()
        .map(|s| s.diff_to_prev.map(f64::from))
        .collect();
    for pair in pairs {
        // Steps into the frames after `from_frame` up to and including `to_frame`.
        let lo = signals.partition_point(|s| s.frame_index <= pair.from_frame);
        let hi = signals.partition_point(|s| s.frame_index <= pair.to_frame);
        let sharpest = (lo..hi)
            .filter_map(|k| diffs[k].map(|d| (k, d)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let Some((k, diff)) = sharpest else {
            continue;
        };
        let around: Vec<f64> = (k.saturating_sub(STEP_NEIGHBOURS)
            ..=(k + STEP_NEIGHBOURS).min(diffs.len() - 1))
            .filter(|&j| j != k)
            .filter_map(|j| diffs[j])
            .collect();
        let base = crate::track::median(&around)
            .unwrap_or(0.0)
            .max(STEP_NOISE_FLOOR);
        pair.sharpest_step_diff = diff;
        pair.sharpest_step_spike = diff / base;
    }
}

/// Size of the per-frame thumbnail: 64 px wide, the video's aspect. The scanner samples
/// it linearly (not by area): a few pixels read per output instead of the whole
/// full-resolution frame, and exact repeats still give exactly the same thumbnail.
fn thumbnail_size(width: u32, height: u32) -> Size {
    let h = ((f64::from(height) * f64::from(THUMB_WIDTH) / f64::from(width.max(1))).round() as i32)
        .max(8);
    Size::new(THUMB_WIDTH, h)
}

/// A grey thumbnail as f32 (for differences) and as bytes (kept per frame), and whether
/// the frame is flat.
fn thumbnail(gray: Mat) -> Result<(Mat, Vec<u8>, bool), CheckError> {
    let mut gray_f = Mat::default();
    gray.convert_to_def(&mut gray_f, cv::CV_32F)?;
    let (_, std) = mean_std(&gray)?;
    let bytes = if gray.is_continuous() {
        gray.data_bytes()?.to_vec()
    } else {
        gray.try_clone()?.data_bytes()?.to_vec()
    };
    Ok((gray_f, bytes, std < UNIFORM_STD))
}

fn mean_std(gray: &Mat) -> Result<(f64, f64), CheckError> {
    let mut mean = Mat::default();
    let mut std = Mat::default();
    cv::mean_std_dev_def(gray, &mut mean, &mut std)?;
    Ok((*mean.at::<f64>(0)?, *std.at::<f64>(0)?))
}

fn mean_abs_diff(a: &Mat, b: &Mat) -> Result<f64, CheckError> {
    let mut diff = Mat::default();
    cv::absdiff(a, b, &mut diff)?;
    Ok(cv::mean_def(&diff)?[0])
}

/// `image` scaled so that its longer side is `max_side` px (as the text samples are).
pub fn resize_max_side(image: &Mat, max_side: i32) -> Result<Mat, CheckError> {
    let size = image.size()?;
    let scale = f64::from(max_side) / f64::from(size.width.max(size.height).max(1));
    let target = Size::new(
        ((f64::from(size.width) * scale).round() as i32).max(1),
        ((f64::from(size.height) * scale).round() as i32).max(1),
    );
    let mut out = Mat::default();
    let interp = if scale < 1.0 {
        imgproc::INTER_AREA
    } else {
        imgproc::INTER_LINEAR
    };
    imgproc::resize(image, &mut out, target, 0.0, 0.0, interp)?;
    Ok(out)
}

/// Person boxes per frame index, from the pose track.
struct PersonBoxes<'a> {
    track: TrackFeed<'a>,
}

/// What the pose track tells about the people around one sampled frame.
#[derive(Default)]
struct PeopleAround {
    /// Boxes (x, y, w, h in source pixels) of the people in the analysed frame nearest
    /// to this one (see [`crate::track::BOX_NEAR_MS`]).
    boxes: Vec<(f32, f32, f32, f32)>,
    /// Whether the track saw anyone at or just before / at or just after this frame
    /// (None without a track; see [`crate::track::person_seen_on_side`]).
    seen_before: Option<bool>,
    seen_after: Option<bool>,
}

impl<'a> PersonBoxes<'a> {
    fn new(track: TrackFeed<'a>) -> Self {
        Self { track }
    }

    /// Reads the track as far as the farthest look-up reaches (the side window).
    fn around(&self, frame_index: u32, timestamp_ms: f64) -> Result<PeopleAround, CheckError> {
        let reach_ms = crate::track::SIDE_WINDOW_MS.max(crate::track::BOX_NEAR_MS);
        let people = self.track.read_until(timestamp_ms + reach_ms, |track| {
            let boxes = crate::track::analysed_frame_near(
                track,
                frame_index,
                timestamp_ms,
                crate::track::BOX_NEAR_MS,
            )
            .map(|f| {
                f.persons
                    .iter()
                    .filter_map(|p| p.r#box.as_ref())
                    .map(|b| (b.x_px, b.y_px, b.width_px, b.height_px))
                    .collect()
            })
            .unwrap_or_default();
            PeopleAround {
                boxes,
                seen_before: crate::track::person_seen_on_side(
                    track,
                    frame_index,
                    timestamp_ms,
                    Side::AtOrBefore,
                ),
                seen_after: crate::track::person_seen_on_side(
                    track,
                    frame_index,
                    timestamp_ms,
                    Side::AtOrAfter,
                ),
            }
        })?;
        Ok(people.unwrap_or_default())
    }
}

/// Size of a camera sample's picture: `width` wide, the frame's aspect kept.
fn camera_picture_size(frame_width: u32, frame_height: u32, width: i32) -> Size {
    let height =
        (f64::from(frame_height) * f64::from(width) / f64::from(frame_width.max(1))).round() as i32;
    Size::new(width, height.max(8))
}

/// The camera sample of one frame from its picture `small` (BGR, see
/// [`camera_picture_size`]); `boxes` are the people in source pixels.
fn camera_frame(
    small: Mat,
    frame_index: u32,
    timestamp_ms: f64,
    boxes: Vec<(f32, f32, f32, f32)>,
    source_width: u32,
    orb: &mut cv::Ptr<ORB>,
) -> Result<CameraFrame, CheckError> {
    let width = small.cols();
    let mut gray = Mat::default();
    imgproc::cvt_color_def(&small, &mut gray, imgproc::COLOR_BGR2GRAY)?;
    let (brightness, std) = mean_std(&gray)?;

    // Hue-saturation histogram: robust to the athlete moving, sensitive to a new place.
    let mut hsv = Mat::default();
    imgproc::cvt_color_def(&small, &mut hsv, imgproc::COLOR_BGR2HSV)?;
    let mut hist = Mat::default();
    let images: Vector<Mat> = Vector::from_iter([hsv]);
    imgproc::calc_hist(
        &images,
        &Vector::from_slice(&[0, 1]),
        &cv::no_array(),
        &mut hist,
        &Vector::from_slice(&[30, 32]),
        &Vector::from_slice(&[0.0f32, 180.0, 0.0, 256.0]),
        false,
    )?;
    let mut hist_norm = Mat::default();
    cv::normalize(
        &hist,
        &mut hist_norm,
        1.0,
        0.0,
        cv::NORM_L1,
        -1,
        &cv::no_array(),
    )?;

    // Mask out the people so features describe the background (the camera), unless the
    // people cover most of the frame.
    let size = gray.size()?;
    let scale = f64::from(width) / f64::from(source_width.max(1));
    let mut mask = Mat::new_size_with_default(size, cv::CV_8UC1, Scalar::all(255.0))?;
    let mut covered = 0.0;
    for (x, y, w, h) in boxes {
        let r = Rect::new(
            (f64::from(x) * scale) as i32,
            (f64::from(y) * scale) as i32,
            (f64::from(w) * scale).ceil() as i32,
            (f64::from(h) * scale).ceil() as i32,
        );
        let r = r & Rect::new(0, 0, size.width, size.height);
        covered += f64::from(r.area());
        imgproc::rectangle(&mut mask, r, Scalar::all(0.0), -1, imgproc::LINE_8, 0)?;
    }
    let use_mask = covered < 0.6 * f64::from(size.area());
    let mut keypoints = Vector::<KeyPoint>::new();
    let mut descriptors = Mat::default();
    if use_mask {
        orb.detect_and_compute(&gray, &mask, &mut keypoints, &mut descriptors, false)?;
    } else {
        orb.detect_and_compute(
            &gray,
            &cv::no_array(),
            &mut keypoints,
            &mut descriptors,
            false,
        )?;
    }
    Ok(CameraFrame {
        frame_index,
        timestamp_ms,
        gray,
        hist: hist_norm,
        keypoints,
        descriptors,
        background: use_mask.then_some(mask),
        uniform: std < UNIFORM_STD,
        brightness,
        person_seen_before: None,
        person_seen_after: None,
    })
}

/// Geometric and photometric relation between two camera samples.
fn compare(a: &CameraFrame, b: &CameraFrame) -> Result<CameraPair, CheckError> {
    let hist_distance = imgproc::compare_hist(&a.hist, &b.hist, imgproc::HISTCMP_BHATTACHARYYA)?;
    // Grey change of the background only: an athlete swinging their arms changes many
    // pixels without any change of camera.
    let gray_diff = {
        let mut diff = Mat::default();
        cv::absdiff(&a.gray, &b.gray, &mut diff)?;
        let both = match (&a.background, &b.background) {
            (Some(ma), Some(mb)) => {
                let mut m = Mat::default();
                cv::bitwise_and(ma, mb, &mut m, &cv::no_array())?;
                let enough =
                    f64::from(cv::count_non_zero(&m)?) >= 0.2 * f64::from(m.size()?.area());
                enough.then_some(m)
            }
            _ => None,
        };
        match both {
            Some(mask) => cv::mean(&diff, &mask)?[0],
            None => cv::mean_def(&diff)?[0],
        }
    };
    let mut good = 0usize;
    let mut inliers = 0usize;
    let mut shift_px = 0.0;
    let (mut shift_x, mut shift_y) = (0.0, 0.0);
    let mut zoom = 1.0;
    if a.descriptors.rows() >= 8 && b.descriptors.rows() >= 8 {
        let mut src = Vector::<Point2f>::new();
        let mut dst = Vector::<Point2f>::new();
        for pair in unambiguous_matches(&a.descriptors, &b.descriptors)? {
            src.push(a.keypoints.get(pair.query)?.pt());
            dst.push(b.keypoints.get(pair.train)?.pt());
        }
        good = src.len();
        if good >= 8 {
            let mut inlier_mask = Mat::default();
            // Similarity (shift, rotation, zoom) rather than a full homography: a camera that
            // pans, tilts, zooms or shakes is explained by it; a different shot is not.
            let model = calib3d::estimate_affine_partial_2d(
                &src,
                &dst,
                &mut inlier_mask,
                calib3d::RANSAC,
                3.0,
                2000,
                0.99,
                10,
            )?;
            if !model.empty() {
                inliers = cv::count_non_zero(&inlier_mask)? as usize;
                let (m00, m10) = (*model.at_2d::<f64>(0, 0)?, *model.at_2d::<f64>(1, 0)?);
                let (tx, ty) = (*model.at_2d::<f64>(0, 2)?, *model.at_2d::<f64>(1, 2)?);
                zoom = (m00 * m00 + m10 * m10).sqrt();
                shift_px = (tx * tx + ty * ty).sqrt();
                let size = a.gray.size()?;
                shift_x = tx / f64::from(size.width.max(1));
                shift_y = ty / f64::from(size.height.max(1));
            }
        }
    }
    Ok(CameraPair {
        from_frame: a.frame_index,
        from_ms: a.timestamp_ms,
        to_frame: b.frame_index,
        to_ms: b.timestamp_ms,
        keypoints: a.keypoints.len().min(b.keypoints.len()),
        good_matches: good,
        inliers,
        shift_px,
        shift_x,
        shift_y,
        zoom,
        hist_distance,
        gray_diff,
        either_uniform: a.uniform || b.uniform,
        structure_corr: structure_correlation(&a.gray, &b.gray)?,
        gain: (b.brightness.max(1.0) / a.brightness.max(1.0))
            .max(a.brightness.max(1.0) / b.brightness.max(1.0)),
        background_visible: a.background.is_some() && b.background.is_some(),
        athlete_on_both_sides: a.person_seen_before != Some(false)
            && b.person_seen_after != Some(false),
        // Filled in by `attach_frame_steps` once the frames in between are known.
        sharpest_step_diff: 0.0,
        sharpest_step_spike: 0.0,
    })
}

/// Normalised cross-correlation of two same-size grey images (gain/offset invariant).
fn structure_correlation(a: &Mat, b: &Mat) -> Result<f64, CheckError> {
    if a.size()? != b.size()? || a.empty() {
        return Ok(0.0);
    }
    let mut result = Mat::default();
    imgproc::match_template_def(a, b, &mut result, imgproc::TM_CCOEFF_NORMED)?;
    let value = f64::from(*result.at_2d::<f32>(0, 0)?);
    Ok(if value.is_finite() { value } else { 0.0 })
}
