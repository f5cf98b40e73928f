//! Turning a [`SignalSpec`] into a clean per-frame series.
//!
//! Pipeline: raw per-frame value (missing when a keypoint is not confident)
//! -> Hampel outlier removal -> linear interpolation of short gaps ->
//! zero-phase Butterworth low-pass per present run.

use std::collections::HashMap;

use fitvision_kinematics::angles::{JointAngle, SegmentAngle, joint_angle_deg, segment_angle_deg};
use fitvision_kinematics::schema::{Joint, Limb, Side};
use fitvision_kinematics::stats::SortedWindow;
use fitvision_kinematics::{clean, filter, stats};

use crate::definition::{SideChoice, SignalSpec};
use crate::subject::SubjectTrack;

/// Gaps up to this long are bridged by interpolation; longer ones stay missing.
pub const MAX_INTERPOLATED_GAP_S: f64 = 0.4;

/// The limbs a signal reads (used to pick the visible side).
fn signal_limbs(spec: &SignalSpec) -> Vec<Limb> {
    match spec {
        SignalSpec::JointAngle { joint, .. } => JointAngle::parse(joint)
            .map(|a| {
                let (p, v, d) = a.limbs();
                vec![p, v, d]
            })
            .unwrap_or_default(),
        SignalSpec::SegmentAngle { segment, .. } | SignalSpec::SegmentTilt { segment, .. } => {
            SegmentAngle::parse(segment)
                .map(|s| {
                    let (a, b) = s.limbs();
                    vec![a, b]
                })
                .unwrap_or_default()
        }
        SignalSpec::Height {
            joint, relative_to, ..
        } => std::iter::once(joint)
            .chain(relative_to)
            .filter_map(|j| Limb::parse(j))
            .collect(),
        SignalSpec::Distance { .. } => Vec::new(),
    }
}

/// The side the model sees better for the limbs of `spec`, over the whole track:
/// the higher summed confidence, ties to the left (as
/// [`fitvision_kinematics::side::more_visible_side`], summed in the same order
/// without collecting the scores).
pub fn visible_side(subject: &SubjectTrack, limbs: &[Limb]) -> Side {
    let sum = |side: Side| -> f64 {
        let mut total = 0.0;
        for i in 0..subject.len() {
            for l in limbs {
                let v = subject.score(i, l.on(side));
                if v.is_finite() {
                    total += v;
                }
            }
        }
        total
    };
    if sum(Side::Right) > sum(Side::Left) {
        Side::Right
    } else {
        Side::Left
    }
}

fn side_of(choice: SideChoice, subject: &SubjectTrack, spec: &SignalSpec) -> Option<Side> {
    match choice {
        SideChoice::Left => Some(Side::Left),
        SideChoice::Right => Some(Side::Right),
        SideChoice::Auto => Some(visible_side(subject, &signal_limbs(spec))),
        SideChoice::Both => None,
    }
}

/// Reads one side, or averages both (falling back on whichever is present).
fn per_side(side: Option<Side>, f: impl Fn(Side) -> Option<f64>) -> Option<f64> {
    match side {
        Some(s) => f(s).or_else(|| f(s.opposite())),
        None => match (f(Side::Left), f(Side::Right)) {
            (Some(a), Some(b)) => Some((a + b) / 2.0),
            (a, b) => a.or(b),
        },
    }
}

