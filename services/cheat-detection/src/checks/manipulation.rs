//! manipulation: evidence that the footage was edited in time or is not a plain recording
//! of a body: duplicated / frozen frames, looped segments, playback faster than a human
//! can move for the exercise, and poses that break physics (joints that teleport).
//!
//! Each finding has its own sub-score; the check's score is the strongest one, because any
//! one of them alone means the clip cannot be trusted for counting.

use fitvision_proto::v1::{PersonPose, PoseTrack};

use super::{CheckOutcome, MANIPULATION, evidence, secs};
use crate::track::{self, coco, percentile, point};

/// Per-decoded-frame pixel signal, from a tiny thumbnail of every frame.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameSignal {
    pub frame_index: u32,
    pub timestamp_ms: f64,
    /// Mean absolute grey-level difference to the previous decoded frame's thumbnail
    /// (None for the first frame).
    pub diff_to_prev: Option<f32>,
    /// The frame is (nearly) one flat colour: black/white fades and title cards, where
    /// identical consecutive frames say nothing about editing.
    pub uniform: bool,
    /// The grey thumbnail itself (row-major u8, empty when not kept), to tell a replayed
    /// picture from a new repetition of the same movement.
    pub thumb: Vec<u8>,
}

/// Thresholds of the manipulation check.
#[derive(Debug, Clone)]
pub struct ManipulationParams {
    /// Thumbnail difference below which two decoded frames are the same picture. Real
    /// sensors never repeat a frame exactly; an encoder given a duplicate reproduces it.
    pub duplicate_max_diff: f32,
    /// A re-encoded repeat is not bit-exact: a frame whose difference to the previous one
    /// is at most this share of both neighbouring steps repeats the previous picture ...
    pub repeat_motion_ratio: f32,
    /// ... provided those neighbours show visible motion (grey levels), otherwise a still
    /// scene would look like repeats.
    pub repeat_min_motion: f32,
    /// Share of duplicated frame pairs that is normal (frame-rate conversions add some).
    pub duplicate_share_normal: f64,
    /// Fewer distinct pictures per second than this (fps x share of non-repeated frames)
    /// means frames were repeated to stretch time; 5 fewer scores 100.
    pub min_distinct_fps: f64,
    /// A frozen stretch of at least this long is reported.
    pub freeze_min_ms: f64,
    /// Pose distance (in torso lengths, median over joints) under which two frames of the
    /// main subject are the same moment replayed, when only poses can be compared ...
    pub loop_max_distance: f64,
    /// ... or under which they are a candidate that the pictures then confirm: a replay
    /// when its pictures differ from the originals at most this share of a frame step
    /// (see `replayed_pictures`).
    pub loop_candidate_distance: f64,
    pub loop_pixel_ratio: f64,
    /// ... and at most this share of thumbnail pixels differs from the original by more
    /// than `loop_strong_diff` grey levels (re-encoding noise stays under ~10 on the
    /// development set; a new repetition of a movement differs by 15-120 at the limbs).
    pub loop_strong_diff: u8,
    pub loop_max_strong_share: f64,
    /// A replay must last this long ...
    pub loop_min_ms: f64,
    /// ... start at least this far after the original ...
    pub loop_min_lag_ms: f64,
    /// ... within this lag (bounds the pairwise search on long videos) ...
    pub loop_max_lag_ms: f64,
    /// ... and contain real movement (torso lengths covered within the segment), otherwise
    /// it is someone holding still.
    pub loop_min_motion: f64,
    /// A joint moving more than this many torso lengths in one frame period teleported.
    pub teleport_torso_lengths: f64,
}

impl Default for ManipulationParams {
    fn default() -> Self {
        Self {
            duplicate_max_diff: 0.05,
            repeat_motion_ratio: 0.25,
            repeat_min_motion: 0.3,
            duplicate_share_normal: 0.08,
            min_distinct_fps: 20.0,
            freeze_min_ms: 1000.0,
            loop_max_distance: 0.012,
            loop_candidate_distance: 0.035,
            loop_pixel_ratio: 1.0,
            loop_strong_diff: 24,
            loop_max_strong_share: 0.0025,
            loop_min_ms: 700.0,
            loop_min_lag_ms: 500.0,
            loop_max_lag_ms: 30_000.0,
            loop_min_motion: 0.25,
            teleport_torso_lengths: 1.2,
        }
    }
}

