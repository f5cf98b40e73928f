//! MediaPipe BlazePose converted to ONNX (family `blazepose`, Apache-2.0).
//!
//! Two networks, as in MediaPipe's own pose graph: a person detector finds where each
//! person is, then a landmark network reads 33 landmarks (hands and feet included)
//! from a rotated square crop of that region. The region of the next frame comes from
//! this frame's landmarks, so the detector runs only when someone is lost, when nobody
//! is followed yet, and every [`REDETECT_EVERY_FRAMES`] analysed frames to notice people
//! who walk in. Every followed person is one region (multi-person). A frame far from
//! square is also searched in square tiles, so that people small in a wide frame are
//! found too: every tile while nobody is followed, one tile in turn per detection period
//! while someone is (see [`tiles_for_pass`]).
//!
//! Geometry follows MediaPipe's `pose_detection_to_roi` / `pose_landmarks_to_roi`:
//! two alignment points (the hips' centre and a point on the circle around the body)
//! give the region's centre, size (twice their distance, scaled by 1.25) and rotation
//! (the body axis turned upright), so a person lying in a push-up is read upright.

use std::f32::consts::{FRAC_PI_2, PI, TAU};
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use fitvision_video::opencv::core::{BORDER_CONSTANT, Mat, Rect, Scalar, Size, ToInputArray};
use fitvision_video::opencv::imgproc;
use fitvision_video::opencv::prelude::*;
use ort::session::Session;
use ort::value::Tensor;

use super::session::SessionOptions;
use super::{FrameMemory, InferenceOutput, ModelInfo, PoseModel, PreparedInput};
use crate::PoseError;
use crate::geometry::{Detection, PixelBox, PixelKeypoint};
use crate::letterbox::{Focus, Letterbox};

/// Revision of this family's output for the same options: bumped when a change here
/// alters the tracks BlazePose produces, so caches keyed by it never serve stale ones.
/// 2: wide frames are also searched in tiles, and two people are told apart by their
/// torsos, not their boxes; 3: tiles at most every 15 analysed frames; 4: two readings
/// standing on the same feet, or mostly sharing a box with torsos a torso's length or
/// less apart, are one person; 5: of two readings of one body, the person followed
/// longest keeps theirs; 6: a person lost mid-video is followed back from the frame
/// where they are found again (see [`PoseModel::follows_regions`]); 7: a followed body
/// that the detector points the other way is read both ways up (see `read_followed`);
/// 8: of those two readings, one that stands the body on its head loses
/// (`upright_reading`); 9: a body tracked in part and now read whole in a larger box
/// is not looked for again in a margin (the pipeline's `FOUND_WHOLE_MIN_SHARE`); 10: the
/// camera's motion in portrait frames is found on a 320 px long side, not a 320 px width
/// (`fitvision_video::camera_motion::FEATURE_LONG_SIDE`); 11: while someone is followed,
/// a detection period searches one tile in turn, not all of them, and tiles are due on
/// the next detector pass rather than on a frame without one (see [`tiles_for_pass`]).
pub const OUTPUT_REVISION: u32 = 11;
/// The detector's square input side.
const DETECTOR_SIDE: u32 = 224;
/// The landmark network's square input side.
const LANDMARK_SIDE: u32 = 256;
/// MediaPipe's thresholds: a detection counts from a score of 0.5; detections overlapping
/// by IoU 0.3 are one person (their boxes averaged, weighted by score).
const DETECTOR_MIN_SCORE: f32 = 0.5;
const DETECTOR_NMS_IOU: f32 = 0.3;
/// A frame whose long side exceeds its short side by this factor is also searched in
/// square tiles ([`detector_tiles`]): from 4:3 on, where a letterboxed person shrinks to
/// three quarters of the height a square frame would give them.
const TILE_ABOVE_ASPECT: f32 = 4.0 / 3.0;
/// A tile's hit reaching this close (share of the tile's side) to an edge of the tile
/// inside the frame is cut by it.
const TILE_EDGE_MARGIN: f32 = 0.02;
/// Raw detector scores are clipped to this before the sigmoid (MediaPipe's setting).
const SCORE_CLIP: f32 = 100.0;
/// The region is this much larger than the alignment circle: room for the limbs.
const REGION_SCALE: f32 = 1.25;
/// The landmark network's own "a person is in this crop" output; below it the person
/// is lost and the detector looks again.
const MIN_POSE_PRESENCE: f32 = 0.5;
/// Analysed frames between detector passes while people are followed (~0.5 s at the
/// usual 30 fps analysis), to find people who enter.
const REDETECT_EVERY_FRAMES: u32 = 15;
/// At most this many people are followed at once.
const MAX_REGIONS: usize = 6;
/// Two readings are the same person when their torso landmarks (shoulders and hips) lie
/// within this share of a torso's length of each other. Boxes cannot tell: a child doing
/// push-ups beside an adult lies inside the adult's box, while two regions that drifted
/// onto one person read the same landmarks to within a few pixels.
const SAME_PERSON_TORSO_SHARE: f32 = 0.5;
/// Two readings whose ankles both lie within this share of the longer torso of each
/// other's stand on the same spot: one body. Two people cannot; a second "person" read
/// from one athlete's legs can (a pull-up filmed from behind with the head cut off by the
/// frame: the landmark network fits a whole small body into the thighs and shins, feet on
/// the athlete's feet, its torso half a torso below theirs).
const SAME_FEET_TORSO_SHARE: f32 = 0.25;
/// Boxes overlapping this much hold one body unless the torsos are a torso's length
/// apart (see [`same_body`]).
const SAME_BODY_MIN_IOU: f32 = 0.5;
/// Landmarks count for telling people apart from this visibility on.
const MIN_SAME_PERSON_VISIBILITY: f32 = 0.5;
/// A detection or region whose hips' centre lies within this share of a followed
/// region's side from that region's centre (its hips' centre) is the person followed
/// there: the side is 2.5 times the body's radius, so this is about half a torso.
const SAME_PERSON_REGION_SHARE: f32 = 0.1;
/// Landmarks reported per person, and points the network outputs (the 33 plus the
/// alignment points and others MediaPipe uses internally).
const LANDMARKS: usize = 33;
const OUTPUT_POINTS: usize = 39;
/// Values per point: x, y, z, visibility (logit), presence (logit).
const VALUES_PER_POINT: usize = 5;
/// The landmark network's alignment points: hips' centre and a point above the head.
const ALIGN_CENTRE: usize = 33;
const ALIGN_EDGE: usize = 34;
const NOSE: usize = 0;
/// Landmarks of the head and shoulders (for the top of the head).
const LEFT_EAR: usize = 7;
const RIGHT_EAR: usize = 8;
const LEFT_SHOULDER: usize = 11;
const RIGHT_SHOULDER: usize = 12;
const LEFT_HIP: usize = 23;
const RIGHT_HIP: usize = 24;
const LEFT_ANKLE: usize = 27;
const RIGHT_ANKLE: usize = 28;
/// The top of the head lies beyond the ears by this share of the ears-to-shoulders
/// distance (head height above the ear ~0.065 stature, ear to shoulder line ~0.13).
const HEAD_ABOVE_EARS: f32 = 0.5;
/// Body outline beyond the outermost landmarks, as a share of their extent's long side:
/// over 43 clips (12037 frames with one person) YOLO's person box reaches beyond the
/// landmarks by a median 3.7-4.1% at the sides and 1.8% below the feet.
const OUTLINE_MARGIN: f32 = 0.04;
/// Detector values per anchor: box (cx, cy, w, h) then 4 points (x, y); points 0 and 1
/// are the alignment points.
const DETECTOR_VALUES: usize = 12;
/// The landmark model's outputs, by the names the conversion keeps.
const LANDMARKS_OUTPUT: &str = "Identity";
const PRESENCE_OUTPUT: &str = "Identity_1";

