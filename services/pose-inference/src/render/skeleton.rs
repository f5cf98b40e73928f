//! COCO-17 skeleton layout, per-person colours, and which stored pose frame
//! belongs to each decoded frame.

use fitvision_proto::v1::{PoseFrame, PoseTrack};

/// Keypoints below this score are not drawn (they jitter and mislead).
pub const MIN_KEYPOINT_SCORE: f32 = 0.3;

pub const LEFT_SHOULDER: usize = 5;
pub const RIGHT_SHOULDER: usize = 6;
pub const LEFT_WRIST: usize = 9;
pub const RIGHT_WRIST: usize = 10;
pub const LEFT_ANKLE: usize = 15;
pub const RIGHT_ANKLE: usize = 16;

/// Bones as COCO-17 index pairs, with the body side they belong to.
pub const BONES: [(usize, usize, BodySide); 16] = [
    (5, 7, BodySide::Left),
    (7, 9, BodySide::Left),
    (6, 8, BodySide::Right),
    (8, 10, BodySide::Right),
    (5, 6, BodySide::Centre),
    (5, 11, BodySide::Left),
    (6, 12, BodySide::Right),
    (11, 12, BodySide::Centre),
    (11, 13, BodySide::Left),
    (13, 15, BodySide::Left),
    (12, 14, BodySide::Right),
    (14, 16, BodySide::Right),
    (0, 1, BodySide::Centre),
    (0, 2, BodySide::Centre),
    (1, 3, BodySide::Left),
    (2, 4, BodySide::Right),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodySide {
    Left,
    Right,
    Centre,
}

/// COCO-17 index of e.g. ("left", "knee").
pub fn joint_index(side: &str, joint: &str) -> Option<usize> {
    let offset = match side {
        "left" => 0,
        "right" => 1,
        _ => return None,
    };
    let base = match joint {
        "eye" => 1,
        "ear" => 3,
        "shoulder" => 5,
        "elbow" => 7,
        "wrist" => 9,
        "hip" => 11,
        "knee" => 13,
        "ankle" => 15,
        _ => return None,
    };
    Some(base + offset)
}

/// Distinct, colour-blind-friendly hues (Okabe-Ito) as BGR, one per track id.
const PALETTE_BGR: [(u8, u8, u8); 6] = [
    (0, 159, 230),   // orange
    (233, 180, 86),  // sky blue
    (115, 158, 0),   // bluish green
    (66, 228, 240),  // yellow
    (178, 114, 0),   // blue
    (167, 121, 204), // reddish purple
];

pub fn track_colour(track_id: u32) -> (u8, u8, u8) {
    PALETTE_BGR[track_id as usize % PALETTE_BGR.len()]
}

/// Walks the track's frames in step with the decoder. A decoded frame without
/// its own pose frame (sampled analysis) shows the latest earlier one while it
/// is at most one sampling step old, so the skeleton neither flickers nor lags.
pub struct TrackCursor<'a> {
    frames: &'a [PoseFrame],
    next: usize,
    hold_frames: u32,
}

impl<'a> TrackCursor<'a> {
    pub fn new(track: &'a PoseTrack) -> Self {
        let mut steps: Vec<u32> = track
            .frames
            .windows(2)
            .map(|w| w[1].frame_index.saturating_sub(w[0].frame_index))
            .filter(|&step| step > 0)
            .collect();
        steps.sort_unstable();
        let hold_frames = steps
            .get(steps.len() / 2)
            .copied()
            .unwrap_or(1)
            .saturating_sub(1);
        Self {
            frames: &track.frames,
            next: 0,
            hold_frames,
        }
    }

    /// The pose frame to draw on decoded frame `index`; call with increasing indices.
    pub fn at(&mut self, index: u32) -> Option<&'a PoseFrame> {
        while self.next < self.frames.len() && self.frames[self.next].frame_index <= index {
            self.next += 1;
        }
        let latest = self.frames[..self.next].last()?;
        (index - latest.frame_index <= self.hold_frames).then_some(latest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(indices: &[u32]) -> PoseTrack {
        PoseTrack {
            frames: indices
                .iter()
                .map(|&frame_index| PoseFrame {
                    frame_index,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn every_frame_track_maps_one_to_one() {
        let t = track(&[0, 1, 2, 4]);
        let mut cursor = TrackCursor::new(&t);
        let got: Vec<Option<u32>> = (0..6)
            .map(|i| cursor.at(i).map(|f| f.frame_index))
            .collect();
        // Frame 3 is missing and the sampling step is 1: nothing is held over it.
        assert_eq!(got, [Some(0), Some(1), Some(2), None, Some(4), None]);
    }

    #[test]
    fn sampled_track_holds_each_pose_for_one_step() {
        let t = track(&[0, 3, 6]);
        let mut cursor = TrackCursor::new(&t);
        let got: Vec<Option<u32>> = (0..10)
            .map(|i| cursor.at(i).map(|f| f.frame_index))
            .collect();
        assert_eq!(
            got,
            [
                Some(0),
                Some(0),
                Some(0),
                Some(3),
                Some(3),
                Some(3),
                Some(6),
                Some(6),
                Some(6),
                None
            ]
        );
    }

    #[test]
    fn joint_names_map_to_coco_indices() {
        assert_eq!(joint_index("left", "knee"), Some(13));
        assert_eq!(joint_index("right", "elbow"), Some(8));
        assert_eq!(joint_index("right", "ankle"), Some(RIGHT_ANKLE));
        assert_eq!(joint_index("mid", "knee"), None);
        assert_eq!(joint_index("left", "tail"), None);
    }
}
