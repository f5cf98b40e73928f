//! text_overlay: text drawn onto the video. Detected text regions on sampled frames are
//! grouped by position across samples:
//! - a region at the same place in most samples is an overlay (logo, watermark, title);
//!   if its pixels change between samples it is a live counter or timer, the overlay that
//!   fakes results;
//! - large text that comes and goes is captions (edited social clips);
//! - small text that moves or comes and goes is part of the scene (posters, plates).

use fitvision_video::opencv::core::{self as cv, Mat, Rect};
use fitvision_video::opencv::imgproc;
use fitvision_video::opencv::prelude::*;

use super::camera::CameraPath;
use super::{CheckOutcome, TEXT_OVERLAY, evidence};
use crate::error::CheckError;
use crate::ocr::TextBox;

/// Text found on one sampled frame.
pub struct TextObservation {
    pub frame_index: u32,
    pub timestamp_ms: f64,
    /// Greyscale frame at detector size, to compare what the text shows across samples.
    pub gray: Mat,
    pub boxes: Vec<TextBox>,
    /// Whether the pose track saw anyone in this frame (None without a track). Text on a
    /// frame without the athlete (a title card, an outro) says nothing about the set.
    pub athlete_seen: Option<bool>,
    /// The limbs of the people the pose track saw in the analysed frame nearest this one
    /// (None without a track or such a frame): what may hide text behind them.
    pub limbs: Option<Vec<Limb>>,
}

/// A body's limb (or a line across its torso) as a segment between two joints, in frame
/// shares (0..1) like [`TextBox`].
pub type Limb = ((f32, f32), (f32, f32));

#[derive(Debug, Clone)]
pub struct TextParams {
    /// Boxes of the same overlay overlap at least this much across samples.
    pub same_place_iou: f32,
    /// A region present in at least this share of samples is an overlay.
    pub static_presence: f64,
    /// Mean grey difference inside one character-wide strip of an overlay between two
    /// samples above which it shows something different (a counter ticked) ...
    pub changed_mean_diff: f64,
    /// ... when that is also this many times the change of the picture around the overlay.
    pub changed_over_surroundings: f64,
    /// Share of an overlay's sample pairs that must differ for it to be a live counter.
    pub changing_share: f64,
    /// Text at least this tall (share of frame height) and wide is a caption, not scenery.
    pub caption_min_height: f32,
    pub caption_min_width: f32,
    /// ... and a caption is a line of words: its box is at least this many times as wide
    /// as tall in pixels. A Latin glyph is about 0.5-0.7 of the line height wide, so a
    /// box this narrow holds one character at most, which is a counter's digit (judged as
    /// an overlay) or no text at all: a dark shirt that fills a small portrait frame
    /// reads as a square "line" (measured 0.9-1.0, against 1.9-4.9 for the captions
    /// and titles of the shared clips and the tamper set's text).
    pub caption_min_aspect: f32,
    /// Share of samples with captions that is flagged (60) ... and scores 100 ...
    pub caption_share_flag: f64,
    pub caption_share_full: f64,
    /// ... counted only when captions are seen on at least this many samples (one
    /// detection on a short clip's four samples is not a pattern).
    pub caption_min_samples: usize,
    /// Text whose box reaches this close (share of the frame) to a frame border in most of
    /// its appearances is cut off by the framing: a clock or sign on the wall. Editors place
    /// overlays inside the frame with a margin.
    pub border_margin: f32,
    /// Camera displacement (fraction of the frame) between two samples that is enough to
    /// see whether a text region follows the scene or stays on the screen.
    pub camera_moved: f64,
}

impl Default for TextParams {
    fn default() -> Self {
        Self {
            same_place_iou: 0.4,
            static_presence: 0.5,
            changed_mean_diff: 25.0,
            changed_over_surroundings: 2.0,
            changing_share: 0.25,
            caption_min_height: 0.03,
            caption_min_width: 0.12,
            caption_min_aspect: 1.2,
            caption_share_flag: 0.25,
            caption_share_full: 0.75,
            caption_min_samples: 2,
            camera_moved: 0.02,
            border_margin: 0.005,
        }
    }
}

/// Scores by finding (documented so that tenants know what "text" costs):
/// - a live counter/timer (an overlay whose text changes in place) fakes or frames results: 90;
/// - captions (large text that comes and goes) mark an edited clip: 60-100 by share;
/// - a static logo, watermark or title cannot count anything and is common on honest
///   uploads: 20, reported but not flagged, so that alone (12 after the 0.6 weight) or with
///   one honest zoom change it does not block;
/// - scene text (signs, shirts, plates): 15.
const LIVE_COUNTER_SCORE: f64 = 90.0;
const STATIC_OVERLAY_SCORE: f64 = 20.0;
const SCENE_TEXT_SCORE: f64 = 15.0;
/// - text on cards without the athlete (title, intro, outro): 10.
const CARD_TEXT_SCORE: f64 = 10.0;