/// A square region of the frame, rotated by `rotation` (radians, clockwise in image
/// coordinates), that the landmark network reads upright.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Region {
    cx: f32,
    cy: f32,
    side: f32,
    rotation: f32,
    /// Analysed frames this person has been followed for (0: found by the detector now).
    followed_frames: u32,
}

fn normalize_radians(angle: f32) -> f32 {
    angle - TAU * ((angle + PI) / TAU).floor()
}

impl Region {
    /// MediaPipe's alignment-points rect: centred on `centre`, the body axis from
    /// `centre` to `edge` turned upright, side twice their distance times
    /// [`REGION_SCALE`]. `None` for a degenerate pair.
    fn from_alignment(centre: (f32, f32), edge: (f32, f32)) -> Option<Self> {
        let (dx, dy) = (edge.0 - centre.0, edge.1 - centre.1);
        let radius = dx.hypot(dy);
        if !radius.is_finite() || radius < 1.0 {
            return None;
        }
        Some(Self {
            cx: centre.0,
            cy: centre.1,
            side: 2.0 * radius * REGION_SCALE,
            rotation: normalize_radians(FRAC_PI_2 - (-dy).atan2(dx)),
            followed_frames: 0,
        })
    }

    /// Frame pixels of point (`u`, `v`) of the `crop_side`-px upright crop.
    fn point_in_frame(&self, u: f32, v: f32, crop_side: f32) -> (f32, f32) {
        let scale = self.side / crop_side;
        let (dx, dy) = (u * scale - self.side / 2.0, v * scale - self.side / 2.0);
        let (sin, cos) = self.rotation.sin_cos();
        (self.cx + dx * cos - dy * sin, self.cy + dx * sin + dy * cos)
    }

    /// The crop -> frame affine map as OpenCV's 2x3 matrix.
    fn crop_to_frame(&self, crop_side: f32) -> [[f64; 3]; 2] {
        let scale = f64::from(self.side / crop_side);
        let (sin, cos) = f64::from(self.rotation).sin_cos();
        let (tx, ty) = self.point_in_frame(0.0, 0.0, crop_side);
        [
            [cos * scale, -sin * scale, f64::from(tx)],
            [sin * scale, cos * scale, f64::from(ty)],
        ]
    }

    /// Whether a person whose hips' centre is `hips` is the one this region follows.
    fn holds(&self, hips: (f32, f32)) -> bool {
        (hips.0 - self.cx).hypot(hips.1 - self.cy) < SAME_PERSON_REGION_SHARE * self.side
    }
}

fn midpoint(a: &PixelKeypoint, b: &PixelKeypoint) -> (f32, f32) {
    ((a.x + b.x) / 2.0, (a.y + b.y) / 2.0)
}

/// The hips' centre of a reading's 33 landmarks.
fn hips_centre(keypoints: &[PixelKeypoint]) -> (f32, f32) {
    midpoint(&keypoints[LEFT_HIP], &keypoints[RIGHT_HIP])
}

/// Length of a reading's torso (shoulders' centre to hips' centre), px.
fn torso_length(k: &[PixelKeypoint]) -> f32 {
    let (shoulders, hips) = (
        midpoint(&k[LEFT_SHOULDER], &k[RIGHT_SHOULDER]),
        midpoint(&k[LEFT_HIP], &k[RIGHT_HIP]),
    );
    (shoulders.0 - hips.0).hypot(shoulders.1 - hips.1)
}

/// Mean distance between two readings' torso landmarks (shoulders and hips), px.
fn torsos_apart(a: &[PixelKeypoint], b: &[PixelKeypoint]) -> f32 {
    let torso = [LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP];
    torso
        .iter()
        .map(|&j| (a[j].x - b[j].x).hypot(a[j].y - b[j].y))
        .sum::<f32>()
        / torso.len() as f32
}

/// Whether two readings' landmarks are one person: their torsos coincide
/// ([`SAME_PERSON_TORSO_SHARE`]) or they stand on the same feet
/// ([`SAME_FEET_TORSO_SHARE`]).
fn same_person(a: &[PixelKeypoint], b: &[PixelKeypoint]) -> bool {
    let (torso_a, torso_b) = (torso_length(a), torso_length(b));
    let same_torso = torsos_apart(a, b) <= SAME_PERSON_TORSO_SHARE * (torso_a + torso_b) / 2.0;
    let feet = [LEFT_ANKLE, RIGHT_ANKLE];
    let feet_seen = feet.iter().all(|&j| {
        a[j].score >= MIN_SAME_PERSON_VISIBILITY && b[j].score >= MIN_SAME_PERSON_VISIBILITY
    });
    let longer_torso = torso_a.max(torso_b);
    let same_feet = feet_seen
        && feet.iter().all(|&j| {
            (a[j].x - b[j].x).hypot(a[j].y - b[j].y) <= SAME_FEET_TORSO_SHARE * longer_torso
        });
    same_torso || same_feet
}

/// Whether two readings of one frame are one body: by their landmarks
/// ([`same_person`]), or their boxes mostly coincide ([`SAME_BODY_MIN_IOU`]) with torsos
/// within a torso's length of each other. A second region that drifted onto a walker
/// reads them squashed (hips where the shoulders are): its landmarks differ, its box
/// does not. A child beside an adult has a box far smaller than the adult's and a torso
/// a torso's length away.
fn same_body(a: &Detection, b: &Detection) -> bool {
    same_person(&a.keypoints, &b.keypoints)
        || (a.bbox.iou(&b.bbox) >= SAME_BODY_MIN_IOU
            && torsos_apart(&a.keypoints, &b.keypoints)
                <= torso_length(&a.keypoints).max(torso_length(&b.keypoints)))
}

/// The detector's SSD anchor centres (input fractions), in its output order: MediaPipe's
/// pose-detection anchors (strides 8, 16, 32, 32, 32 on 224 px; layers of the same
/// stride share one grid; two anchors per layer; fixed anchor size 1).
fn detector_anchors() -> &'static [(f32, f32)] {
    static ANCHORS: OnceLock<Vec<(f32, f32)>> = OnceLock::new();
    ANCHORS.get_or_init(|| {
        const STRIDES: [u32; 5] = [8, 16, 32, 32, 32];
        const ANCHORS_PER_LAYER: usize = 2;
        let mut anchors = Vec::new();
        let mut layer = 0;
        while layer < STRIDES.len() {
            let stride = STRIDES[layer];
            let same_stride = STRIDES[layer..]
                .iter()
                .take_while(|&&s| s == stride)
                .count();
            let grid = DETECTOR_SIDE.div_ceil(stride);
            for y in 0..grid {
                for x in 0..grid {
                    let centre = (
                        (x as f32 + 0.5) / grid as f32,
                        (y as f32 + 0.5) / grid as f32,
                    );
                    anchors.extend(std::iter::repeat_n(centre, same_stride * ANCHORS_PER_LAYER));
                }
            }
            layer += same_stride;
        }
        anchors
    })
}