/// Raw per-frame values of `spec` (no cleaning).
pub fn raw_signal(subject: &SubjectTrack, spec: &SignalSpec) -> Vec<Option<f64>> {
    let n = subject.len();
    // Only length signals need the body unit (a percentile over every frame).
    let unit = || subject.body_unit_px().unwrap_or(1.0);
    match spec {
        SignalSpec::JointAngle { joint, side } => {
            let Some(angle) = JointAngle::parse(joint) else {
                return vec![None; n];
            };
            let side = side_of(*side, subject, spec);
            (0..n)
                .map(|i| {
                    per_side(side, |s| {
                        joint_angle_deg(angle, s, |l, sd| subject.limb(i, l, sd))
                    })
                })
                .collect()
        }
        SignalSpec::SegmentAngle { segment, side } => {
            let Some(seg) = SegmentAngle::parse(segment) else {
                return vec![None; n];
            };
            let side = side_of(*side, subject, spec);
            (0..n)
                .map(|i| {
                    per_side(side, |s| {
                        segment_angle_deg(seg, s, |l, sd| subject.limb(i, l, sd))
                    })
                })
                .collect()
        }
        SignalSpec::SegmentTilt { segment, side } => {
            let Some(seg) = SegmentAngle::parse(segment) else {
                return vec![None; n];
            };
            segment_tilt(subject, seg, side_of(*side, subject, spec))
        }
        SignalSpec::Height {
            joint,
            side,
            relative_to,
            planted,
        } => {
            let ground = ground_y(subject);
            let unit = unit();
            let side = side_of(*side, subject, spec);
            // Heights are read in the ground's frame: a handheld camera that sways or
            // tilts would otherwise move every landmark up and down with it.
            let y_of = |i: usize, name: &str| {
                if name == "nose" {
                    subject.ground_point(i, Joint::Nose).map(|p| p.y)
                } else {
                    let limb = Limb::parse(name)?;
                    per_side(side, |s| subject.ground_limb(i, limb, s).map(|p| p.y))
                }
            };
            let joint_y: Vec<Option<f64>> = (0..n).map(|i| y_of(i, joint)).collect();
            let base: Vec<Option<f64>> = match relative_to {
                Some(r) => {
                    let reference: Vec<Option<f64>> = (0..n).map(|i| y_of(i, r)).collect();
                    if *planted {
                        planted_reference(subject, &joint_y, reference)
                    } else {
                        reference
                    }
                }
                None => vec![Some(ground); n],
            };
            joint_y
                .iter()
                .zip(&base)
                .map(|(y, base)| Some((base.as_ref()? - y.as_ref()?) / unit))
                .collect()
        }
        SignalSpec::Distance { from, to } => {
            let (Some(a), Some(b)) = (Joint::parse(from), Joint::parse(to)) else {
                return vec![None; n];
            };
            let unit = unit();
            (0..n)
                .map(|i| Some(subject.point(i, a)?.distance(subject.point(i, b)?) / unit))
                .collect()
        }
    }
}

/// A segment whose projected length falls below this share of its true length in a
/// tenth of the frames swings out of the image plane (by more than ~50 degrees): it is
/// filmed from above or from its end, and its tilt is read from its foreshortening.
const OUT_OF_PLANE_SHARE: f64 = 0.6;

/// Per-frame tilt of `seg` away from upright (see `SignalSpec::SegmentTilt`).
fn segment_tilt(subject: &SubjectTrack, seg: SegmentAngle, side: Option<Side>) -> Vec<Option<f64>> {
    let n = subject.len();
    let (lower, upper) = seg.limbs();
    let vector = |i: usize| {
        per_side_point(side, |s| {
            let (a, b) = (subject.limb(i, lower, s)?, subject.limb(i, upper, s)?);
            Some((b.x - a.x, b.y - a.y))
        })
    };
    let lengths: Vec<f64> = (0..n)
        .filter_map(|i| vector(i).map(|(x, y)| x.hypot(y)))
        .collect();
    let (Some(true_length), Some(short)) = (
        stats::percentile(&lengths, 90.0),
        stats::percentile(&lengths, 10.0),
    ) else {
        return vec![None; n];
    };
    if true_length <= 0.0 || short >= OUT_OF_PLANE_SHARE * true_length {
        // Moves in the image plane: the side view's inclination.
        return (0..n)
            .map(|i| {
                per_side(side, |s| {
                    segment_angle_deg(seg, s, |l, sd| subject.limb(i, l, sd))
                })
            })
            .collect();
    }
    (0..n)
        .map(|i| {
            let (x, y) = vector(i)?;
            Some(((x.hypot(y) / true_length).min(1.0)).asin().to_degrees())
        })
        .collect()
}

