//! manipulation: evidence that the footage was edited in time or is not a plain recording
//! of a body: duplicated / frozen frames, looped segments, playback faster than a human
//! can move for the exercise, and poses that break physics (joints that teleport).
//!
//! Each finding has its own sub-score; the check's score is the strongest one, because any
//! one of them alone means the clip cannot be trusted for counting.

use fitvision_proto::v1::{PersonPose, PoseTrack};

use super::body_physics::{self, BodyParams, MotionClass};
use super::{CheckOutcome, Finding, MANIPULATION, evidence, secs};
use crate::track::{self, coco, point};

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
    /// means frames were repeated to stretch time; 5 fewer scores 100. Honest footage
    /// goes down to about 18: a 24 fps camera's pictures exported at 30 fps and
    /// resampled to 24 again (18.1 measured on such a chain); time stretched by padding
    /// gives at most 16 (1.5x of 24 fps; 2x of 30 fps is 15, of 24 fps 12).
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
    /// The body-physics findings (gravity clock, tempo, inserted frames).
    pub body: BodyParams,
}

impl Default for ManipulationParams {
    fn default() -> Self {
        Self {
            duplicate_max_diff: 0.05,
            repeat_motion_ratio: 0.25,
            repeat_min_motion: 0.3,
            duplicate_share_normal: 0.08,
            min_distinct_fps: 16.5,
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
            body: BodyParams::default(),
        }
    }
}