/// One person found by the detector, in frame pixels.
#[derive(Debug, Clone, PartialEq)]
struct PersonHit {
    bbox: PixelBox,
    score: f32,
    /// The alignment points: hips' centre, then a point on the circle around the body.
    centre: (f32, f32),
    edge: (f32, f32),
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Decodes the detector's outputs (`raw`: anchors x 12 in input px relative to the
/// anchor; `scores`: logits) on the part of the frame at `offset` that `letterbox` fed
/// it into frame-pixel persons (not yet merged).
fn decode_detector(
    raw: &[f32],
    scores: &[f32],
    letterbox: &Letterbox,
    offset: (f32, f32),
) -> Vec<PersonHit> {
    let side = DETECTOR_SIDE as f32;
    detector_anchors()
        .iter()
        .zip(raw.chunks_exact(DETECTOR_VALUES))
        .zip(scores)
        .filter_map(|((&(ax, ay), values), &logit)| {
            let score = sigmoid(logit.clamp(-SCORE_CLIP, SCORE_CLIP));
            if score < DETECTOR_MIN_SCORE {
                return None;
            }
            let point = |x: f32, y: f32| {
                let (fx, fy) = letterbox.to_frame(x + ax * side, y + ay * side);
                (fx + offset.0, fy + offset.1)
            };
            let (cx, cy) = point(values[0], values[1]);
            Some(PersonHit {
                bbox: PixelBox::from_centre(
                    cx,
                    cy,
                    values[2] / letterbox.scale,
                    values[3] / letterbox.scale,
                ),
                score,
                centre: point(values[4], values[5]),
                edge: point(values[6], values[7]),
            })
        })
        .collect()
}

/// A square part of the frame: left, top, side in pixels.
type Tile = (u32, u32, u32);

/// Square tiles (x, y, side) of a `width` x `height` frame that the detector also searches
/// when the frame is far from square: letterboxed whole into its 224 px input, a
/// panorama or a side-by-side of two clips leaves each person a few dozen pixels tall,
/// below what the detector finds (MediaPipe's model is made for a person near a phone).
/// Tiles are as large as the short side and overlap by at least half of it, so anyone
/// narrower than half the short side lies whole in one of them.
fn detector_tiles(width: u32, height: u32) -> Vec<Tile> {
    let (long, short) = (width.max(height), width.min(height));
    if short < 2 || (long as f32) < TILE_ABOVE_ASPECT * short as f32 {
        return Vec::new();
    }
    let spare = long - short;
    let count = spare.div_ceil(short / 2).max(1) + 1;
    (0..count)
        .map(|k| {
            let along = (spare as u64 * k as u64 / (count - 1) as u64) as u32;
            if width >= height {
                (along, 0, short)
            } else {
                (0, along, short)
            }
        })
        .collect()
}

/// The tiles one detector pass searches, of a frame's `tiles`. While nobody is followed
/// it is every tile: the athlete may be small in a wide frame and must be found at once.
/// While someone is, the tiles only serve to notice small people who walk in or stand
/// by, and each costs a detector pass (as much as a landmark pass): one tile per
/// detection period, `turn` choosing which, so each is searched every few periods
/// (every 1.5 s at 30 analysed fps for the three tiles of a 16:9 frame) and a period
/// costs two detector passes instead of four.
fn tiles_for_pass(tiles: &[Tile], anyone_followed: bool, turn: usize) -> Vec<Tile> {
    if !anyone_followed || tiles.is_empty() {
        return tiles.to_vec();
    }
    vec![tiles[turn % tiles.len()]]
}

/// Whether `hit`, found in tile (`x`, `y`, `side`) of a `width` x `height` frame, is
/// cut by an edge of the tile that lies inside the frame: then it is part of a person
/// whom the whole frame or a neighbouring tile sees whole.
fn cut_by_tile(
    hit: &PersonHit,
    (x, y, side): (u32, u32, u32),
    (width, height): (u32, u32),
) -> bool {
    let margin = TILE_EDGE_MARGIN * side as f32;
    let (x1, y1) = (x as f32, y as f32);
    let (x2, y2) = (x1 + side as f32, y1 + side as f32);
    (x > 0 && hit.bbox.x1 < x1 + margin)
        || (y > 0 && hit.bbox.y1 < y1 + margin)
        || (x + side < width && hit.bbox.x2 > x2 - margin)
        || (y + side < height && hit.bbox.y2 > y2 - margin)
}

/// MediaPipe's weighted NMS: each best-scoring hit absorbs the hits overlapping it by
/// more than [`DETECTOR_NMS_IOU`], its box and points becoming their score-weighted
/// mean. `hits` are sorted best first.
fn weighted_nms(mut hits: Vec<PersonHit>) -> Vec<PersonHit> {
    let mut merged = Vec::new();
    while !hits.is_empty() {
        let best = hits[0].clone();
        let (cluster, rest): (Vec<PersonHit>, Vec<PersonHit>) = hits
            .into_iter()
            .partition(|hit| hit.bbox.iou(&best.bbox) > DETECTOR_NMS_IOU);
        hits = rest;
        let total: f32 = cluster.iter().map(|hit| hit.score).sum();
        let mean = |get: &dyn Fn(&PersonHit) -> f32| {
            cluster.iter().map(|hit| get(hit) * hit.score).sum::<f32>() / total
        };
        merged.push(PersonHit {
            bbox: PixelBox {
                x1: mean(&|h| h.bbox.x1),
                y1: mean(&|h| h.bbox.y1),
                x2: mean(&|h| h.bbox.x2),
                y2: mean(&|h| h.bbox.y2),
            },
            score: best.score,
            centre: (mean(&|h| h.centre.0), mean(&|h| h.centre.1)),
            edge: (mean(&|h| h.edge.0), mean(&|h| h.edge.1)),
        });
    }
    merged
}

/// The people followed in one video (kept in the caller's [`FrameMemory`]).
#[derive(Debug, Default)]
struct Following {
    frame_size: Option<(u32, u32)>,
    regions: Vec<Region>,
    frames_since_detection: u32,
    /// Analysed frames since the frame was last searched in tiles; None before the first.
    frames_since_tiles: Option<u32>,
    /// Detection periods with tiles searched while someone was followed (which tile is
    /// next, see [`tiles_for_pass`]).
    tile_turn: usize,
}

impl Following {
    /// The tiles a detector pass searches now that tiles are due (see [`tiles_for_pass`]);
    /// the next are due [`REDETECT_EVERY_FRAMES`] analysed frames from this one.
    fn tiles_for_this_pass(&mut self) -> Vec<Tile> {
        self.frames_since_tiles = Some(0);
        let (width, height) = self.frame_size.unwrap_or_default();
        let anyone_followed = !self.regions.is_empty();
        let tiles = tiles_for_pass(
            &detector_tiles(width, height),
            anyone_followed,
            self.tile_turn,
        );
        if anyone_followed {
            self.tile_turn += 1;
        }
        tiles
    }
}

/// What the landmark network saw in one region.
struct RegionReading {
    detection: Detection,
    next_region: Option<Region>,
}

pub struct BlazePose {
    info: ModelInfo,
    detector: Mutex<Session>,
    landmarks: Mutex<Session>,
    detector_input: String,
    landmarks_input: String,
}

fn first_input_name(session: &Session, model_id: &str) -> Result<String, PoseError> {
    session
        .inputs()
        .first()
        .map(|input| input.name().to_owned())
        .ok_or_else(|| PoseError::ModelLoad {
            model_id: model_id.to_owned(),
            reason: "model has no input".to_owned(),
        })
}

fn lock(session: &Mutex<Session>) -> Result<std::sync::MutexGuard<'_, Session>, PoseError> {
    session
        .lock()
        .map_err(|_| PoseError::Inference("model session poisoned by an earlier panic".to_owned()))
}

