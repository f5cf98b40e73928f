//! Boxes, detections and non-maximum suppression.

/// Axis-aligned box in frame pixels: (x1, y1) top-left, (x2, y2) bottom-right.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PixelBox {
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
}

impl PixelBox {
    pub fn from_centre(cx: f32, cy: f32, width: f32, height: f32) -> Self {
        Self {
            x1: cx - width / 2.0,
            y1: cy - height / 2.0,
            x2: cx + width / 2.0,
            y2: cy + height / 2.0,
        }
    }

    pub fn width(&self) -> f32 {
        (self.x2 - self.x1).max(0.0)
    }

    pub fn height(&self) -> f32 {
        (self.y2 - self.y1).max(0.0)
    }

    pub fn area(&self) -> f32 {
        self.width() * self.height()
    }

    pub fn centre(&self) -> (f32, f32) {
        ((self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0)
    }

    pub fn diagonal(&self) -> f32 {
        self.width().hypot(self.height())
    }

    pub fn translated(&self, dx: f32, dy: f32) -> Self {
        Self {
            x1: self.x1 + dx,
            y1: self.y1 + dy,
            x2: self.x2 + dx,
            y2: self.y2 + dy,
        }
    }

    pub fn clamped(&self, width: f32, height: f32) -> Self {
        Self {
            x1: self.x1.clamp(0.0, width),
            y1: self.y1.clamp(0.0, height),
            x2: self.x2.clamp(0.0, width),
            y2: self.y2.clamp(0.0, height),
        }
    }

    /// Area of the part the two boxes share.
    fn overlap_area(&self, other: &Self) -> f32 {
        let overlap_width = (self.x2.min(other.x2) - self.x1.max(other.x1)).max(0.0);
        let overlap_height = (self.y2.min(other.y2) - self.y1.max(other.y1)).max(0.0);
        overlap_width * overlap_height
    }

    pub fn iou(&self, other: &Self) -> f32 {
        let overlap = self.overlap_area(other);
        let union = self.area() + other.area() - overlap;
        if union <= 0.0 { 0.0 } else { overlap / union }
    }

    /// The share of this box's area that lies inside `other` (0 for an empty box).
    pub fn share_inside(&self, other: &Self) -> f32 {
        let area = self.area();
        if area <= 0.0 {
            0.0
        } else {
            self.overlap_area(other) / area
        }
    }
}

/// One keypoint in frame pixels with the model's confidence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PixelKeypoint {
    pub x: f32,
    pub y: f32,
    pub score: f32,
}

/// One person as the model saw it in one frame (before tracking).
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub bbox: PixelBox,
    pub score: f32,
    pub keypoints: Vec<PixelKeypoint>,
}

/// Share of `inner`'s area that lies inside `outer`.
fn containment(inner: &PixelBox, outer: &PixelBox) -> f32 {
    let overlap_width = (inner.x2.min(outer.x2) - inner.x1.max(outer.x1)).max(0.0);
    let overlap_height = (inner.y2.min(outer.y2) - inner.y1.max(outer.y1)).max(0.0);
    let area = inner.area();
    if area <= 0.0 {
        0.0
    } else {
        overlap_width * overlap_height / area
    }
}

/// Whether `candidate` is a partial duplicate of `winner`: a box mostly inside the
/// winner's whose confident keypoints sit on the winner's keypoints (half a person
/// detected again). Two real people overlapping have different skeletons.
fn is_partial_duplicate(candidate: &Detection, winner: &Detection) -> bool {
    const CONTAINED: f32 = 0.85;
    const SAME_POINT_SHARE: f32 = 0.7;
    const VISIBLE: f32 = 0.5;
    if containment(&candidate.bbox, &winner.bbox) < CONTAINED {
        return false;
    }
    let tolerance = 0.05 * winner.bbox.diagonal().max(1.0);
    let (mut shared, mut same) = (0_u32, 0_u32);
    for (ours, theirs) in candidate.keypoints.iter().zip(&winner.keypoints) {
        if ours.score >= VISIBLE && theirs.score >= VISIBLE {
            shared += 1;
            same += u32::from((ours.x - theirs.x).hypot(ours.y - theirs.y) <= tolerance);
        }
    }
    shared >= 3 && same as f32 >= SAME_POINT_SHARE * shared as f32
}

