//! Body physics of the main subject: whether the athlete's own movement fits the clock of
//! the video. Three findings, strongest first:
//!
//! - **Gravity clock.** Nothing pulls a body down harder than gravity: the downward
//!   acceleration of the body's centre of mass cannot exceed 1 g unless the athlete pulls
//!   themselves down against something (an Olympic lifter pulling under the bar). Played
//!   k times too fast, every acceleration is k^2 times too large, so a 3x speed-up of a
//!   set whose honest peak is 0.4 g reads 3.6 g. Accelerations come from a parabola fitted
//!   over a fixed stretch of time (the same smoothing at 24, 30 or 60 fps), in metres from
//!   the subject's stature (assumed 1.75 m; a 1.5-1.95 m athlete moves the figure by
//!   -11..+17%, inside the limit's margin), and must hold for a sustained stretch: a
//!   single glitchy keypoint cannot make it.
//! - **Tempo.** Whole-body speed in statures per second against the exercise's controlled
//!   tempo. A tempo is not a physical limit (a plyometric push-up is fast and honest), so
//!   this only corroborates: it never reaches the blocking line on its own.
//! - **Teleporting body.** Most of the body leaping away for exactly one frame and back: a
//!   frame inserted from elsewhere. A single joint doing so is a detector glitch (left/right
//!   swaps, a wrist lost in the dark) and is not evidence.
//!
//! Scale: the subject's stature in pixels from segment lengths (`fitvision_kinematics::
//! scale::stature_px_from_segments`), stable over the clip and robust to foreshortening;
//! a per-frame torso length shrinks in front views and turns noise into "speed".

use fitvision_kinematics::derivative::local_quadratic;
use fitvision_kinematics::scale::{
    FOREARM_FRACTION, SHANK_FRACTION, THIGH_FRACTION, TRUNK_FRACTION, UPPER_ARM_FRACTION,
    stature_px_from_segments,
};
use fitvision_kinematics::{GRAVITY_M_S2, clean};
use fitvision_proto::v1::{Evidence, PersonPose, PoseTrack};

use super::{Finding, evidence};
use crate::track::{self, coco, point};

/// How the exercise may move, for the limits below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MotionClass {
    /// Performed at a controlled tempo (strength and bodyweight moves): the tempo limit
    /// is [`BodyParams::controlled_tempo`]; otherwise [`BodyParams::ballistic_tempo`].
    pub controlled: bool,
    /// The gravity clock holds: no phase where the athlete pulls themselves down faster
    /// than a free fall.
    pub gravity_bound: bool,
}

impl MotionClass {
    /// An unknown activity: lenient tempo, gravity still holds.
    pub const UNKNOWN: Self = Self {
        controlled: false,
        gravity_bound: true,
    };
}

/// Thresholds of the body-physics findings.
#[derive(Debug, Clone)]
pub struct BodyParams {
    /// Stature assumed to turn pixels into metres.
    pub assumed_stature_m: f64,
    /// Half-width in seconds of the parabola fitted for accelerations ...
    pub accel_half_window_s: f64,
    /// ... holding at least this many samples.
    pub accel_min_samples: usize,
    /// Downward acceleration (in g) of the body centre, sustained over `sustain_s`,
    /// that is flagged: 1 g plus the margin of the scale and of the centre proxy.
    pub gravity_limit_g: f64,
    pub sustain_s: f64,
    /// Whole-body speed (statures/s, 95th percentile over the clip) of a controlled
    /// tempo and of anything else.
    pub controlled_tempo: f64,
    pub ballistic_tempo: f64,
    /// Highest score the tempo finding gives alone: below the blocking line.
    pub tempo_max_score: f64,
    /// A frame whose joints leap at least this share of the stature away from both
    /// neighbours, which agree with each other within `teleport_neighbours_agree` ...
    pub teleport_stature_share: f64,
    pub teleport_neighbours_agree: f64,
    /// ... for at least this share of the joints seen in all three frames, was inserted.
    pub teleport_joint_share: f64,
}

impl Default for BodyParams {
    fn default() -> Self {
        Self {
            assumed_stature_m: 1.75,
            accel_half_window_s: 0.15,
            accel_min_samples: 5,
            gravity_limit_g: 1.5,
            sustain_s: 0.1,
            controlled_tempo: 0.9,
            ballistic_tempo: 3.0,
            tempo_max_score: 30.0,
            teleport_stature_share: 0.2,
            teleport_neighbours_agree: 0.05,
            teleport_joint_share: 0.5,
        }
    }
}

/// Minimum frames in which a segment must be seen to take part in the stature.
const STATURE_MIN_SAMPLES: usize = 5;

