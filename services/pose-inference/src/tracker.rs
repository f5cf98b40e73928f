//! Multi-person tracking by detection: stable ids across frames.
//!
//! Each frame's detections are matched to live tracks by a similarity that combines
//! box overlap (IoU against the motion-predicted box), pose similarity (OKS between the
//! track's last keypoints, moved by its velocity, and the detection's) and centre
//! proximity. Pose similarity is what keeps ids from swapping when two people overlap
//! (their boxes then look alike; their skeletons do not). Tracks survive unmatched for
//! `max_gap_ms`, so a short occlusion keeps the id.

use crate::geometry::{Detection, PixelBox, PixelKeypoint};

/// COCO per-keypoint OKS sigmas (nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles).
const COCO_SIGMAS: [f32; 17] = [
    0.026, 0.025, 0.025, 0.035, 0.035, 0.079, 0.079, 0.072, 0.072, 0.062, 0.062, 0.107, 0.107,
    0.087, 0.087, 0.089, 0.089,
];
/// For other schemas, a middle-of-the-road sigma.
const GENERIC_SIGMA: f32 = 0.07;
/// Keypoints below this score take no part in pose similarity.
const VISIBLE_SCORE: f32 = 0.3;
/// Fewer common visible keypoints than this and OKS is too noisy to use.
const MIN_SHARED_KEYPOINTS: usize = 3;
/// Weak detections must be this many times more similar to continue a track.
const WEAK_MATCH_FACTOR: f32 = 1.5;
/// Motion prediction is trusted for at most this long.
const MAX_PREDICTION_MS: f64 = 500.0;

#[derive(Debug, Clone, Copy)]
pub struct TrackerConfig {
    /// How long an unmatched track is kept (occlusions, missed detections).
    pub max_gap_ms: f64,
    /// Below this similarity a detection starts a new track instead.
    pub min_similarity: f32,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            max_gap_ms: 1500.0,
            min_similarity: 0.2,
        }
    }
}

#[derive(Debug, Clone)]
struct Track {
    id: u32,
    bbox: PixelBox,
    keypoints: Vec<PixelKeypoint>,
    /// Centre velocity, px per ms.
    velocity: (f32, f32),
    last_seen_ms: f64,
}

impl Track {
    fn predicted_shift(&self, timestamp_ms: f64) -> (f32, f32) {
        let elapsed = (timestamp_ms - self.last_seen_ms).clamp(0.0, MAX_PREDICTION_MS) as f32;
        (self.velocity.0 * elapsed, self.velocity.1 * elapsed)
    }
}

/// Assigns track ids (from 1) to detections, frame by frame, in time order.
#[derive(Debug, Default)]
pub struct Tracker {
    config: TrackerConfig,
    tracks: Vec<Track>,
    next_id: u32,
}

impl Tracker {
    pub fn new(config: TrackerConfig) -> Self {
        Self {
            config,
            tracks: Vec::new(),
            next_id: 1,
        }
    }

    /// Whether every live track (seen within `max_gap_ms`) was matched in the latest
    /// frame: nobody is missing for the moment.
    pub fn nobody_missing(&self) -> bool {
        let latest = self
            .tracks
            .iter()
            .map(|track| track.last_seen_ms)
            .fold(f64::NEG_INFINITY, f64::max);
        self.tracks.iter().all(|track| track.last_seen_ms >= latest)
    }

