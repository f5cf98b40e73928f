//! Names the exercise of an unlabelled pose track.
//!
//! The exercises of the catalog differ in a few things a coach would name at a
//! glance: how the body is oriented (upright, lying, hanging from a bar), which joint
//! does the work (knees, elbows, the trunk), whether the feet leave the ground, whether
//! the arms go overhead, whether the feet split or the body travels. [`Features`]
//! measures each of them once over the subject's track, in body units (the
//! shoulder-to-ankle chain, so the figures do not depend on resolution or distance) and
//! degrees; [`recognize`] then walks a small decision tree over them. Every threshold
//! sits between what the two sides of its branch look like physically (a lying body is
//! closer to horizontal than to vertical, a jump leaves the floor by more than pose
//! noise moves an ankle), and each decision's margin becomes part of the confidence, so
//! a clip that sits near a boundary is reported as uncertain instead of being guessed.

use fitvision_kinematics::angles::{JointAngle, joint_angle_deg};
use fitvision_kinematics::geometry::{Point2, inclination_from_vertical_deg};
use fitvision_kinematics::schema::{Limb, Side};
use fitvision_kinematics::stats;
use fitvision_proto::v1::PoseTrack;

use crate::signals::{clean_signal, visible_side};
use crate::subject::SubjectTrack;
use crate::{AnalyzeOptions, Catalog, analyze};
use fitvision_proto::v1::Subject;

/// Keypoints under this confidence are not read (as the analysers).
const MIN_SCORE: f64 = 0.3;
/// Low-pass cut-off for the recognition signals: keeps skipping's ~3 Hz bounce and
/// removes frame-to-frame jitter.
const CUTOFF_HZ: f64 = 4.0;
/// Both ankles this far above the floor (body units; ~16 cm for an adult) are off it:
/// more than pose noise or a heel raise moves them.
const ANKLE_LIFT_BODY: f64 = 0.12;
/// Hips this far above their standing height (body units; ~13 cm) are in a jump.
const HIP_RISE_BODY: f64 = 0.1;
/// A knee at least this straight is a standing (or flying) leg.
const STRAIGHT_KNEE_DEG: f64 = 160.0;
/// Below this confidence a recognition is reported as a guess, not used to count.
pub const MIN_CONFIDENCE: f64 = 0.5;

/// What the recogniser measured on a track (body units are shoulder-hip-knee-ankle
/// chain lengths, ~0.8 of stature).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    /// Share of the frames from the subject's first to last sighting with the subject
    /// present (a title card or an outro without anyone is not a gap in the set).
    pub presence: f64,
    /// Seconds from the subject's first to last sighting.
    pub span_s: f64,
    /// Median inclination of the trunk (hips to shoulders) from vertical, degrees.
    pub trunk_tilt_deg: f64,
    /// 90th - 10th percentile of the trunk's inclination (a sit-up swings it).
    pub trunk_swing_deg: f64,
    /// 90th percentile of the trunk's inclination from vertical, degrees.
    pub trunk_tilt_p90_deg: f64,
    /// Share of frames in which the trunk points at (or away from) the camera: its image
    /// shorter than 0.8 shoulder widths, where an upright trunk is ~1.4 shoulder widths
    /// long (a push-up filmed head-on).
    pub end_on_share: f64,
    /// Share of frames with both wrists above both shoulders (hanging from a bar).
    pub hands_overhead: f64,
    /// 90th percentile of the wrists' height above the shoulders, body units: positive
    /// when the arms go overhead at some point of the movement.
    pub wrist_rise: f64,
    /// Median height of the wrists above the shoulders, body units (negative: below).
    pub wrists_above_shoulders: f64,
    /// 90th - 10th percentile of the working joints' interior angles, degrees.
    pub knee_range_deg: f64,
    pub elbow_range_deg: f64,
    pub hip_range_deg: f64,
    /// 95th - 5th percentile of the hips' height in the ground's frame, body units.
    pub hip_travel: f64,
    /// Distance the hips cover sideways over the clip in the ground's frame, body units.
    pub horizontal_travel: f64,
    /// How far the hips rise above their standing height (median over frames with both
    /// knees straight), 98th percentile, body units: only a jump lifts them.
    pub hip_rise: f64,
    /// How high the ankles get above the floor at most (95th percentile), body units.
    pub ankle_lift: f64,
    /// Horizontal distance between the ankles when the knees are most bent, body units.
    pub stance_split: f64,
    /// 90th - 10th percentile of the horizontal distance between the ankles, body units
    /// (a jumping jack opens and closes the legs).
    pub stance_swing: f64,
    /// 90th - 10th percentile of the distance between the knees, body units, and its
    /// oscillations per second: running swings the knees past each other at 1.3-2 strides
    /// a second.
    pub knee_gap_swing: f64,
    pub knee_gap_hz: f64,
    /// Oscillations of the hips' height per second (zero crossings of the detrended
    /// signal / 2).
    pub bounce_hz: f64,
}