/// Runs every finding on the main subject and the frame signals. `class` says how the
/// exercise may move (see [`body_physics::MotionClass`]).
pub fn check(
    track: &PoseTrack,
    frames: Option<&[FrameSignal]>,
    exercise_id: &str,
    class: MotionClass,
    params: &ManipulationParams,
) -> CheckOutcome {
    let subject = track::main_subject_series(track);
    let scale = track::subject_scale_px(&subject);
    let stature = body_physics::stature_px(&subject);
    let speeds = stature.map(|s| body_physics::body_speeds(track, &subject, s));
    let mut findings = Vec::new();
    if let Some(frames) = frames {
        findings.extend(duplicated_frames(frames, track, speeds.as_deref(), params));
    }
    if let Some(scale) = scale {
        findings.push(looped_segments(track, &subject, scale, frames, params));
    }
    let body = &params.body;
    if let Some(stature) = stature {
        findings.push(body_physics::gravity_clock(
            track, &subject, stature, class, body,
        ));
        findings.push(body_physics::tempo(
            track,
            &subject,
            stature,
            class,
            exercise_id,
            body,
        ));
        findings.push(body_physics::teleporting_body(
            track, &subject, stature, body,
        ));
    }
    if findings.is_empty() {
        return CheckOutcome::not_assessed(MANIPULATION, "no frames and no body to assess");
    }
    let score = findings.iter().map(|f| f.score).fold(0.0, f64::max);
    let mut notable: Vec<&Finding> = findings.iter().filter(|f| f.score > 0.0).collect();
    notable.sort_by(|a, b| b.score.total_cmp(&a.score));
    let reason = if notable.is_empty() {
        let physics: Vec<&str> = findings
            .iter()
            .filter(|f| f.summary.starts_with("peak"))
            .map(|f| f.summary.as_str())
            .collect();
        format!(
            "no duplicated frames, loops, impossible motion or inserted frames{}",
            if physics.is_empty() {
                String::new()
            } else {
                format!(" ({})", physics.join("; "))
            }
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

/// Score of a still picture without the athlete (a title card, an intro or an outro): an
/// edit of the video around the performance that adds nothing to it. Reported, far below
/// the blocking line.
pub const STILL_CARD_SCORE: f64 = 10.0;

/// Whole-body speed (statures/s) above which the athlete is moving (rest reads ~0.02-0.05
/// from keypoint noise; reps move 0.2-0.5) ...
const MOVING_STATURES_PER_S: f64 = 0.12;
/// ... looked for this long before a freeze starts and after it ends.
const FREEZE_EDGE_MS: f64 = 400.0;

/// A frozen stretch with a person in at most this share of its frames shows no athlete.
/// A frozen stretch is one picture shown again and again, so the pose model's answer on
/// most of its frames is the answer: a tracker that follows the athlete from the frame
/// before (BlazePose keeps its region of interest) carries a fading "person" a few frames
/// into a card that cuts in straight after the set.
const CARD_MAX_PERSON_SHARE: f64 = 0.5;

/// Whether a person was detected around each decoded frame, from the pose track: the
/// nearest analysed frame within half a second decides; unknown without a track.
struct PersonPresence<'a> {
    track: &'a PoseTrack,
}

impl PersonPresence<'_> {
    fn at(&self, frame_index: u32, timestamp_ms: f64) -> Option<bool> {
        track::person_seen_near(self.track, frame_index, timestamp_ms)
    }

    /// A run of frames shows no athlete when a person is known to be absent from
    /// nearly all of them.
    fn athlete_absent(&self, frames: &[FrameSignal]) -> bool {
        let known: Vec<bool> = frames
            .iter()
            .filter_map(|f| self.at(f.frame_index, f.timestamp_ms))
            .collect();
        2 * known.len() >= frames.len()
            && known.iter().filter(|p| **p).count() as f64
                <= CARD_MAX_PERSON_SHARE * known.len() as f64
    }
}

/// Per decoded frame, whether the athlete is known to hold still there: the body speed
/// of the nearest analysed frame (within one analysed-frame period and a half) is below
/// [`MOVING_STATURES_PER_S`]. Unknown (no pose near, no speeds) counts as moving.
fn athlete_still_per_frame(
    frames: &[FrameSignal],
    track: &PoseTrack,
    speeds: Option<&[(usize, f64)]>,
) -> Vec<bool> {
    let Some(speeds) = speeds.filter(|s| !s.is_empty()) else {
        return vec![false; frames.len()];
    };
    let reach_ms = 1.5 * track::analysed_period_ms(track);
    let timed: Vec<(f64, f64)> = speeds
        .iter()
        .map(|&(i, v)| (track.frames[i].timestamp_ms, v))
        .collect();
    frames
        .iter()
        .map(|f| {
            let split = timed.partition_point(|&(t, _)| t < f.timestamp_ms);
            track::nearest_around(&timed, split, f.timestamp_ms, reach_ms, |&(t, _)| t)
                .is_some_and(|&(_, v)| v < MOVING_STATURES_PER_S)
        })
        .collect()
}

/// A stretch of frames by position: (first, last).
type Run = (usize, usize);

/// Runs of exactly repeated pictures at least `freeze_min_ms` long.
fn frozen_runs(frames: &[FrameSignal], params: &ManipulationParams) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut start: Option<usize> = None;
    let close = |s: usize, e: usize, runs: &mut Vec<(usize, usize)>| {
        if frames[e].timestamp_ms - frames[s].timestamp_ms >= params.freeze_min_ms {
            runs.push((s, e));
        }
    };
    for i in 1..frames.len() {
        let judged = !frames[i].uniform && !frames[i - 1].uniform;
        let exact = judged
            && frames[i]
                .diff_to_prev
                .is_some_and(|d| d <= params.duplicate_max_diff);
        if exact {
            start.get_or_insert(i - 1);
        } else if let Some(s) = start.take() {
            close(s, i - 1, &mut runs);
        }
    }
    if let Some(s) = start {
        close(s, frames.len() - 1, &mut runs);
    }
    runs
}

