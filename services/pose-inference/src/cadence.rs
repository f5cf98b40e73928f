//! Coarse-to-fine sampling: which sampled frames the model must see.
//!
//! Every other sampled frame (the coarse pass, half the sampled rate) is always
//! analysed. A frame between two coarse ones is analysed only where the motion bends:
//! when the last three coarse frames show every confident keypoint of everyone in view
//! moving in a straight line at a steady speed, the frame is not inferred and its poses
//! are interpolated between its analysed neighbours once the next one is in (one frame
//! of delay, no frame analysed out of order). Turning points (the bottom of a squat,
//! the top of a pull-up), starts, stops and anything faster than the sampled rate keep
//! the full rate; steady descents and rests are read at half of it.
//!
//! The bound is the model's own noise. The second difference of a keypoint over three
//! coarse frames is `a * tau^2` for a steady acceleration `a` over a coarse step `tau`,
//! and linear interpolation at the step's middle is off by an eighth of it: under
//! [`CadenceConfig::max_bend_share`] (5% of the person's size) at most 0.6%, about the
//! frame-to-frame jitter of the default model's keypoints (the same measure on frames
//! whose bend is under 1%: median 0.55% of the person's size). The bend is read on the
//! coarse frames before the one planned, so a frame right after a turn that the coarse
//! frames had not yet seen can be off by more (1% in the unit tests' reps).
//!
//! Measured on the stored 15 fps tracks of the 32 rep clips of the shared set
//! (`cadence_sim`): 28% of the frames interpolated, each rep count and each track-check
//! score unchanged; against the pose the model found in the same frames, the farthest
//! confident keypoint is off by a median 1.0%, 95th percentile 3.0% of the person's
//! size. Limits of 3% and 8% interpolated 18% and 36%, with the same counts and scores;
//! 5% is the one whose steady-motion bound matches the jitter. The pose stage also
//! analyses every sampled frame while a tracked person is missing (see
//! `pipeline::Analysis::consume`).
//!
//! Off by default in the session (`FITVISION_POSE_COARSE_TO_FINE`): the gain was not
//! resolved end to end on the 2-core machine, and a model that follows people from
//! frame to frame reacts to a skipped frame in ways the robustness table showed on
//! edited clips (README, "Measured so far").

use std::collections::VecDeque;

use fitvision_proto::v1::{BoundingBox, CameraMotion, Keypoint, PersonPose, PoseFrame, PoseTrack};

/// Keypoints below this score do not say how a person moves.
const CONFIDENT_KEYPOINT: f32 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CadenceConfig {
    /// Largest second difference of a keypoint over three coarse frames, as a share of
    /// the person's size (the long side of their box), under which the frame between
    /// two coarse ones is interpolated instead of analysed.
    pub max_bend_share: f32,
}

impl Default for CadenceConfig {
    fn default() -> Self {
        Self {
            max_bend_share: 0.05,
        }
    }
}

/// What to do with the next sampled frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Analyse,
    Interpolate,
}

/// A frame not analysed, waiting for its next neighbour.
#[derive(Debug, Clone)]
struct Pending {
    frame_index: u32,
    timestamp_ms: f64,
    camera: CameraMotion,
}

/// The coarse-to-fine state of one run (see the module documentation).
#[derive(Debug)]
pub struct Cadence {
    config: Option<CadenceConfig>,
    /// Sampled frames planned so far.
    planned: u64,
    /// Frame index and position among the coarse frames of those planned and not yet
    /// emitted.
    coarse_due: VecDeque<(u32, u64)>,
    /// The latest emitted coarse frames, oldest first (at most three), with their
    /// position among the coarse frames.
    coarse: VecDeque<(u64, PoseFrame)>,
    /// Coarse frames planned so far.
    coarse_planned: u64,
    /// The last frame emitted.
    last: Option<PoseFrame>,
    pending: Option<Pending>,
    interpolated: u32,
    interpolated_with_person: u32,
}

impl Cadence {
    /// `None`: every sampled frame is analysed.
    pub fn new(config: Option<CadenceConfig>) -> Self {
        Self {
            config,
            planned: 0,
            coarse_due: VecDeque::new(),
            coarse: VecDeque::new(),
            coarse_planned: 0,
            last: None,
            pending: None,
            interpolated: 0,
            interpolated_with_person: 0,
        }
    }

