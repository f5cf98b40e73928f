//! How the documented APIs spell joints, derived from the one joint table
//! (`fitvision_kinematics::schema`) so that no API keeps a list of its own.

use fitvision_kinematics::schema::{ALL_JOINTS, COCO17, Joint, KeypointSchema, Side};

/// The joints a track of `schema` has, as Guru names them (`leftAnkle`), each with
/// the landmark indices whose midpoint it is: the schema's joints in the joint table's
/// order (COCO-17 first), then the hands where the schema has them.
pub(crate) fn guru_joints(schema: KeypointSchema) -> Vec<(&'static str, Vec<usize>)> {
    let joints = ALL_JOINTS
        .into_iter()
        .filter_map(|joint| Some((joint.guru_name(), vec![schema.index_of(joint)?])));
    let hands = [(Side::Left, "leftHand"), (Side::Right, "rightHand")]
        .into_iter()
        .filter_map(|(side, name)| Some((name, schema.hand_points(side)?.to_vec())));
    joints.chain(hands).collect()
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
    fn guru_joints_are_the_seventeen_keypoints_for_coco() {
        let joints = guru_joints(KeypointSchema::Coco17);
        assert_eq!(joints.len(), 17);
        assert_eq!(joints[5], ("leftShoulder", vec![5]));
        assert_eq!(joints[16], ("rightAnkle", vec![16]));
    }

    #[test]
    fn guru_joints_add_feet_and_hands_for_blazepose() {
        let joints = guru_joints(KeypointSchema::BlazePose33);
        let names: Vec<&str> = joints.iter().map(|(name, _)| *name).collect();
        assert_eq!(names.len(), 23);
        assert_eq!(joints[5], ("leftShoulder", vec![11]));
        assert_eq!(
            &names[17..],
            [
                "leftHeel",
                "rightHeel",
                "leftFootIndex",
                "rightFootIndex",
                "leftHand",
                "rightHand"
            ]
        );
        assert_eq!(joints[21].1, vec![17, 19]);
        assert_eq!(joints[22].1, vec![18, 20]);
    }
}
