//! Read-only helpers over a stored `PoseTrack`: timing, the main subject, body scale.

use fitvision_proto::v1::{PersonPose, PoseTrack};

/// COCO-17 keypoint indices used by the checks.
pub mod coco {
    pub const NOSE: usize = 0;
    pub const LEFT_SHOULDER: usize = 5;
    pub const RIGHT_SHOULDER: usize = 6;
    pub const LEFT_ELBOW: usize = 7;
    pub const RIGHT_ELBOW: usize = 8;
    pub const LEFT_WRIST: usize = 9;
    pub const RIGHT_WRIST: usize = 10;
    pub const LEFT_HIP: usize = 11;
    pub const RIGHT_HIP: usize = 12;
    pub const LEFT_KNEE: usize = 13;
    pub const RIGHT_KNEE: usize = 14;
    pub const LEFT_ANKLE: usize = 15;
    pub const RIGHT_ANKLE: usize = 16;
    pub const COUNT: usize = 17;
}

/// Keypoints below this confidence are treated as missing.
pub const KEYPOINT_MIN_SCORE: f32 = 0.5;

/// Frame period in ms: from the decoder's fps, else from the timestamps, else 30 fps.
pub fn frame_period_ms(track: &PoseTrack) -> f64 {
    if let Some(video) = &track.video
        && video.fps > 1.0
    {
        return 1000.0 / video.fps;
    }
    let frames = &track.frames;
    if frames.len() >= 2 {
        let first = &frames[0];
        let last = &frames[frames.len() - 1];
        let steps = f64::from(last.frame_index.saturating_sub(first.frame_index)).max(1.0);
        let span = last.timestamp_ms - first.timestamp_ms;
        if span > 0.0 {
            return span / steps;
        }
    }
    1000.0 / 30.0
}

/// Time between consecutive analysed frames, in ms: the source frame period when the pose
/// stage analysed every frame, else the typical spacing of the frames it did analyse (an
/// exercise counted at 15 fps on a 30 fps video: 66.7 ms). Windows and lags counted in
/// track frames are converted with this, never with the source period.
pub fn analysed_period_ms(track: &PoseTrack) -> f64 {
    let source = frame_period_ms(track);
    let mut steps: Vec<f64> = track
        .frames
        .windows(2)
        .map(|w| w[1].timestamp_ms - w[0].timestamp_ms)
        .filter(|d| *d > 0.0)
        .collect();
    if steps.is_empty() {
        return source;
    }
    let mid = steps.len() / 2;
    let typical = *steps.select_nth_unstable_by(mid, f64::total_cmp).1;
    // Every frame analysed (a variable-rate phone clip jitters around its period).
    if typical < 1.5 * source {
        source
    } else {
        typical
    }
}

/// Duration of the video in ms (decoder's figure, else the span of the track).
pub fn duration_ms(track: &PoseTrack) -> f64 {
    if let Some(video) = &track.video
        && video.duration_ms > 0.0
    {
        return video.duration_ms;
    }
    match (track.frames.first(), track.frames.last()) {
        (Some(first), Some(last)) => {
            last.timestamp_ms - first.timestamp_ms + frame_period_ms(track)
        }
        _ => 0.0,
    }
}

/// Number of keypoints of a person at or above [`KEYPOINT_MIN_SCORE`].
pub fn confident_keypoints(person: &PersonPose) -> usize {
    person
        .keypoints
        .iter()
        .filter(|k| k.score >= KEYPOINT_MIN_SCORE)
        .count()
}

/// The main subject's track id: the exercise engine's own choice (the id with the largest
/// summed box area over the video, so a long-present athlete wins over a brief, close
/// passer-by), so that the authenticity checks judge the person whose reps are counted.
pub fn main_track_id(track: &PoseTrack) -> Option<u32> {
    fitvision_exercise_engine::subject::dominant_track_id(track)
}

/// How far (ms) an analysed frame may be from the frame whose presence it tells.
const PRESENCE_NEAR_MS: f64 = 500.0;

/// Whether the analysed frame nearest to `frame_index` (within half a second) had anyone
/// in it: `None` when the track analysed no frame that close.
pub fn person_seen_near(track: &PoseTrack, frame_index: u32, timestamp_ms: f64) -> Option<bool> {
    analysed_frame_near(track, frame_index, timestamp_ms, PRESENCE_NEAR_MS)
        .map(|f| !f.persons.is_empty())
}