    /// Whether coarse to fine is on for this run.
    pub fn is_on(&self) -> bool {
        self.config.is_some()
    }

    /// Frames interpolated so far, and how many of them have someone in them.
    pub fn interpolated(&self) -> (u32, u32) {
        (self.interpolated, self.interpolated_with_person)
    }

    /// Plans the next sampled frame. `may_skip`: nothing else needs the model on it
    /// (the caller's own state, e.g. frames held while nobody is found).
    pub fn plan(&mut self, frame_index: u32, may_skip: bool) -> Plan {
        let Some(config) = self.config else {
            return Plan::Analyse;
        };
        let position = self.planned;
        self.planned += 1;
        if position.is_multiple_of(2) {
            self.coarse_due
                .push_back((frame_index, self.coarse_planned));
            self.coarse_planned += 1;
            return Plan::Analyse;
        }
        // The three coarse frames before this one, all emitted, in a row.
        let latest = self.coarse_planned;
        let in_a_row = self.coarse.len() == 3
            && self
                .coarse
                .iter()
                .zip(latest - 3..)
                .all(|((position, _), wanted)| *position == wanted);
        if may_skip && self.pending.is_none() && in_a_row && self.steady(config) {
            Plan::Interpolate
        } else {
            Plan::Analyse
        }
    }

    /// Whether everyone in the last three coarse frames moves steadily.
    fn steady(&self, config: CadenceConfig) -> bool {
        let [a, b, c] = [&self.coarse[0].1, &self.coarse[1].1, &self.coarse[2].1];
        if c.persons.is_empty() || a.persons.len() != c.persons.len() {
            return false;
        }
        c.persons.iter().all(|pc| {
            match (find_person(a, pc.track_id), find_person(b, pc.track_id)) {
                (Some(pa), Some(pb)) => {
                    largest_bend(pa, pb, pc).is_some_and(|bend| bend < config.max_bend_share)
                }
                _ => false,
            }
        })
    }

    /// Records a frame that is not analysed (planned [`Plan::Interpolate`]), with the
    /// camera's motion followed through it.
    pub fn hold(&mut self, frame_index: u32, timestamp_ms: f64, camera: CameraMotion) {
        self.pending = Some(Pending {
            frame_index,
            timestamp_ms,
            camera,
        });
    }

    /// The frames to emit, in order, now that `frame` (analysed) is finished: the
    /// interpolated one before it, if any, then `frame`.
    pub fn emitted(&mut self, frame: PoseFrame) -> Vec<PoseFrame> {
        if self.config.is_none() {
            return vec![frame];
        }
        let mut out = Vec::with_capacity(2);
        if let Some(pending) = self.pending.take() {
            out.push(self.fill(pending, Some(&frame)));
        }
        while self
            .coarse_due
            .front()
            .is_some_and(|&(index, _)| index < frame.frame_index)
        {
            self.coarse_due.pop_front();
        }
        if let Some(&(index, position)) = self.coarse_due.front()
            && index == frame.frame_index
        {
            self.coarse_due.pop_front();
            self.coarse.push_back((position, frame.clone()));
            if self.coarse.len() > 3 {
                self.coarse.pop_front();
            }
        }
        self.last = Some(frame.clone());
        out.push(frame);
        out
    }

    /// The interpolated frame still waiting, with nobody after it to interpolate
    /// towards (the run ended, or the next frame has to wait): the people of the frame
    /// before it.
    pub fn flush(&mut self) -> Option<PoseFrame> {
        let pending = self.pending.take()?;
        let frame = self.fill(pending, None);
        self.last = Some(frame.clone());
        Some(frame)
    }