/// A region tracked across samples: (sample index, box) members.
struct Region {
    members: Vec<(usize, TextBox)>,
}

impl Region {
    fn anchor(&self) -> &TextBox {
        &self.members[0].1
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RegionKind {
    Overlay,
    Scene,
    Transient,
}

/// Whether a region stays put on the screen while the camera moves (an overlay), follows
/// the scene (scene text), or cannot be told (camera still): votes over its appearances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchoring {
    Screen,
    Scene,
    Unknown,
}

fn anchoring(
    samples: &[&TextObservation],
    region: &Region,
    camera: &CameraPath,
    p: &TextParams,
) -> Anchoring {
    let (mut screen, mut scene) = (0, 0);
    for w in region.members.windows(2) {
        let (a, b) = (&w[0].1, &w[1].1);
        let Some((cx, cy)) =
            camera.displacement(samples[w[0].0].frame_index, samples[w[1].0].frame_index)
        else {
            continue;
        };
        if cx.hypot(cy) < p.camera_moved {
            continue;
        }
        let tx = f64::from((b.x + b.w / 2.0) - (a.x + a.w / 2.0));
        let ty = f64::from((b.y + b.h / 2.0) - (a.y + a.h / 2.0));
        // Closer to "moved with the scene" than to "stayed on the screen"?
        if (tx - cx).hypot(ty - cy) < tx.hypot(ty) {
            scene += 1;
        } else {
            screen += 1;
        }
    }
    match (screen, scene) {
        (0, 0) => Anchoring::Unknown,
        (a, b) if b > a => Anchoring::Scene,
        _ => Anchoring::Screen,
    }
}

/// Why a region the detector read in some samples only is missing from the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Absences {
    /// Its text was there all along: in each sample it is missing from, its place shows
    /// what it showed where it was read (small text near the detector's limit is read in
    /// one sample and not the next), or a body in front of it hid it (text behind the
    /// athlete, a label on the rack behind a pull-up, comes and goes as their legs pass).
    Stayed,
    /// It was gone from the picture at least once: it comes and goes.
    Gone,
}

/// Whether the region's text stayed in the picture while the detector missed it, sample
/// by sample (see [`Absences`]). A caption is drawn over the picture: when it goes its
/// place shows something else, and no body hides it, so a region read while a limb
/// crosses it is never taken as hidden by a body.
fn absences(samples: &[&TextObservation], region: &Region) -> Result<Absences, CheckError> {
    let Some(place) = region
        .members
        .iter()
        .map(|(_, b)| *b)
        .reduce(|a, b| a.union(&b))
    else {
        return Ok(Absences::Gone);
    };
    let crosses = |sample: &TextObservation, b: &TextBox| {
        sample
            .limbs
            .as_ref()
            .is_some_and(|limbs| limbs.iter().any(|limb| b.crossed_by(*limb)))
    };
    let behind_people = !region
        .members
        .iter()
        .any(|(s, seen)| crosses(samples[*s], seen));
    for (s, sample) in samples.iter().enumerate() {
        if region.members.iter().any(|(member, _)| *member == s) {
            continue;
        }
        if shows_the_text(samples, region, &place, s)? {
            continue;
        }
        if behind_people && crosses(sample, &place) {
            continue;
        }
        return Ok(Absences::Gone);
    }
    Ok(Absences::Stayed)
}

