//! The person to follow, pulled out of a multi-person pose track.
//!
//! The subject is the dominant track: the one covering the most frames with the
//! largest box (the box's linear size summed over frames ranks both at once, see
//! [`dominant_track_id`]). Trackers lose identities
//! on occlusion, so frames where that id is missing are filled with the person
//! whose box overlaps the subject's last known box.

use std::sync::OnceLock;

use fitvision_kinematics::camera::CameraSample;
use fitvision_kinematics::schema::{ALL_JOINTS, Joint, KeypointSchema, Limb, Side};
use fitvision_kinematics::{Point2, Similarity, stats};
use fitvision_proto::v1::{BoundingBox, PersonPose, PoseFrame, PoseTrack};

/// Keypoints below this confidence are treated as not seen.
pub const DEFAULT_MIN_SCORE: f64 = 0.3;

/// Minimum box overlap for a different track id to be taken as the same person.
const STITCH_MIN_IOU: f64 = 0.3;
/// How many of the subject's most recent boxes a different track id may overlap.
const STITCH_REFERENCES: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Keypoint {
    pub x: f64,
    pub y: f64,
    pub score: f64,
}

/// One person's keypoints over every analysed frame of a track.
#[derive(Debug, Clone)]
pub struct SubjectTrack {
    pub schema: KeypointSchema,
    pub track_id: u32,
    pub frame_indices: Vec<u32>,
    pub timestamps_ms: Vec<f64>,
    pub times_s: Vec<f64>,
    /// Median sampling rate of the analysed frames.
    pub sample_rate_hz: f64,
    /// Whether the subject was found in each frame.
    present: Vec<bool>,
    /// Per frame, every joint of [`ALL_JOINTS`] in declaration order (`None`
    /// where the schema lacks it or the subject is absent).
    keypoints: Vec<Option<Keypoint>>,
    /// The same slots, keeping only confident, finite positions.
    confident: Vec<Option<Point2>>,
    /// Per frame, the map from its pixels into the reference frame's (the ground's frame
    /// while the camera moves), when the pose stage estimated the camera's motion.
    camera: Vec<Option<Similarity>>,
    /// Whole-track statistics, computed on first use (several analysis steps ask).
    body_unit_px: OnceLock<Option<f64>>,
    ground_y: OnceLock<f64>,
}

fn iou(a: &BoundingBox, b: &BoundingBox) -> f64 {
    let (ax2, ay2) = (a.x_px + a.width_px, a.y_px + a.height_px);
    let (bx2, by2) = (b.x_px + b.width_px, b.y_px + b.height_px);
    let iw = (ax2.min(bx2) - a.x_px.max(b.x_px)).max(0.0) as f64;
    let ih = (ay2.min(by2) - a.y_px.max(b.y_px)).max(0.0) as f64;
    let inter = iw * ih;
    let union = (a.width_px * a.height_px + b.width_px * b.height_px) as f64 - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

fn area(p: &PersonPose) -> f64 {
    p.r#box
        .as_ref()
        .map(|b| (b.width_px.max(0.0) * b.height_px.max(0.0)) as f64)
        .unwrap_or(0.0)
}

/// The keypoint schema a track declares, or the one its keypoint count implies.
pub fn schema_of(track: &PoseTrack) -> KeypointSchema {
    schema_from(track.schema, &track.frames)
}

/// The schema `declared` (a `fitvision.v1.KeypointSchema` value), or when unspecified
/// the one the first person's keypoint count implies.
pub fn schema_from(declared: i32, frames: &[PoseFrame]) -> KeypointSchema {
    match declared {
        2 => KeypointSchema::BlazePose33,
        1 => KeypointSchema::Coco17,
        _ => {
            let n = frames
                .iter()
                .flat_map(|f| f.persons.first())
                .map(|p| p.keypoints.len())
                .next()
                .unwrap_or(17);
            if n >= 33 {
                KeypointSchema::BlazePose33
            } else {
                KeypointSchema::Coco17
            }
        }
    }
}

/// The track in COCO-17 order, for consumers that know only the 17 body keypoints
/// (authenticity checks, the drawn skeleton, the lifting export): a COCO track as it
/// is, a 33-landmark track with its 17 body landmarks picked through
/// [`KeypointSchema::index_of`] (hands and feet dropped).
pub fn coco17_view(track: &PoseTrack) -> std::borrow::Cow<'_, PoseTrack> {
    let schema = schema_of(track);
    if schema == KeypointSchema::Coco17 {
        return std::borrow::Cow::Borrowed(track);
    }
    let indices: Vec<Option<usize>> = fitvision_kinematics::schema::COCO17
        .iter()
        .map(|&joint| schema.index_of(joint))
        .collect();
    let mut view = track.clone();
    view.schema = fitvision_proto::v1::KeypointSchema::Coco17 as i32;
    for person in view.frames.iter_mut().flat_map(|f| f.persons.iter_mut()) {
        let all = std::mem::take(&mut person.keypoints);
        person.keypoints = indices
            .iter()
            .map(|index| index.and_then(|i| all.get(i).copied()).unwrap_or_default())
            .collect();
    }
    std::borrow::Cow::Owned(view)
}