/// A recognised exercise.
#[derive(Debug, Clone, PartialEq)]
pub struct Recognition {
    /// Catalog id of the best candidate; `None` when the track has no subject.
    pub exercise_id: Option<String>,
    /// 0..1: how clearly the track sits on its side of every decision that named it.
    pub confidence: f64,
    /// Why, in words a reviewer can check against the video.
    pub reason: String,
    pub features: Features,
}

impl Recognition {
    /// Confident enough to count with.
    pub fn is_confident(&self) -> bool {
        self.exercise_id.is_some() && self.confidence >= MIN_CONFIDENCE
    }
}

/// What a catalog definition counted on the track.
#[derive(Debug, Clone, Copy, Default)]
struct Counted {
    reps: u32,
    /// Share of the subject's time on screen spent inside those reps.
    time_share: f64,
}

impl Counted {
    fn of(result: &fitvision_proto::v1::AnalysisResult, span_s: f64) -> Self {
        let inside_ms: f64 = result
            .reps
            .iter()
            .map(|r| (r.end_timestamp_ms - r.start_timestamp_ms).max(0.0))
            .sum();
        Self {
            reps: result.rep_count,
            time_share: if span_s > 0.0 {
                (inside_ms / 1000.0 / span_s).min(1.0)
            } else {
                0.0
            },
        }
    }
}

/// One decision of the tree, kept so the reason and the confidence can name it.
struct Decision {
    text: String,
    /// 0.5 at the limit, towards 1 as the value moves away from it (logistic in units
    /// of the decision's scale): how surely the track is on the side it was sent.
    certainty: f64,
}

/// Records one branch and takes it when `value` is at least `limit`. `scale` is the
/// distance from the limit at which the decision counts as 73% sure.
fn decide(path: &mut Vec<Decision>, what: &str, value: f64, limit: f64, scale: f64) -> bool {
    let over = value >= limit;
    let z = ((value - limit) / scale).abs();
    path.push(Decision {
        text: format!(
            "{what} {value:.2} {} {limit}",
            if over { ">=" } else { "<" }
        ),
        certainty: 1.0 / (1.0 + (-z).exp()),
    });
    over
}

/// Records the evidence of a flight (both ankles and the hips above their standing
/// height) on the path.
fn record_flight(path: &mut Vec<Decision>, f: &Features) {
    decide(path, "ankle lift", f.ankle_lift, ANKLE_LIFT_BODY, 0.03);
    decide(path, "hip rise", f.hip_rise, HIP_RISE_BODY, 0.03);
}