    /// Matches one frame's detections; returns (track id, detection) ordered by id.
    ///
    /// Detections scoring at least `confident` are matched first and may start new
    /// tracks; weaker ones (ByteTrack's second stage) may only continue a track that
    /// is still unmatched, with a stricter similarity, and are dropped otherwise. That
    /// keeps a person through frames where the model is unsure (deep squat, motion
    /// blur) without letting background noise start tracks.
    pub fn update(
        &mut self,
        timestamp_ms: f64,
        detections: Vec<Detection>,
        confident: f32,
    ) -> Vec<(u32, Detection)> {
        let max_gap = self.config.max_gap_ms;
        self.tracks
            .retain(|track| timestamp_ms - track.last_seen_ms <= max_gap);

        let mut track_taken = vec![false; self.tracks.len()];
        let mut detection_track: Vec<Option<usize>> = vec![None; detections.len()];
        let is_confident = |detection: &Detection| detection.score >= confident;
        for (stage_confident, threshold) in [
            (true, self.config.min_similarity),
            (false, self.config.min_similarity * WEAK_MATCH_FACTOR),
        ] {
            let mut candidates: Vec<(f32, usize, usize)> = Vec::new();
            for (track_index, track) in self.tracks.iter().enumerate() {
                if track_taken[track_index] {
                    continue;
                }
                for (detection_index, detection) in detections.iter().enumerate() {
                    if is_confident(detection) != stage_confident {
                        continue;
                    }
                    let score = similarity(track, detection, timestamp_ms);
                    if score >= threshold {
                        candidates.push((score, track_index, detection_index));
                    }
                }
            }
            // Greedy by similarity: with a handful of people per frame this equals the
            // optimal assignment in practice and is trivially explainable.
            candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
            for (_, track_index, detection_index) in candidates {
                if !track_taken[track_index] && detection_track[detection_index].is_none() {
                    track_taken[track_index] = true;
                    detection_track[detection_index] = Some(track_index);
                }
            }
        }

        let mut assigned = Vec::with_capacity(detections.len());
        for (detection, matched) in detections.into_iter().zip(detection_track) {
            if matched.is_none() && !is_confident(&detection) {
                continue;
            }
            let id = match matched {
                Some(track_index) => {
                    let track = &mut self.tracks[track_index];
                    let elapsed = (timestamp_ms - track.last_seen_ms).max(1.0) as f32;
                    let (old_x, old_y) = track.bbox.centre();
                    let (new_x, new_y) = detection.bbox.centre();
                    let measured = ((new_x - old_x) / elapsed, (new_y - old_y) / elapsed);
                    // Smoothed: one noisy box must not fling the prediction.
                    track.velocity = (
                        0.5 * track.velocity.0 + 0.5 * measured.0,
                        0.5 * track.velocity.1 + 0.5 * measured.1,
                    );
                    track.bbox = detection.bbox;
                    track.keypoints.clone_from(&detection.keypoints);
                    track.last_seen_ms = timestamp_ms;
                    track.id
                }
                None => {
                    let id = self.next_id;
                    self.next_id += 1;
                    self.tracks.push(Track {
                        id,
                        bbox: detection.bbox,
                        keypoints: detection.keypoints.clone(),
                        velocity: (0.0, 0.0),
                        last_seen_ms: timestamp_ms,
                    });
                    id
                }
            };
            assigned.push((id, detection));
        }
        assigned.sort_by_key(|(id, _)| *id);
        assigned
    }
}

fn similarity(track: &Track, detection: &Detection, timestamp_ms: f64) -> f32 {
    let (dx, dy) = track.predicted_shift(timestamp_ms);
    let predicted = track.bbox.translated(dx, dy);
    let overlap = predicted.iou(&detection.bbox);
    let (px, py) = predicted.centre();
    let (cx, cy) = detection.bbox.centre();
    let reach = predicted.diagonal().max(detection.bbox.diagonal()).max(1.0);
    let proximity = (1.0 - (cx - px).hypot(cy - py) / reach).max(0.0);
    let scale = predicted.area().max(detection.bbox.area()).max(1.0);
    let similarity =
        match keypoint_similarity(&track.keypoints, &detection.keypoints, (dx, dy), scale) {
            Some(oks) => 0.35 * overlap + 0.45 * oks + 0.2 * proximity,
            None => 0.6 * overlap + 0.4 * proximity,
        };
    // A person does not double or halve in size between neighbouring frames.
    let size_ratio = predicted.area().min(detection.bbox.area()) / scale;
    similarity * size_ratio.sqrt().clamp(0.0, 1.0).max(0.3)
}

