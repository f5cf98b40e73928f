//! Standard time series every analysis returns (joint and segment angles).

use std::collections::HashMap;

use fitvision_kinematics::angles::JointAngle;
use fitvision_kinematics::clean;
use fitvision_kinematics::schema::Side;
use fitvision_proto::v1::Series;

use crate::definition::{SideChoice, SignalSpec};
use crate::signals::SignalStore;
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

/// Left/right knee, hip, elbow, shoulder and ankle angles plus trunk and shin
/// inclination. A "left" series is the left limb only, never the right one
/// filling in. The cleaned signals stay in `store` for the rest of the analysis.
pub fn angle_series(subject: &SubjectTrack, store: &mut SignalStore) -> HashMap<String, Series> {
    let mut out = HashMap::new();
    for angle in [
        JointAngle::Knee,
        JointAngle::Hip,
        JointAngle::Elbow,
        JointAngle::Shoulder,
        JointAngle::Ankle,
    ] {
        for side in [Side::Left, Side::Right] {
            let clean = &store.one_side(subject, angle, side).clean;
            if let Some(v) = presentable(&subject.times_s, clean) {
                out.insert(
                    format!("{}_{}_angle", side.as_str(), angle.as_str()),
                    series("deg", v),
                );
            }
        }
    }
    for segment in ["trunk", "shin"] {
        let spec = SignalSpec::SegmentAngle {
            segment: segment.into(),
            side: SideChoice::Auto,
        };
        if let Some(v) = presentable(&subject.times_s, store.followed(subject, &spec)) {
            out.insert(format!("{segment}_angle"), series("deg", v));
        }
    }
    out
}