/// Names the exercise of `track`'s main subject among `catalog`'s built-in exercises.
pub fn recognize(track: &PoseTrack, catalog: &Catalog) -> Recognition {
    let Some(subject) = SubjectTrack::from_track(track, MIN_SCORE) else {
        return Recognition {
            exercise_id: None,
            confidence: 0.0,
            reason: "no person in the video".into(),
            features: Features::default(),
        };
    };
    let features = Features::measure(&subject);
    let reps = |id: &str| {
        catalog
            .get(id)
            .and_then(|def| {
                analyze(def, track, &Subject::default(), &AnalyzeOptions::default()).ok()
            })
            .map_or_else(Counted::default, |result| {
                Counted::of(&result, features.span_s)
            })
    };
    let (id, path) = classify(&features, reps);
    // The weakest decision on the path bounds the confidence; too few frames with the
    // person lower it further.
    let weakest = path.iter().map(|d| d.certainty).fold(1.0, f64::min);
    let confidence = weakest * features.presence.clamp(0.0, 1.0).sqrt();
    let reason = path
        .iter()
        .map(|d| d.text.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    Recognition {
        exercise_id: id.map(str::to_owned),
        confidence,
        reason,
        features,
    }
}

/// The decision tree. `reps` counts a catalog exercise's reps on the track: the
/// definition's own signal and gates decide whether a lying body moves through
/// push-ups or holds a plank, and whether a swinging trunk is doing sit-ups. Returns the
/// catalog id (`None` = nothing it knows) and the path.
fn classify(f: &Features, reps: impl Fn(&str) -> Counted) -> (Option<&'static str>, Vec<Decision>) {
    let mut path = Vec::new();
    // Sit-ups swing the trunk between lying and upright, rep after rep: the trunk is
    // near horizontal at some point and the sit-up definition counts reps.
    if decide(&mut path, "trunk swing deg", f.trunk_swing_deg, 40.0, 8.0) {
        if decide(
            &mut path,
            "trunk tilt p90 deg",
            f.trunk_tilt_p90_deg,
            60.0,
            8.0,
        ) && decide(
            &mut path,
            "sit-up reps",
            f64::from(reps("sit_up").reps),
            1.5,
            0.5,
        ) {
            return (Some("sit_up"), path);
        }
        path.clear();
    }
    // Lying (push-up, plank, bench press): the trunk nearer horizontal than vertical
    // (median tilt over 45 degrees), or pointing at the camera.
    let lying = f
        .trunk_tilt_deg
        .max(if f.end_on_share >= 0.3 { 90.0 } else { 0.0 });
    if decide(&mut path, "trunk tilt deg", lying, 45.0, 8.0) {
        // On the back with the bar over the chest: wrists above the shoulders.
        if decide(
            &mut path,
            "wrists above shoulders",
            f.wrists_above_shoulders,
            0.15,
            0.05,
        ) {
            return (Some("bench_press"), path);
        }
        // A set of push-ups spends about half its time or more moving through reps
        // (0.52-0.84 over the labelled sets); a plank holds, and only getting into and
        // out of it looks like a slow rep or two (0.32 of the plank clip at 15 fps).
        let push_ups = reps("push_up");
        if decide(
            &mut path,
            "push-up reps",
            f64::from(push_ups.reps),
            1.5,
            0.5,
        ) && decide(
            &mut path,
            "push-up time share",
            push_ups.time_share,
            0.45,
            0.08,
        ) {
            return (Some("push_up"), path);
        }
        return (Some("plank"), path);
    }
    // Upright. Hanging from a bar: the hands stay above the shoulders and the elbows do
    // the work (hands behind the head in a squat or sit-up leave the elbows still).
    let elbow_share = f.elbow_range_deg / (f.knee_range_deg.max(f.hip_range_deg) + 1.0);
    if decide(
        &mut path,
        "hands overhead share",
        f.hands_overhead,
        0.6,
        0.08,
    ) {
        if decide(&mut path, "elbow / leg range", elbow_share, 1.5, 0.3) {
            return (Some("chin_up"), path);
        }
        path.clear();
    }
    // Running covers ground.
    if decide(
        &mut path,
        "horizontal travel",
        f.horizontal_travel,
        2.0,
        0.4,
    ) {
        return (Some("sprint"), path);
    }
    path.pop();
    // The legs open and close: jumping jacks raise the hands over the shoulders with
    // them; running on the spot swings the knees past each other at a running cadence.
    if decide(&mut path, "stance swing", f.stance_swing, 0.25, 0.06) {
        if decide(&mut path, "wrist rise", f.wrist_rise, 0.05, 0.05) {
            return (Some("jumping_jacks"), path);
        }
        if f.knee_range_deg < 60.0 && decide(&mut path, "knee gap hz", f.knee_gap_hz, 1.2, 0.2) {
            return (Some("sprint"), path);
        }
    }
    // The feet leave the floor together, and the jump analyser finds a flight: a jump
    // test dips deep before it leaves the floor, a rope is skipped on the balls of the
    // feet with nearly straight knees, rep after rep.
    // Perspective lifts a foot that steps back, and a cut moves the floor: only both
    // ankles and the hips above their standing height together are a flight.
    let flying = f.ankle_lift >= ANKLE_LIFT_BODY
        && f.hip_rise >= HIP_RISE_BODY
        && reps("vertical_jump").reps >= 1;
    // Bent knees as the work: squats and lunges, or the dip before a jump.
    if decide(&mut path, "knee range deg", f.knee_range_deg, 35.0, 6.0) {
        if flying {
            record_flight(&mut path, f);
            return (Some("vertical_jump"), path);
        }
        if decide(
            &mut path,
            "stance split",
            f.stance_split.max(f.stance_swing),
            0.25,
            0.06,
        ) {
            return (Some("lunge"), path);
        }
        return (Some("squat"), path);
    }
    // Straight knees and many small bounces: skipping rope.
    let skips = f64::from(reps("skipping").reps);
    if decide(&mut path, "skipping reps", skips, 3.5, 1.0) {
        decide(&mut path, "bounce hz", f.bounce_hz, 0.8, 0.2);
        return (Some("skipping"), path);
    }
    if flying {
        record_flight(&mut path, f);
        return (Some("vertical_jump"), path);
    }
    (None, path)
}

impl Features {
    /// Measures every feature on `subject`.
    pub fn measure(subject: &SubjectTrack) -> Self {
        let n = subject.len();
        let unit = subject.body_unit_px().unwrap_or(1.0).max(1e-6);
        let present = (0..n).filter(|&i| subject.is_present(i)).count();
        let first = (0..n).find(|&i| subject.is_present(i));
        let last = (0..n).rev().find(|&i| subject.is_present(i));
        let (span_frames, span_s) = match (first, last) {
            (Some(a), Some(b)) => (
                b - a + 1,
                subject.times_s[b] - subject.times_s[a] + 1.0 / subject.sample_rate_hz.max(1e-6),
            ),
            _ => (0, 0.0),
        };
        let trunk: Vec<f64> = (0..n)
            .filter_map(|i| {
                let s = subject.limb_mid(i, Limb::Shoulder)?;
                let h = subject.limb_mid(i, Limb::Hip)?;
                inclination_from_vertical_deg(h, s)
            })
            .collect();
        let end_on: Vec<bool> = (0..n)
            .filter_map(|i| {
                let s = subject.limb_mid(i, Limb::Shoulder)?;
                let h = subject.limb_mid(i, Limb::Hip)?;
                let width = subject
                    .limb(i, Limb::Shoulder, Side::Left)?
                    .distance(subject.limb(i, Limb::Shoulder, Side::Right)?);
                // Shoulders too close together to tell (a side view) say nothing.
                Some(width > 0.1 * unit && s.distance(h) < 0.8 * width)
            })
            .collect();
        let overhead: Vec<bool> = (0..n)
            .filter_map(|i| {
                let shoulders = subject
                    .limb(i, Limb::Shoulder, Side::Left)?
                    .y
                    .min(subject.limb(i, Limb::Shoulder, Side::Right)?.y);
                let l = subject.limb(i, Limb::Wrist, Side::Left)?;
                let r = subject.limb(i, Limb::Wrist, Side::Right)?;
                Some(l.y < shoulders && r.y < shoulders)
            })
            .collect();
        let wrists_above: Vec<f64> = (0..n)
            .filter_map(|i| {
                let s = subject.limb_mid(i, Limb::Shoulder)?;
                let w = subject.limb_mid(i, Limb::Wrist)?;
                Some((s.y - w.y) / unit)
            })
            .collect();
        let angle_range = |angle: JointAngle| {
            let (a, b, c) = angle.limbs();
            let side = visible_side(subject, &[a, b, c]);
            let raw: Vec<Option<f64>> = (0..n)
                .map(|i| joint_angle_deg(angle, side, |l, s| subject.limb(i, l, s)))
                .collect();
            spread(&clean_signal(subject, &raw, CUTOFF_HZ), 10.0, 90.0)
        };
        let knee_side = visible_side(subject, &[Limb::Hip, Limb::Knee, Limb::Ankle]);
        let knee: Vec<Option<f64>> = clean_signal(
            subject,
            &(0..n)
                .map(|i| joint_angle_deg(JointAngle::Knee, knee_side, |l, s| subject.limb(i, l, s)))
                .collect::<Vec<_>>(),
            CUTOFF_HZ,
        );
        let hips: Vec<Option<Point2>> = (0..n)
            .map(|i| subject.ground_limb_mid(i, Limb::Hip))
            .collect();
        let hip_y: Vec<Option<f64>> = hips.iter().map(|p| p.map(|p| p.y / unit)).collect();
        let hip_x: Vec<Option<f64>> = hips.iter().map(|p| p.map(|p| p.x / unit)).collect();
        let hip_y = clean_signal(subject, &hip_y, CUTOFF_HZ);
        let hip_x = clean_signal(subject, &hip_x, CUTOFF_HZ);
        let straight: Vec<bool> = (0..n)
            .map(|i| {
                [Side::Left, Side::Right].into_iter().all(|side| {
                    joint_angle_deg(JointAngle::Knee, side, |l, s| subject.limb(i, l, s))
                        .is_some_and(|a| a >= STRAIGHT_KNEE_DEG)
                })
            })
            .collect();
        // Height is up: minus the image y.
        let standing: Vec<f64> = hip_y
            .iter()
            .zip(&straight)
            .filter_map(|(y, s)| s.then_some(-(*y)?))
            .collect();
        let heights: Vec<f64> = hip_y.iter().flatten().map(|y| -y).collect();
        let hip_rise = match (stats::median(&standing), stats::percentile(&heights, 98.0)) {
            (Some(stand), Some(top)) => (top - stand).max(0.0),
            _ => 0.0,
        };
        let ground = subject.ground_y();
        let ankle_heights: Vec<f64> = (0..n)
            .filter_map(|i| {
                let l = subject.ground_limb(i, Limb::Ankle, Side::Left)?;
                let r = subject.ground_limb(i, Limb::Ankle, Side::Right)?;
                // Both feet: one foot lifted is a step or a lunge, not a jump.
                Some((ground - l.y.max(r.y)) / unit)
            })
            .collect();
        let ankle_gap: Vec<Option<f64>> = (0..n)
            .map(|i| {
                let l = subject.ground_limb(i, Limb::Ankle, Side::Left)?;
                let r = subject.ground_limb(i, Limb::Ankle, Side::Right)?;
                Some((l.x - r.x).abs() / unit)
            })
            .collect();
        let ankle_gap = clean_signal(subject, &ankle_gap, CUTOFF_HZ);
        // Stance at the deepest knee bends: the frames in the knee angle's lowest tenth.
        let deep = stats::percentile_opt(&knee, 10.0);
        let split_at_depth: Vec<f64> = knee
            .iter()
            .zip(&ankle_gap)
            .filter_map(|(k, g)| (k.as_ref()? <= deep.as_ref()?).then_some((*g)?))
            .collect();
        let knee_gap: Vec<Option<f64>> = (0..n)
            .map(|i| {
                let l = subject.limb(i, Limb::Knee, Side::Left)?;
                let r = subject.limb(i, Limb::Knee, Side::Right)?;
                Some(l.distance(r) / unit)
            })
            .collect();
        let knee_gap = clean_signal(subject, &knee_gap, CUTOFF_HZ);
        let travelled = {
            let xs: Vec<f64> = hip_x.iter().flatten().copied().collect();
            spread_of(&xs, 5.0, 95.0)
        };
        Features {
            presence: if span_frames == 0 {
                0.0
            } else {
                present as f64 / span_frames as f64
            },
            span_s,
            trunk_tilt_deg: stats::median(&trunk).unwrap_or(0.0),
            trunk_swing_deg: spread_of(&trunk, 10.0, 90.0),
            trunk_tilt_p90_deg: stats::percentile(&trunk, 90.0).unwrap_or(0.0),
            end_on_share: share(&end_on),
            hands_overhead: share(&overhead),
            wrist_rise: stats::percentile(&wrists_above, 90.0).unwrap_or(0.0),
            wrists_above_shoulders: stats::median(&wrists_above).unwrap_or(0.0),
            knee_range_deg: spread(&knee, 10.0, 90.0),
            elbow_range_deg: angle_range(JointAngle::Elbow),
            hip_range_deg: angle_range(JointAngle::Hip),
            hip_travel: spread(&hip_y, 5.0, 95.0),
            horizontal_travel: travelled,
            hip_rise,
            ankle_lift: stats::percentile(&ankle_heights, 95.0).unwrap_or(0.0),
            stance_split: stats::median(&split_at_depth).unwrap_or(0.0),
            stance_swing: spread(&ankle_gap, 10.0, 90.0),
            knee_gap_swing: spread(&knee_gap, 10.0, 90.0),
            knee_gap_hz: oscillation_hz(subject, &knee_gap),
            bounce_hz: oscillation_hz(subject, &hip_y),
        }
    }
}

fn share(flags: &[bool]) -> f64 {
    if flags.is_empty() {
        0.0
    } else {
        flags.iter().filter(|f| **f).count() as f64 / flags.len() as f64
    }
}

fn spread(values: &[Option<f64>], low: f64, high: f64) -> f64 {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    spread_of(&present, low, high)
}

fn spread_of(values: &[f64], low: f64, high: f64) -> f64 {
    match (
        stats::percentile(values, low),
        stats::percentile(values, high),
    ) {
        (Some(a), Some(b)) => b - a,
        _ => 0.0,
    }
}

/// Cycles per second of `signal` around its rolling median: crossings that move by
/// more than a tenth of the signal's spread (noise around the median does not count),
/// halved, over the time the signal is present.
fn oscillation_hz(subject: &SubjectTrack, signal: &[Option<f64>]) -> f64 {
    let detrended = crate::signals::detrend(subject, signal, 1.5);
    let amplitude = spread(&detrended, 10.0, 90.0);
    if amplitude <= 0.0 {
        return 0.0;
    }
    let band = 0.1 * amplitude;
    let mut state = 0_i8;
    let mut crossings = 0_usize;
    let mut present_s = 0.0;
    for (i, v) in detrended.iter().enumerate() {
        let Some(v) = v else { continue };
        if i + 1 < subject.len() && detrended[i + 1].is_some() {
            present_s += subject.times_s[i + 1] - subject.times_s[i];
        }
        let now = if *v > band {
            1
        } else if *v < -band {
            -1
        } else {
            continue;
        };
        if state != 0 && now != state {
            crossings += 1;
        }
        state = now;
    }
    if present_s <= 0.0 {
        0.0
    } else {
        crossings as f64 / 2.0 / present_s
    }
}

#[cfg(test)]
mod tests {
    use std::f64::consts::TAU;

    use super::*;
    use crate::synthetic::{BodyPose, track};

    fn recognised(track: &PoseTrack) -> Recognition {
        recognize(track, &Catalog::builtin().unwrap())
    }

    #[test]
    fn knees_bending_and_straightening_in_place_are_squats() {
        let (squats, _) = crate::synthetic::squat_minute();
        let r = recognised(&squats);
        assert_eq!(r.exercise_id.as_deref(), Some("squat"), "{r:?}");
        assert!(r.is_confident(), "{r:?}");
    }

    #[test]
    fn a_title_card_before_the_set_changes_neither_the_answer_nor_its_confidence() {
        let squats = |card_s: f64| {
            track(30.0, 600 + (card_s * 30.0) as usize, |t| {
                (t >= card_s).then(|| BodyPose {
                    knee_deg: 125.0 + 55.0 * ((t - card_s) / 3.0 * TAU).cos(),
                    ..Default::default()
                })
            })
        };
        let plain = recognised(&squats(0.0));
        let carded = recognised(&squats(3.0));
        assert_eq!(carded.exercise_id.as_deref(), Some("squat"), "{carded:?}");
        assert!(
            (plain.confidence - carded.confidence).abs() < 0.02,
            "{plain:?} vs {carded:?}"
        );
    }

    #[test]
    fn elbows_working_under_hands_above_the_head_are_chin_ups() {
        // Hanging with the arms overhead, 5 pulls of 3 s, the feet off the floor.
        let pulls = track(30.0, 450, |t| {
            Some(BodyPose {
                shoulder_deg: 180.0,
                elbow_deg: 115.0 + 60.0 * (t / 3.0 * TAU).cos(),
                lift_px: 300.0,
                ..Default::default()
            })
        });
        let r = recognised(&pulls);
        assert_eq!(r.exercise_id.as_deref(), Some("chin_up"), "{r:?}");
        assert!(r.is_confident(), "{r:?}");
    }

    #[test]
    fn a_dip_then_a_flight_is_a_vertical_jump() {
        // Stand 1 s, dip to 100 degrees over 0.5 s, fly 0.5 s (g t^2 / 8 = 31 cm with
        // the chain at 640 px ~ 1.36 m: ~145 px), land and stand.
        let g_px = 9.81 * 640.0 / 1.36;
        let jump = track(60.0, 180, |t| {
            let mut pose = BodyPose::default();
            if (1.0..1.5).contains(&t) {
                pose.knee_deg = 180.0 - 80.0 * ((t - 1.0) / 0.5 * std::f64::consts::PI).sin();
            } else if (1.5..2.0).contains(&t) {
                let s = t - 1.5;
                pose.lift_px = (g_px * s * (0.5 - s) / 2.0).max(0.0);
            }
            Some(pose)
        });
        let r = recognised(&jump);
        assert_eq!(r.exercise_id.as_deref(), Some("vertical_jump"), "{r:?}");
    }

    #[test]
    fn standing_still_is_not_recognised_and_no_person_says_so() {
        let still = track(30.0, 150, |_| Some(BodyPose::default()));
        let r = recognised(&still);
        assert_eq!(r.exercise_id, None, "{r:?}");
        assert!(!r.is_confident());
        let nobody = track(30.0, 30, |_| None);
        let r = recognised(&nobody);
        assert_eq!(r.exercise_id, None);
        assert_eq!(r.reason, "no person in the video");
    }

    #[test]
    fn a_decision_is_surer_the_further_its_value_is_from_the_limit() {
        let mut path = Vec::new();
        assert!(decide(&mut path, "x", 1.0, 1.0, 0.1));
        assert!(!decide(&mut path, "x", 0.5, 1.0, 0.1));
        assert!((path[0].certainty - 0.5).abs() < 1e-12);
        assert!(path[1].certainty > 0.99);
        assert_eq!(path[1].text, "x 0.50 < 1");
    }
}