    fn fill(&mut self, pending: Pending, next: Option<&PoseFrame>) -> PoseFrame {
        self.interpolated += 1;
        let persons = match (&self.last, next) {
            (Some(before), Some(after)) => {
                let span = after.timestamp_ms - before.timestamp_ms;
                let share = if span > 0.0 {
                    ((pending.timestamp_ms - before.timestamp_ms) / span).clamp(0.0, 1.0) as f32
                } else {
                    0.5
                };
                before
                    .persons
                    .iter()
                    .map(|p| {
                        match after.persons.iter().find(|q| q.track_id == p.track_id) {
                            Some(q) => between(p, q, share),
                            // Gone in the next frame: where they were last seen.
                            None => p.clone(),
                        }
                    })
                    .collect()
            }
            (Some(before), None) => before.persons.clone(),
            (None, _) => Vec::new(),
        };
        self.interpolated_with_person += u32::from(!persons.is_empty());
        PoseFrame {
            frame_index: pending.frame_index,
            timestamp_ms: pending.timestamp_ms,
            persons,
            camera: Some(pending.camera),
            interpolated: true,
        }
    }
}

fn find_person(frame: &PoseFrame, track_id: u32) -> Option<&PersonPose> {
    frame.persons.iter().find(|p| p.track_id == track_id)
}

/// The largest second difference of a confident keypoint over `a`, `b`, `c`, as a
/// share of the person's size; `None` when no keypoint is confident in all three.
fn largest_bend(a: &PersonPose, b: &PersonPose, c: &PersonPose) -> Option<f32> {
    let size = [a, b, c]
        .iter()
        .filter_map(|p| p.r#box.as_ref())
        .map(|b| b.width_px.max(b.height_px))
        .fold(0.0f32, f32::max);
    if size <= 0.0 {
        return None;
    }
    a.keypoints
        .iter()
        .zip(&b.keypoints)
        .zip(&c.keypoints)
        .filter(|((ka, kb), kc)| {
            ka.score >= CONFIDENT_KEYPOINT
                && kb.score >= CONFIDENT_KEYPOINT
                && kc.score >= CONFIDENT_KEYPOINT
        })
        .map(|((ka, kb), kc)| {
            let dx = kc.x_px - 2.0 * kb.x_px + ka.x_px;
            let dy = kc.y_px - 2.0 * kb.y_px + ka.y_px;
            dx.hypot(dy) / size
        })
        .reduce(f32::max)
}

fn lerp(a: f32, b: f32, share: f32) -> f32 {
    a + (b - a) * share
}

/// `a` moved `share` of the way to `b`; scores take the lower of the two.
fn between(a: &PersonPose, b: &PersonPose, share: f32) -> PersonPose {
    let keypoints = a
        .keypoints
        .iter()
        .zip(&b.keypoints)
        .map(|(ka, kb)| Keypoint {
            x_px: lerp(ka.x_px, kb.x_px, share),
            y_px: lerp(ka.y_px, kb.y_px, share),
            x_norm: lerp(ka.x_norm, kb.x_norm, share),
            y_norm: lerp(ka.y_norm, kb.y_norm, share),
            score: ka.score.min(kb.score),
        })
        .collect();
    let r#box = match (&a.r#box, &b.r#box) {
        (Some(ba), Some(bb)) => Some(BoundingBox {
            x_px: lerp(ba.x_px, bb.x_px, share),
            y_px: lerp(ba.y_px, bb.y_px, share),
            width_px: lerp(ba.width_px, bb.width_px, share),
            height_px: lerp(ba.height_px, bb.height_px, share),
        }),
        _ => a.r#box.or(b.r#box),
    };
    PersonPose {
        track_id: a.track_id,
        r#box,
        confidence: a.confidence.min(b.confidence),
        keypoints,
    }
}