/// Greedy NMS: keeps the best-scoring detection of every cluster overlapping by more
/// than `iou_threshold`, and drops partial duplicates of a kept person (see
/// [`is_partial_duplicate`]); at most `max_detections` survive, best first.
pub fn non_maximum_suppression(
    mut detections: Vec<Detection>,
    iou_threshold: f32,
    max_detections: usize,
) -> Vec<Detection> {
    detections.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::new();
    for candidate in detections {
        if kept.len() >= max_detections {
            break;
        }
        if kept.iter().all(|winner| {
            winner.bbox.iou(&candidate.bbox) <= iou_threshold
                && !is_partial_duplicate(&candidate, winner)
        }) {
            kept.push(candidate);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detection(x1: f32, y1: f32, x2: f32, y2: f32, score: f32) -> Detection {
        Detection {
            bbox: PixelBox { x1, y1, x2, y2 },
            score,
            keypoints: Vec::new(),
        }
    }

    fn with_keypoints(mut detection: Detection, points: &[(f32, f32)]) -> Detection {
        detection.keypoints = points
            .iter()
            .map(|&(x, y)| PixelKeypoint { x, y, score: 0.9 })
            .collect();
        detection
    }

    #[test]
    fn nms_drops_half_person_duplicates_but_keeps_overlapping_people() {
        let body = [
            (50.0, 20.0),
            (40.0, 40.0),
            (60.0, 40.0),
            (45.0, 70.0),
            (55.0, 70.0),
        ];
        let whole = with_keypoints(detection(0.0, 0.0, 100.0, 200.0, 0.9), &body);
        // Upper half again, same keypoints: a duplicate.
        let upper = with_keypoints(detection(10.0, 0.0, 90.0, 100.0, 0.5), &body);
        // Someone standing in front, inside the box, with a different skeleton.
        let other_body = [
            (30.0, 120.0),
            (20.0, 140.0),
            (40.0, 140.0),
            (25.0, 180.0),
            (35.0, 180.0),
        ];
        let in_front = with_keypoints(detection(5.0, 100.0, 60.0, 200.0, 0.6), &other_body);
        let kept = non_maximum_suppression(vec![upper, whole.clone(), in_front.clone()], 0.7, 10);
        assert_eq!(kept, vec![whole, in_front]);
    }

    #[test]
    fn iou_of_known_overlaps() {
        let a = PixelBox {
            x1: 0.0,
            y1: 0.0,
            x2: 10.0,
            y2: 10.0,
        };
        let b = PixelBox {
            x1: 5.0,
            y1: 0.0,
            x2: 15.0,
            y2: 10.0,
        };
        assert!((a.iou(&b) - 50.0 / 150.0).abs() < 1e-6);
        assert_eq!(a.iou(&a), 1.0);
        let far = PixelBox {
            x1: 20.0,
            y1: 20.0,
            x2: 30.0,
            y2: 30.0,
        };
        assert_eq!(a.iou(&far), 0.0);
    }

    #[test]
    fn nms_keeps_best_of_each_cluster() {
        let kept = non_maximum_suppression(
            vec![
                detection(0.0, 0.0, 10.0, 10.0, 0.8),
                detection(1.0, 0.0, 11.0, 10.0, 0.9),
                detection(50.0, 50.0, 60.0, 60.0, 0.5),
            ],
            0.5,
            10,
        );
        let scores: Vec<f32> = kept.iter().map(|d| d.score).collect();
        assert_eq!(scores, vec![0.9, 0.5]);
        let capped = non_maximum_suppression(
            vec![
                detection(0.0, 0.0, 1.0, 1.0, 0.3),
                detection(5.0, 5.0, 6.0, 6.0, 0.4),
            ],
            0.5,
            1,
        );
        assert_eq!(capped.len(), 1);
        assert_eq!(capped[0].score, 0.4);
    }
}