impl BlazePose {
    pub fn load(
        environment: &ort::environment::Environment,
        info: ModelInfo,
        landmarks_path: &Path,
        detector_path: &Path,
        options: &SessionOptions,
    ) -> Result<Self, PoseError> {
        let landmarks = super::session::build(environment, &info.id, landmarks_path, options)?;
        let detector = super::session::build(environment, &info.id, detector_path, options)?;
        Ok(Self {
            detector_input: first_input_name(&detector, &info.id)?,
            landmarks_input: first_input_name(&landmarks, &info.id)?,
            info,
            detector: Mutex::new(detector),
            landmarks: Mutex::new(landmarks),
        })
    }

    /// Persons the detector finds in the frame: in the whole frame and in `tiles` of it
    /// (see [`detector_tiles`]); merged by weighted NMS.
    fn detect(&self, frame: &Mat, tiles: &[Tile]) -> Result<Vec<PersonHit>, PoseError> {
        let (width, height) = (frame.cols() as u32, frame.rows() as u32);
        let mut hits = self.detect_in(frame, (0.0, 0.0))?;
        for &tile in tiles {
            let (x, y, side) = tile;
            // A view into the frame, not a copy: the detector's letterbox resizes from it.
            let part = frame.roi(Rect::new(x as i32, y as i32, side as i32, side as i32))?;
            let found = self.detect_in(&part, (x as f32, y as f32))?;
            hits.extend(
                found
                    .into_iter()
                    .filter(|hit| !cut_by_tile(hit, tile, (width, height))),
            );
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(weighted_nms(hits))
    }

    /// Persons the detector finds in `image`, a part of the frame at `offset`.
    fn detect_in(
        &self,
        image: &(impl MatTraitConst + ToInputArray),
        offset: (f32, f32),
    ) -> Result<Vec<PersonHit>, PoseError> {
        let letterbox = Letterbox::fixed(
            image.cols() as u32,
            image.rows() as u32,
            DETECTOR_SIDE,
            DETECTOR_SIDE,
        );
        // The detector was trained on [-1, 1] inputs.
        let tensor: Vec<f32> = letterbox
            .tensor(image)?
            .into_iter()
            .map(|value| value * 2.0 - 1.0)
            .collect();
        let side = DETECTOR_SIDE as usize;
        let input = Tensor::from_array(([1_usize, 3, side, side], tensor))?;
        let mut session = lock(&self.detector)?;
        let outputs = session.run(ort::inputs![self.detector_input.as_str() => input])?;
        let (_, raw) = outputs[0].try_extract_tensor::<f32>()?;
        let (_, scores) = outputs[1].try_extract_tensor::<f32>()?;
        if raw.len() != detector_anchors().len() * DETECTOR_VALUES
            || scores.len() != detector_anchors().len()
        {
            return Err(PoseError::Inference(format!(
                "detector output has {} values and {} scores, expected {} anchors",
                raw.len(),
                scores.len(),
                detector_anchors().len()
            )));
        }
        Ok(decode_detector(raw, scores, &letterbox, offset))
    }

    /// Reads a followed person in `region`. When the detector has just pointed their body
    /// the other way (`contrary`), the region is read that way up too, and the reading
    /// whose crop the landmark network more surely holds a person keeps the person.
    ///
    /// A followed region takes its orientation from the landmarks of the frame before,
    /// so a body read upside down once stays upside down: a sit-up set found lying flat
    /// (after a title card, say) may be found head-to-feet, and nothing afterwards turns
    /// it round. The detector's periodic pass is an independent view of the same body;
    /// which of the two readings is kept: [`upright_reading`].
    fn read_followed(
        &self,
        frame: &Mat,
        region: &Region,
        contrary: Option<&Region>,
    ) -> Result<Option<RegionReading>, PoseError> {
        let followed = self.read_region(frame, region)?;
        let Some(contrary) = contrary else {
            return Ok(followed);
        };
        let turned = self.read_region(frame, contrary)?;
        Ok(match (followed, turned) {
            (Some(followed), Some(turned)) => Some(upright_reading(followed, turned)),
            (None, turned) => turned,
            (followed, None) => followed,
        })
    }

    /// Reads the landmarks in `region`; `None` when the network sees nobody there.
    fn read_region(
        &self,
        frame: &Mat,
        region: &Region,
    ) -> Result<Option<RegionReading>, PoseError> {
        let side = LANDMARK_SIDE as f32;
        let matrix = Mat::from_slice_2d(&region.crop_to_frame(side))?;
        let mut crop = Mat::default();
        imgproc::warp_affine(
            frame,
            &mut crop,
            &matrix,
            Size::new(LANDMARK_SIDE as i32, LANDMARK_SIDE as i32),
            imgproc::INTER_LINEAR | imgproc::WARP_INVERSE_MAP,
            BORDER_CONSTANT,
            Scalar::all(0.0),
        )?;
        // The crop is already the network's size: the letterbox only lays it out as an
        // RGB CHW tensor in [0, 1].
        let tensor = Letterbox::fixed(LANDMARK_SIDE, LANDMARK_SIDE, LANDMARK_SIDE, LANDMARK_SIDE)
            .tensor(&crop)?;
        let n = LANDMARK_SIDE as usize;
        let input = Tensor::from_array(([1_usize, 3, n, n], tensor))?;
        let mut session = lock(&self.landmarks)?;
        let outputs = session.run(ort::inputs![self.landmarks_input.as_str() => input])?;
        let (_, presence) = outputs[PRESENCE_OUTPUT].try_extract_tensor::<f32>()?;
        let presence = presence.first().copied().unwrap_or(0.0);
        if presence < MIN_POSE_PRESENCE {
            return Ok(None);
        }
        let (_, values) = outputs[LANDMARKS_OUTPUT].try_extract_tensor::<f32>()?;
        if values.len() != OUTPUT_POINTS * VALUES_PER_POINT {
            return Err(PoseError::Inference(format!(
                "landmark output has {} values, expected {}",
                values.len(),
                OUTPUT_POINTS * VALUES_PER_POINT
            )));
        }
        let (width, height) = (frame.cols() as f32, frame.rows() as f32);
        Ok(Some(read_landmarks(
            values,
            region,
            presence,
            (width, height),
        )))
    }
}

/// The 33 landmarks of one region in frame pixels (visibility as the keypoint score),
/// the person's box around them, and the region they give for the next frame.
fn read_landmarks(
    values: &[f32],
    region: &Region,
    presence: f32,
    (width, height): (f32, f32),
) -> RegionReading {
    let side = LANDMARK_SIDE as f32;
    let point = |p: usize| {
        let v = &values[p * VALUES_PER_POINT..(p + 1) * VALUES_PER_POINT];
        region.point_in_frame(v[0], v[1], side)
    };
    let keypoints: Vec<PixelKeypoint> = (0..LANDMARKS)
        .map(|p| {
            let (x, y) = point(p);
            PixelKeypoint {
                x: x.clamp(0.0, width),
                y: y.clamp(0.0, height),
                score: sigmoid(values[p * VALUES_PER_POINT + 3]),
            }
        })
        .collect();
    let bbox = body_outline_box(&keypoints, (width, height));
    RegionReading {
        detection: Detection {
            bbox,
            score: presence,
            keypoints,
        },
        next_region: Region::from_alignment(point(ALIGN_CENTRE), point(ALIGN_EDGE)),
    }
}

/// The person's box: the landmarks are joint centres, while a person detector's box (and
/// every consumer of boxes: overlap, text-on-clothing, the tracker) covers the body's
/// outline. The outline reaches beyond the landmarks by the head above the ears (about
/// half the ears-to-shoulders distance, along the body) and by limb half-widths and soles
/// all round ([`OUTLINE_MARGIN`]).
fn body_outline_box(keypoints: &[PixelKeypoint], (width, height): (f32, f32)) -> PixelBox {
    let mid = |a: usize, b: usize| {
        (
            (keypoints[a].x + keypoints[b].x) / 2.0,
            (keypoints[a].y + keypoints[b].y) / 2.0,
        )
    };
    let (ears, shoulders) = (mid(LEFT_EAR, RIGHT_EAR), mid(LEFT_SHOULDER, RIGHT_SHOULDER));
    let head_top = (
        ears.0 + HEAD_ABOVE_EARS * (ears.0 - shoulders.0),
        ears.1 + HEAD_ABOVE_EARS * (ears.1 - shoulders.1),
    );
    let (mut x1, mut y1, mut x2, mut y2) = (head_top.0, head_top.1, head_top.0, head_top.1);
    for k in keypoints {
        (x1, y1, x2, y2) = (x1.min(k.x), y1.min(k.y), x2.max(k.x), y2.max(k.y));
    }
    let margin = OUTLINE_MARGIN * (x2 - x1).max(y2 - y1);
    PixelBox {
        x1: x1 - margin,
        y1: y1 - margin,
        x2: x2 + margin,
        y2: y2 + margin,
    }
    .clamped(width, height)
}

impl PoseModel for BlazePose {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// MediaPipe's pose graph keeps landmarks whose presence is at least 0.5.
    fn default_confidence(&self) -> f32 {
        MIN_POSE_PRESENCE
    }

