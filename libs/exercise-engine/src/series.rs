//! Standard time series every analysis returns (joint and segment angles).

use std::collections::HashMap;

use fitvision_kinematics::angles::JointAngle;
use fitvision_kinematics::clean;
use fitvision_kinematics::schema::Side;
use fitvision_proto::v1::Series;

use crate::definition::{SideChoice, SignalSpec};
use crate::names::series as names;
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
    for angle in SIDE_ANGLES {
        for side in [Side::Left, Side::Right] {
            let clean = &store.one_side(subject, angle, side).clean;
            if let Some(v) = presentable(&subject.times_s, clean) {
                out.insert(side_angle_name(side, angle), series("deg", v));
            }
        }
    }
    for (segment, name) in [("trunk", names::TRUNK_ANGLE), ("shin", names::SHIN_ANGLE)] {
        let spec = SignalSpec::SegmentAngle {
            segment: segment.into(),
            side: SideChoice::Auto,
        };
        if let Some(v) = presentable(&subject.times_s, store.followed(subject, &spec)) {
            out.insert(name.to_owned(), series("deg", v));
        }
    }
    out
}

/// The joint angles presented per side.
const SIDE_ANGLES: [JointAngle; 5] = [
    JointAngle::Knee,
    JointAngle::Hip,
    JointAngle::Elbow,
    JointAngle::Shoulder,
    JointAngle::Ankle,
];

/// "left_knee_angle" and the like (listed in [`names::LEFT_KNEE_ANGLE`] and its neighbours).
fn side_angle_name(side: Side, angle: JointAngle) -> String {
    format!("{}_{}_angle", side.as_str(), angle.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_angle_series_are_named_as_the_constants() {
        let made: Vec<String> = SIDE_ANGLES
            .into_iter()
            .flat_map(|angle| [Side::Left, Side::Right].map(|side| side_angle_name(side, angle)))
            .collect();
        assert_eq!(
            made,
            [
                names::LEFT_KNEE_ANGLE,
                names::RIGHT_KNEE_ANGLE,
                names::LEFT_HIP_ANGLE,
                names::RIGHT_HIP_ANGLE,
                names::LEFT_ELBOW_ANGLE,
                names::RIGHT_ELBOW_ANGLE,
                names::LEFT_SHOULDER_ANGLE,
                names::RIGHT_SHOULDER_ANGLE,
                names::LEFT_ANKLE_ANGLE,
                names::RIGHT_ANKLE_ANGLE,
            ]
        );
    }
}