/// The subject's stature in pixels (see the module documentation).
pub fn stature_px(subject: &[Option<&PersonPose>]) -> Option<f64> {
    // Per segment kind (upper arm, forearm, thigh, shank): lengths over the clip, both sides.
    let mut limbs: [Vec<f64>; 4] = Default::default();
    let mut trunk = Vec::new();
    let length = |p: &PersonPose, a: usize, b: usize| {
        let (pa, pb) = (point(p, a)?, point(p, b)?);
        Some((pa.0 - pb.0).hypot(pa.1 - pb.1))
    };
    const LIMB_SEGMENTS: [(usize, usize, usize); 8] = [
        (coco::LEFT_SHOULDER, coco::LEFT_ELBOW, 0),
        (coco::RIGHT_SHOULDER, coco::RIGHT_ELBOW, 0),
        (coco::LEFT_ELBOW, coco::LEFT_WRIST, 1),
        (coco::RIGHT_ELBOW, coco::RIGHT_WRIST, 1),
        (coco::LEFT_HIP, coco::LEFT_KNEE, 2),
        (coco::RIGHT_HIP, coco::RIGHT_KNEE, 2),
        (coco::LEFT_KNEE, coco::LEFT_ANKLE, 3),
        (coco::RIGHT_KNEE, coco::RIGHT_ANKLE, 3),
    ];
    for p in subject.iter().flatten() {
        for (a, b, kind) in LIMB_SEGMENTS {
            limbs[kind].extend(length(p, a, b));
        }
        trunk.extend(track::torso_length_px(p));
    }
    let [upper_arm, forearm, thigh, shank] = &limbs;
    stature_px_from_segments(
        &[
            (UPPER_ARM_FRACTION, upper_arm),
            (FOREARM_FRACTION, forearm),
            (THIGH_FRACTION, thigh),
            (SHANK_FRACTION, shank),
            (TRUNK_FRACTION, &trunk),
        ],
        STATURE_MIN_SAMPLES,
    )
}

/// y of a centre-of-mass proxy per frame, in the ground's frame (a swaying handheld
/// camera adds no acceleration): two parts hip centre, one part shoulder centre (the
/// trunk carries about half the mass, centred nearer the hips), only where both centres
/// are seen, so the proxy never jumps between joint sets.
pub fn centre_y(track: &PoseTrack, subject: &[Option<&PersonPose>]) -> Vec<Option<f64>> {
    let centre = |p: &PersonPose, a: usize, b: usize| match (point(p, a), point(p, b)) {
        (Some(x), Some(y)) => Some(((x.0 + y.0) / 2.0, (x.1 + y.1) / 2.0)),
        _ => None,
    };
    let ground = fitvision_exercise_engine::subject::ground_path(track);
    subject
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let p = (*p)?;
            let hips = centre(p, coco::LEFT_HIP, coco::RIGHT_HIP)?;
            let shoulders = centre(p, coco::LEFT_SHOULDER, coco::RIGHT_SHOULDER)?;
            let (x, y) = (
                (2.0 * hips.0 + shoulders.0) / 3.0,
                (2.0 * hips.1 + shoulders.1) / 3.0,
            );
            Some(match ground.as_ref().and_then(|g| g.get(i)) {
                Some(t) => t.apply(x, y).1,
                None => y,
            })
        })
        .collect()
}

/// Track timestamps in seconds (decoder timestamps when they increase, else frame
/// index / rate).
fn times_s(track: &PoseTrack) -> Vec<f64> {
    let frames = &track.frames;
    if frames
        .windows(2)
        .all(|w| w[1].timestamp_ms > w[0].timestamp_ms)
    {
        frames.iter().map(|f| f.timestamp_ms / 1000.0).collect()
    } else {
        let period = track::frame_period_ms(track) / 1000.0;
        frames
            .iter()
            .map(|f| f64::from(f.frame_index) * period)
            .collect()
    }
}

/// Downward acceleration of the body centre per frame, in g (positive = downward).
pub fn downward_acceleration_g(
    track: &PoseTrack,
    subject: &[Option<&PersonPose>],
    stature_px: f64,
    params: &BodyParams,
) -> Vec<Option<f64>> {
    let times = times_s(track);
    let y = centre_y(track, subject);
    // One glitchy frame (a hip detected on the other leg) must not bend the parabola.
    let period = track::analysed_period_ms(track) / 1000.0;
    let half = ((params.accel_half_window_s / period).round() as usize).max(2);
    let despiked = clean::hampel(&y, half, 3.0, 0.01 * stature_px);
    let px_per_m = stature_px / params.assumed_stature_m;
    local_quadratic(
        &times,
        &despiked,
        params.accel_half_window_s,
        params.accel_min_samples,
    )
    .into_iter()
    .map(|d| d.map(|(_, a)| a / px_per_m / GRAVITY_M_S2))
    .collect()
}