    /// Overlapping boxes, or landmarks of one body (see [`same_body`]): a second
    /// "person" read from an athlete's legs lies inside their box without overlapping it
    /// much.
    fn same_person(&self, a: &Detection, b: &Detection) -> bool {
        a.bbox.iou(&b.bbox) >= super::SAME_PERSON_MIN_IOU
            || (a.keypoints.len() == LANDMARKS && b.keypoints.len() == LANDMARKS && same_body(a, b))
    }

    fn follows_regions(&self) -> bool {
        true
    }

    fn whole_frame_long_side(&self) -> Option<u32> {
        None
    }

    fn input_stride(&self) -> u32 {
        1
    }

    /// Only keeps the frame: which crops the landmark network reads depends on the
    /// frame before, known in `infer`.
    fn prepare<'f>(
        &self,
        frame: &'f Mat,
        _focus: Option<Focus>,
    ) -> Result<PreparedInput<'f>, PoseError> {
        let (frame_width, frame_height) = (frame.cols() as u32, frame.rows() as u32);
        Ok(PreparedInput {
            tensor: Vec::new(),
            frame: Some(frame),
            letterbox: Letterbox::fixed(frame_width, frame_height, LANDMARK_SIDE, LANDMARK_SIDE),
            frame_width,
            frame_height,
        })
    }

    fn infer(
        &self,
        input: PreparedInput<'_>,
        min_confidence: f32,
        memory: &mut FrameMemory,
    ) -> Result<InferenceOutput, PoseError> {
        let started = Instant::now();
        let frame = input.frame.ok_or_else(|| {
            PoseError::Inference("BlazePose needs the frame in its prepared input".to_owned())
        })?;
        let size = (input.frame_width, input.frame_height);
        let following: &mut Following = memory.get_or_default();
        if following.frame_size != Some(size) {
            *following = Following {
                frame_size: Some(size),
                ..Following::default()
            };
        }
        let mut detected_now = false;
        // Tiles cost a detector pass each: they are searched on the first detector pass
        // at least REDETECT_EVERY_FRAMES frames after the last (small people are found
        // then), not on every frame where someone was lost or nobody is followed.
        let tiles_due = following
            .frames_since_tiles
            .is_none_or(|n| n >= REDETECT_EVERY_FRAMES);
        following.frames_since_tiles = following.frames_since_tiles.map(|n| n + 1);
        // The detector's own view of the people already followed, where it points their
        // body the other way (see `read_followed`).
        let mut contrary: Vec<Option<Region>> = Vec::new();
        if following.regions.is_empty() || following.frames_since_detection >= REDETECT_EVERY_FRAMES
        {
            let tiles = if tiles_due {
                following.tiles_for_this_pass()
            } else {
                Vec::new()
            };
            let hits = self.detect(frame, &tiles)?;
            contrary = contrary_regions(&following.regions, &hits);
            add_new_people(&mut following.regions, hits);
            following.frames_since_detection = 0;
            detected_now = true;
        } else {
            following.frames_since_detection += 1;
        }
        // Each reading with how long its person has been followed.
        let mut readings: Vec<(u32, RegionReading)> = Vec::new();
        let mut lost = false;
        for (index, region) in following.regions.iter().enumerate() {
            let contrary = contrary.get(index).and_then(Option::as_ref);
            match self.read_followed(frame, region, contrary)? {
                Some(reading) => readings.push((region.followed_frames, reading)),
                None => lost = true,
            }
        }
        if lost && !detected_now {
            // Someone followed a frame ago is gone from their region: look for them (and
            // anyone else) in the whole frame now rather than a frame late.
            let mut fresh = Vec::new();
            add_new_people(&mut fresh, self.detect(frame, &[])?);
            following.frames_since_detection = 0;
            for region in fresh {
                let known = readings
                    .iter()
                    .any(|(_, r)| region.holds(hips_centre(&r.detection.keypoints)));
                if !known && let Some(reading) = self.read_region(frame, &region)? {
                    readings.push((region.followed_frames, reading));
                }
            }
        }
        // Two readings of one body (a region that drifted onto a followed person, or the
        // detector finding them again a little off their region): keep the reading of
        // the person followed longest, as MediaPipe keeps a followed region until it is
        // lost, then the more confident one. Taking whichever reading scores a little
        // higher in each frame would make the body jump between two fits of it.
        readings.sort_by(|(age_a, a), (age_b, b)| {
            age_b
                .cmp(age_a)
                .then(b.detection.score.total_cmp(&a.detection.score))
        });
        let mut detections: Vec<Detection> = Vec::new();
        following.regions.clear();
        for (age, reading) in readings {
            let duplicate = detections.iter().any(|d| same_body(d, &reading.detection));
            if duplicate || reading.detection.score < min_confidence {
                continue;
            }
            if let Some(mut region) = reading.next_region {
                region.followed_frames = age.saturating_add(1);
                following.regions.push(region);
            }
            detections.push(reading.detection);
        }
        Ok(InferenceOutput {
            detections,
            inference_ms: started.elapsed().as_secs_f64() * 1000.0,
            postprocess_ms: 0.0,
        })
    }
}