/// Which way from a frame presence may be looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// This frame or an earlier one.
    AtOrBefore,
    /// This frame or a later one.
    AtOrAfter,
}

/// How far (ms) on one side of a frame [`person_seen_on_side`] looks: long enough that a
/// tracker fading out over the first few frames of a new picture (a quarter second) is
/// the minority, shorter than the shortest card worth telling apart (about a second).
pub const SIDE_WINDOW_MS: f64 = 800.0;

/// Like [`person_seen_near`], but only from analysed frames on one `side` of the frame.
/// Across a cut the two sides are different pictures: when the pose stage skipped the
/// last frame of a title card, the nearest analysed frame may be the first of the set,
/// and the card would read as "athlete present". The frame before a cut is judged from
/// frames at or before it, the frame after from frames at or after it.
///
/// The side is judged by most of its analysed frames within [`SIDE_WINDOW_MS`], not by
/// the one next to the cut: a pose model that follows the athlete from frame to frame
/// (BlazePose tracks its region of interest) still "sees" a fading person in the first
/// frames of a black outro card cut in straight after the set.
pub fn person_seen_on_side(
    track: &PoseTrack,
    frame_index: u32,
    timestamp_ms: f64,
    side: Side,
) -> Option<bool> {
    let frames = &track.frames;
    let within = |f: &&fitvision_proto::v1::PoseFrame| {
        (f.timestamp_ms - timestamp_ms).abs() <= SIDE_WINDOW_MS
    };
    // The side's analysed frames within the window, nearest first.
    let window: Vec<&fitvision_proto::v1::PoseFrame> = match side {
        Side::AtOrBefore => frames[..frames.partition_point(|f| f.frame_index <= frame_index)]
            .iter()
            .rev()
            .take_while(within)
            .collect(),
        Side::AtOrAfter => frames[frames.partition_point(|f| f.frame_index < frame_index)..]
            .iter()
            .take_while(within)
            .collect(),
    };
    // Nothing is known unless the nearest analysed frame lies within the presence reach,
    // as for `person_seen_near` (shorter than the window).
    let nearest = window.first()?;
    if (nearest.timestamp_ms - timestamp_ms).abs() > PRESENCE_NEAR_MS {
        return None;
    }
    // Most of the window, not half of it: a tie is no evidence of the athlete.
    let seen = window.iter().filter(|f| !f.persons.is_empty()).count();
    Some(2 * seen > window.len())
}

/// An axis-aligned rectangle in pixels.
#[derive(Debug, Clone, Copy)]
pub struct PixelRect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl PixelRect {
    /// The share of this rectangle's area that lies inside `other`.
    pub fn share_inside(&self, other: &PixelRect) -> f32 {
        let ix = (self.x + self.w).min(other.x + other.w) - self.x.max(other.x);
        let iy = (self.y + self.h).min(other.y + other.h) - self.y.max(other.y);
        if ix <= 0.0 || iy <= 0.0 || self.w * self.h <= 0.0 {
            return 0.0;
        }
        ix * iy / (self.w * self.h)
    }
}

impl From<&fitvision_proto::v1::BoundingBox> for PixelRect {
    fn from(b: &fitvision_proto::v1::BoundingBox) -> Self {
        Self {
            x: b.x_px,
            y: b.y_px,
            w: b.width_px,
            h: b.height_px,
        }
    }
}

/// How far (ms) a person's box may be borrowed from the nearest analysed frame. The pose
/// stage may analyse a subset of frames (an exercise counted at 15 fps skips every other
/// frame of a 30 fps video); at 10 fps or more the nearest analysed frame is at most 50 ms
/// away, where a body has moved a few pixels, not out of its own box.
pub const BOX_NEAR_MS: f64 = 100.0;

/// The analysed frame nearest in time to (`frame_index`, `timestamp_ms`), if one lies
/// within `within_ms`.
pub fn analysed_frame_near(
    track: &PoseTrack,
    frame_index: u32,
    timestamp_ms: f64,
    within_ms: f64,
) -> Option<&fitvision_proto::v1::PoseFrame> {
    let frames = &track.frames;
    let split = frames.partition_point(|f| f.frame_index < frame_index);
    nearest_around(frames, split, timestamp_ms, within_ms, |f| f.timestamp_ms)
}