/// Per frame, the lowest value within `half_s` on either side when every frame there has
/// one (the value the signal held for the whole stretch), else `None`. Times ascend.
fn sustained(times: &[f64], values: &[Option<f64>], half_s: f64) -> Vec<Option<f64>> {
    (0..values.len())
        .map(|i| {
            let mut low = values[i]?;
            let near = |k: &usize| (times[*k] - times[i]).abs() <= half_s;
            for k in (0..i)
                .rev()
                .take_while(near)
                .chain((i + 1..values.len()).take_while(near))
            {
                low = low.min(values[k]?);
            }
            Some(low)
        })
        .collect()
}

/// Stretches (first, last frame position) where `flag` holds.
fn runs(flags: impl Iterator<Item = bool>) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, f) in flags.enumerate() {
        if !f {
            continue;
        }
        match out.last_mut() {
            Some(r) if r.1 + 1 == i => r.1 = i,
            _ => out.push((i, i)),
        }
    }
    out
}

fn frame_evidence(track: &PoseTrack, first: usize, last: usize, detail: String) -> Evidence {
    let (a, b) = (&track.frames[first], &track.frames[last]);
    evidence(
        (a.frame_index, a.timestamp_ms),
        (b.frame_index, b.timestamp_ms),
        detail,
    )
}

/// Per frame, the downward acceleration (g) the body centre held for at least
/// `params.sustain_s` around it.
pub fn sustained_downward_g(
    track: &PoseTrack,
    subject: &[Option<&PersonPose>],
    stature_px: f64,
    params: &BodyParams,
) -> Vec<Option<f64>> {
    let accel = downward_acceleration_g(track, subject, stature_px, params);
    sustained(&times_s(track), &accel, params.sustain_s / 2.0)
}

/// The highest sustained downward acceleration over the clip (g).
pub fn peak_sustained_downward_g(
    track: &PoseTrack,
    subject: &[Option<&PersonPose>],
    stature_px: f64,
    params: &BodyParams,
) -> Option<f64> {
    sustained_downward_g(track, subject, stature_px, params)
        .into_iter()
        .flatten()
        .reduce(f64::max)
}

/// Highest gravity-clock score from one stretch over the limit: under the default
/// blocking score (40) and the MEDIUM risk line.
const SINGLE_STRETCH_MAX_SCORE: f64 = 35.0;

/// The gravity clock (see the module documentation).
pub fn gravity_clock(
    track: &PoseTrack,
    subject: &[Option<&PersonPose>],
    stature_px: f64,
    class: MotionClass,
    params: &BodyParams,
) -> Finding {
    if !class.gravity_bound {
        return Finding::default();
    }
    let held = sustained_downward_g(track, subject, stature_px, params);
    let Some(peak) = held.iter().flatten().copied().reduce(f64::max) else {
        return Finding::default();
    };
    let limit = params.gravity_limit_g;
    let over = runs(held.iter().map(|a| a.is_some_and(|a| a >= limit)));
    let score = if peak >= limit {
        // At the limit: 50 (flagged); twice the limit or more: 100.
        let full = (50.0 + 50.0 * (peak / limit - 1.0)).min(100.0);
        // A wrong clock speeds up every movement of the clip, so its excess recurs; one
        // stretch alone is what a pose glitch gives (measured: an honest 320x240
        // close-up re-encoded at a low bitrate read 1.8 g once). It is reported, and
        // cannot block on its own.
        if over.len() >= 2 {
            full
        } else {
            full.min(SINGLE_STRETCH_MAX_SCORE)
        }
    } else {
        0.0
    };
    let evidence = over
        .iter()
        .take(10)
        .map(|&(a, b)| {
            let top = held[a..=b].iter().flatten().copied().fold(0.0, f64::max);
            frame_evidence(
                track,
                a,
                b,
                format!(
                    "body centre accelerates downward at {top:.1} g (limit {limit:.1} g: faster than a free fall)"
                ),
            )
        })
        .collect();
    Finding {
        score,
        summary: if score > 0.0 {
            format!(
                "the body falls faster than gravity allows: {peak:.1} g downward, held {:.1} s (limit {limit:.1} g), in {} stretch{}; {}",
                params.sustain_s,
                over.len(),
                if over.len() == 1 { "" } else { "es" },
                if over.len() >= 2 {
                    "the footage plays faster than it was filmed"
                } else {
                    "once only: a wrong clock would recur at every movement, a pose glitch does not"
                }
            )
        } else {
            format!("peak downward acceleration {peak:.2} g (limit {limit:.1} g)")
        },
        evidence,
    }
}

