//! Joint and segment angles of one pose, with one convention for the whole suite.
//!
//! Convention (degrees, image plane):
//! - **Interior joint angles**, 0..=180, 180 = fully straight:
//!   - knee = hip-knee-ankle, hip = shoulder-hip-knee, elbow = shoulder-elbow-wrist,
//!     shoulder = hip-shoulder-elbow (0 = arm down along the trunk, 180 = overhead).
//!   - ankle = knee-ankle-foot_index when the schema has a foot landmark; otherwise
//!     it is approximated as `90 - shin inclination` (foot assumed flat on the floor,
//!     shin leaning over the toes), so standing upright reads 90.
//! - **Segment inclinations from vertical**, 0..=90, 0 = upright:
//!   - trunk (= torso): hip midpoint -> shoulder midpoint (or one side's hip -> shoulder).
//!   - shin: ankle -> knee. thigh: knee -> hip. upper_arm: shoulder -> elbow.
//! - **Thigh elevation** (`hip_knee`): elevation of the hip above the knee relative to the
//!   horizontal, positive = hip above knee; 0 = thighs parallel (squat depth reference).

use crate::geometry::{Point2, elevation_deg, inclination_from_vertical_deg, interior_angle_deg};
use crate::schema::{Limb, Side};

/// Interior joint angles (see the module convention).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JointAngle {
    Knee,
    Hip,
    Elbow,
    Shoulder,
    Ankle,
}

/// Segment inclinations from the vertical, or the thigh elevation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SegmentAngle {
    Trunk,
    Shin,
    Thigh,
    UpperArm,
    /// Elevation of hip above knee (squat depth).
    HipKnee,
}

impl JointAngle {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "knee" => JointAngle::Knee,
            "hip" => JointAngle::Hip,
            "elbow" => JointAngle::Elbow,
            "shoulder" => JointAngle::Shoulder,
            "ankle" => JointAngle::Ankle,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JointAngle::Knee => "knee",
            JointAngle::Hip => "hip",
            JointAngle::Elbow => "elbow",
            JointAngle::Shoulder => "shoulder",
            JointAngle::Ankle => "ankle",
        }
    }

    /// The three limbs (proximal, vertex, distal) the angle is measured on.
    #[inline]
    pub fn limbs(self) -> (Limb, Limb, Limb) {
        match self {
            JointAngle::Knee => (Limb::Hip, Limb::Knee, Limb::Ankle),
            JointAngle::Hip => (Limb::Shoulder, Limb::Hip, Limb::Knee),
            JointAngle::Elbow => (Limb::Shoulder, Limb::Elbow, Limb::Wrist),
            JointAngle::Shoulder => (Limb::Hip, Limb::Shoulder, Limb::Elbow),
            JointAngle::Ankle => (Limb::Knee, Limb::Ankle, Limb::FootIndex),
        }
    }
}

impl SegmentAngle {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "trunk" | "torso" => SegmentAngle::Trunk,
            "shin" => SegmentAngle::Shin,
            "thigh" => SegmentAngle::Thigh,
            "upper_arm" => SegmentAngle::UpperArm,
            "hip_knee" => SegmentAngle::HipKnee,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SegmentAngle::Trunk => "trunk",
            SegmentAngle::Shin => "shin",
            SegmentAngle::Thigh => "thigh",
            SegmentAngle::UpperArm => "upper_arm",
            SegmentAngle::HipKnee => "hip_knee",
        }
    }

    /// (lower, upper) limbs of the segment.
    #[inline]
    pub fn limbs(self) -> (Limb, Limb) {
        match self {
            SegmentAngle::Trunk => (Limb::Hip, Limb::Shoulder),
            SegmentAngle::Shin => (Limb::Ankle, Limb::Knee),
            SegmentAngle::Thigh | SegmentAngle::HipKnee => (Limb::Knee, Limb::Hip),
            SegmentAngle::UpperArm => (Limb::Elbow, Limb::Shoulder),
        }
    }
}