/// Duplicated and frozen pictures. A frozen stretch with the athlete in it is time taken
/// out of the performance (manipulation); a still picture without the athlete is a card
/// edited around it (reported with [`STILL_CARD_SCORE`]) and its frames are left out of
/// the duplicate share, so a 3 s title card does not read as a slowed-down clip.
fn duplicated_frames(
    frames: &[FrameSignal],
    track: &PoseTrack,
    speeds: Option<&[(usize, f64)]>,
    params: &ManipulationParams,
) -> Vec<Finding> {
    let presence = PersonPresence { track };
    let (cards, with_athlete): (Vec<Run>, Vec<Run>) = frozen_runs(frames, params)
        .into_iter()
        .partition(|&(a, b)| presence.athlete_absent(&frames[a..=b]));
    // A freeze that stops a moving athlete dead (or starts them moving at once) took time
    // out of the movement; an athlete who came to rest by themselves and stays still (a
    // hold, the end of a set on a clean, heavily compressed picture) lost nothing.
    let (freezes, at_rest): (Vec<Run>, Vec<Run>) = with_athlete.into_iter().partition(|&(a, b)| {
        let Some(speeds) = speeds else { return true };
        let moving = |from_ms: f64, to_ms: f64| {
            speeds.iter().any(|&(i, v)| {
                let t = track.frames[i].timestamp_ms;
                t >= from_ms && t <= to_ms && v >= MOVING_STATURES_PER_S
            })
        };
        let (start, end) = (frames[a].timestamp_ms, frames[b].timestamp_ms);
        moving(start - FREEZE_EDGE_MS, start) || moving(end, end + FREEZE_EDGE_MS)
    });
    // Cards and stills at rest are left out of the duplicate share: their repeats are
    // neither slowed-down nor padded movement.
    let mut in_card = vec![false; frames.len()];
    for &(a, b) in cards.iter().chain(&at_rest) {
        in_card[a..=b].iter_mut().for_each(|c| *c = true);
    }
    // A picture may repeat itself while the athlete holds still (a slow set on a clean
    // studio picture barely changes between reps); padding slows *movement* down, so
    // only pairs where the body moves are judged. Without a pose every pair is judged.
    let athlete_still = athlete_still_per_frame(frames, track, speeds);
    let mut pairs = 0usize;
    let mut dups = 0usize;
    // Difference to the previous frame when both frames show a picture (not a flat card).
    let judged_diff = |i: usize| -> Option<f32> {
        let f = frames.get(i)?;
        if f.uniform || i == 0 || frames[i - 1].uniform || in_card[i] {
            return None;
        }
        f.diff_to_prev
    };
    for (i, still) in athlete_still.iter().enumerate() {
        let Some(diff) = judged_diff(i) else {
            continue;
        };
        if *still {
            continue;
        }
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
    let run_ms = |&(a, b): &(usize, usize)| frames[b].timestamp_ms - frames[a].timestamp_ms;
    let longest_freeze_ms = freezes.iter().map(run_ms).fold(0.0, f64::max);
    // A frozen picture of 1 s scores 50, of 3 s or more 100.
    let freeze_score = if longest_freeze_ms >= params.freeze_min_ms {
        (50.0 + 25.0 * (longest_freeze_ms - params.freeze_min_ms) / 1000.0).min(100.0)
    } else {
        0.0
    };
    let run_evidence = |&(a, b): &(usize, usize), what: &str| {
        let (fa, fb) = (&frames[a], &frames[b]);
        evidence(
            (fa.frame_index, fa.timestamp_ms),
            (fb.frame_index, fb.timestamp_ms),
            format!("{what} for {}", secs(fb.timestamp_ms - fa.timestamp_ms)),
        )
    };
    let mut evidence: Vec<_> = freezes
        .iter()
        .map(|r| run_evidence(r, "frozen picture with the athlete in it"))
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
        format!(
            "picture frozen for {} with the athlete in it",
            secs(longest_freeze_ms)
        )
    } else {
        String::new()
    };
    let mut findings = vec![Finding {
        score: share_score.max(freeze_score),
        summary,
        evidence,
    }];
    if !at_rest.is_empty() {
        let total_ms: f64 = at_rest.iter().map(run_ms).sum();
        findings.push(Finding {
            score: STILL_CARD_SCORE,
            summary: format!(
                "the picture stays still for {} while the athlete is at rest (a hold or a still end of the clip: no movement lost)",
                secs(total_ms)
            ),
            evidence: at_rest
                .iter()
                .map(|r| run_evidence(r, "still picture, athlete at rest before and after"))
                .collect(),
        });
    }
    if !cards.is_empty() {
        let total_ms: f64 = cards.iter().map(run_ms).sum();
        findings.push(Finding {
            score: STILL_CARD_SCORE,
            summary: format!(
                "{} still picture(s) without the athlete ({} in all: title card, intro or outro): an edit around the set, not of it",
                cards.len(),
                secs(total_ms)
            ),
            evidence: cards
                .iter()
                .map(|r| run_evidence(r, "still picture without the athlete"))
                .collect(),
        });
    }
    findings
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
    let period = track::analysed_period_ms(track);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::track::testing::{stick_person, track};

    /// The duplicate/freeze finding without a pose track (presence unknown).
    fn dup(frames: &[FrameSignal]) -> Finding {
        duplicated_frames(
            frames,
            &PoseTrack::default(),
            None,
            &ManipulationParams::default(),
        )
        .remove(0)
    }

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
    fn every_other_frame_duplicated_is_blocked_by_its_distinct_picture_rate() {
        let diffs: Vec<f32> = (0..300)
            .map(|i| if i % 2 == 0 { 0.0 } else { 3.0 })
            .collect();
        let f = dup(&signals(&diffs));
        // 149 of 299 pairs repeat: 15.05 distinct pictures/s -> 60 + 40 * 1.45 / 5.
        assert!(
            (f.score - (60.0 + 40.0 * (16.5 - 30.0 * 150.0 / 299.0) / 5.0)).abs() < 1e-6,
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
        let f = dup(&signals(&diffs));
        // 149 of the 299 judged steps are repeats (the last frame has no next neighbour).
        assert!(f.summary.contains("50%"), "{}", f.summary);
        assert!(f.score >= 60.0, "{}", f.score);
        // A still scene with the same small differences everywhere has no repeats.
        let still = vec![0.2f32; 300];
        assert_eq!(dup(&signals(&still)).score, 0.0);
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
        assert_eq!(dup(&s).score, 0.0);
    }

    #[test]
    fn a_frozen_two_seconds_is_reported_with_its_range() {
        let diffs: Vec<f32> = (0..300)
            .map(|i| if (100..160).contains(&i) { 0.0 } else { 2.0 })
            .collect();
        let f = dup(&signals(&diffs));
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
        assert_eq!(dup(&s).score, 0.0);
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
        let out = check(
            &natural,
            None,
            "",
            MotionClass::UNKNOWN,
            &ManipulationParams::default(),
        );
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
        let out = check(
            &looped,
            None,
            "",
            MotionClass::UNKNOWN,
            &ManipulationParams::default(),
        );
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
        // 120..180 also repeat the poses of 60..120: pose-wise, both look replayed. (A tall
        // figure, so that the jump where the replay starts stays within what gravity
        // allows: this test is about the pictures.)
        let source = |i: u32| if (120..180).contains(&i) { i - 60 } else { i };
        let poses = track(240, 30.0, |i| {
            vec![stick_person(
                1,
                300.0,
                200.0 + bobbing(source(i), 47.0),
                1000.0,
            )]
        });
        let params = ManipulationParams::default();
        // Natural: every picture is new, so no repetition is a replay.
        let natural = pictures(240, 30.0, moving_picture);
        let out = check(&poses, Some(&natural), "", MotionClass::UNKNOWN, &params);
        assert_eq!(out.score, 0.0, "{}", out.reason);
        // Looped: frames 120..180 are re-encoded copies (1 grey level off) of 60..120.
        let looped = pictures(240, 30.0, |i| {
            let mut p = moving_picture(source(i));
            if source(i) != i {
                p.iter_mut().for_each(|v| *v = v.saturating_add(1));
            }
            p
        });
        let out = check(&poses, Some(&looped), "", MotionClass::UNKNOWN, &params);
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
        let out = check(&poses, Some(&repeated), "", MotionClass::UNKNOWN, &params);
        assert_eq!(out.score, 0.0, "{}", out.reason);
    }

    #[test]
    fn movement_faster_than_gravity_is_flagged_and_a_calm_set_is_not() {
        // Bobbing 100 px at a 10-frame period at 30 fps: peak downward acceleration
        // 100 px * (2 pi * 3 Hz)^2 = 35,500 px/s^2; the stick figure's stature reads
        // 257 px (forearm 37.5 px / 0.146), 147 px/m at 1.75 m: ~25 g.
        let fast = track(150, 30.0, |i| {
            vec![stick_person(1, 300.0, 200.0 + bobbing(i, 10.0), 300.0)]
        });
        let controlled = MotionClass {
            controlled: true,
            gravity_bound: true,
        };
        let params = ManipulationParams::default();
        let out = check(&fast, None, "squat", controlled, &params);
        assert_eq!(out.score, 100.0, "{}", out.reason);
        assert!(out.reason.contains("faster than gravity"), "{}", out.reason);
        // An Olympic lift may pull the athlete under faster than a free fall: the gravity
        // clock does not judge it (the perfectly periodic figure still reads as looped).
        let pulls_under = MotionClass {
            controlled: false,
            gravity_bound: false,
        };
        let out = check(&fast, None, "snatch", pulls_under, &params);
        assert!(!out.reason.contains("gravity"), "{}", out.reason);
        // The same figure at a 90-frame period: 0.3 g, fine (drifting sideways so that
        // the repeated reps are not mistaken for a replay).
        let calm = track(150, 30.0, |i| {
            vec![stick_person(
                1,
                300.0 + 0.2 * i as f32,
                200.0 + bobbing(i, 90.0),
                300.0,
            )]
        });
        assert_eq!(check(&calm, None, "squat", controlled, &params).score, 0.0);
    }

    /// 6 s at 30 fps whose picture repeats exactly during 3.0-5.0 s.
    fn freeze_frames(i: u32) -> bool {
        (90..150).contains(&i)
    }

    fn freeze_signals() -> Vec<FrameSignal> {
        let diffs: Vec<f32> = (0..180)
            .map(|i| if freeze_frames(i) { 0.0 } else { 2.0 })
            .collect();
        signals(&diffs)
    }

    /// Reps until 3.0 s, then the figure freezes mid-movement (the freeze is an edit: the
    /// poses stop dead) and moves on at 5.0 s.
    fn stopped_dead() -> PoseTrack {
        track(180, 30.0, |i| {
            let t = if freeze_frames(i) {
                90
            } else if i >= 150 {
                i - 60
            } else {
                i
            };
            vec![stick_person(
                1,
                300.0,
                200.0 + bobbing(t, 45.0 * 4.0 / 3.0),
                600.0,
            )]
        })
    }

    /// Reps until 2.0 s, then the athlete comes to rest and holds still to the end.
    fn comes_to_rest() -> PoseTrack {
        track(180, 30.0, |i| {
            let t = i.min(60);
            vec![stick_person(1, 300.0, 200.0 + bobbing(t, 80.0), 600.0)]
        })
    }

    /// The duplicate/freeze findings on [`freeze_signals`] with `track`'s speeds.
    fn judge_freeze(track: &PoseTrack) -> Vec<Finding> {
        let subject = track::main_subject_series(track);
        let stature = body_physics::stature_px(&subject).unwrap();
        let speeds = body_physics::body_speeds(track, &subject, stature);
        assert!(!speeds.is_empty(), "no body speeds from the track");
        duplicated_frames(
            &freeze_signals(),
            track,
            Some(&speeds),
            &ManipulationParams::default(),
        )
    }

    #[test]
    fn a_freeze_that_stops_a_moving_athlete_is_manipulation_a_still_athlete_is_not() {
        let found = judge_freeze(&stopped_dead());
        assert!(found[0].score >= 70.0, "{found:?}");
        assert!(found[0].summary.contains("with the athlete"), "{found:?}");
        let found = judge_freeze(&comes_to_rest());
        assert_eq!(found[0].score, 0.0, "{found:?}");
        assert_eq!(found[1].score, STILL_CARD_SCORE, "{found:?}");
        assert!(found[1].summary.contains("at rest"), "{found:?}");
    }

    /// Reps until 3.0 s, then a still card without the athlete until 5.0 s, cut in
    /// straight after a rep: the pose model's tracker carries a fading "person" through
    /// the card's first quarter second, then sees nobody; the set goes on after it.
    fn card_with_a_fading_tracker() -> PoseTrack {
        track(180, 30.0, |i| {
            if freeze_frames(i) && i >= 98 {
                return vec![];
            }
            let t = if freeze_frames(i) { 90 } else { i };
            vec![stick_person(1, 300.0, 200.0 + bobbing(t, 60.0), 600.0)]
        })
    }

    #[test]
    fn a_card_is_told_by_most_of_its_frames_not_a_tracker_fading_into_it() {
        let found = judge_freeze(&card_with_a_fading_tracker());
        assert_eq!(found[0].score, 0.0, "{found:?}");
        let card = found
            .iter()
            .find(|f| f.summary.contains("without the athlete"))
            .unwrap_or_else(|| panic!("no card finding: {found:?}"));
        assert_eq!(card.score, STILL_CARD_SCORE, "{found:?}");
    }

    #[test]
    fn a_track_analysed_at_half_rate_judges_freezes_the_same() {
        // The pose stage analyses every other frame of a 30 fps video (an exercise counted
        // at 15 fps): speeds come from frames 66.7 ms apart, the pictures are still judged
        // frame by frame.
        let half_rate = |mut track: PoseTrack| {
            track.frames.retain(|f| f.frame_index % 2 == 0);
            track
        };
        let found = judge_freeze(&half_rate(stopped_dead()));
        assert!(found[0].score >= 70.0, "{found:?}");
        let found = judge_freeze(&half_rate(comes_to_rest()));
        assert_eq!(found[0].score, 0.0, "{found:?}");
    }

    #[test]
    fn repeats_while_the_athlete_holds_still_are_not_padding() {
        // 24 fps, 8 s: the athlete squats slowly for 4 s, then pauses between reps for
        // 4 s, with short stills of exact repeats scattered through the pause (under the
        // freeze length). Padding is judged on the moving half only.
        let fps = 24.0;
        let n = 192u32;
        let paused = |i: u32| i >= 96;
        let diffs: Vec<f32> = (0..n)
            .map(|i| if paused(i) && i % 3 != 0 { 0.0 } else { 2.0 })
            .collect();
        let frames: Vec<FrameSignal> = signals(&diffs)
            .into_iter()
            .map(|f| FrameSignal {
                timestamp_ms: f64::from(f.frame_index) * 1000.0 / fps,
                ..f
            })
            .collect();
        let params = ManipulationParams::default();
        let judge = |track: &PoseTrack, frames: &[FrameSignal]| {
            let subject = track::main_subject_series(track);
            let stature = body_physics::stature_px(&subject).unwrap();
            let speeds = body_physics::body_speeds(track, &subject, stature);
            duplicated_frames(frames, track, Some(&speeds), &params).remove(0)
        };
        let squats_then_pauses = track(n, fps, |i| {
            let t = i.min(96);
            vec![stick_person(1, 300.0, 200.0 + bobbing(t, 96.0), 600.0)]
        });
        let found = judge(&squats_then_pauses, &frames);
        assert_eq!(found.score, 0.0, "{found:?}");
        // The same repeats while the athlete keeps moving are frames padded into the
        // movement.
        let keeps_moving = track(n, fps, |i| {
            vec![stick_person(1, 300.0, 200.0 + bobbing(i, 96.0), 600.0)]
        });
        let found = judge(&keeps_moving, &frames);
        assert!(found.score > 0.0, "{found:?}");
    }
}