/// Half-width of the window (frames) used to smooth joints and take their speed.
const SPEED_HALF_WINDOW: usize = 2;

/// Whole-body speed per frame in statures per second: each joint is median-filtered over
/// 5 frames (removes single-frame detector glitches), its speed taken as a central
/// difference over 4 frame periods, and the frame's speed is the median over joints (the
/// body moving, not one flailing or mis-detected joint).
pub fn body_speeds(
    track: &PoseTrack,
    subject: &[Option<&PersonPose>],
    stature_px: f64,
) -> Vec<(usize, f64)> {
    let frames = &track.frames;
    let n = frames.len();
    let h = SPEED_HALF_WINDOW;
    let period = track::analysed_period_ms(track);
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
                Some((pa.0 - pb.0).hypot(pa.1 - pb.1) / stature_px / (dt_ms / 1000.0))
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

/// The tempo finding (see the module documentation).
pub fn tempo(
    track: &PoseTrack,
    subject: &[Option<&PersonPose>],
    stature_px: f64,
    class: MotionClass,
    exercise_id: &str,
    params: &BodyParams,
) -> Finding {
    let speeds = body_speeds(track, subject, stature_px);
    let values: Vec<f64> = speeds.iter().map(|s| s.1).collect();
    let Some(p95) = track::percentile(&values, 0.95) else {
        return Finding::default();
    };
    let limit = if class.controlled {
        params.controlled_tempo
    } else {
        params.ballistic_tempo
    };
    let ratio = p95 / limit;
    // At the limit: half the cap; 1.5x the limit or more: the cap.
    let score = if ratio >= 1.0 {
        (params.tempo_max_score * (0.5 + (ratio - 1.0))).min(params.tempo_max_score)
    } else {
        0.0
    };
    let activity = if exercise_id.is_empty() {
        "this activity"
    } else {
        exercise_id
    };
    let evidence = if score > 0.0 {
        runs(speeds.iter().map(|s| s.1 >= limit))
            .iter()
            .take(10)
            .map(|&(a, b)| {
                let (fa, fb) = (speeds[a].0, speeds[b].0);
                let top = speeds[a..=b].iter().map(|s| s.1).fold(0.0, f64::max);
                frame_evidence(
                    track,
                    fa,
                    fb,
                    format!(
                        "body moves {top:.2} statures/s (controlled tempo of {activity}: up to {limit:.2})"
                    ),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    Finding {
        score,
        summary: if score > 0.0 {
            format!(
                "faster than a controlled {activity}: {p95:.2} statures/s (tempo limit {limit:.2}); an explosive variant or sped-up playback"
            )
        } else {
            format!("peak body speed {p95:.2} statures/s (tempo limit {limit:.2})")
        },
        evidence,
    }
}

/// The teleporting-body finding (see the module documentation). Corroborating only: at
/// most 40, reached when 5% of the observed frames were inserted.
pub fn teleporting_body(
    track: &PoseTrack,
    subject: &[Option<&PersonPose>],
    stature_px: f64,
    params: &BodyParams,
) -> Finding {
    let frames = &track.frames;
    let mut events = Vec::new();
    let mut observed = 0usize;
    let far = params.teleport_stature_share * stature_px;
    let agree = params.teleport_neighbours_agree * stature_px;
    for i in 1..frames.len().saturating_sub(1) {
        let (Some(a), Some(b), Some(c)) = (subject[i - 1], subject[i], subject[i + 1]) else {
            continue;
        };
        let dist = |p: (f64, f64), q: (f64, f64)| (p.0 - q.0).hypot(p.1 - q.1);
        let mut seen = 0usize;
        let mut leapt = 0usize;
        for j in 0..coco::COUNT {
            let (Some(pa), Some(pb), Some(pc)) = (point(a, j), point(b, j), point(c, j)) else {
                continue;
            };
            seen += 1;
            leapt += usize::from(dist(pa, pb) > far && dist(pc, pb) > far && dist(pa, pc) < agree);
        }
        if seen < 6 {
            continue;
        }
        observed += 1;
        if leapt as f64 >= params.teleport_joint_share * seen as f64 {
            events.push(i);
        }
    }
    let rate = events.len() as f64 / observed.max(1) as f64;
    let score = (rate / 0.05 * 40.0).min(40.0);
    let evidence = events
        .iter()
        .take(5)
        .map(|&i| {
            frame_evidence(
                track,
                i,
                i,
                "the body leaps away and back within one frame (an inserted frame)".into(),
            )
        })
        .collect();
    Finding {
        score,
        summary: if events.is_empty() {
            String::new()
        } else {
            format!(
                "{} inserted frame(s): the whole body leaps away and back",
                events.len()
            )
        },
        evidence,
    }
}