/// Whether sample `s` shows at the region's `place` the same shape as a sample where the
/// region was read (see [`structure_corr`]).
fn shows_the_text(
    samples: &[&TextObservation],
    region: &Region,
    place: &TextBox,
    s: usize,
) -> Result<bool, CheckError> {
    let gray = &samples[s].gray;
    let size = gray.size()?;
    let rect = Rect::new(
        (place.x * size.width as f32) as i32,
        (place.y * size.height as f32) as i32,
        ((place.w * size.width as f32).ceil() as i32).max(1),
        ((place.h * size.height as f32).ceil() as i32).max(1),
    ) & Rect::new(0, 0, size.width, size.height);
    if rect.area() == 0 {
        return Ok(false);
    }
    for (member, _) in &region.members {
        let read = &samples[*member].gray;
        if read.size()? == size && structure_corr(gray, read, rect)? >= REDRAWN_MAX_CORR {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether the region touches a frame border in most appearances (see `border_margin`).
fn clipped_by_frame(region: &Region, p: &TextParams) -> bool {
    let m = p.border_margin;
    let touching = region
        .members
        .iter()
        .filter(|(_, b)| b.x <= m || b.y <= m || b.x + b.w >= 1.0 - m || b.y + b.h >= 1.0 - m)
        .count();
    2 * touching > region.members.len()
}

pub fn check(
    samples: &[TextObservation],
    camera: &CameraPath,
    p: &TextParams,
) -> Result<CheckOutcome, CheckError> {
    if samples.is_empty() {
        return Ok(CheckOutcome::not_assessed(
            TEXT_OVERLAY,
            "no frames sampled for text",
        ));
    }
    // Cards without the athlete (title, intro, outro) are edits around the set: their text
    // is reported, not judged as an overlay on the performance.
    let card_text = samples
        .iter()
        .filter(|s| s.athlete_seen == Some(false) && !s.boxes.is_empty())
        .count();
    let samples: Vec<&TextObservation> = samples
        .iter()
        .filter(|s| s.athlete_seen != Some(false))
        .collect();
    let samples = samples.as_slice();
    let n = samples.len();
    let mut regions: Vec<Region> = Vec::new();
    for (s, sample) in samples.iter().enumerate() {
        for b in &sample.boxes {
            let found = regions.iter_mut().find(|r| {
                r.members
                    .last()
                    .is_some_and(|m| m.0 != s && m.1.iou(b) >= p.same_place_iou)
            });
            match found {
                Some(r) => r.members.push((s, *b)),
                None => regions.push(Region {
                    members: vec![(s, *b)],
                }),
            }
        }
    }
    // Each region is an overlay (same place in most samples and not moving with the
    // scene), scene text (follows the camera), or transient (comes and goes).
    // Text read in a few samples only whose text stayed in the picture meanwhile (see
    // [`Absences`]) does not come and go: text that a body hides is behind the people,
    // and text read now and then at a place that keeps showing it is small or faint,
    // near the detector's limit, as scene text is (an app's counter or caption is drawn
    // to be read, and is read in most samples). Neither is judged as an edit.
    let kinds: Vec<RegionKind> = regions
        .iter()
        .map(|r| {
            let anchor = anchoring(samples, r, camera, p);
            if anchor == Anchoring::Scene || clipped_by_frame(r, p) {
                return Ok(RegionKind::Scene);
            }
            if n < 3 {
                return Ok(RegionKind::Transient);
            }
            if r.members.len() as f64 / n as f64 >= p.static_presence {
                return Ok(RegionKind::Overlay);
            }
            Ok(match absences(samples, r)? {
                Absences::Stayed => RegionKind::Scene,
                Absences::Gone => RegionKind::Transient,
            })
        })
        .collect::<Result<_, CheckError>>()?;
    let of_kind = |k: RegionKind| {
        regions
            .iter()
            .zip(&kinds)
            .filter(move |(_, kind)| **kind == k)
            .map(|(r, _)| r)
    };

    let mut live = Vec::new();
    let mut overlays = Vec::new();
    for r in of_kind(RegionKind::Overlay) {
        let share = changed_share(samples, r, p)?;
        if share >= p.changing_share {
            live.push((r, share))
        } else {
            overlays.push(r)
        }
    }
    let is_caption = |s: usize, b: &TextBox| {
        let gray = &samples[s].gray;
        let frame_aspect = gray.cols() as f32 / gray.rows().max(1) as f32;
        b.h >= p.caption_min_height
            && b.w >= p.caption_min_width
            && b.w * frame_aspect >= p.caption_min_aspect * b.h
    };
    let caption_samples: Vec<usize> = (0..n)
        .filter(|&s| {
            of_kind(RegionKind::Transient)
                .any(|r| r.members.iter().any(|(ms, b)| *ms == s && is_caption(s, b)))
        })
        .collect();
    let caption_share = caption_samples.len() as f64 / n as f64;
    let scene_text = kinds.iter().any(|k| *k != RegionKind::Overlay);

    let caption_score = if n >= 3
        && caption_samples.len() >= p.caption_min_samples
        && caption_share >= p.caption_share_flag
    {
        60.0 + 40.0
            * ((caption_share - p.caption_share_flag)
                / (p.caption_share_full - p.caption_share_flag))
                .min(1.0)
    } else {
        0.0
    };
    let score = [
        if card_text > 0 { CARD_TEXT_SCORE } else { 0.0 },
        if live.is_empty() {
            0.0
        } else {
            LIVE_COUNTER_SCORE
        },
        caption_score,
        if overlays.is_empty() {
            0.0
        } else {
            STATIC_OVERLAY_SCORE
        },
        if scene_text { SCENE_TEXT_SCORE } else { 0.0 },
    ]
    .into_iter()
    .fold(0.0, f64::max);

    let span = |r: &Region, what: String| {
        let (a, b) = (
            &samples[r.members[0].0],
            &samples[r.members[r.members.len() - 1].0],
        );
        let bx = r.anchor();
        evidence(
            (a.frame_index, a.timestamp_ms),
            (b.frame_index, b.timestamp_ms),
            format!(
                "{what} at x={:.0}% y={:.0}% ({:.0}x{:.0}% of frame), in {}/{n} samples",
                bx.x * 100.0,
                bx.y * 100.0,
                bx.w * 100.0,
                bx.h * 100.0,
                r.members.len()
            ),
        )
    };
    let mut ev = Vec::new();
    ev.extend(live.iter().map(|(r, share)| {
        span(
            r,
            format!(
                "overlay whose content changes ({:.0}% of samples)",
                share * 100.0
            ),
        )
    }));
    ev.extend(
        overlays
            .iter()
            .map(|r| span(r, "static overlay (logo/watermark/title)".into())),
    );
    if let (Some(&first), Some(&last)) = (caption_samples.first(), caption_samples.last()) {
        ev.push(evidence(
            (samples[first].frame_index, samples[first].timestamp_ms),
            (samples[last].frame_index, samples[last].timestamp_ms),
            format!("captions in {}/{n} samples", caption_samples.len()),
        ));
    }

    let mut parts = Vec::new();
    if !live.is_empty() {
        parts.push(format!(
            "{} overlay(s) whose text changes in place (counter/timer)",
            live.len()
        ));
    }
    if caption_score > 0.0 {
        parts.push(format!(
            "captions on {:.0}% of sampled frames",
            caption_share * 100.0
        ));
    }
    if !overlays.is_empty() {
        parts.push(format!(
            "{} static overlay(s) (logo/watermark/title)",
            overlays.len()
        ));
    }
    if parts.is_empty() && scene_text {
        parts.push("only scene text (moves with the scene or appears briefly)".into());
    }
    if card_text > 0 {
        parts.push(format!(
            "text on {card_text} sampled frame(s) without the athlete (title card, intro, outro): not judged"
        ));
    }
    let reason = if parts.is_empty() {
        "no text".to_string()
    } else {
        parts.join("; ")
    };
    Ok(CheckOutcome::new(TEXT_OVERLAY, score, reason, ev))
}

/// Share of consecutive appearances of a static region whose text changed in place.
///
/// A counter or timer changes a few characters while the rest of the overlay stays put
/// ("REPS 3" -> "REPS 4"), so the region is compared strip by strip (each about one
/// character wide): the text changed when some strip changed by `changed_mean_diff` and
/// clearly more than the picture around the region did (a scene moving behind a logo
/// changes the surroundings as much as the logo's box).
fn changed_share(
    samples: &[&TextObservation],
    region: &Region,
    p: &TextParams,
) -> Result<f64, CheckError> {
    let b = region.anchor();
    let mut changed = 0usize;
    let mut pairs = 0usize;
    for w in region.members.windows(2) {
        let (a, c) = (&samples[w[0].0].gray, &samples[w[1].0].gray);
        if a.size()? != c.size()? {
            continue;
        }
        let size = a.size()?;
        let frame = Rect::new(0, 0, size.width, size.height);
        let rect = Rect::new(
            (b.x * size.width as f32) as i32,
            (b.y * size.height as f32) as i32,
            ((b.w * size.width as f32).ceil() as i32).max(1),
            ((b.h * size.height as f32).ceil() as i32).max(1),
        ) & frame;
        if rect.area() == 0 {
            continue;
        }
        pairs += 1;
        let strip_width = (rect.height * 2 / 3).max(2);
        let mut strongest: f64 = 0.0;
        let mut x = rect.x;
        while x < rect.x + rect.width {
            let strip = Rect::new(
                x,
                rect.y,
                strip_width.min(rect.x + rect.width - x),
                rect.height,
            );
            // A fade or an exposure change scales the text's contrast but keeps its shape;
            // a counter that ticks changes the shape of one character.
            if structure_corr(a, c, strip)? < REDRAWN_MAX_CORR {
                strongest = strongest.max(mean_abs_diff(a, c, strip)?);
            }
            x += strip_width;
        }
        // The surroundings: a band of one box height around the region, minus the region.
        let ring = Rect::new(
            rect.x - rect.height,
            rect.y - rect.height,
            rect.width + 2 * rect.height,
            3 * rect.height,
        ) & frame;
        let ring_sum = mean_abs_diff(a, c, ring)? * f64::from(ring.area());
        let own_sum = mean_abs_diff(a, c, rect)? * f64::from(rect.area());
        let around_area = f64::from(ring.area() - rect.area());
        let around = if around_area > 0.0 {
            ((ring_sum - own_sum) / around_area).max(0.0)
        } else {
            0.0
        };
        if strongest >= p.changed_mean_diff && strongest >= p.changed_over_surroundings * around {
            changed += 1;
        }
    }
    Ok(if pairs == 0 {
        0.0
    } else {
        changed as f64 / pairs as f64
    })
}

/// Correlation of two strips' shapes (gain and offset removed) under which the strip was
/// redrawn rather than faded or re-exposed.
const REDRAWN_MAX_CORR: f64 = 0.8;

/// Normalised cross-correlation of the same rectangle in two frames: 1 for the same shape
/// at any contrast; two flat strips have the same (no) shape, one flat and one not none.
fn structure_corr(a: &Mat, b: &Mat, rect: Rect) -> Result<f64, CheckError> {
    if rect.area() == 0 {
        return Ok(1.0);
    }
    let (ra, rb) = (Mat::roi(a, rect)?, Mat::roi(b, rect)?);
    fn flat(m: &impl cv::ToInputArray) -> Result<bool, CheckError> {
        let mut mean = Mat::default();
        let mut std = Mat::default();
        cv::mean_std_dev_def(m, &mut mean, &mut std)?;
        Ok(*std.at::<f64>(0)? < 1.0)
    }
    match (flat(&ra)?, flat(&rb)?) {
        (true, true) => return Ok(1.0),
        (true, false) | (false, true) => return Ok(0.0),
        (false, false) => {}
    }
    let mut result = Mat::default();
    imgproc::match_template_def(&ra, &rb, &mut result, imgproc::TM_CCOEFF_NORMED)?;
    let value = f64::from(*result.at_2d::<f32>(0, 0)?);
    Ok(if value.is_finite() { value } else { 0.0 })
}

fn mean_abs_diff(a: &Mat, b: &Mat, rect: Rect) -> Result<f64, CheckError> {
    if rect.area() == 0 {
        return Ok(0.0);
    }
    let (ra, rb) = (Mat::roi(a, rect)?, Mat::roi(b, rect)?);
    let mut diff = Mat::default();
    cv::absdiff(&ra, &rb, &mut diff)?;
    Ok(cv::mean_def(&diff)?[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use fitvision_video::opencv::core::Scalar;
    use fitvision_video::opencv::imgproc;

    fn frame(i: u32, boxes: Vec<TextBox>, digit_value: Option<u8>) -> TextObservation {
        let mut gray =
            Mat::new_rows_cols_with_default(100, 200, cv::CV_8UC1, Scalar::all(90.0)).unwrap();
        if let Some(v) = digit_value {
            // A "counter" region at (10..50, 10..30) whose brightness encodes its value.
            imgproc::rectangle(
                &mut gray,
                Rect::new(10, 10, 40, 20),
                Scalar::all(f64::from(v)),
                -1,
                imgproc::LINE_8,
                0,
            )
            .unwrap();
        }
        TextObservation {
            frame_index: i * 30,
            timestamp_ms: f64::from(i) * 1000.0,
            gray,
            boxes,
            athlete_seen: None,
            limbs: None,
        }
    }

    fn bx(x: f32, y: f32, w: f32, h: f32) -> TextBox {
        TextBox {
            x,
            y,
            w,
            h,
            score: 0.9,
        }
    }

    #[test]
    fn no_text_scores_zero() {
        let s: Vec<_> = (0..6).map(|i| frame(i, vec![], None)).collect();
        let out = check(&s, &CameraPath::default(), &TextParams::default()).unwrap();
        assert_eq!(out.score, 0.0);
        assert_eq!(out.reason, "no text");
    }

    #[test]
    fn static_logo_is_reported_but_not_flagged() {
        let s: Vec<_> = (0..6)
            .map(|i| frame(i, vec![bx(0.7, 0.9, 0.25, 0.05)], None))
            .collect();
        let out = check(&s, &CameraPath::default(), &TextParams::default()).unwrap();
        assert_eq!(out.score, STATIC_OVERLAY_SCORE);
        assert!(!out.flagged);
        assert!(out.reason.contains("static overlay"), "{}", out.reason);
        assert_eq!(out.evidence[0].start_frame_index, 0);
        assert_eq!(out.evidence[0].end_frame_index, 150);
    }

    #[test]
    fn overlay_that_changes_is_a_live_counter() {
        // The region (10..50, 10..30) shows a "1" (a vertical stroke) and a "7" (a top bar
        // and a slanted stroke) in turn.
        let s: Vec<_> = (0..6)
            .map(|i| {
                let mut f = frame(i, vec![bx(0.05, 0.1, 0.2, 0.2)], None);
                let strokes: &[Rect] = if i % 2 == 0 {
                    &[Rect::new(28, 11, 4, 18)]
                } else {
                    &[Rect::new(14, 11, 30, 4), Rect::new(36, 15, 4, 14)]
                };
                for r in strokes {
                    imgproc::rectangle(&mut f.gray, *r, Scalar::all(250.0), -1, imgproc::LINE_8, 0)
                        .unwrap();
                }
                f
            })
            .collect();
        let out = check(&s, &CameraPath::default(), &TextParams::default()).unwrap();
        assert_eq!(out.score, LIVE_COUNTER_SCORE, "{}", out.reason);
        assert!(out.reason.contains("counter"), "{}", out.reason);
    }

    /// A 200x100 frame of `background` with a "text" box at (20..100, 10..30): bright
    /// static glyph blocks plus one last character-sized cell whose value is `last_cell`.
    fn counter_frame(i: u32, background: f64, last_cell: f64) -> TextObservation {
        let mut gray =
            Mat::new_rows_cols_with_default(100, 200, cv::CV_8UC1, Scalar::all(background))
                .unwrap();
        for k in 0..4 {
            imgproc::rectangle(
                &mut gray,
                Rect::new(22 + 16 * k, 12, 10, 16),
                Scalar::all(250.0),
                -1,
                imgproc::LINE_8,
                0,
            )
            .unwrap();
        }
        imgproc::rectangle(
            &mut gray,
            Rect::new(88, 12, 10, 16),
            Scalar::all(last_cell),
            -1,
            imgproc::LINE_8,
            0,
        )
        .unwrap();
        TextObservation {
            frame_index: i * 30,
            timestamp_ms: f64::from(i) * 1000.0,
            gray,
            boxes: vec![bx(0.1, 0.1, 0.4, 0.2)],
            athlete_seen: None,
            limbs: None,
        }
    }

    #[test]
    fn one_changing_character_in_a_static_overlay_is_a_live_counter() {
        // "REPS n": four characters stay, the last one changes between samples.
        let s: Vec<_> = (0..6)
            .map(|i| counter_frame(i, 60.0, if i % 2 == 0 { 250.0 } else { 60.0 }))
            .collect();
        let out = check(&s, &CameraPath::default(), &TextParams::default()).unwrap();
        assert_eq!(out.score, LIVE_COUNTER_SCORE, "{}", out.reason);
        // The same overlay unchanged while the whole picture behind it brightens and darkens
        // (the scene moving, a light): the surroundings change as much, so it is static.
        let s: Vec<_> = (0..6)
            .map(|i| {
                let bg = if i % 2 == 0 { 40.0 } else { 120.0 };
                counter_frame(i, bg, 250.0)
            })
            .collect();
        let out = check(&s, &CameraPath::default(), &TextParams::default()).unwrap();
        assert_eq!(out.score, STATIC_OVERLAY_SCORE, "{}", out.reason);
    }

    #[test]
    fn large_text_that_comes_and_goes_is_captions() {
        // Captions at changing places in 4 of 6 samples.
        let s: Vec<_> = (0..6)
            .map(|i| {
                let boxes = if i < 4 {
                    vec![bx(0.1, 0.1 * i as f32 + 0.3, 0.6, 0.08)]
                } else {
                    vec![]
                };
                with_glyphs(frame(i, boxes, None))
            })
            .collect();
        let out = check(&s, &CameraPath::default(), &TextParams::default()).unwrap();
        // share 4/6 = 0.667 -> 60 + 40 * (0.667 - 0.25) / 0.5 = 93.3
        assert!(
            (out.score - (60.0 + 40.0 * (4.0 / 6.0 - 0.25) / 0.5)).abs() < 1e-6,
            "{}",
            out.score
        );
    }

    /// Draws glyph-like bright blocks inside each of the frame's text boxes (the
    /// detector's boxes hold text: where it goes, its place shows something else).
    fn with_glyphs(mut f: TextObservation) -> TextObservation {
        let (w, h) = (f.gray.cols() as f32, f.gray.rows() as f32);
        for b in f.boxes.clone() {
            let (x0, y0, bw, bh) = (b.x * w, b.y * h, b.w * w, b.h * h);
            let glyph = (bh * 0.6).max(2.0);
            let mut x = x0 + bh * 0.2;
            let mut k = 0;
            while x + glyph <= x0 + bw {
                let tall = if k % 3 == 0 { bh * 0.8 } else { bh * 0.5 };
                imgproc::rectangle(
                    &mut f.gray,
                    Rect::new(x as i32, (y0 + bh - tall) as i32, glyph as i32, tall as i32),
                    Scalar::all(250.0),
                    -1,
                    imgproc::LINE_8,
                    0,
                )
                .unwrap();
                x += glyph * 1.5;
                k += 1;
            }
        }
        f
    }

    /// Six samples of a pull-up filmed from behind, on a 200 x 100 frame, with a label on
    /// the rack at (0.3..0.6, 0.8..0.9): the shins hang over it at the bottom of each rep
    /// (samples 1, 3 and 4) and are drawn up above it at the top (samples 0, 2 and 5),
    /// where the detector reads it in samples 0 and 2 only (small text near its limit).
    /// `drawn_over`: the text is a caption drawn over the picture, shins or not.
    fn label_and_shins(drawn_over: bool) -> Vec<TextObservation> {
        let label = bx(0.3, 0.8, 0.3, 0.1);
        (0..6)
            .map(|i| {
                let at_top = i == 0 || i == 2 || i == 5;
                let shins: Limb = if at_top {
                    ((0.45, 0.45), (0.45, 0.7))
                } else {
                    ((0.45, 0.7), (0.45, 0.98))
                };
                let thigh: Limb = ((0.45, 0.2), shins.0);
                // The label is in the picture throughout; `read`: the detector reads it.
                let mut f = with_glyphs(frame(i, vec![label], None));
                let read = i == 0 || i == 2 || (drawn_over && !at_top);
                if !at_top && !drawn_over {
                    // The shins, dark, in front of the label.
                    imgproc::rectangle(
                        &mut f.gray,
                        Rect::new(70, 70, 45, 30),
                        Scalar::all(20.0),
                        -1,
                        imgproc::LINE_8,
                        0,
                    )
                    .unwrap();
                }
                if !read {
                    f.boxes.clear();
                }
                f.athlete_seen = Some(true);
                f.limbs = Some(vec![thigh, shins]);
                f
            })
            .collect()
    }

    #[test]
    fn text_that_stays_while_the_detector_misses_it_or_a_body_hides_it_is_scene_text() {
        let out = check(
            &label_and_shins(false),
            &CameraPath::default(),
            &TextParams::default(),
        )
        .unwrap();
        assert_eq!(out.score, SCENE_TEXT_SCORE, "{}", out.reason);
        // Without the limbs (no pose track) the samples where the shins hide it are
        // unexplained: the label comes and goes, as captions do.
        let mut unknown = label_and_shins(false);
        for f in &mut unknown {
            f.limbs = None;
        }
        let out = check(&unknown, &CameraPath::default(), &TextParams::default()).unwrap();
        assert!(out.score >= 60.0, "{}", out.reason);
        // Read only where the shins are up, in the picture unread otherwise: it stays where
        // it is, text near the detector's limit, not an edit.
        let mut unhidden = label_and_shins(false);
        for (i, f) in unhidden.iter_mut().enumerate() {
            if i != 0 && i != 2 {
                *f = with_glyphs(frame(i as u32, vec![bx(0.3, 0.8, 0.3, 0.1)], None));
                f.boxes.clear();
                f.athlete_seen = Some(true);
            }
        }
        let out = check(&unhidden, &CameraPath::default(), &TextParams::default()).unwrap();
        assert_eq!(out.score, SCENE_TEXT_SCORE, "{}", out.reason);
    }

    #[test]
    fn text_read_while_a_limb_crosses_it_is_drawn_over_the_picture() {
        // A caption read over the shins in samples 1 and 3, where they cross it: no body
        // hides it. Gone from the picture in samples 2 and 5: it comes and goes.
        let mut s = label_and_shins(true);
        for i in [2, 5] {
            s[i] = frame(i as u32, vec![], None);
            s[i].athlete_seen = Some(true);
            s[i].limbs = Some(vec![((0.45, 0.2), (0.45, 0.7))]);
        }
        s[0].boxes.clear();
        s[4].boxes.clear();
        let out = check(&s, &CameraPath::default(), &TextParams::default()).unwrap();
        assert!(out.score >= 60.0, "{}", out.reason);
        assert!(out.reason.contains("captions"), "{}", out.reason);
    }

    #[test]
    fn a_segment_crosses_a_box_only_through_it() {
        let b = bx(0.2, 0.2, 0.2, 0.1);
        assert!(b.crossed_by(((0.1, 0.25), (0.5, 0.25))), "straight through");
        assert!(b.crossed_by(((0.25, 0.22), (0.3, 0.28))), "inside");
        assert!(b.crossed_by(((0.1, 0.1), (0.5, 0.4))), "diagonally");
        assert!(!b.crossed_by(((0.1, 0.1), (0.5, 0.15))), "above");
        assert!(!b.crossed_by(((0.1, 0.1), (0.1, 0.5))), "beside");
        assert!(!b.crossed_by(((0.0, 0.15), (0.3, 0.45))), "past the corner");
    }

    #[test]
    fn a_square_text_box_that_comes_and_goes_is_not_a_caption() {
        // The comings and goings of captions (boxes at four places in 4 of 6 samples),
        // with boxes `h` tall and 0.15 wide on a 200 x 100 frame.
        let coming_and_going = |h: f32| -> Vec<TextObservation> {
            (0..6)
                .map(|i| {
                    let boxes = if i < 4 {
                        vec![bx(0.05 + 0.2 * i as f32, 0.3, 0.15, h)]
                    } else {
                        vec![]
                    };
                    with_glyphs(frame(i, boxes, None))
                })
                .collect()
        };
        // As tall as wide in pixels: no line of words.
        let out = check(
            &coming_and_going(0.3),
            &CameraPath::default(),
            &TextParams::default(),
        )
        .unwrap();
        assert!(out.score < 60.0, "{}: {}", out.score, out.reason);
        assert!(!out.reason.contains("captions"), "{}", out.reason);
        // A third as tall, the same boxes are captions.
        let out = check(
            &coming_and_going(0.1),
            &CameraPath::default(),
            &TextParams::default(),
        )
        .unwrap();
        assert!(out.reason.contains("captions"), "{}", out.reason);
    }

    #[test]
    fn text_that_follows_a_panning_camera_is_scene_text_not_an_overlay() {
        use crate::checks::camera::{CameraPair, CameraParams};
        // The camera pans right-to-left by 1% of the frame every 3 frames (10 Hz samples),
        // so the scene moves +0.1 of the frame per text sample (30 frames).
        let pairs: Vec<CameraPair> = (0..60u32)
            .map(|i| CameraPair {
                from_frame: i * 3,
                from_ms: f64::from(i) * 100.0,
                to_frame: i * 3 + 3,
                to_ms: f64::from(i + 1) * 100.0,
                keypoints: 300,
                good_matches: 200,
                inliers: 150,
                shift_px: 3.2,
                shift_x: 0.01,
                shift_y: 0.0,
                zoom: 1.0,
                hist_distance: 0.05,
                gray_diff: 3.0,
                either_uniform: false,
                structure_corr: 0.95,
                gain: 1.0,
                background_visible: true,
                athlete_on_both_sides: true,
                sharpest_step_diff: 3.0,
                sharpest_step_spike: 1.0,
            })
            .collect();
        let path = CameraPath::from_pairs(&pairs, &CameraParams::default());
        // A sign that moves with the scene (+0.02 per sample: overlaps enough to group) and
        // changes content; and a logo that stays in place.
        let s: Vec<_> = (0..5)
            .map(|i| {
                let sign = bx(0.2 + 0.1 * i as f32, 0.5, 0.3, 0.05);
                let logo = bx(0.8, 0.05, 0.15, 0.04);
                frame(i, vec![sign, logo], Some(if i % 2 == 0 { 250 } else { 20 }))
            })
            .collect();
        let out = check(&s, &path, &TextParams::default()).unwrap();
        assert_eq!(out.score, STATIC_OVERLAY_SCORE, "{}", out.reason);
        assert!(out.reason.contains("1 static overlay"), "{}", out.reason);
    }

    #[test]
    fn small_moving_text_is_scene_text() {
        let s: Vec<_> = (0..6)
            .map(|i| with_glyphs(frame(i, vec![bx(0.1 * i as f32, 0.5, 0.05, 0.02)], None)))
            .collect();
        let out = check(&s, &CameraPath::default(), &TextParams::default()).unwrap();
        assert_eq!(out.score, SCENE_TEXT_SCORE);
        assert!(!out.flagged);
    }

    #[test]
    fn changing_text_cut_off_by_the_frame_border_is_scene_text() {
        // A wall clock at the top edge of a still camera's view: its digits change, but
        // it is cut by the framing, so it belongs to the scene, not to an overlay.
        let s: Vec<_> = (0..6)
            .map(|i| {
                frame(
                    i,
                    vec![bx(0.05, 0.0, 0.2, 0.2)],
                    Some(if i % 2 == 0 { 250 } else { 20 }),
                )
            })
            .collect();
        let out = check(&s, &CameraPath::default(), &TextParams::default()).unwrap();
        assert_eq!(out.score, SCENE_TEXT_SCORE, "{}", out.reason);
    }

    #[test]
    fn a_title_fading_out_is_not_a_live_counter() {
        // Four glyphs and a fifth, all fading together from 250 to 120 over the samples
        // (a title fading out over a dark background): the strips keep their shapes.
        let s: Vec<_> = (0..6)
            .map(|i| {
                let level = 250.0 - 26.0 * f64::from(i);
                let mut f = counter_frame(i, 30.0, level);
                for k in 0..4 {
                    imgproc::rectangle(
                        &mut f.gray,
                        Rect::new(22 + 16 * k, 12, 10, 16),
                        Scalar::all(level),
                        -1,
                        imgproc::LINE_8,
                        0,
                    )
                    .unwrap();
                }
                f
            })
            .collect();
        let out = check(&s, &CameraPath::default(), &TextParams::default()).unwrap();
        assert!(out.score < LIVE_COUNTER_SCORE, "{}", out.reason);
        assert!(!out.reason.contains("counter"), "{}", out.reason);
    }

    #[test]
    fn text_on_cards_without_the_athlete_is_reported_not_judged() {
        // Large centred text on the first two of six samples, which show nobody: a title
        // card, not captions over the set.
        let s: Vec<_> = (0..6)
            .map(|i| {
                let mut f = frame(
                    i,
                    if i < 2 {
                        vec![bx(0.2, 0.4, 0.6, 0.1)]
                    } else {
                        vec![]
                    },
                    None,
                );
                f.athlete_seen = Some(i >= 2);
                f
            })
            .collect();
        let out = check(&s, &CameraPath::default(), &TextParams::default()).unwrap();
        assert_eq!(out.score, CARD_TEXT_SCORE, "{}", out.reason);
        assert!(out.reason.contains("title card"), "{}", out.reason);
    }
}
