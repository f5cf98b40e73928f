//! How the documented APIs spell joints, derived from the one joint table
//! (`fitvision_kinematics::schema`) so that no API keeps a list of its own.

use fitvision_kinematics::schema::{COCO17, Joint};

/// The pose model's keypoints (COCO-17 order) as Guru names them (`leftAnkle`).
pub(crate) fn guru_names() -> impl Iterator<Item = &'static str> {
    COCO17.into_iter().map(Joint::guru_name)
}

/// The Weightlifting API's short name: the side's letter and the limb's first three
/// letters (`left_knee` -> `lkne`, `right_shoulder` -> `rsho`); `nose` stays whole.
pub(crate) fn short_name(joint: Joint) -> String {
    let name = joint.snake_name();
    match name.split_once('_') {
        Some((side, limb)) => format!("{}{}", &side[..1], &limb[..limb.len().min(3)]),
        None => name.to_owned(),
    }
}

/// The pose model's keypoints (COCO-17 order) as the Weightlifting API's export
/// names them.
pub(crate) fn short_names() -> impl Iterator<Item = String> {
    COCO17.into_iter().map(short_name)
}

/// Short angle name of the export and details (`left_knee_angle` -> `lkne_angle`);
/// names that are not a keypoint's angle (`torso_angle`) are kept.
pub(crate) fn short_angle_name(name: &str) -> String {
    name.strip_suffix("_angle")
        .and_then(|joint| COCO17.into_iter().find(|j| j.snake_name() == joint))
        .map(|joint| format!("{}_angle", short_name(joint)))
        .unwrap_or_else(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_the_weightlifting_apis() {
        let names: Vec<String> = short_names().collect();
        assert_eq!(
            names,
            [
                "nose", "leye", "reye", "lear", "rear", "lsho", "rsho", "lelb", "relb", "lwri",
                "rwri", "lhip", "rhip", "lkne", "rkne", "lank", "rank",
            ]
        );
    }

    #[test]
    fn angle_names_follow_the_export_abbreviations() {
        assert_eq!(short_angle_name("left_knee_angle"), "lkne_angle");
        assert_eq!(short_angle_name("right_ankle_angle"), "rank_angle");
        assert_eq!(short_angle_name("left_wrist_angle"), "lwri_angle");
        assert_eq!(short_angle_name("torso_angle"), "torso_angle");
        assert_eq!(short_angle_name("left_heel_angle"), "left_heel_angle");
    }

    #[test]
    fn guru_names_are_the_seventeen_keypoints() {
        let names: Vec<&str> = guru_names().collect();
        assert_eq!(names.len(), 17);
        assert_eq!(names[5], "leftShoulder");
        assert_eq!(names[16], "rightAnkle");
    }
}