/// Peak whole-body speed of an exercise at a controlled tempo, in torso lengths per
/// second, as the 95th percentile over the clip of the median joint speed (see
/// `body_speeds`). Ballistic and unknown activities get a lenient ceiling; controlled
/// strength moves a tight one. It is a tempo limit, not a physical one: a free fall over a
/// push-up's range (~0.3 m) already reaches ~5 torso lengths/s, so explosive variants
/// (plyometric push-ups, jump squats) can pass it honestly.
pub fn speed_limit_torso_per_s(exercise_id: &str) -> f64 {
    match exercise_id {
        "push_up" | "pushup" | "squat" | "bodyweight_squat" | "sit_up" | "situp" | "chin_up"
        | "pull_up" | "pullup" | "bench_press" | "deadlift" | "lunge" | "knee_to_chest"
        | "plank" | "sit_and_reach" | "downward_dog" => SPEED_LIMIT_STRENGTH,
        _ => SPEED_LIMIT_BALLISTIC,
    }
}

pub const SPEED_LIMIT_STRENGTH: f64 = 3.0;
pub const SPEED_LIMIT_BALLISTIC: f64 = 10.0;

/// One sub-finding with its score and evidence.
struct Finding {
    score: f64,
    summary: String,
    evidence: Vec<fitvision_proto::v1::Evidence>,
}