/// Interior angle of `angle` on one side; `get` returns a limb's position on that side
/// (or `None` when it is missing or not confident).
pub fn joint_angle_deg(
    angle: JointAngle,
    side: Side,
    get: impl Fn(Limb, Side) -> Option<Point2>,
) -> Option<f64> {
    let (a, v, c) = angle.limbs();
    let knee = get(a, side)?;
    let vertex = get(v, side)?;
    if angle == JointAngle::Ankle {
        return match get(c, side) {
            Some(toe) => interior_angle_deg(knee, vertex, toe),
            None => inclination_from_vertical_deg(vertex, knee).map(|shin| 90.0 - shin),
        };
    }
    interior_angle_deg(knee, vertex, get(c, side)?)
}

/// Segment angle on one side (see the module convention).
pub fn segment_angle_deg(
    angle: SegmentAngle,
    side: Side,
    get: impl Fn(Limb, Side) -> Option<Point2>,
) -> Option<f64> {
    let (lower, upper) = angle.limbs();
    let from = get(lower, side)?;
    let to = get(upper, side)?;
    match angle {
        SegmentAngle::HipKnee => elevation_deg(from, to),
        _ => inclination_from_vertical_deg(from, to),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    /// A side-view stick figure: standing straight, arm hanging, elbow bent 90 degrees.
    fn figure(limb: Limb, _side: Side) -> Option<Point2> {
        Some(match limb {
            Limb::Shoulder => Point2::new(0.0, 0.0),
            Limb::Elbow => Point2::new(0.0, 30.0),
            Limb::Wrist => Point2::new(25.0, 30.0),
            Limb::Hip => Point2::new(0.0, 50.0),
            Limb::Knee => Point2::new(0.0, 95.0),
            Limb::Ankle => Point2::new(0.0, 140.0),
            _ => return None,
        })
    }

    #[test]
    fn standing_figure_has_textbook_angles() {
        let j = |a| joint_angle_deg(a, Side::Left, figure).unwrap();
        assert_abs_diff_eq!(j(JointAngle::Knee), 180.0, epsilon = 1e-12);
        assert_abs_diff_eq!(j(JointAngle::Hip), 180.0, epsilon = 1e-12);
        assert_abs_diff_eq!(j(JointAngle::Elbow), 90.0, epsilon = 1e-12);
        assert_abs_diff_eq!(j(JointAngle::Shoulder), 0.0, epsilon = 1e-12);
        // No foot landmark: flat foot, vertical shin.
        assert_abs_diff_eq!(j(JointAngle::Ankle), 90.0, epsilon = 1e-12);
        let s = |a| segment_angle_deg(a, Side::Left, figure).unwrap();
        assert_abs_diff_eq!(s(SegmentAngle::Trunk), 0.0, epsilon = 1e-12);
        assert_abs_diff_eq!(s(SegmentAngle::Shin), 0.0, epsilon = 1e-12);
        assert_abs_diff_eq!(s(SegmentAngle::HipKnee), 90.0, epsilon = 1e-12);
    }

    #[test]
    fn parallel_squat_has_zero_hip_knee_elevation() {
        let squat = |limb: Limb, _s: Side| {
            Some(match limb {
                Limb::Shoulder => Point2::new(10.0, 40.0),
                Limb::Hip => Point2::new(0.0, 100.0),
                Limb::Knee => Point2::new(45.0, 100.0),
                Limb::Ankle => Point2::new(30.0, 145.0),
                _ => return None,
            })
        };
        let e = segment_angle_deg(SegmentAngle::HipKnee, Side::Right, squat).unwrap();
        assert_abs_diff_eq!(e, 0.0, epsilon = 1e-12);
        // Shin from (30,145) to (45,100): atan(15/45).
        let shin = segment_angle_deg(SegmentAngle::Shin, Side::Right, squat).unwrap();
        assert_abs_diff_eq!(shin, (15.0f64 / 45.0).atan().to_degrees(), epsilon = 1e-12);
        let ankle = joint_angle_deg(JointAngle::Ankle, Side::Right, squat).unwrap();
        assert_abs_diff_eq!(ankle, 90.0 - shin, epsilon = 1e-12);
    }

    #[test]
    fn missing_landmark_gives_no_angle() {
        let none = |_: Limb, _: Side| None;
        assert!(joint_angle_deg(JointAngle::Knee, Side::Left, none).is_none());
    }
}
