//! Turning a [`SignalSpec`] into a clean per-frame series.
//!
//! Pipeline: raw per-frame value (missing when a keypoint is not confident)
//! -> Hampel outlier removal -> linear interpolation of short gaps ->
//! zero-phase Butterworth low-pass per present run.

use fitvision_kinematics::angles::{JointAngle, SegmentAngle, joint_angle_deg, segment_angle_deg};
use fitvision_kinematics::schema::{Joint, Limb, Side};
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
        SignalSpec::SegmentAngle { segment, .. } => SegmentAngle::parse(segment)
            .map(|s| {
                let (a, b) = s.limbs();
                vec![a, b]
            })
            .unwrap_or_default(),
        SignalSpec::Height {
            joint, relative_to, ..
        } => std::iter::once(joint)
            .chain(relative_to)
            .filter_map(|j| Limb::parse(j))
            .collect(),
        SignalSpec::Distance { .. } => Vec::new(),
    }
}

/// The side the model sees better for the limbs of `spec`, over the whole track.
pub fn visible_side(subject: &SubjectTrack, limbs: &[Limb]) -> Side {
    let scores = |side: Side| -> Vec<f64> {
        (0..subject.len())
            .flat_map(|i| limbs.iter().map(move |l| subject.score(i, l.on(side))))
            .collect()
    };
    fitvision_kinematics::side::more_visible_side(&scores(Side::Left), &scores(Side::Right))
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
        SignalSpec::Height {
            joint,
            side,
            relative_to,
        } => {
            let ground = ground_y(subject);
            let unit = unit();
            let side = side_of(*side, subject, spec);
            let y_of = |i: usize, name: &str| {
                if name == "nose" {
                    subject.point(i, Joint::Nose).map(|p| p.y)
                } else {
                    let limb = Limb::parse(name)?;
                    per_side(side, |s| subject.limb(i, limb, s).map(|p| p.y))
                }
            };
            (0..n)
                .map(|i| {
                    let y = y_of(i, joint)?;
                    let base = match relative_to {
                        Some(r) => y_of(i, r)?,
                        None => ground,
                    };
                    Some((base - y) / unit)
                })
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

/// Image y of the floor: a high percentile of the ankles' y (the lowest they get).
pub fn ground_y(subject: &SubjectTrack) -> f64 {
    let ys: Vec<f64> = (0..subject.len())
        .flat_map(|i| {
            [Side::Left, Side::Right]
                .into_iter()
                .filter_map(move |s| subject.limb(i, Limb::Ankle, s).map(|p| p.y))
        })
        .collect();
    stats::percentile(&ys, 95.0).unwrap_or(0.0)
}

/// Outlier removal, short-gap interpolation and zero-phase low-pass.
pub fn clean_signal(
    subject: &SubjectTrack,
    raw: &[Option<f64>],
    cutoff_hz: f64,
) -> Vec<Option<f64>> {
    let fs = subject.sample_rate_hz;
    let half_window = ((0.2 * fs).round() as usize).max(2);
    let spread = stats::percentile_opt(raw, 95.0).unwrap_or(0.0)
        - stats::percentile_opt(raw, 5.0).unwrap_or(0.0);
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
    let half = ((window_s * subject.sample_rate_hz / 2.0).round() as usize).max(1);
    let n = x.len();
    let mut window = Vec::with_capacity(2 * half + 1);
    (0..n)
        .map(|i| {
            let v = x[i]?;
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(n);
            window.clear();
            window.extend(x[lo..hi].iter().flatten().copied());
            Some(v - stats::median_in_place(&mut window)?)
        })
        .collect()
}

/// Raw, cleaned signal in one call.
pub fn followed_signal(
    subject: &SubjectTrack,
    spec: &SignalSpec,
    cutoff_hz: f64,
) -> Vec<Option<f64>> {
    clean_signal(subject, &raw_signal(subject, spec), cutoff_hz)
}

/// Unit of a signal for presentation ("deg" or "body").
pub fn unit_of(spec: &SignalSpec) -> &'static str {
    match spec {
        SignalSpec::JointAngle { .. } | SignalSpec::SegmentAngle { .. } => "deg",
        SignalSpec::Height { .. } | SignalSpec::Distance { .. } => "body",
    }
}
