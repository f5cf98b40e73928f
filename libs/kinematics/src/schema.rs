//! Keypoint layouts and joint names.
//!
//! A pose model emits keypoints in a fixed order (its *schema*). Analysis code
//! asks for a [`Joint`] and the schema answers with the index, so the same
//! code runs on COCO-17 today and on 33-landmark (BlazePose) models later.

/// Body side, from the subject's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Left,
    Right,
}

impl Side {
    pub fn opposite(self) -> Self {
        match self {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
        }
    }
}

/// Anatomical landmarks the analysis can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Joint {
    Nose,
    LeftEye,
    RightEye,
    LeftEar,
    RightEar,
    LeftShoulder,
    RightShoulder,
    LeftElbow,
    RightElbow,
    LeftWrist,
    RightWrist,
    LeftHip,
    RightHip,
    LeftKnee,
    RightKnee,
    LeftAnkle,
    RightAnkle,
    /// Heel and toe exist only in 33-landmark schemas.
    LeftHeel,
    RightHeel,
    LeftFootIndex,
    RightFootIndex,
}

/// The COCO-17 order (also the order of [`Joint`]'s first 17 variants).
pub const COCO17: [Joint; 17] = [
    Joint::Nose,
    Joint::LeftEye,
    Joint::RightEye,
    Joint::LeftEar,
    Joint::RightEar,
    Joint::LeftShoulder,
    Joint::RightShoulder,
    Joint::LeftElbow,
    Joint::RightElbow,
    Joint::LeftWrist,
    Joint::RightWrist,
    Joint::LeftHip,
    Joint::RightHip,
    Joint::LeftKnee,
    Joint::RightKnee,
    Joint::LeftAnkle,
    Joint::RightAnkle,
];

/// Limb joints that come in left/right pairs; `Limb::Knee.on(Side::Left)` = `Joint::LeftKnee`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limb {
    Eye,
    Ear,
    Shoulder,
    Elbow,
    Wrist,
    Hip,
    Knee,
    Ankle,
    Heel,
    FootIndex,
}

impl Limb {
    #[inline]
    pub fn on(self, side: Side) -> Joint {
        use Joint::*;
        match (self, side) {
            (Limb::Eye, Side::Left) => LeftEye,
            (Limb::Eye, Side::Right) => RightEye,
            (Limb::Ear, Side::Left) => LeftEar,
            (Limb::Ear, Side::Right) => RightEar,
            (Limb::Shoulder, Side::Left) => LeftShoulder,
            (Limb::Shoulder, Side::Right) => RightShoulder,
            (Limb::Elbow, Side::Left) => LeftElbow,
            (Limb::Elbow, Side::Right) => RightElbow,
            (Limb::Wrist, Side::Left) => LeftWrist,
            (Limb::Wrist, Side::Right) => RightWrist,
            (Limb::Hip, Side::Left) => LeftHip,
            (Limb::Hip, Side::Right) => RightHip,
            (Limb::Knee, Side::Left) => LeftKnee,
            (Limb::Knee, Side::Right) => RightKnee,
            (Limb::Ankle, Side::Left) => LeftAnkle,
            (Limb::Ankle, Side::Right) => RightAnkle,
            (Limb::Heel, Side::Left) => LeftHeel,
            (Limb::Heel, Side::Right) => RightHeel,
            (Limb::FootIndex, Side::Left) => LeftFootIndex,
            (Limb::FootIndex, Side::Right) => RightFootIndex,
        }
    }

    /// Parses "knee", "hip", ... (snake_case, as exercise definitions spell them).
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "eye" => Limb::Eye,
            "ear" => Limb::Ear,
            "shoulder" => Limb::Shoulder,
            "elbow" => Limb::Elbow,
            "wrist" => Limb::Wrist,
            "hip" => Limb::Hip,
            "knee" => Limb::Knee,
            "ankle" => Limb::Ankle,
            "heel" => Limb::Heel,
            "foot_index" => Limb::FootIndex,
            _ => return None,
        })
    }
}

impl Joint {
    /// snake_case name, e.g. "left_ankle" (COCO naming).
    pub fn snake_name(self) -> &'static str {
        use Joint::*;
        match self {
            Nose => "nose",
            LeftEye => "left_eye",
            RightEye => "right_eye",
            LeftEar => "left_ear",
            RightEar => "right_ear",
            LeftShoulder => "left_shoulder",
            RightShoulder => "right_shoulder",
            LeftElbow => "left_elbow",
            RightElbow => "right_elbow",
            LeftWrist => "left_wrist",
            RightWrist => "right_wrist",
            LeftHip => "left_hip",
            RightHip => "right_hip",
            LeftKnee => "left_knee",
            RightKnee => "right_knee",
            LeftAnkle => "left_ankle",
            RightAnkle => "right_ankle",
            LeftHeel => "left_heel",
            RightHeel => "right_heel",
            LeftFootIndex => "left_foot_index",
            RightFootIndex => "right_foot_index",
        }
    }

    /// camelCase name used by Guru's joint-to-point (j2p) output, e.g. "leftAnkle".
    pub fn guru_name(self) -> &'static str {
        use Joint::*;
        match self {
            Nose => "nose",
            LeftEye => "leftEye",
            RightEye => "rightEye",
            LeftEar => "leftEar",
            RightEar => "rightEar",
            LeftShoulder => "leftShoulder",
            RightShoulder => "rightShoulder",
            LeftElbow => "leftElbow",
            RightElbow => "rightElbow",
            LeftWrist => "leftWrist",
            RightWrist => "rightWrist",
            LeftHip => "leftHip",
            RightHip => "rightHip",
            LeftKnee => "leftKnee",
            RightKnee => "rightKnee",
            LeftAnkle => "leftAnkle",
            RightAnkle => "rightAnkle",
            LeftHeel => "leftHeel",
            RightHeel => "rightHeel",
            LeftFootIndex => "leftFootIndex",
            RightFootIndex => "rightFootIndex",
        }
    }

    /// Accepts either spelling ("left_ankle" or "leftAnkle").
    pub fn parse(name: &str) -> Option<Self> {
        ALL_JOINTS
            .iter()
            .copied()
            .find(|j| j.snake_name() == name || j.guru_name() == name)
    }
}