/// What coarse to fine would have emitted from `track`, a track of every sampled frame:
/// the frames it would not have analysed replaced by its interpolation (the analysed
/// ones kept as they are; the pose stage's rule that nobody seen within the last second
/// may be missing is read from the track ids). For evaluating the cadence on stored tracks; the second
/// value is how many frames were interpolated.
pub fn thinned_track(track: &PoseTrack, config: CadenceConfig) -> (PoseTrack, u32) {
    // As the pose stage: no frame is skipped while someone seen within the last second
    // is missing from the frame before.
    const RECENTLY_SEEN_MS: f64 = 1000.0;
    let mut cadence = Cadence::new(Some(config));
    let mut frames = Vec::with_capacity(track.frames.len());
    let mut found_anyone = false;
    let mut last_seen: std::collections::HashMap<u32, f64> = Default::default();
    let mut everyone_present = true;
    for frame in &track.frames {
        let may_skip = found_anyone && everyone_present;
        if cadence.plan(frame.frame_index, may_skip) == Plan::Interpolate {
            cadence.hold(
                frame.frame_index,
                frame.timestamp_ms,
                frame.camera.unwrap_or_default(),
            );
            continue;
        }
        found_anyone |= !frame.persons.is_empty();
        for p in &frame.persons {
            last_seen.insert(p.track_id, frame.timestamp_ms);
        }
        last_seen.retain(|_, seen| frame.timestamp_ms - *seen <= RECENTLY_SEEN_MS);
        everyone_present = last_seen.values().all(|seen| *seen >= frame.timestamp_ms);
        frames.extend(cadence.emitted(frame.clone()));
    }
    frames.extend(cadence.flush());
    let thinned = PoseTrack {
        frames,
        ..track.clone()
    };
    (thinned, cadence.interpolated().0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One person whose 17 keypoints all sit at `y(t)` (px), spread along x; box 200 px tall.
    fn frame(index: u32, y: f32) -> PoseFrame {
        let keypoints = (0..17)
            .map(|k| Keypoint {
                x_px: 100.0 + 5.0 * k as f32,
                y_px: y,
                x_norm: 0.0,
                y_norm: 0.0,
                score: 0.9,
            })
            .collect();
        PoseFrame {
            frame_index: index,
            timestamp_ms: f64::from(index) * 1000.0 / 15.0,
            persons: vec![PersonPose {
                track_id: 1,
                r#box: Some(BoundingBox {
                    x_px: 90.0,
                    y_px: y - 100.0,
                    width_px: 100.0,
                    height_px: 200.0,
                }),
                confidence: 0.9,
                keypoints,
            }],
            camera: None,
            interpolated: false,
        }
    }

    fn track(ys: impl Iterator<Item = f32>) -> PoseTrack {
        PoseTrack {
            frames: ys.enumerate().map(|(i, y)| frame(i as u32, y)).collect(),
            ..PoseTrack::default()
        }
    }

    fn interpolated_indices(track: &PoseTrack) -> Vec<u32> {
        track
            .frames
            .iter()
            .filter(|f| f.interpolated)
            .map(|f| f.frame_index)
            .collect()
    }

    #[test]
    fn steady_motion_is_read_at_half_the_rate_and_interpolated_exactly() {
        // 3 px per frame: a steady descent.
        let source = track((0..17).map(|i| 50.0 + 3.0 * i as f32));
        let (thinned, interpolated) = thinned_track(&source, CadenceConfig::default());
        // Every frame is still there, in order.
        let indices: Vec<u32> = thinned.frames.iter().map(|f| f.frame_index).collect();
        assert_eq!(indices, (0..17).collect::<Vec<_>>());
        // The first in-between frame with three coarse frames before it is the 6th.
        assert_eq!(interpolated_indices(&thinned), vec![5, 7, 9, 11, 13, 15]);
        assert_eq!(interpolated, 6);
        for (made, truth) in thinned.frames.iter().zip(&source.frames) {
            let (a, b) = (&made.persons[0], &truth.persons[0]);
            for (ka, kb) in a.keypoints.iter().zip(&b.keypoints) {
                assert!((ka.y_px - kb.y_px).abs() < 1e-3, "{made:?}");
                assert!((ka.x_px - kb.x_px).abs() < 1e-3);
            }
            let (ba, bb) = (a.r#box.unwrap(), b.r#box.unwrap());
            assert!((ba.y_px - bb.y_px).abs() < 1e-3);
        }
    }

    #[test]
    fn turning_points_keep_the_full_rate_and_the_rest_is_interpolated_closely() {
        // Reps of 1.6 s at 15 fps, 120 px deep on a 200 px body, the bottom on a coarse
        // frame or between two: the bends at the top and the bottom are over the limit,
        // the strokes between them are not.
        for phase in [0.0f32, 1.0] {
            let depth =
                |i: usize| 300.0 - 60.0 * (std::f32::consts::TAU * (i as f32 - phase) / 24.0).cos();
            let source = track((0..97).map(depth));
            let (thinned, interpolated) = thinned_track(&source, CadenceConfig::default());
            let skipped = interpolated_indices(&thinned);
            assert!(interpolated >= 16, "{skipped:?}");
            // Every top and bottom is the model's own pose.
            for turn in (1..96u32).filter(|&i| {
                let (a, b, c) = (
                    depth(i as usize - 1),
                    depth(i as usize),
                    depth(i as usize + 1),
                );
                (b - a) * (c - b) <= 0.0
            }) {
                assert!(!skipped.contains(&turn), "{turn} in {skipped:?}");
            }
            // Interpolated within 1% of the body (2 px): the frames next to a turn, read
            // while the bend before them was still under the limit, are the worst.
            for (made, truth) in thinned.frames.iter().zip(&source.frames) {
                let error =
                    (made.persons[0].keypoints[0].y_px - truth.persons[0].keypoints[0].y_px).abs();
                assert!(error < 2.0, "frame {}: {error} px", made.frame_index);
            }
        }
    }

    #[test]
    fn bends_under_the_limit_are_interpolated_and_larger_ones_are_not() {
        // y = c * i^2: second difference over two frames 8c px, 8c / 200 of the body.
        let at = |c: f32| track((0..17).map(move |i| 50.0 + c * (i * i) as f32));
        // 0.04 of the body: under the 5% limit.
        let (gentle, _) = thinned_track(&at(1.0), CadenceConfig::default());
        assert_eq!(interpolated_indices(&gentle), vec![5, 7, 9, 11, 13, 15]);
        // 0.06: over it.
        let (sharp, _) = thinned_track(&at(1.5), CadenceConfig::default());
        assert!(interpolated_indices(&sharp).is_empty());
    }

    #[test]
    fn someone_arriving_or_unsure_keypoints_keep_every_frame() {
        let mut source = track((0..17).map(|i| 50.0 + 3.0 * i as f32));
        // A second person from frame 6 on: the coarse frames disagree on who is there.
        for f in source.frames.iter_mut().skip(6) {
            let mut other = f.persons[0].clone();
            other.track_id = 2;
            f.persons.push(other);
        }
        let (thinned, _) = thinned_track(&source, CadenceConfig::default());
        assert_eq!(interpolated_indices(&thinned), vec![5, 11, 13, 15]);

        let mut unsure = track((0..16).map(|i| 50.0 + 3.0 * i as f32));
        for f in &mut unsure.frames {
            for k in &mut f.persons[0].keypoints {
                k.score = 0.3;
            }
        }
        let (thinned, _) = thinned_track(&unsure, CadenceConfig::default());
        assert!(interpolated_indices(&thinned).is_empty());
    }

    #[test]
    fn a_frame_left_waiting_at_the_end_keeps_the_people_before_it() {
        let mut cadence = Cadence::new(Some(CadenceConfig::default()));
        let source = track((0..6).map(|i| 50.0 + 3.0 * i as f32));
        let mut out = Vec::new();
        for f in &source.frames {
            if cadence.plan(f.frame_index, true) == Plan::Interpolate {
                cadence.hold(f.frame_index, f.timestamp_ms, CameraMotion::default());
            } else {
                out.extend(cadence.emitted(f.clone()));
            }
        }
        // Frame 5 was planned as interpolated and nothing came after it.
        let last = cadence.flush().expect("frame 5 waits");
        assert_eq!(last.frame_index, 5);
        assert!(last.interpolated);
        assert_eq!(last.persons, out.last().unwrap().persons);
        assert_eq!(cadence.interpolated(), (1, 1));
        assert!(cadence.flush().is_none());
    }

    #[test]
    fn without_a_config_every_frame_is_analysed() {
        let mut cadence = Cadence::new(None);
        for f in &track((0..16).map(|i| 50.0 + 3.0 * i as f32)).frames {
            assert_eq!(cadence.plan(f.frame_index, true), Plan::Analyse);
            cadence.emitted(f.clone());
        }
    }
}