pub fn check(
    track: &PoseTrack,
    frames: Option<&[FrameSignal]>,
    exercise_id: &str,
    params: &ManipulationParams,
) -> CheckOutcome {
    let subject = track::main_subject_series(track);
    let scale = track::subject_scale_px(&subject);
    let mut findings = Vec::new();
    if let Some(frames) = frames {
        findings.push(duplicated_frames(frames, params));
    }
    if let Some(scale) = scale {
        findings.push(looped_segments(track, &subject, scale, frames, params));
        findings.push(playback_speed(track, &subject, scale, exercise_id));
        findings.push(teleporting_joints(track, &subject, scale, params));
    }
    if findings.is_empty() {
        return CheckOutcome::not_assessed(MANIPULATION, "no frames and no body to assess");
    }
    let score = findings.iter().map(|f| f.score).fold(0.0, f64::max);
    let mut notable: Vec<&Finding> = findings.iter().filter(|f| f.score > 0.0).collect();
    notable.sort_by(|a, b| b.score.total_cmp(&a.score));
    let reason = if notable.is_empty() {
        let speed = findings
            .iter()
            .find(|f| f.summary.starts_with("peak body speed"));
        format!(
            "no duplicated frames, loops, impossible speed or teleporting joints{}",
            speed
                .map(|f| format!(" ({})", f.summary))
                .unwrap_or_default()
        )
    } else {
        notable
            .iter()
            .map(|f| f.summary.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let evidence = findings.into_iter().flat_map(|f| f.evidence).collect();
    CheckOutcome::new(MANIPULATION, score, reason, evidence)
}

fn duplicated_frames(frames: &[FrameSignal], params: &ManipulationParams) -> Finding {
    let mut pairs = 0usize;
    let mut dups = 0usize;
    let mut freezes = Vec::new();
    let mut run_start: Option<usize> = None;
    let close_run = |start: usize, end: usize, freezes: &mut Vec<(usize, usize)>| {
        if frames[end].timestamp_ms - frames[start].timestamp_ms >= params.freeze_min_ms {
            freezes.push((start, end));
        }
    };
    // Difference to the previous frame when both frames show a picture (not a flat card).
    let judged_diff = |i: usize| -> Option<f32> {
        let f = frames.get(i)?;
        if f.uniform || i == 0 || frames[i - 1].uniform {
            return None;
        }
        f.diff_to_prev
    };
    for i in 0..frames.len() {
        let Some(diff) = judged_diff(i) else {
            if let Some(s) = run_start.take()
                && i > 0
            {
                close_run(s, i - 1, &mut freezes);
            }
            continue;
        };
        pairs += 1;
        let exact = diff <= params.duplicate_max_diff;
        let relative = match (i.checked_sub(1).and_then(judged_diff), judged_diff(i + 1)) {
            (Some(before), Some(after)) => {
                let motion = before.min(after);
                motion >= params.repeat_min_motion && diff <= params.repeat_motion_ratio * motion
            }
            _ => false,
        };
        if exact || relative {
            dups += 1;
        }
        // A frozen stretch is a run of exact repeats.
        if exact {
            run_start.get_or_insert(i - 1);
        } else if let Some(s) = run_start.take() {
            close_run(s, i - 1, &mut freezes);
        }
    }
    if let Some(s) = run_start {
        close_run(s, frames.len() - 1, &mut freezes);
    }
    let share = if pairs == 0 {
        0.0
    } else {
        dups as f64 / pairs as f64
    };
    // Repeats alone are normal after a frame-rate conversion (30 -> 60 fps repeats every
    // other frame). What matters is how many *distinct* pictures per second remain: a
    // camera records at least ~24; a clip slowed down by repeating frames has far fewer.
    let fps = match (frames.first(), frames.last()) {
        (Some(a), Some(b)) if b.timestamp_ms > a.timestamp_ms => {
            (frames.len() - 1) as f64 * 1000.0 / (b.timestamp_ms - a.timestamp_ms)
        }
        _ => 30.0,
    };
    let distinct_fps = fps * (1.0 - share);
    let share_score =
        if share > params.duplicate_share_normal && distinct_fps < params.min_distinct_fps {
            (60.0 + 40.0 * (params.min_distinct_fps - distinct_fps) / 5.0).min(100.0)
        } else {
            0.0
        };
    let longest_freeze_ms = freezes
        .iter()
        .map(|&(a, b)| frames[b].timestamp_ms - frames[a].timestamp_ms)
        .fold(0.0, f64::max);
    // A frozen picture of 1 s scores 50, of 3 s or more 100.
    let freeze_score = if longest_freeze_ms >= params.freeze_min_ms {
        (50.0 + 25.0 * (longest_freeze_ms - params.freeze_min_ms) / 1000.0).min(100.0)
    } else {
        0.0
    };
    let mut evidence: Vec<_> = freezes
        .iter()
        .map(|&(a, b)| {
            let (fa, fb) = (&frames[a], &frames[b]);
            evidence(
                (fa.frame_index, fa.timestamp_ms),
                (fb.frame_index, fb.timestamp_ms),
                format!(
                    "frozen picture for {}",
                    secs(fb.timestamp_ms - fa.timestamp_ms)
                ),
            )
        })
        .collect();
    if share_score > 0.0
        && let (Some(first), Some(last)) = (frames.first(), frames.last())
    {
        evidence.push(evidence_all(
            first,
            last,
            format!(
                "{dups} of {pairs} consecutive frames repeat the previous picture ({:.0}%)",
                share * 100.0
            ),
        ));
    }
    let summary = if share_score >= freeze_score && share_score > 0.0 {
        format!(
            "{:.0}% of frames repeat the previous one: only {distinct_fps:.1} distinct pictures/s at {fps:.1} fps (slowed down / padded with duplicates)",
            share * 100.0
        )
    } else if freeze_score > 0.0 {
        format!("picture frozen for {}", secs(longest_freeze_ms))
    } else {
        String::new()
    };
    Finding {
        score: share_score.max(freeze_score),
        summary,
        evidence,
    }
}

fn evidence_all(
    first: &FrameSignal,
    last: &FrameSignal,
    detail: String,
) -> fitvision_proto::v1::Evidence {
    evidence(
        (first.frame_index, first.timestamp_ms),
        (last.frame_index, last.timestamp_ms),
        detail,
    )
}

/// Mean distance over joints confident in both poses, in pixels (None if < 6 shared).
fn pose_distance_px(a: &PersonPose, b: &PersonPose) -> Option<f64> {
    let mut sum = 0.0;
    let mut n = 0usize;
    for j in 0..coco::COUNT {
        if let (Some(pa), Some(pb)) = (point(a, j), point(b, j)) {
            sum += ((pa.0 - pb.0).powi(2) + (pa.1 - pb.1).powi(2)).sqrt();
            n += 1;
        }
    }
    (n >= 6).then(|| sum / n as f64)
}

/// A replayed segment: frames `first..=last` show again as `first+lag..=last+lag`.
fn looped_segments(
    track: &PoseTrack,
    subject: &[Option<&PersonPose>],
    scale: f64,
    pixels: Option<&[FrameSignal]>,
    params: &ManipulationParams,
) -> Finding {
    let frames = &track.frames;
    let n = frames.len();
    let period = track::frame_period_ms(track);
    let min_lag = (params.loop_min_lag_ms / period).ceil() as usize;
    let min_len = (params.loop_min_ms / period).ceil() as usize;
    let max_lag = ((params.loop_max_lag_ms / period).ceil() as usize).min(n);
    // With the pictures at hand, poses only propose candidates (pose jitter of a re-encoded
    // replay reaches a few % of the torso on small videos) and the pictures decide; without
    // them, only near-identical poses count.
    let thumbs = pixels.filter(|f| f.iter().any(|s| !s.thumb.is_empty()));
    let max_distance = if thumbs.is_some() {
        params.loop_candidate_distance
    } else {
        params.loop_max_distance
    };
    let mut replays: Vec<(usize, usize, usize)> = Vec::new(); // (first, last, lag)
    for lag in min_lag.max(1)..max_lag {
        let same = |i: usize| match (subject[i], subject[i + lag]) {
            (Some(a), Some(b)) => {
                pose_median_distance_px(a, b).is_some_and(|d| d / scale <= max_distance)
            }
            _ => false,
        };
        // Runs of matching frames, bridging gaps of a few frames (a single joint or frame
        // mis-detected in one of the two copies).
        let mut run: Option<(usize, usize)> = None;
        for i in 0..=(n - lag) {
            let matched = i + lag < n && same(i);
            if matched {
                run = Some(run.map_or((i, i), |(s, _)| (s, i)));
                continue;
            }
            let Some((s, last)) = run else { continue };
            if i + lag < n && i - last <= LOOP_MAX_GAP_FRAMES {
                continue;
            }
            run = None;
            if last + 1 - s >= min_len
                && segment_motion(&subject[s..=last]) / scale >= params.loop_min_motion
                && thumbs.is_none_or(|t| replayed_pictures(t, frames, s, last, lag, params))
            {
                replays.push((s, last, lag));
            }
        }
    }
    // Keep the longest replay per original start region (a loop repeated k times shows at
    // lags L, 2L, ...; report each, but not overlapping duplicates of the same lag).
    replays.sort_by_key(|&(s, l, _)| std::cmp::Reverse(l - s));
    let mut kept: Vec<(usize, usize, usize)> = Vec::new();
    for r in replays {
        let overlaps = kept
            .iter()
            .any(|k| r.0 + r.2 <= k.1 + k.2 && k.0 + k.2 <= r.1 + r.2 && r.0 <= k.1 && k.0 <= r.1);
        if !overlaps {
            kept.push(r);
        }
    }
    let replay_ms: f64 = kept
        .iter()
        .map(|&(s, l, _)| (l + 1 - s) as f64 * period)
        .sum();
    let score = if kept.is_empty() {
        0.0
    } else {
        // One replay of the minimum length scores 60; two seconds of replay or more 100.
        (60.0 + 40.0 * (replay_ms - params.loop_min_ms) / (2000.0 - params.loop_min_ms))
            .clamp(60.0, 100.0)
    };
    let evidence = kept
        .iter()
        .take(10)
        .map(|&(s, l, lag)| {
            evidence(
                (frames[s + lag].frame_index, frames[s + lag].timestamp_ms),
                (frames[l + lag].frame_index, frames[l + lag].timestamp_ms),
                format!(
                    "replays frames {}-{} (same poses, {} later)",
                    frames[s].frame_index,
                    frames[l].frame_index,
                    secs(lag as f64 * period)
                ),
            )
        })
        .collect();
    Finding {
        score,
        summary: if kept.is_empty() {
            String::new()
        } else {
            format!(
                "{} looped segment(s), {} of replayed movement",
                kept.len(),
                secs(replay_ms)
            )
        },
        evidence,
    }
}

/// Frames of a replay that may fail to match (detector glitches) without ending it.
const LOOP_MAX_GAP_FRAMES: usize = 2;

/// Median distance over joints confident in both poses, in pixels (None if < 6 shared):
/// robust to one joint detected differently in two copies of the same picture.
fn pose_median_distance_px(a: &PersonPose, b: &PersonPose) -> Option<f64> {
    let distances: Vec<f64> = (0..coco::COUNT)
        .filter_map(|j| {
            let (pa, pb) = (point(a, j)?, point(b, j)?);
            Some((pa.0 - pb.0).hypot(pa.1 - pb.1))
        })
        .collect();
    if distances.len() < 6 {
        return None;
    }
    track::median(&distances)
}

/// Whether track frames `first..=last` show the same pictures again `lag` track frames
/// later. A replayed picture differs from its original only by re-encoding noise: small
/// everywhere, and smaller than the difference to its own neighbouring frame. A new
/// repetition of the same movement differs strongly somewhere, because the body is never
/// in exactly the same place (on a flat background the mean difference can be small, the
/// limbs still differ by far more than codec noise). Decided on medians over the segment.
fn replayed_pictures(
    pixels: &[FrameSignal],
    frames: &[fitvision_proto::v1::PoseFrame],
    first: usize,
    last: usize,
    lag: usize,
    params: &ManipulationParams,
) -> bool {
    let at = |frame_index: u32| {
        pixels
            .binary_search_by_key(&frame_index, |s| s.frame_index)
            .ok()
    };
    let compared: Vec<(f64, f64)> = (first..=last)
        .filter_map(|i| {
            let (a, b) = (at(frames[i].frame_index)?, at(frames[i + lag].frame_index)?);
            let (mean, strong) =
                thumb_diff_stats(&pixels[a].thumb, &pixels[b].thumb, params.loop_strong_diff)?;
            let own_step = [
                pixels[b].diff_to_prev,
                pixels.get(b + 1).and_then(|s| s.diff_to_prev),
            ]
            .into_iter()
            .flatten()
            .fold(0.0f32, f32::max);
            Some((mean / f64::from(own_step).max(REPLAY_NOISE_FLOOR), strong))
        })
        .collect();
    let ratios: Vec<f64> = compared.iter().map(|c| c.0).collect();
    let strong: Vec<f64> = compared.iter().map(|c| c.1).collect();
    // At least half of the segment must be comparable.
    2 * compared.len() >= last + 1 - first
        && track::median(&ratios).is_some_and(|r| r <= params.loop_pixel_ratio)
        && track::median(&strong).is_some_and(|s| s <= params.loop_max_strong_share)
}

/// Grey levels under which frame steps are noise for the replay ratio.
const REPLAY_NOISE_FLOOR: f64 = 0.3;

/// Mean absolute difference of two same-size thumbnails and the share of pixels that
/// differ by more than `strong` grey levels (None if sizes differ).
fn thumb_diff_stats(a: &[u8], b: &[u8], strong: u8) -> Option<(f64, f64)> {
    if a.len() != b.len() || a.is_empty() {
        return None;
    }
    let (mut sum, mut strong_count) = (0u64, 0usize);
    for (x, y) in a.iter().zip(b) {
        let d = x.abs_diff(*y);
        sum += u64::from(d);
        strong_count += usize::from(d > strong);
    }
    let n = a.len() as f64;
    Some((sum as f64 / n, strong_count as f64 / n))
}

/// Largest distance of any pose in the segment from its first pose, in pixels.
fn segment_motion(segment: &[Option<&PersonPose>]) -> f64 {
    let Some(Some(first)) = segment.first() else {
        return 0.0;
    };
    segment
        .iter()
        .flatten()
        .filter_map(|p| pose_distance_px(first, p))
        .fold(0.0, f64::max)
}

/// Half-width of the window (frames) used to smooth joints and take their speed.
const SPEED_HALF_WINDOW: usize = 2;

/// Whole-body speed per frame in torso lengths per second: each joint is median-filtered
/// over 5 frames (removes single-frame detector glitches), its speed taken as a central
/// difference over 4 frame periods, and the frame's speed is the median over joints (the
/// body moving, not one flailing or mis-detected joint).
fn body_speeds(
    track: &PoseTrack,
    subject: &[Option<&PersonPose>],
    scale: f64,
) -> Vec<(usize, f64)> {
    let frames = &track.frames;
    let n = frames.len();
    let h = SPEED_HALF_WINDOW;
    let period = track::frame_period_ms(track);
    let smoothed = |i: usize, j: usize| -> Option<(f64, f64)> {
        let lo = i.checked_sub(h)?;
        if i + h >= n {
            return None;
        }
        let pts: Vec<(f64, f64)> = (lo..=i + h)
            .filter_map(|k| subject[k].and_then(|p| point(p, j)))
            .collect();
        if pts.len() < h + 2 {
            return None;
        }
        let xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
        let ys: Vec<f64> = pts.iter().map(|p| p.1).collect();
        Some((track::median(&xs)?, track::median(&ys)?))
    };
    let mut speeds = Vec::new();
    for i in 2 * h..n.saturating_sub(2 * h) {
        let (a, b) = (i - h, i + h);
        let dt_ms = frames[b].timestamp_ms - frames[a].timestamp_ms;
        if dt_ms <= 0.0 || dt_ms > (2 * h) as f64 * period * 1.75 {
            continue;
        }
        let joint_speeds: Vec<f64> = (0..coco::COUNT)
            .filter_map(|j| {
                let (pa, pb) = (smoothed(a, j)?, smoothed(b, j)?);
                Some((pa.0 - pb.0).hypot(pa.1 - pb.1) / scale / (dt_ms / 1000.0))
            })
            .collect();
        if joint_speeds.len() < 6 {
            continue;
        }
        if let Some(m) = track::median(&joint_speeds) {
            speeds.push((i, m));
        }
    }
    speeds
}

fn playback_speed(
    track: &PoseTrack,
    subject: &[Option<&PersonPose>],
    scale: f64,
    exercise_id: &str,
) -> Finding {
    let speeds = body_speeds(track, subject, scale);
    let values: Vec<f64> = speeds.iter().map(|s| s.1).collect();
    let Some(p95) = percentile(&values, 0.95) else {
        return Finding {
            score: 0.0,
            summary: String::new(),
            evidence: Vec::new(),
        };
    };
    let limit = speed_limit_torso_per_s(exercise_id);
    let ratio = p95 / limit;
    // At the limit: 50 (flagged); 1.5x the limit or more: 100.
    let score = if ratio >= 1.0 {
        (50.0 + 100.0 * (ratio - 1.0)).min(100.0)
    } else {
        0.0
    };
    let mut found = Vec::new();
    if score > 0.0 {
        let frames = &track.frames;
        for &(i, v) in speeds.iter().filter(|s| s.1 >= limit).take(10) {
            found.push(evidence(
                (frames[i - 1].frame_index, frames[i - 1].timestamp_ms),
                (frames[i].frame_index, frames[i].timestamp_ms),
                format!("body moves {v:.1} torso lengths/s (limit {limit:.1} for {exercise_id})"),
            ));
        }
    }
    Finding {
        score,
        summary: if score > 0.0 {
            format!(
                "movement faster than a controlled {} reaches: {p95:.1} torso lengths/s (limit {limit:.1}); sped-up playback or dropped frames, unless it is an explosive variant (a plyometric drop reaches ~5)",
                if exercise_id.is_empty() {
                    "this activity"
                } else {
                    exercise_id
                }
            )
        } else {
            format!("peak body speed {p95:.1} torso lengths/s (limit {limit:.1})")
        },
        evidence: found,
    }
}

/// Joints that jump across the body in one frame and land back: physically impossible.
/// Real detectors also glitch (left/right swaps), so this sub-score stays below the flag
/// line on its own and only corroborates.
fn teleporting_joints(
    track: &PoseTrack,
    subject: &[Option<&PersonPose>],
    scale: f64,
    params: &ManipulationParams,
) -> Finding {
    let frames = &track.frames;
    let mut events = Vec::new();
    let mut observed = 0usize;
    for i in 1..frames.len().saturating_sub(1) {
        let (Some(a), Some(b), Some(c)) = (subject[i - 1], subject[i], subject[i + 1]) else {
            continue;
        };
        observed += 1;
        let teleported = (0..coco::COUNT).any(|j| {
            let (Some(pa), Some(pb), Some(pc)) = (point(a, j), point(b, j), point(c, j)) else {
                return false;
            };
            let out = ((pa.0 - pb.0).powi(2) + (pa.1 - pb.1).powi(2)).sqrt() / scale;
            let back = ((pc.0 - pb.0).powi(2) + (pc.1 - pb.1).powi(2)).sqrt() / scale;
            let direct = ((pa.0 - pc.0).powi(2) + (pa.1 - pc.1).powi(2)).sqrt() / scale;
            out > params.teleport_torso_lengths
                && back > params.teleport_torso_lengths
                && direct < 0.3
        });
        if teleported {
            events.push(i);
        }
    }
    let rate = if observed == 0 {
        0.0
    } else {
        events.len() as f64 / observed as f64
    };
    // 5% of frames with a teleport scores the maximum of this corroborating signal (40).
    let score = (rate / 0.05 * 40.0).min(40.0);
    let evidence = events
        .iter()
        .take(5)
        .map(|&i| {
            evidence(
                (frames[i].frame_index, frames[i].timestamp_ms),
                (frames[i].frame_index, frames[i].timestamp_ms),
                "a joint jumps away and back within one frame",
            )
        })
        .collect();
    Finding {
        score,
        summary: if events.is_empty() {
            String::new()
        } else {
            format!("{} frame(s) with teleporting joints", events.len())
        },
        evidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::track::testing::{stick_person, track};

    fn signals(diffs: &[f32]) -> Vec<FrameSignal> {
        diffs
            .iter()
            .enumerate()
            .map(|(i, &d)| FrameSignal {
                frame_index: i as u32,
                timestamp_ms: i as f64 * 1000.0 / 30.0,
                diff_to_prev: (i > 0).then_some(d),
                uniform: false,
                thumb: Vec::new(),
            })
            .collect()
    }

    /// A person bobbing up and down with period `period` frames, amplitude 100 px.
    fn bobbing(i: u32, period: f64) -> f32 {
        (100.0 * (2.0 * std::f64::consts::PI * f64::from(i) / period).sin()) as f32
    }

    #[test]
    fn every_other_frame_duplicated_scores_full() {
        let diffs: Vec<f32> = (0..300)
            .map(|i| if i % 2 == 0 { 0.0 } else { 3.0 })
            .collect();
        let f = duplicated_frames(&signals(&diffs), &ManipulationParams::default());
        // 149 of 299 pairs repeat: 15.05 distinct pictures/s -> 60 + 40 * 4.95 / 5.
        assert!(
            (f.score - (60.0 + 40.0 * (20.0 - 30.0 * 150.0 / 299.0) / 5.0)).abs() < 1e-6,
            "{}",
            f.score
        );
        assert!(f.summary.contains("50%"), "{}", f.summary);
        assert!(f.summary.contains("15.1 distinct"), "{}", f.summary);
    }

    #[test]
    fn re_encoded_repeats_that_are_not_bit_exact_still_count() {
        // Every other frame repeated, the repeats re-encoded with residual noise (0.1-0.4
        // grey levels) while real steps move 2-5: half the pictures are repeats.
        let diffs: Vec<f32> = (0..300)
            .map(|i| {
                let wobble = (i % 7) as f32 / 7.0;
                if i % 2 == 0 {
                    0.1 + 0.3 * wobble
                } else {
                    2.0 + 3.0 * wobble
                }
            })
            .collect();
        let f = duplicated_frames(&signals(&diffs), &ManipulationParams::default());
        // 149 of the 299 judged steps are repeats (the last frame has no next neighbour).
        assert!(f.summary.contains("50%"), "{}", f.summary);
        assert!(f.score >= 90.0, "{}", f.score);
        // A still scene with the same small differences everywhere has no repeats.
        let still = vec![0.2f32; 300];
        assert_eq!(
            duplicated_frames(&signals(&still), &ManipulationParams::default()).score,
            0.0
        );
    }

    #[test]
    fn a_frame_rate_conversion_with_repeats_is_not_manipulation() {
        // 60 fps where every other frame repeats: 30 distinct pictures per second.
        let diffs: Vec<f32> = (0..600)
            .map(|i| if i % 2 == 0 { 0.0 } else { 3.0 })
            .collect();
        let s: Vec<FrameSignal> = signals(&diffs)
            .into_iter()
            .map(|f| FrameSignal {
                timestamp_ms: f.timestamp_ms / 2.0,
                ..f
            })
            .collect();
        assert_eq!(
            duplicated_frames(&s, &ManipulationParams::default()).score,
            0.0
        );
    }

    #[test]
    fn a_frozen_two_seconds_is_reported_with_its_range() {
        let diffs: Vec<f32> = (0..300)
            .map(|i| if (100..160).contains(&i) { 0.0 } else { 2.0 })
            .collect();
        let f = duplicated_frames(&signals(&diffs), &ManipulationParams::default());
        assert!(f.score >= 70.0, "{}", f.score);
        assert_eq!(f.evidence[0].start_frame_index, 99);
        assert_eq!(f.evidence[0].end_frame_index, 159);
    }

    #[test]
    fn fades_to_black_are_not_freezes() {
        let mut s = signals(&vec![0.0; 120]);
        for f in &mut s {
            f.uniform = true;
        }
        assert_eq!(
            duplicated_frames(&s, &ManipulationParams::default()).score,
            0.0
        );
    }

    #[test]
    fn a_replayed_segment_is_found_and_natural_reps_are_not() {
        // Natural: the same rep shape but each rep a few pixels off (~3% of the torso).
        let natural = track(300, 30.0, |i| {
            let drift = 4.0 * (i / 40) as f32;
            vec![stick_person(
                1,
                300.0 + drift,
                200.0 + bobbing(i, 40.0),
                300.0,
            )]
        });
        let out = check(&natural, None, "", &ManipulationParams::default());
        assert_eq!(out.score, 0.0, "{}", out.reason);

        // Looped: frames 60..120 replayed exactly at 120..180 with 0.5 px of noise.
        let looped = track(240, 30.0, |i| {
            let src = if (120..180).contains(&i) { i - 60 } else { i };
            let noise = if src == i { 0.0 } else { 0.5 };
            vec![stick_person(
                1,
                300.0 + noise + 0.37 * src as f32,
                200.0 + bobbing(src, 47.0),
                300.0,
            )]
        });
        let out = check(&looped, None, "", &ManipulationParams::default());
        assert!(out.score >= 60.0, "{}", out.reason);
        assert!(out.reason.contains("looped"), "{}", out.reason);
    }

    /// Per-frame pixel signals whose thumbnail of frame `i` is `picture(i)`.
    fn pictures(n: u32, fps: f64, picture: impl Fn(u32) -> Vec<u8>) -> Vec<FrameSignal> {
        let thumbs: Vec<Vec<u8>> = (0..n).map(&picture).collect();
        (0..n as usize)
            .map(|i| FrameSignal {
                frame_index: i as u32,
                timestamp_ms: i as f64 * 1000.0 / fps,
                diff_to_prev: (i > 0).then(|| {
                    thumb_diff_stats(&thumbs[i - 1], &thumbs[i], u8::MAX)
                        .unwrap()
                        .0 as f32
                }),
                uniform: false,
                thumb: thumbs[i].clone(),
            })
            .collect()
    }

    /// A moving picture that never comes back: a pattern whose phase moves ever faster
    /// while the light slowly brightens (each frame differs from the next by ~4-8 grey
    /// levels).
    fn moving_picture(i: u32) -> Vec<u8> {
        let t = f64::from(i);
        (0..64)
            .map(|k| {
                let phase = 0.3 * f64::from(k) + 0.1 * t + 0.0005 * t * t;
                (60.0 + 0.25 * t + 60.0 * phase.sin()) as u8
            })
            .collect()
    }

    #[test]
    fn pictures_decide_between_a_replay_and_a_repeated_movement() {
        // The poses repeat exactly every 47 frames (a perfectly regular athlete) and frames
        // 120..180 also repeat the poses of 60..120: pose-wise, both look replayed.
        let source = |i: u32| if (120..180).contains(&i) { i - 60 } else { i };
        let poses = track(240, 30.0, |i| {
            vec![stick_person(
                1,
                300.0,
                200.0 + bobbing(source(i), 47.0),
                300.0,
            )]
        });
        let params = ManipulationParams::default();
        // Natural: every picture is new, so no repetition is a replay.
        let natural = pictures(240, 30.0, moving_picture);
        let out = check(&poses, Some(&natural), "", &params);
        assert_eq!(out.score, 0.0, "{}", out.reason);
        // Looped: frames 120..180 are re-encoded copies (1 grey level off) of 60..120.
        let looped = pictures(240, 30.0, |i| {
            let mut p = moving_picture(source(i));
            if source(i) != i {
                p.iter_mut().for_each(|v| *v = v.saturating_add(1));
            }
            p
        });
        let out = check(&poses, Some(&looped), "", &params);
        assert!(out.score >= 60.0, "{}", out.reason);
        assert!(out.reason.contains("1 looped segment"), "{}", out.reason);
        assert_eq!(out.evidence[0].start_frame_index, 120);
        // A fast movement repeated on a flat background: the repetition is close on
        // average (closer than the next frame), but where the limbs are (4 of 64 pixels)
        // it differs far beyond codec noise, so it is not a replay.
        let repeated = pictures(240, 30.0, |i| {
            let mut p = moving_picture(source(i));
            if source(i) != i {
                p[10..14].iter_mut().for_each(|v| *v = v.wrapping_add(90));
            }
            p
        });
        let out = check(&poses, Some(&repeated), "", &params);
        assert_eq!(out.score, 0.0, "{}", out.reason);
    }

    #[test]
    fn speed_over_the_exercise_limit_is_flagged() {
        // Torso = mid-shoulder (kps 5,6) to mid-hip (11,12): 6/16 of 300 px = 112.5 px.
        // Bobbing 100 px amplitude at a 10-frame period at 30 fps: peak speed
        // 100 * 2pi / (10/30 s) = 1885 px/s = 16.8 torso/s, far over the squat limit.
        let fast = track(150, 30.0, |i| {
            vec![stick_person(1, 300.0, 200.0 + bobbing(i, 10.0), 300.0)]
        });
        let out = check(&fast, None, "squat", &ManipulationParams::default());
        assert_eq!(out.score, 100.0, "{}", out.reason);
        assert!(out.reason.contains("faster"), "{}", out.reason);
        // The same clip at a 90-frame period: at most 1.9 torso/s, fine.
        // (drifting sideways so that the repeated reps are not mistaken for a replay).
        let calm = track(150, 30.0, |i| {
            vec![stick_person(
                1,
                300.0 + 0.2 * i as f32,
                200.0 + bobbing(i, 90.0),
                300.0,
            )]
        });
        assert_eq!(
            check(&calm, None, "squat", &ManipulationParams::default()).score,
            0.0
        );
    }
}