/// Of the two items on either side of `split` (a partition point of an ordered list),
/// the one nearest in time to `at_ms`, if within `within_ms` of it.
pub fn nearest_around<T>(
    items: &[T],
    split: usize,
    at_ms: f64,
    within_ms: f64,
    time_ms: impl Fn(&T) -> f64,
) -> Option<&T> {
    [split.checked_sub(1), Some(split)]
        .into_iter()
        .flatten()
        .filter_map(|k| items.get(k))
        .filter(|item| (time_ms(item) - at_ms).abs() <= within_ms)
        .min_by(|a, b| {
            (time_ms(a) - at_ms)
                .abs()
                .total_cmp(&(time_ms(b) - at_ms).abs())
        })
}

/// Position of a confident keypoint.
pub fn point(person: &PersonPose, index: usize) -> Option<(f64, f64)> {
    let k = person.keypoints.get(index)?;
    (k.score >= KEYPOINT_MIN_SCORE).then(|| (f64::from(k.x_px), f64::from(k.y_px)))
}

fn midpoint(person: &PersonPose, a: usize, b: usize) -> Option<(f64, f64)> {
    let (ax, ay) = point(person, a)?;
    let (bx, by) = point(person, b)?;
    Some(((ax + bx) / 2.0, (ay + by) / 2.0))
}

/// Distance from mid-shoulder to mid-hip in pixels, when all four are confident.
pub fn torso_length_px(person: &PersonPose) -> Option<f64> {
    let (sx, sy) = midpoint(person, coco::LEFT_SHOULDER, coco::RIGHT_SHOULDER)?;
    let (hx, hy) = midpoint(person, coco::LEFT_HIP, coco::RIGHT_HIP)?;
    let d = ((sx - hx).powi(2) + (sy - hy).powi(2)).sqrt();
    (d > 1.0).then_some(d)
}

/// Median of a slice (None when empty). Sorts a copy.
pub fn median(values: &[f64]) -> Option<f64> {
    percentile(values, 0.5)
}

/// Linear-interpolated percentile `q` in 0..1 (None when empty).
pub fn percentile(values: &[f64], q: f64) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    Some(v[lo] + (v[hi] - v[lo]) * (pos - lo as f64))
}

/// The main subject's pose in every frame of the track (None where absent).
pub fn main_subject_series(track: &PoseTrack) -> Vec<Option<&PersonPose>> {
    let Some(id) = main_track_id(track) else {
        return vec![None; track.frames.len()];
    };
    track
        .frames
        .iter()
        .map(|f| f.persons.iter().find(|p| p.track_id == id))
        .collect()
}