/// The track's camera path into the first frame's pixels, when the pose stage measured
/// it well enough to trust (see [`fitvision_kinematics::camera::ground_path`]).
pub fn ground_path(track: &PoseTrack) -> Option<Vec<Similarity>> {
    let samples: Vec<Option<CameraSample>> = track
        .frames
        .iter()
        .map(|f| {
            f.camera.as_ref().map(|c| CameraSample {
                reference_from_frame: Similarity {
                    scale: if c.scale > 0.0 { c.scale } else { 1.0 },
                    rotation_rad: c.rotation_rad,
                    tx: c.translate_x_px,
                    ty: c.translate_y_px,
                },
                measured: c.measured,
            })
        })
        .collect();
    let diagonal = track
        .video
        .as_ref()
        .map(|v| f64::from(v.width_px).hypot(f64::from(v.height_px)))
        .filter(|d| *d > 0.0)
        .unwrap_or(1000.0);
    fitvision_kinematics::camera::ground_path(&samples, diagonal)
}

/// Picks the dominant person: the one with the largest sum over frames of their box's
/// linear size (the square root of its area); `None` when nobody was ever detected.
///
/// Linear, not area: a person twice as far away counts half per frame, not a quarter,
/// so presence weighs more than a moment of size. Summed area let a blurred, enlarged
/// copy of the athlete (the fill behind a portrait clip re-framed to landscape, found in
/// 11 of 142 analysed frames at ten times the athlete's area) outweigh the athlete seen
/// in every frame, and the set was counted on the copy; a passer-by close to the lens
/// for a second would do the same.
pub fn dominant_track_id(track: &PoseTrack) -> Option<u32> {
    let mut totals: std::collections::HashMap<u32, f64> = Default::default();
    for f in &track.frames {
        for p in &f.persons {
            // A detection without a box still counts as presence.
            *totals.entry(p.track_id).or_default() += area(p).sqrt().max(1.0);
        }
    }
    totals
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(id, _)| id)
}