/// Object keypoint similarity (COCO OKS) over keypoints visible in both poses.
fn keypoint_similarity(
    previous: &[PixelKeypoint],
    current: &[PixelKeypoint],
    (dx, dy): (f32, f32),
    area: f32,
) -> Option<f32> {
    let mut total = 0.0;
    let mut shared = 0;
    for (index, (before, now)) in previous.iter().zip(current).enumerate() {
        if before.score < VISIBLE_SCORE || now.score < VISIBLE_SCORE {
            continue;
        }
        let sigma = if previous.len() == COCO_SIGMAS.len() {
            COCO_SIGMAS[index]
        } else {
            GENERIC_SIGMA
        };
        let kappa = 2.0 * sigma;
        let distance_squared = (before.x + dx - now.x).powi(2) + (before.y + dy - now.y).powi(2);
        total += (-distance_squared / (2.0 * area * kappa * kappa)).exp();
        shared += 1;
    }
    (shared >= MIN_SHARED_KEYPOINTS).then(|| total / shared as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stick person whose 17 keypoints spread over its box.
    fn person(x: f32, y: f32, width: f32, height: f32) -> Detection {
        let keypoints = (0..17)
            .map(|k| PixelKeypoint {
                x: x + width * ((k % 3) as f32 / 2.0),
                y: y + height * (k as f32 / 16.0),
                score: 0.9,
            })
            .collect();
        Detection {
            bbox: PixelBox {
                x1: x,
                y1: y,
                x2: x + width,
                y2: y + height,
            },
            score: 0.9,
            keypoints,
        }
    }

    fn ids(assigned: &[(u32, Detection)]) -> Vec<(u32, f32)> {
        assigned.iter().map(|(id, d)| (*id, d.bbox.x1)).collect()
    }

    #[test]
    fn ids_follow_people_moving_steadily() {
        let mut tracker = Tracker::new(TrackerConfig::default());
        for frame in 0..30 {
            let t = f64::from(frame) * 33.3;
            let shift = frame as f32 * 8.0;
            // Detections arrive in a different order every frame.
            let mut detections = vec![
                person(100.0 + shift, 100.0, 80.0, 200.0),
                person(600.0 - shift, 120.0, 80.0, 200.0),
            ];
            if frame % 2 == 1 {
                detections.reverse();
            }
            let assigned = tracker.update(t, detections, 0.5);
            assert_eq!(
                ids(&assigned),
                vec![(1, 100.0 + shift), (2, 600.0 - shift)],
                "frame {frame}"
            );
        }
    }

    #[test]
    fn a_short_occlusion_keeps_the_id_and_a_long_one_does_not() {
        let mut tracker = Tracker::new(TrackerConfig::default());
        assert_eq!(
            tracker.update(0.0, vec![person(100.0, 100.0, 80.0, 200.0)], 0.5)[0].0,
            1
        );
        // Gone for 1 s, back where it was.
        assert!(tracker.update(500.0, Vec::new(), 0.5).is_empty());
        assert_eq!(
            tracker.update(1000.0, vec![person(104.0, 100.0, 80.0, 200.0)], 0.5)[0].0,
            1
        );
        // Gone for 3 s: a new id.
        assert_eq!(
            tracker.update(4000.0, vec![person(104.0, 100.0, 80.0, 200.0)], 0.5)[0].0,
            2
        );
    }

    #[test]
    fn weak_detections_continue_tracks_but_never_start_them() {
        let mut tracker = Tracker::new(TrackerConfig::default());
        let weak = |x: f32| Detection {
            score: 0.15,
            ..person(x, 100.0, 80.0, 200.0)
        };
        // A weak detection alone starts nothing.
        assert!(tracker.update(0.0, vec![weak(100.0)], 0.25).is_empty());
        assert_eq!(
            tracker.update(33.0, vec![person(100.0, 100.0, 80.0, 200.0)], 0.25)[0].0,
            1
        );
        // The same person, now weakly detected, keeps the track; a weak stranger far away does not appear.
        let assigned = tracker.update(66.0, vec![weak(104.0), weak(900.0)], 0.25);
        assert_eq!(assigned.len(), 1);
        assert_eq!((assigned[0].0, assigned[0].1.bbox.x1), (1, 104.0));
    }

    #[test]
    fn crossing_people_keep_their_ids() {
        // Two people of different build walk through each other horizontally.
        let mut tracker = Tracker::new(TrackerConfig::default());
        let mut left_id = None;
        for frame in 0..40 {
            let t = f64::from(frame) * 33.3;
            let step = frame as f32 * 10.0;
            let left = person(100.0 + step, 100.0, 80.0, 220.0);
            let right = person(500.0 - step, 160.0, 60.0, 160.0);
            let assigned = tracker.update(t, vec![right.clone(), left.clone()], 0.5);
            assert_eq!(assigned.len(), 2);
            let id_of_left = assigned
                .iter()
                .find(|(_, detection)| detection.bbox == left.bbox)
                .map(|(id, _)| *id);
            let expected = *left_id.get_or_insert(id_of_left.expect("left walker tracked"));
            assert_eq!(
                id_of_left,
                Some(expected),
                "frame {frame}: the left walker changed id"
            );
            assert!(
                assigned.iter().all(|(id, _)| *id <= 2),
                "frame {frame}: a new id appeared"
            );
        }
    }
}