/// A body read with its head lower than its feet by more than this share of the
/// head-to-feet distance (the body axis over 30 degrees head-down) stands on its head.
/// No exercise of the catalogue is done upside down; a wrong reading of a sitting or
/// lying body is, whenever the real head is above the real feet.
const HEAD_DOWN_SHARE: f32 = 0.5;

/// Whether `keypoints` put the nose below the ankles' midpoint by more than
/// [`HEAD_DOWN_SHARE`] of the distance between them (image y grows downward).
fn stands_on_its_head(keypoints: &[PixelKeypoint]) -> bool {
    let (Some(nose), Some(left), Some(right)) = (
        keypoints.get(NOSE),
        keypoints.get(LEFT_ANKLE),
        keypoints.get(RIGHT_ANKLE),
    ) else {
        return false;
    };
    let feet = ((left.x + right.x) / 2.0, (left.y + right.y) / 2.0);
    let length = (nose.x - feet.0).hypot(nose.y - feet.1);
    length > 0.0 && nose.y - feet.1 > HEAD_DOWN_SHARE * length
}

/// Of two readings of one followed body the other way up, the one that does not stand
/// it on its head; when neither or both do, the one whose crop the landmark network
/// more surely holds a person. The person score alone was first used (stop 41), and it
/// does not separate them: on the sit-ups found lying after a title card it read the
/// head-to-feet view 0.983 against 0.998 on one machine, and 0.99995 against 0.998 on
/// another (CPU kernels differ in the last digits), which kept the athlete upside down
/// for the first rep there. Gravity does not depend on the machine: the real head is
/// above the feet whenever the athlete sits up.
fn upright_reading(followed: RegionReading, turned: RegionReading) -> RegionReading {
    match (
        stands_on_its_head(&followed.detection.keypoints),
        stands_on_its_head(&turned.detection.keypoints),
    ) {
        (true, false) => turned,
        (false, true) => followed,
        _ if turned.detection.score > followed.detection.score => turned,
        _ => followed,
    }
}

/// For each followed region, in order, the region of the detector's hit on the same
/// person when the hit points the body more than a right angle away from the region.
fn contrary_regions(regions: &[Region], hits: &[PersonHit]) -> Vec<Option<Region>> {
    regions
        .iter()
        .map(|followed| {
            hits.iter()
                .filter_map(|hit| Region::from_alignment(hit.centre, hit.edge))
                .find(|hit| {
                    followed.holds((hit.cx, hit.cy))
                        && normalize_radians(hit.rotation - followed.rotation).abs() > FRAC_PI_2
                })
        })
        .collect()
}