impl SubjectTrack {
    /// Extracts the dominant person. `None` when the track has no person at all.
    pub fn from_track(track: &PoseTrack, min_score: f64) -> Option<Self> {
        let schema = schema_of(track);
        let id = dominant_track_id(track)?;
        let n = track.frames.len();
        let fps = track
            .video
            .as_ref()
            .map(|v| v.fps)
            .filter(|f| *f > 0.0)
            .unwrap_or(30.0);
        let mut timestamps_ms: Vec<f64> = track.frames.iter().map(|f| f.timestamp_ms).collect();
        let monotonic = timestamps_ms.windows(2).all(|w| w[1] > w[0]);
        if !monotonic {
            // Missing or broken decoder timestamps: fall back on the frame index and rate.
            timestamps_ms = track
                .frames
                .iter()
                .map(|f| f.frame_index as f64 * 1000.0 / fps)
                .collect();
        }
        let times_s: Vec<f64> = timestamps_ms.iter().map(|t| t / 1000.0).collect();
        let dts: Vec<f64> = times_s.windows(2).map(|w| w[1] - w[0]).collect();
        let sample_rate_hz = stats::median(&dts)
            .filter(|d| *d > 0.0)
            .map(|d| 1.0 / d)
            .unwrap_or(fps);

        // Which person of each frame is the subject: the dominant id, else (the
        // tracker lost the identity) whoever overlaps one of the subject's nearest known
        // boxes, first looking back in time, then forward. Several boxes, not the last
        // one alone: one misread frame (a box squashed to the arms mid-rep) must not cut
        // the subject off for the rest of the clip.
        let mut chosen: Vec<Option<usize>> = track
            .frames
            .iter()
            .map(|f| f.persons.iter().position(|p| p.track_id == id))
            .collect();
        let stitch = |f: &fitvision_proto::v1::PoseFrame, references: &[BoundingBox]| {
            f.persons
                .iter()
                .enumerate()
                .filter_map(|(k, p)| {
                    let b = p.r#box.as_ref()?;
                    let overlap = references.iter().map(|r| iou(r, b)).fold(0.0_f64, f64::max);
                    Some((k, overlap))
                })
                .filter(|(_, o)| *o >= STITCH_MIN_IOU)
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(k, _)| k)
        };
        for order in [false, true] {
            let mut references: std::collections::VecDeque<BoundingBox> = Default::default();
            let indices: Vec<usize> = if order {
                (0..n).rev().collect()
            } else {
                (0..n).collect()
            };
            for i in indices {
                let f = &track.frames[i];
                if chosen[i].is_none() && !references.is_empty() {
                    chosen[i] = stitch(f, references.make_contiguous());
                }
                if let Some(b) = chosen[i].and_then(|k| f.persons[k].r#box) {
                    if references.len() == STITCH_REFERENCES {
                        references.pop_front();
                    }
                    references.push_back(b);
                }
            }
        }
        let poses: Vec<Option<&[fitvision_proto::v1::Keypoint]>> = track
            .frames
            .iter()
            .zip(&chosen)
            .map(|(f, k)| {
                let p = &f.persons[(*k)?];
                (p.keypoints.len() >= schema.len()).then_some(p.keypoints.as_slice())
            })
            .collect();
        // Every joint of every frame, looked up once: angles read them per frame
        // and per signal, so lookups must be a plain index.
        let slots: Vec<Option<usize>> = ALL_JOINTS.iter().map(|j| schema.index_of(*j)).collect();
        let mut keypoints = Vec::with_capacity(poses.len() * ALL_JOINTS.len());
        let mut confident = Vec::with_capacity(poses.len() * ALL_JOINTS.len());
        for pose in &poses {
            for slot in &slots {
                let k = pose
                    .zip(*slot)
                    .and_then(|(p, idx)| p.get(idx))
                    .map(|k| Keypoint {
                        x: k.x_px as f64,
                        y: k.y_px as f64,
                        score: k.score as f64,
                    });
                keypoints.push(k);
                confident.push(
                    k.filter(|k| k.score >= min_score && k.x.is_finite() && k.y.is_finite())
                        .map(|k| Point2::new(k.x, k.y)),
                );
            }
        }
        Some(Self {
            schema,
            track_id: id,
            frame_indices: track.frames.iter().map(|f| f.frame_index).collect(),
            timestamps_ms,
            times_s,
            sample_rate_hz,
            present: poses.iter().map(Option::is_some).collect(),
            keypoints,
            confident,
            camera: ground_path(track)
                .map(|path| path.into_iter().map(Some).collect())
                .unwrap_or_else(|| vec![None; n]),
            body_unit_px: OnceLock::new(),
            ground_y: OnceLock::new(),
        })
    }

    pub fn len(&self) -> usize {
        self.present.len()
    }

    pub fn is_empty(&self) -> bool {
        self.present.is_empty()
    }

    pub fn is_present(&self, i: usize) -> bool {
        self.present[i]
    }

    /// Raw keypoint regardless of confidence.
    #[inline]
    pub fn keypoint(&self, i: usize, joint: Joint) -> Option<Keypoint> {
        self.keypoints[i * ALL_JOINTS.len() + joint as usize]
    }

    /// Confident keypoint position (score at least `min_score`, finite).
    #[inline]
    pub fn point(&self, i: usize, joint: Joint) -> Option<Point2> {
        self.confident[i * ALL_JOINTS.len() + joint as usize]
    }

    #[inline]
    pub fn limb(&self, i: usize, limb: Limb, side: Side) -> Option<Point2> {
        self.point(i, limb.on(side))
    }

    /// A confident keypoint in the ground's frame: where it lies in the reference frame's
    /// pixels once the camera's motion since then is undone (the image position when the
    /// camera motion is unknown). Trajectories that need a fixed frame (take-off and
    /// landing, jump distance, bar path, foot contacts) read these.
    pub fn ground_point(&self, i: usize, joint: Joint) -> Option<Point2> {
        Some(self.to_ground(i, self.point(i, joint)?))
    }

    /// Any image position of frame `i` (a plate centre, say) in the ground's frame.
    pub fn to_ground(&self, i: usize, p: Point2) -> Point2 {
        match self.camera.get(i).copied().flatten() {
            Some(t) => t.apply_point(p),
            None => p,
        }
    }

    /// Whether [`Self::ground_point`] and the like are in the ground's frame: the pose
    /// stage measured the camera well enough to undo its motion. Otherwise they are image
    /// positions, which a moving camera moves.
    pub fn has_ground_frame(&self) -> bool {
        self.camera.iter().any(Option::is_some)
    }

    pub fn ground_limb(&self, i: usize, limb: Limb, side: Side) -> Option<Point2> {
        self.ground_point(i, limb.on(side))
    }

    /// [`Self::limb_mid`] in the ground's frame.
    pub fn ground_limb_mid(&self, i: usize, limb: Limb) -> Option<Point2> {
        match (
            self.ground_limb(i, limb, Side::Left),
            self.ground_limb(i, limb, Side::Right),
        ) {
            (Some(a), Some(b)) => Some(a.midpoint(b)),
            (a, b) => a.or(b),
        }
    }

    /// Midpoint of a limb pair, or the one side seen when the other is not.
    pub fn limb_mid(&self, i: usize, limb: Limb) -> Option<Point2> {
        match (
            self.limb(i, limb, Side::Left),
            self.limb(i, limb, Side::Right),
        ) {
            (Some(a), Some(b)) => Some(a.midpoint(b)),
            (a, b) => a.or(b),
        }
    }

    #[inline]
    pub fn score(&self, i: usize, joint: Joint) -> f64 {
        self.keypoint(i, joint).map(|k| k.score).unwrap_or(0.0)
    }

    /// Mean confidence of the 12 body keypoints (shoulders to ankles); 0 when absent.
    pub fn body_confidence(&self, i: usize) -> f64 {
        const BODY: [Limb; 6] = [
            Limb::Shoulder,
            Limb::Elbow,
            Limb::Wrist,
            Limb::Hip,
            Limb::Knee,
            Limb::Ankle,
        ];
        if !self.is_present(i) {
            return 0.0;
        }
        let sum: f64 = BODY
            .iter()
            .flat_map(|l| [l.on(Side::Left), l.on(Side::Right)])
            .map(|j| self.score(i, j))
            .sum();
        sum / 12.0
    }

    /// Shoulder-hip-knee-ankle chain length in pixels on the better side of frame `i`.
    pub fn chain_length_px(&self, i: usize) -> Option<f64> {
        let chain = |side: Side| {
            let s = self.limb(i, Limb::Shoulder, side)?;
            let h = self.limb(i, Limb::Hip, side)?;
            let k = self.limb(i, Limb::Knee, side)?;
            let a = self.limb(i, Limb::Ankle, side)?;
            Some(s.distance(h) + h.distance(k) + k.distance(a))
        };
        match (chain(Side::Left), chain(Side::Right)) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// Robust body length unit in pixels: 90th percentile of the chain length
    /// (foreshortened frames are shorter, never longer). Falls back on the trunk
    /// (shoulder-hip) scaled by its share of the chain when legs are never seen.
    pub fn body_unit_px(&self) -> Option<f64> {
        *self
            .body_unit_px
            .get_or_init(|| self.compute_body_unit_px())
    }

    fn compute_body_unit_px(&self) -> Option<f64> {
        let chains: Vec<f64> = (0..self.len())
            .filter_map(|i| self.chain_length_px(i))
            .collect();
        if chains.len() >= 3 {
            return stats::percentile(&chains, 90.0).filter(|v| *v > 0.0);
        }
        let trunks: Vec<f64> = (0..self.len())
            .filter_map(|i| {
                let s = self.limb_mid(i, Limb::Shoulder)?;
                let h = self.limb_mid(i, Limb::Hip)?;
                Some(s.distance(h))
            })
            .collect();
        // Trunk is 0.288 / 0.779 of the chain (Drillis & Contini).
        stats::percentile(&trunks, 90.0)
            .filter(|v| *v > 0.0)
            .map(|t| t * 0.779 / 0.288)
    }

    /// y of the floor in the ground's frame: a high percentile of the ankles' y (the
    /// lowest they get).
    pub fn ground_y(&self) -> f64 {
        *self.ground_y.get_or_init(|| {
            let ys: Vec<f64> = (0..self.len())
                .flat_map(|i| {
                    [Side::Left, Side::Right]
                        .into_iter()
                        .filter_map(move |s| self.ground_limb(i, Limb::Ankle, s).map(|p| p.y))
                })
                .collect();
            stats::percentile(&ys, 95.0).unwrap_or(0.0)
        })
    }

    /// Seconds from the first to the last analysed frame plus one frame period.
    pub fn duration_s(&self) -> f64 {
        match (self.times_s.first(), self.times_s.last()) {
            (Some(a), Some(b)) => b - a + 1.0 / self.sample_rate_hz.max(1e-6),
            _ => 0.0,
        }
    }
}
