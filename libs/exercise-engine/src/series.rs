//! Standard time series every analysis returns (joint and segment angles).

use std::collections::HashMap;

use fitvision_kinematics::clean;
use fitvision_proto::v1::Series;

use crate::definition::{SideChoice, SignalSpec};
use crate::signals;
use crate::subject::SubjectTrack;

/// Fills every gap (interpolating inside, holding the nearest value at the ends)
/// so a presented series has one finite value per timestamp. `None` when the
/// signal was never measured.
pub fn presentable(times_s: &[f64], x: &[Option<f64>]) -> Option<Vec<f64>> {
    let filled = clean::interpolate_gaps(times_s, x, usize::MAX);
    let first = filled.iter().flatten().next().copied()?;
    let mut last = first;
    Some(
        filled
            .into_iter()
            .map(|v| {
                if let Some(v) = v {
                    last = v;
                }
                v.unwrap_or(last)
            })
            .map(|v| (v * 100.0).round() / 100.0)
            .collect(),
    )
}

pub fn series(unit: &str, values: Vec<f64>) -> Series {
    Series {
        unit: unit.to_string(),
        values,
    }
}

/// Left/right knee, hip, elbow, shoulder and ankle angles plus trunk and shin inclination.
pub fn angle_series(subject: &SubjectTrack, cutoff_hz: f64) -> HashMap<String, Series> {
    let mut out = HashMap::new();
    for joint in ["knee", "hip", "elbow", "shoulder", "ankle"] {
        for (side, name) in [(SideChoice::Left, "left"), (SideChoice::Right, "right")] {
            let spec = SignalSpec::JointAngle {
                joint: joint.into(),
                side,
            };
            let raw = raw_one_side(subject, &spec);
            let clean = signals::clean_signal(subject, &raw, cutoff_hz);
            if let Some(v) = presentable(&subject.times_s, &clean) {
                out.insert(format!("{name}_{joint}_angle"), series("deg", v));
            }
        }
    }
    for segment in ["trunk", "shin"] {
        let spec = SignalSpec::SegmentAngle {
            segment: segment.into(),
            side: SideChoice::Auto,
        };
        let clean = signals::followed_signal(subject, &spec, cutoff_hz);
        if let Some(v) = presentable(&subject.times_s, &clean) {
            out.insert(format!("{segment}_angle"), series("deg", v));
        }
    }
    out
}

/// A fixed-side signal without falling back on the other side (a "left" series
/// must never silently show the right limb).
fn raw_one_side(subject: &SubjectTrack, spec: &SignalSpec) -> Vec<Option<f64>> {
    use fitvision_kinematics::angles::{JointAngle, joint_angle_deg};
    use fitvision_kinematics::schema::Side;
    let SignalSpec::JointAngle { joint, side } = spec else {
        return signals::raw_signal(subject, spec);
    };
    let (Some(angle), Some(side)) = (
        JointAngle::parse(joint),
        match side {
            SideChoice::Left => Some(Side::Left),
            SideChoice::Right => Some(Side::Right),
            _ => None,
        },
    ) else {
        return signals::raw_signal(subject, spec);
    };
    (0..subject.len())
        .map(|i| joint_angle_deg(angle, side, |l, s| subject.limb(i, l, s)))
        .collect()
}