/// A segment vector on one side, or the mean of both sides (falling back on whichever
/// is present), like [`per_side`] for points.
fn per_side_point(
    side: Option<Side>,
    f: impl Fn(Side) -> Option<(f64, f64)>,
) -> Option<(f64, f64)> {
    match side {
        Some(s) => f(s).or_else(|| f(s.opposite())),
        None => match (f(Side::Left), f(Side::Right)) {
            (Some(a), Some(b)) => Some(((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0)),
            (a, b) => a.or(b),
        },
    }
}

/// Image y of the floor: a high percentile of the ankles' y (the lowest they get).
pub fn ground_y(subject: &SubjectTrack) -> f64 {
    subject.ground_y()
}

/// Outlier removal, short-gap interpolation and zero-phase low-pass.
pub fn clean_signal(
    subject: &SubjectTrack,
    raw: &[Option<f64>],
    cutoff_hz: f64,
) -> Vec<Option<f64>> {
    let fs = subject.sample_rate_hz;
    let half_window = ((0.2 * fs).round() as usize).max(2);
    // Both percentiles from one buffer: selection reorders it, never changes its values.
    let mut present: Vec<f64> = raw.iter().flatten().copied().collect();
    let (p5, p95) = stats::percentile_pair_in_place(&mut present, 5.0, 95.0);
    let spread = p95.unwrap_or(0.0) - p5.unwrap_or(0.0);
    let despiked = clean::hampel(raw, half_window, 3.0, (spread * 0.05).max(1e-9));
    let max_gap = (MAX_INTERPOLATED_GAP_S * fs).round() as usize;
    let filled = clean::interpolate_gaps(&subject.times_s, &despiked, max_gap.max(1));
    // The cut-off must stay below Nyquist for low-rate (sampled) tracks.
    let cutoff = cutoff_hz.min(0.45 * fs);
    filter::butterworth_filtfilt_runs(&filled, cutoff, fs).unwrap_or(filled)
}

/// Subtracts a rolling median over `window_s` (drift of a handheld camera).
pub fn detrend(subject: &SubjectTrack, x: &[Option<f64>], window_s: f64) -> Vec<Option<f64>> {
    if window_s <= 0.0 {
        return x.to_vec();
    }
    x.iter()
        .zip(rolling_median(subject, x, window_s))
        .map(|(v, m)| Some(v.as_ref()? - m?))
        .collect()
}

/// Median of the finite values within `window_s` centred on each frame (present
/// wherever the window holds one). The window slides one frame at a time, so it is
/// kept sorted incrementally instead of re-selected per frame.
fn rolling_median(subject: &SubjectTrack, x: &[Option<f64>], window_s: f64) -> Vec<Option<f64>> {
    let half = ((window_s * subject.sample_rate_hz / 2.0).round() as usize).max(1);
    let finite = |i: usize| x.get(i).copied().flatten().filter(|v| v.is_finite());
    let mut window = SortedWindow::with_capacity(2 * half + 1);
    for v in (0..half.min(x.len())).filter_map(finite) {
        window.insert(v);
    }
    (0..x.len())
        .map(|i| {
            if let Some(v) = finite(i + half) {
                window.insert(v);
            }
            if let Some(v) = i.checked_sub(half + 1).and_then(finite) {
                window.remove(v);
            }
            window.percentile(50.0)
        })
        .collect()
}

/// Window over which a planted landmark is read (a few reps long, so the body's
/// own motion cannot pull the median; short enough to follow a slow camera drift).
const PLANTED_WINDOW_S: f64 = 2.0;

/// A planted landmark whose smoothed excursion exceeds this share of the followed
/// landmark's moves with it in the image: the camera follows the body, and the
/// per-frame reference is the one that cancels that motion. With a still camera
/// the planted hands of push-ups measure 0.11-0.52 of the shoulders' excursion
/// (their detection noise) on 18 such tracks (the shared set's push-ups and the
/// variants of its close-up clip); a camera riding along with the athlete: 4.6.
const PLANTED_MAX_RELATIVE_EXCURSION: f64 = 0.6;

/// The reference of a height signal read as a planted landmark: its rolling median,
/// when it moves clearly less than the followed landmark; otherwise per frame.
fn planted_reference(
    subject: &SubjectTrack,
    followed: &[Option<f64>],
    reference: Vec<Option<f64>>,
) -> Vec<Option<f64>> {
    let excursion = |x: &[Option<f64>]| {
        let smooth = clean_signal(subject, x, PLANTED_EXCURSION_CUTOFF_HZ);
        let mut present: Vec<f64> = smooth.iter().flatten().copied().collect();
        match stats::percentile_pair_in_place(&mut present, 5.0, 95.0) {
            (Some(lo), Some(hi)) => Some(hi - lo),
            _ => None,
        }
    };
    match (excursion(&reference), excursion(followed)) {
        (Some(r), Some(f)) if f > 0.0 && r <= PLANTED_MAX_RELATIVE_EXCURSION * f => {
            rolling_median(subject, &reference, PLANTED_WINDOW_S)
        }
        _ => reference,
    }
}

/// Excursions are compared on motion a body makes (below ~1.5 Hz), not on noise.
const PLANTED_EXCURSION_CUTOFF_HZ: f64 = 1.5;

/// Raw, cleaned signal in one call.
pub fn followed_signal(
    subject: &SubjectTrack,
    spec: &SignalSpec,
    cutoff_hz: f64,
) -> Vec<Option<f64>> {
    clean_signal(subject, &raw_signal(subject, spec), cutoff_hz)
}

/// One joint angle measured on one side only (no fallback on the other side).
#[derive(Debug, Clone)]
pub struct OneSideSignal {
    pub raw: Vec<Option<f64>>,
    pub clean: Vec<Option<f64>>,
}

/// Cleaned signals of one analysis, computed once and shared by the angle
/// series, rep counting, per-rep analyses, form checks and holds (they all use
/// the definition's cut-off on the same subject).
///
/// A joint angle followed on a chosen side (which falls back on the other side
/// per frame) is assembled from the two one-side raw series; when no frame needs
/// the fallback it *is* the one-side series, and its cleaned version is reused.
#[derive(Debug, Clone)]
pub struct SignalStore {
    cutoff_hz: f64,
    one_side: HashMap<(JointAngle, Side), OneSideSignal>,
    followed: HashMap<SignalSpec, Vec<Option<f64>>>,
}

impl SignalStore {
    pub fn new(cutoff_hz: f64) -> Self {
        Self {
            cutoff_hz,
            one_side: HashMap::new(),
            followed: HashMap::new(),
        }
    }

    /// `angle` on `side` alone, raw and cleaned.
    pub fn one_side(
        &mut self,
        subject: &SubjectTrack,
        angle: JointAngle,
        side: Side,
    ) -> &OneSideSignal {
        let cutoff = self.cutoff_hz;
        self.one_side.entry((angle, side)).or_insert_with(|| {
            let raw: Vec<Option<f64>> = (0..subject.len())
                .map(|i| joint_angle_deg(angle, side, |l, s| subject.limb(i, l, s)))
                .collect();
            let clean = clean_signal(subject, &raw, cutoff);
            OneSideSignal { raw, clean }
        })
    }

    /// The cleaned signal of `spec` (as [`followed_signal`] with the store's cut-off).
    pub fn followed(&mut self, subject: &SubjectTrack, spec: &SignalSpec) -> &Vec<Option<f64>> {
        if !self.followed.contains_key(spec) {
            let signal = self.compute(subject, spec);
            self.followed.insert(spec.clone(), signal);
        }
        &self.followed[spec]
    }

    fn compute(&mut self, subject: &SubjectTrack, spec: &SignalSpec) -> Vec<Option<f64>> {
        let SignalSpec::JointAngle { joint, side } = spec else {
            return followed_signal(subject, spec, self.cutoff_hz);
        };
        let Some(angle) = JointAngle::parse(joint) else {
            return followed_signal(subject, spec, self.cutoff_hz);
        };
        let left = self.one_side(subject, angle, Side::Left).raw.clone();
        let right = &self.one_side(subject, angle, Side::Right).raw;
        let raw: Vec<Option<f64>> = match side_of(*side, subject, spec) {
            Some(chosen) => {
                let (own, other) = match chosen {
                    Side::Left => (&left, right),
                    Side::Right => (right, &left),
                };
                if own
                    .iter()
                    .zip(other)
                    .all(|(o, t)| o.is_some() || t.is_none())
                {
                    return self.one_side[&(angle, chosen)].clean.clone();
                }
                own.iter().zip(other).map(|(o, t)| o.or(*t)).collect()
            }
            None => left
                .iter()
                .zip(right)
                .map(|(l, r)| match (l, r) {
                    (Some(a), Some(b)) => Some((a + b) / 2.0),
                    (a, b) => a.or(*b),
                })
                .collect(),
        };
        clean_signal(subject, &raw, self.cutoff_hz)
    }
}

/// Unit of a signal for presentation ("deg" or "body").
pub fn unit_of(spec: &SignalSpec) -> &'static str {
    match spec {
        SignalSpec::JointAngle { .. }
        | SignalSpec::SegmentAngle { .. }
        | SignalSpec::SegmentTilt { .. } => "deg",
        SignalSpec::Height { .. } | SignalSpec::Distance { .. } => "body",
    }
}