/// Every joint, in declaration order.
pub const ALL_JOINTS: [Joint; 21] = [
    Joint::Nose,
    Joint::LeftEye,
    Joint::RightEye,
    Joint::LeftEar,
    Joint::RightEar,
    Joint::LeftShoulder,
    Joint::RightShoulder,
    Joint::LeftElbow,
    Joint::RightElbow,
    Joint::LeftWrist,
    Joint::RightWrist,
    Joint::LeftHip,
    Joint::RightHip,
    Joint::LeftKnee,
    Joint::RightKnee,
    Joint::LeftAnkle,
    Joint::RightAnkle,
    Joint::LeftHeel,
    Joint::RightHeel,
    Joint::LeftFootIndex,
    Joint::RightFootIndex,
];

/// A keypoint layout emitted by a pose model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeypointSchema {
    /// COCO 17 keypoints (YOLO-pose, RTMPose body).
    Coco17,
    /// BlazePose / MediaPipe 33 landmarks.
    BlazePose33,
}

impl KeypointSchema {
    /// Number of keypoints per person.
    pub fn len(self) -> usize {
        match self {
            KeypointSchema::Coco17 => 17,
            KeypointSchema::BlazePose33 => 33,
        }
    }

    pub fn is_empty(self) -> bool {
        false
    }

    /// The knuckle landmarks (pinky, index finger) of the `side` hand where the schema
    /// has hands: the hand's position is their midpoint (Guru's `leftHand`). `None` for
    /// schemas without hands (COCO-17 ends at the wrist).
    pub fn hand_points(self, side: Side) -> Option<[usize; 2]> {
        match (self, side) {
            (KeypointSchema::Coco17, _) => None,
            (KeypointSchema::BlazePose33, Side::Left) => Some([17, 19]),
            (KeypointSchema::BlazePose33, Side::Right) => Some([18, 20]),
        }
    }

    /// Index of `joint` in this schema, `None` when the schema lacks it.
    #[inline]
    pub fn index_of(self, joint: Joint) -> Option<usize> {
        use Joint::*;
        match self {
            // COCO-17 is the order of the enum's first 17 variants (a hot path:
            // every angle of every frame asks).
            KeypointSchema::Coco17 => Some(joint as usize).filter(|i| *i < COCO17.len()),
            KeypointSchema::BlazePose33 => Some(match joint {
                Nose => 0,
                LeftEye => 2,
                RightEye => 5,
                LeftEar => 7,
                RightEar => 8,
                LeftShoulder => 11,
                RightShoulder => 12,
                LeftElbow => 13,
                RightElbow => 14,
                LeftWrist => 15,
                RightWrist => 16,
                LeftHip => 23,
                RightHip => 24,
                LeftKnee => 25,
                RightKnee => 26,
                LeftAnkle => 27,
                RightAnkle => 28,
                LeftHeel => 29,
                RightHeel => 30,
                LeftFootIndex => 31,
                RightFootIndex => 32,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coco_indices_follow_the_coco_order() {
        let s = KeypointSchema::Coco17;
        assert_eq!(s.index_of(Joint::Nose), Some(0));
        assert_eq!(s.index_of(Joint::LeftShoulder), Some(5));
        assert_eq!(s.index_of(Joint::RightHip), Some(12));
        assert_eq!(s.index_of(Joint::RightAnkle), Some(16));
        assert_eq!(s.index_of(Joint::LeftHeel), None);
        for (i, j) in COCO17.iter().enumerate() {
            assert_eq!(s.index_of(*j), Some(i));
        }
        // Callers index per-joint tables by discriminant.
        for (i, j) in ALL_JOINTS.iter().enumerate() {
            assert_eq!(*j as usize, i);
        }
    }

    #[test]
    fn blazepose_has_feet() {
        let s = KeypointSchema::BlazePose33;
        assert_eq!(s.index_of(Joint::LeftHip), Some(23));
        assert_eq!(s.index_of(Joint::RightFootIndex), Some(32));
        assert_eq!(s.len(), 33);
    }

    #[test]
    fn names_round_trip_in_both_spellings() {
        for j in ALL_JOINTS {
            assert_eq!(Joint::parse(j.snake_name()), Some(j));
            assert_eq!(Joint::parse(j.guru_name()), Some(j));
        }
        assert_eq!(Joint::LeftAnkle.guru_name(), "leftAnkle");
        assert_eq!(Limb::Knee.on(Side::Right), Joint::RightKnee);
    }
}