/// Typical torso length of the main subject in pixels; falls back to 30% of the median
/// box height when shoulders/hips are rarely confident.
pub fn subject_scale_px(subject: &[Option<&PersonPose>]) -> Option<f64> {
    let torsos: Vec<f64> = subject
        .iter()
        .flatten()
        .filter_map(|p| torso_length_px(p))
        .collect();
    if torsos.len() >= 5 {
        return median(&torsos);
    }
    let heights: Vec<f64> = subject
        .iter()
        .flatten()
        .filter_map(|p| p.r#box.as_ref().map(|b| f64::from(b.height_px)))
        .filter(|h| *h > 1.0)
        .collect();
    median(&heights).map(|h| h * 0.3)
}

#[cfg(test)]
pub(crate) mod testing {
    //! Builders for synthetic pose tracks.
    use fitvision_proto::v1::{
        BoundingBox, Keypoint, KeypointSchema, PersonPose, PoseFrame, PoseTrack, VideoInfo,
    };

    /// A person whose 17 keypoints are laid out on a vertical stick figure of `height` px
    /// with its top at (x, y), all confident.
    pub fn stick_person(track_id: u32, x: f32, y: f32, height: f32) -> PersonPose {
        let keypoints = (0..17)
            .map(|i| {
                let fy = y + height * (i as f32 / 16.0);
                let fx = x + if i % 2 == 0 { 5.0 } else { -5.0 };
                Keypoint {
                    x_px: fx,
                    y_px: fy,
                    x_norm: 0.0,
                    y_norm: 0.0,
                    score: 0.9,
                }
            })
            .collect();
        PersonPose {
            track_id,
            r#box: Some(BoundingBox {
                x_px: x - 20.0,
                y_px: y,
                width_px: 40.0,
                height_px: height,
            }),
            confidence: 0.9,
            keypoints,
        }
    }

    /// A track of `n` frames at `fps` whose frame `i` holds `persons(i)`.
    pub fn track(n: u32, fps: f64, persons: impl Fn(u32) -> Vec<PersonPose>) -> PoseTrack {
        PoseTrack {
            schema: KeypointSchema::Coco17 as i32,
            video: Some(VideoInfo {
                width_px: 1280,
                height_px: 720,
                fps,
                frame_count: n,
                header_frame_count: n,
                duration_ms: f64::from(n) * 1000.0 / fps,
                rotation_deg: 0,
                codec: "h264".into(),
            }),
            model_id: "synthetic".into(),
            frames: (0..n)
                .map(|i| PoseFrame {
                    camera: None,
                    interpolated: false,
                    frame_index: i,
                    timestamp_ms: f64::from(i) * 1000.0 / fps,
                    persons: persons(i),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn main_track_is_the_longest_present_person() {
        let t = track(100, 30.0, |i| {
            let mut v = vec![stick_person(1, 100.0, 100.0, 300.0)];
            if i < 10 {
                v.push(stick_person(2, 500.0, 50.0, 600.0));
            }
            v
        });
        assert_eq!(main_track_id(&t), Some(1));
        assert!((frame_period_ms(&t) - 1000.0 / 30.0).abs() < 1e-9);
        assert!((duration_ms(&t) - 100_000.0 / 30.0).abs() < 1e-9);
    }

    #[test]
    fn presence_across_a_cut_is_read_from_each_side_of_it() {
        // A title card (frames 0-10) cut to the set (11-): analysed every other frame,
        // so the card's last frame (11 would be the set's first) is skipped at 9..10.
        let mut t = track(30, 30.0, |i| {
            if i <= 10 {
                Vec::new()
            } else {
                vec![stick_person(1, 100.0, 100.0, 300.0)]
            }
        });
        t.frames.retain(|f| f.frame_index % 2 == 0);
        let at = |i: u32| (i, i as f64 * 1000.0 / 30.0);
        let (card_end, ms) = at(10);
        // The card's last frame (10 is analysed and empty): before it, nobody.
        assert_eq!(
            person_seen_on_side(&t, card_end, ms, Side::AtOrBefore),
            Some(false)
        );
        // The set's first frame (11, skipped): after it, frame 12 has the athlete ...
        let (set_start, ms) = at(11);
        assert_eq!(
            person_seen_on_side(&t, set_start, ms, Side::AtOrAfter),
            Some(true)
        );
        // ... while before it lies the card: the side decides, not the nearest frame.
        assert_eq!(
            person_seen_on_side(&t, set_start, ms, Side::AtOrBefore),
            Some(false)
        );
    }

    #[test]
    fn a_tracker_fading_into_an_outro_card_does_not_put_the_athlete_in_it() {
        // The set (frames 0-279) cut to a black outro card (280-339), analysed every other
        // frame; the pose model's tracker still reports a fading person on the card's
        // first four analysed frames (280-286).
        let mut t = track(340, 30.0, |i| {
            if i < 287 {
                vec![stick_person(1, 100.0, 100.0, 300.0)]
            } else {
                Vec::new()
            }
        });
        t.frames.retain(|f| f.frame_index % 2 == 0);
        let ms = |i: u32| i as f64 * 1000.0 / 30.0;
        assert_eq!(
            person_seen_on_side(&t, 280, ms(280), Side::AtOrAfter),
            Some(false)
        );
        assert_eq!(
            person_seen_on_side(&t, 279, ms(279), Side::AtOrBefore),
            Some(true)
        );
        // Past the track's end nothing is known.
        assert_eq!(person_seen_on_side(&t, 400, ms(400), Side::AtOrAfter), None);
    }

    #[test]
    fn analysed_period_is_the_spacing_of_the_analysed_frames() {
        let every = track(90, 30.0, |_| vec![stick_person(1, 100.0, 100.0, 300.0)]);
        assert!((analysed_period_ms(&every) - 1000.0 / 30.0).abs() < 1e-9);
        // Every other frame analysed (15 fps of a 30 fps video), one frame dropped.
        let mut half = every.clone();
        half.frames
            .retain(|f| f.frame_index % 2 == 0 && f.frame_index != 40);
        assert!((frame_period_ms(&half) - 1000.0 / 30.0).abs() < 1e-9);
        assert!((analysed_period_ms(&half) - 2000.0 / 30.0).abs() < 1e-9);
    }

    #[test]
    fn percentile_interpolates() {
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
        assert_eq!(median(&[]), None);
    }
}