/// Adds a region for each detected person not already followed, up to [`MAX_REGIONS`].
fn add_new_people(regions: &mut Vec<Region>, hits: Vec<PersonHit>) {
    for hit in hits {
        let Some(region) = Region::from_alignment(hit.centre, hit.edge) else {
            continue;
        };
        let followed = regions.iter().any(|r| r.holds((region.cx, region.cy)));
        if !followed && regions.len() < MAX_REGIONS {
            regions.push(region);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: (f32, f32), b: (f32, f32)) -> bool {
        (a.0 - b.0).abs() < 1e-3 && (a.1 - b.1).abs() < 1e-3
    }

    /// 33 landmarks with the nose at `nose` and both ankles at `feet`.
    fn body(nose: (f32, f32), feet: (f32, f32)) -> Vec<PixelKeypoint> {
        let mut keypoints = vec![
            PixelKeypoint {
                x: (nose.0 + feet.0) / 2.0,
                y: (nose.1 + feet.1) / 2.0,
                score: 0.9,
            };
            33
        ];
        keypoints[NOSE] = PixelKeypoint {
            x: nose.0,
            y: nose.1,
            score: 0.9,
        };
        for ankle in [LEFT_ANKLE, RIGHT_ANKLE] {
            keypoints[ankle] = PixelKeypoint {
                x: feet.0,
                y: feet.1,
                score: 0.9,
            };
        }
        keypoints
    }

    fn reading(keypoints: Vec<PixelKeypoint>, score: f32) -> RegionReading {
        RegionReading {
            detection: Detection {
                bbox: PixelBox {
                    x1: 0.0,
                    y1: 0.0,
                    x2: 400.0,
                    y2: 360.0,
                },
                score,
                keypoints,
            },
            next_region: None,
        }
    }

    #[test]
    fn a_reading_that_stands_the_body_on_its_head_loses_to_the_other_way_up() {
        // Sitting up (the real head up and left, the feet down and right), read both ways:
        // the head-to-feet view puts the "nose" on the feet, 0.77 of the body's length
        // below its "ankles" (the sit-ups after a title card, measured), and it loses even
        // with the higher person score.
        let right_way = body((234.0, 103.0), (411.0, 319.0));
        let head_down = body((411.0, 319.0), (234.0, 103.0));
        assert!(stands_on_its_head(&head_down) && !stands_on_its_head(&right_way));
        let kept = upright_reading(
            reading(head_down.clone(), 0.99995),
            reading(right_way.clone(), 0.998),
        );
        assert_eq!(kept.detection.keypoints[NOSE].y, 103.0);
        let kept = upright_reading(reading(right_way, 0.998), reading(head_down, 0.99995));
        assert_eq!(kept.detection.keypoints[NOSE].y, 103.0);
        // Lying flat, neither stands on its head (the head 0.34 of the length lower than
        // the feet, under the half): the person score decides.
        let flat = body((400.0, 334.0), (129.0, 236.0));
        let flat_turned = body((129.0, 236.0), (400.0, 334.0));
        assert!(!stands_on_its_head(&flat) && !stands_on_its_head(&flat_turned));
        let kept = upright_reading(reading(flat, 0.9), reading(flat_turned, 0.95));
        assert_eq!(kept.detection.keypoints[NOSE].x, 129.0);
    }

    #[test]
    fn anchors_match_the_detector_output() {
        let anchors = detector_anchors();
        // 28x28x2 + 14x14x2 + 7x7x6 = the detector's 2254 outputs.
        assert_eq!(anchors.len(), 2254);
        assert_eq!(anchors[0], (0.5 / 28.0, 0.5 / 28.0));
        assert_eq!(anchors[1], anchors[0]);
        assert_eq!(anchors[2], (1.5 / 28.0, 0.5 / 28.0));
        assert_eq!(anchors[28 * 28 * 2], (0.5 / 14.0, 0.5 / 14.0));
        assert_eq!(anchors[2253], (6.5 / 7.0, 6.5 / 7.0));
    }

    #[test]
    fn upright_person_gives_an_unrotated_region() {
        // Edge point straight above the hips: no rotation, side 2 * 100 * 1.25.
        let region = Region::from_alignment((300.0, 400.0), (300.0, 300.0)).unwrap();
        assert!(region.rotation.abs() < 1e-6);
        assert_eq!(region.side, 250.0);
        // The crop's centre is the hips; its top-left corner is up and left of them.
        assert!(close(
            region.point_in_frame(128.0, 128.0, 256.0),
            (300.0, 400.0)
        ));
        assert!(close(
            region.point_in_frame(0.0, 0.0, 256.0),
            (175.0, 275.0)
        ));
    }

    #[test]
    fn person_lying_head_right_is_read_upright() {
        // Head to the right of the hips (a push-up filmed from the side): the crop's "up"
        // must point right in the frame.
        let region = Region::from_alignment((300.0, 400.0), (400.0, 400.0)).unwrap();
        assert!((region.rotation - FRAC_PI_2).abs() < 1e-6);
        // The top centre of the crop (above the hips in the crop) is right of the hips.
        assert!(close(
            region.point_in_frame(128.0, 0.0, 256.0),
            (425.0, 400.0)
        ));
        // The affine matrix maps crop pixels the same way.
        let m = region.crop_to_frame(256.0);
        let (u, v) = (128.0_f64, 0.0_f64);
        let x = m[0][0] * u + m[0][1] * v + m[0][2];
        let y = m[1][0] * u + m[1][1] * v + m[1][2];
        assert!(close((x as f32, y as f32), (425.0, 400.0)));
    }

    #[test]
    fn the_detector_pointing_a_followed_body_the_other_way_is_a_contrary_view() {
        // A body lying head right, followed; hips at (300, 400).
        let followed = Region::from_alignment((300.0, 400.0), (400.0, 400.0)).unwrap();
        let hit = |centre: (f32, f32), edge: (f32, f32)| PersonHit {
            bbox: PixelBox {
                x1: 150.0,
                y1: 300.0,
                x2: 450.0,
                y2: 500.0,
            },
            score: 0.9,
            centre,
            edge,
        };
        // The same hips, head left: the other way round.
        let head_left = hit((305.0, 402.0), (205.0, 402.0));
        // The same hips, the head a little raised (sitting up): within a right angle.
        let head_up_right = hit((305.0, 402.0), (380.0, 340.0));
        // Another body, head left, a torso away.
        let other_person = hit((600.0, 400.0), (500.0, 400.0));
        let contrary = contrary_regions(&[followed], &[other_person.clone(), head_left]);
        assert_eq!(contrary.len(), 1);
        let turned = contrary[0].expect("the same body pointed the other way");
        assert!((turned.rotation + FRAC_PI_2).abs() < 0.05, "{turned:?}");
        assert_eq!(
            contrary_regions(&[followed], &[head_up_right, other_person]),
            vec![None]
        );
        assert!(contrary_regions(&[], &[hit((305.0, 402.0), (205.0, 402.0))]).is_empty());
    }

    #[test]
    fn square_and_nearly_square_frames_are_searched_whole_only() {
        assert!(detector_tiles(640, 640).is_empty());
        assert!(detector_tiles(700, 600).is_empty());
        assert!(
            detector_tiles(3, 1).is_empty(),
            "a degenerate frame has no tiles"
        );
    }

    #[test]
    fn wide_frames_get_overlapping_tiles_covering_the_frame() {
        for (width, height) in [(1280, 720), (320, 240), (1708, 480), (1920, 1080)] {
            let tiles = detector_tiles(width, height);
            assert!(tiles.len() >= 2, "{width}x{height}: {tiles:?}");
            assert_eq!(tiles[0], (0, 0, height));
            let last = tiles.last().unwrap();
            assert_eq!(
                last.0 + last.2,
                width,
                "the last tile ends at the frame's edge"
            );
            for pair in tiles.windows(2) {
                let overlap = pair[0].0 + pair[0].2 - pair[1].0;
                assert!(overlap >= height / 2, "{width}x{height}: {tiles:?}");
            }
        }
        // Portrait: tiles run down the frame.
        let tiles = detector_tiles(720, 1280);
        assert_eq!(tiles.last().map(|t| (t.0, t.1 + t.2)), Some((0, 1280)));
    }

    #[test]
    fn every_tile_while_nobody_is_followed_one_in_turn_while_someone_is() {
        let tiles = detector_tiles(1280, 720);
        assert_eq!(tiles.len(), 3);
        assert_eq!(tiles_for_pass(&tiles, false, 7), tiles);
        // Three periods in a row while someone is followed search each tile once.
        let searched: Vec<Tile> = (4..7)
            .flat_map(|turn| tiles_for_pass(&tiles, true, turn))
            .collect();
        assert_eq!(searched.len(), 3);
        for tile in &tiles {
            assert!(
                searched.contains(tile),
                "{tile:?} never searched: {searched:?}"
            );
        }
        assert!(tiles_for_pass(&[], true, 2).is_empty());
    }

    #[test]
    fn a_hit_cut_by_an_inner_tile_edge_is_dropped_but_not_one_at_the_frame_edge() {
        let person = |x1: f32, x2: f32| PersonHit {
            bbox: PixelBox {
                x1,
                y1: 100.0,
                x2,
                y2: 400.0,
            },
            score: 0.9,
            centre: ((x1 + x2) / 2.0, 250.0),
            edge: ((x1 + x2) / 2.0, 100.0),
        };
        let frame = (1280, 720);
        let first = (0, 0, 720);
        let last = (560, 0, 720);
        assert!(!cut_by_tile(&person(0.0, 200.0), first, frame));
        assert!(cut_by_tile(&person(600.0, 719.0), first, frame));
        assert!(!cut_by_tile(&person(900.0, 1280.0), last, frame));
        assert!(cut_by_tile(&person(561.0, 700.0), last, frame));
        assert!(!cut_by_tile(&person(300.0, 500.0), first, frame));
    }

    /// 33 landmarks of a person lying in a push-up: shoulders at x, hips 200 px behind.
    fn lying_person(x: f32, y: f32) -> Vec<PixelKeypoint> {
        (0..LANDMARKS)
            .map(|i| {
                let along = match i {
                    LEFT_HIP | RIGHT_HIP => 200.0,
                    _ => 0.0,
                };
                PixelKeypoint {
                    x: x + along + (i % 3) as f32,
                    y,
                    score: 0.9,
                }
            })
            .collect()
    }

    #[test]
    fn two_readings_of_one_body_are_one_person_and_a_body_beside_it_is_another() {
        let adult = lying_person(400.0, 300.0);
        assert!(same_person(&adult, &lying_person(410.0, 305.0)));
        // A child beside the adult: inside the adult's box, a torso length away.
        assert!(!same_person(&adult, &lying_person(650.0, 320.0)));
    }

    /// An athlete hanging from a bar, seen from behind: shoulders at y 130, hips at 330,
    /// ankles at 600 (px), every landmark clearly visible.
    fn hanging_athlete() -> Vec<PixelKeypoint> {
        (0..LANDMARKS)
            .map(|i| {
                let y = match i {
                    LEFT_SHOULDER | RIGHT_SHOULDER => 130.0,
                    LEFT_HIP | RIGHT_HIP => 330.0,
                    25..=26 => 465.0,
                    LEFT_ANKLE.. => 600.0,
                    _ => 50.0,
                };
                let x = if i % 2 == 1 { 250.0 } else { 310.0 };
                PixelKeypoint { x, y, score: 0.9 }
            })
            .collect()
    }

    #[test]
    fn a_squashed_second_reading_sharing_the_box_is_the_same_body_a_child_beside_is_not() {
        let detection = |keypoints: Vec<PixelKeypoint>, (x1, y1, x2, y2)| Detection {
            bbox: PixelBox { x1, y1, x2, y2 },
            score: 0.9,
            keypoints,
        };
        // A walker seen from the side (shoulders 130, hips 330, ankles 600) and a second
        // region's reading of them with the hips where the shoulders are: landmarks
        // 110 px apart on average, boxes overlapping by IoU 0.7.
        let walker = detection(hanging_athlete(), (230.0, 20.0, 330.0, 640.0));
        let squashed: Vec<PixelKeypoint> = hanging_athlete()
            .into_iter()
            .enumerate()
            .map(|(i, k)| PixelKeypoint {
                y: match i {
                    LEFT_SHOULDER | RIGHT_SHOULDER => 110.0,
                    LEFT_HIP | RIGHT_HIP => 140.0,
                    LEFT_ANKLE.. => k.y - 60.0,
                    _ => k.y,
                },
                ..k
            })
            .collect();
        let squashed = detection(squashed, (235.0, 100.0, 325.0, 600.0));
        assert!(!same_person(&walker.keypoints, &squashed.keypoints));
        assert!(same_body(&walker, &squashed));
        // A child lying beside an adult in a push-up: inside the adult's box, a torso's
        // length (and more) away.
        let adult = detection(lying_person(400.0, 300.0), (380.0, 260.0, 900.0, 360.0));
        let child = detection(lying_person(650.0, 320.0), (630.0, 290.0, 900.0, 350.0));
        assert!(!same_body(&adult, &child));
    }

    #[test]
    fn a_small_body_read_from_an_athletes_legs_is_the_athlete() {
        let athlete = hanging_athlete();
        // The landmark network's "person" in the athlete's legs: a head on the knees, a
        // 20 px torso at the thighs, its ankles within 15 px of the athlete's.
        let legs: Vec<PixelKeypoint> = athlete
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let y = match i {
                    LEFT_SHOULDER | RIGHT_SHOULDER => 430.0,
                    LEFT_HIP | RIGHT_HIP => 410.0,
                    25..=26 => 510.0,
                    LEFT_ANKLE.. => k.y - 10.0,
                    _ => 455.0,
                };
                PixelKeypoint {
                    x: k.x + 8.0,
                    y,
                    score: 0.9,
                }
            })
            .collect();
        assert!(same_person(&athlete, &legs));
        // Someone standing beside the athlete, three quarters of a torso to the side: another.
        let beside: Vec<PixelKeypoint> = athlete
            .iter()
            .map(|k| PixelKeypoint {
                x: k.x + 150.0,
                ..*k
            })
            .collect();
        assert!(!same_person(&athlete, &beside));
        // Feet the network cannot see say nothing.
        let unseen_feet: Vec<PixelKeypoint> = legs
            .iter()
            .enumerate()
            .map(|(i, k)| PixelKeypoint {
                score: if i >= LEFT_ANKLE { 0.2 } else { k.score },
                ..*k
            })
            .collect();
        assert!(!same_person(&athlete, &unseen_feet));
    }

    #[test]
    fn a_region_holds_the_person_whose_hips_are_near_its_centre() {
        let region = Region {
            cx: 600.0,
            cy: 300.0,
            side: 900.0,
            rotation: 0.0,
            followed_frames: 0,
        };
        assert!(region.holds((640.0, 310.0)));
        assert!(!region.holds((760.0, 300.0)));
    }

    #[test]
    fn weighted_nms_merges_overlapping_hits_by_score() {
        let hit = |x: f32, score: f32| PersonHit {
            bbox: PixelBox {
                x1: x,
                y1: 0.0,
                x2: x + 100.0,
                y2: 100.0,
            },
            score,
            centre: (x + 50.0, 50.0),
            edge: (x + 50.0, 0.0),
        };
        let merged = weighted_nms(vec![hit(0.0, 0.9), hit(10.0, 0.3), hit(500.0, 0.6)]);
        assert_eq!(merged.len(), 2);
        // (0 * 0.9 + 10 * 0.3) / 1.2 = 2.5
        assert!((merged[0].bbox.x1 - 2.5).abs() < 1e-4);
        assert_eq!(merged[0].score, 0.9);
        assert!((merged[1].bbox.x1 - 500.0).abs() < 1e-3);
    }

    #[test]
    fn landmarks_map_back_through_the_region() {
        let region = Region::from_alignment((300.0, 400.0), (300.0, 300.0)).unwrap();
        let mut values = vec![0.0_f32; OUTPUT_POINTS * VALUES_PER_POINT];
        for p in 0..OUTPUT_POINTS {
            values[p * VALUES_PER_POINT] = 128.0;
            values[p * VALUES_PER_POINT + 1] = 128.0;
            values[p * VALUES_PER_POINT + 3] = 10.0;
        }
        // Alignment points as the network would give them for the same person.
        values[ALIGN_EDGE * VALUES_PER_POINT + 1] = 128.0 - 102.4;
        let reading = read_landmarks(&values, &region, 0.9, (640.0, 480.0));
        assert_eq!(reading.detection.keypoints.len(), LANDMARKS);
        assert!(close(
            (
                reading.detection.keypoints[0].x,
                reading.detection.keypoints[0].y
            ),
            (300.0, 400.0)
        ));
        assert!(reading.detection.keypoints[0].score > 0.99);
        let next = reading.next_region.unwrap();
        assert!(close((next.cx, next.cy), (300.0, 400.0)));
        assert!((next.side - region.side).abs() < 1e-3);
    }
}
