//! One authenticity analysis: a single decoding pass for the pixel signals, text detection
//! on the few kept samples, the pose-track checks, and the verdict.

use std::path::Path;
use std::time::{Duration, Instant};

use fitvision_proto::v1::{AuthenticityReport, PoseTrack};
use fitvision_video::opencv::imgproc;

use fitvision_exercise_engine::Catalog;
use fitvision_exercise_engine::definition::Tempo;

use crate::checks::body_physics::MotionClass;
use crate::checks::camera::{self, CameraParams};
use crate::checks::manipulation::{self, ManipulationParams};
use crate::checks::people::{self, PeopleParams};
use crate::checks::text::{self, Limb, TextObservation, TextParams};
use crate::checks::{CAMERA_CONSISTENCY, CheckOutcome, MULTIPLE_PEOPLE, TEXT_OVERLAY};
use crate::error::CheckError;
use crate::frames::{self, SamplingPlan, VideoSamples};
use crate::growing::{GrowingTrack, TrackFeed};
use crate::ocr::{TextBox, TextDetector};
use crate::track::PixelRect;
use crate::verdict::{self, Policy};

/// All tunables of the checks, with documented defaults.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pub sampling: SamplingPlan,
    pub camera: CameraParams,
    pub text: TextParams,
    pub people: PeopleParams,
    pub manipulation: ManipulationParams,
}

/// Where the time of one analysis went.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    pub decode_and_sample: Duration,
    pub text_detection: Duration,
    pub track_checks: Duration,
    pub total: Duration,
}

/// The report plus what the analysis saw (for evaluation and logs).
pub struct Analysis {
    pub report: AuthenticityReport,
    pub timings: Timings,
    pub frames_decoded: u32,
    pub camera_samples: usize,
    pub text_samples: usize,
}

pub struct Analyzer {
    detector: TextDetector,
    params: Params,
    /// The exercise catalog: how each exercise may move (tempo, gravity).
    catalog: Catalog,
}

impl Analyzer {
    pub fn new(detector: TextDetector, params: Params) -> Self {
        Self {
            detector,
            params,
            catalog: Catalog::builtin().expect("the built-in catalog is validated by its tests"),
        }
    }

    /// How `exercise_id` may move, from its catalog definition (an unknown or custom
    /// exercise gets the lenient class).
    pub fn motion_class(&self, exercise_id: &str) -> MotionClass {
        self.catalog
            .get(exercise_id)
            .map_or(MotionClass::UNKNOWN, |def| MotionClass {
                controlled: def.motion.tempo == Tempo::Controlled,
                gravity_bound: !def.motion.pulls_under,
            })
    }

    pub fn detector_model_id(&self) -> &str {
        &self.detector.model_id
    }

    /// Checks `video`. Without a pose track, the people and body-physics checks report
    /// that they could not be assessed (score 0) and the pixel checks still run.
    pub fn analyze(
        &self,
        video: &Path,
        track: Option<&PoseTrack>,
        exercise_id: &str,
        policy: Policy,
    ) -> Result<Analysis, CheckError> {
        let started = Instant::now();
        let feed = track.map_or(TrackFeed::None, TrackFeed::Whole);
        let samples = frames::sample_video(video, feed, &self.params.sampling)?;
        let decode_and_sample = started.elapsed();
        self.judge(
            samples,
            track,
            exercise_id,
            policy,
            started,
            decode_and_sample,
        )
    }

    /// Checks `video` while its pose track is still being computed: the frame pass
    /// decodes alongside the pose stage and reads `track` as it grows; the checks that
    /// need the whole track run once it is complete. The report is the one
    /// [`analyze`](Self::analyze) gives on the finished track.
    pub fn analyze_as_poses_arrive(
        &self,
        video: &Path,
        track: &GrowingTrack,
        exercise_id: &str,
        policy: Policy,
    ) -> Result<Analysis, CheckError> {
        let started = Instant::now();
        let samples =
            frames::sample_video(video, TrackFeed::Growing(track), &self.params.sampling)?;
        let decode_and_sample = started.elapsed();
        let whole = track.complete()?;
        self.judge(
            samples,
            Some(&whole),
            exercise_id,
            policy,
            started,
            decode_and_sample,
        )
    }

    /// The checks on the sampled pictures and the whole track, and the verdict.
    fn judge(
        &self,
        samples: VideoSamples,
        track: Option<&PoseTrack>,
        exercise_id: &str,
        policy: Policy,
        started: Instant,
        decode_and_sample: Duration,
    ) -> Result<Analysis, CheckError> {
        // The checks know the 17 COCO body keypoints; a 33-landmark track is read as those.
        let view = track.map(fitvision_exercise_engine::subject::coco17_view);
        let track = view.as_deref();
        let text_started = Instant::now();
        let observations = self.detect_text(&samples, track)?;
        let text_detection = text_started.elapsed();

        let track_started = Instant::now();
        let outcomes = vec![
            camera::check(&samples.camera_pairs, &self.params.camera),
            text::check(
                &observations,
                &camera::CameraPath::from_pairs(&samples.camera_pairs, &self.params.camera),
                &self.params.text,
            )?,
            match track {
                Some(t) => people::check(t, &self.params.people),
                None => CheckOutcome::not_assessed(MULTIPLE_PEOPLE, "no pose track supplied"),
            },
            match track {
                Some(t) => manipulation::check(
                    t,
                    Some(&samples.signals),
                    exercise_id,
                    self.motion_class(exercise_id),
                    &self.params.manipulation,
                ),
                None => {
                    let out = manipulation::check(
                        &PoseTrack::default(),
                        Some(&samples.signals),
                        exercise_id,
                        self.motion_class(exercise_id),
                        &self.params.manipulation,
                    );
                    CheckOutcome {
                        reason: format!(
                            "{}; body physics not assessed (no pose track)",
                            out.reason
                        ),
                        ..out
                    }
                }
            },
        ];
        let track_checks = track_started.elapsed();
        let report = verdict::report(outcomes, policy);
        Ok(Analysis {
            report,
            timings: Timings {
                decode_and_sample,
                text_detection,
                track_checks,
                total: started.elapsed(),
            },
            frames_decoded: samples.frame_count,
            camera_samples: samples.camera_pairs.len() + 1,
            text_samples: samples.text_samples.len(),
        })
    }

    /// The checks a pose track allows on its own (a live feed, which keeps no video):
    /// people in frame and the body physics of the subject; camera and overlay text
    /// need the pictures and are reported as not assessed.
    pub fn analyze_track(&self, track: &PoseTrack, exercise_id: &str, policy: Policy) -> Analysis {
        let view = fitvision_exercise_engine::subject::coco17_view(track);
        let started = Instant::now();
        let outcomes = vec![
            CheckOutcome::not_assessed(CAMERA_CONSISTENCY, "no video: the pictures were not kept"),
            CheckOutcome::not_assessed(TEXT_OVERLAY, "no video: the pictures were not kept"),
            people::check(&view, &self.params.people),
            manipulation::check(
                &view,
                None,
                exercise_id,
                self.motion_class(exercise_id),
                &self.params.manipulation,
            ),
        ];
        let track_checks = started.elapsed();
        Analysis {
            report: verdict::report(outcomes, policy),
            timings: Timings {
                decode_and_sample: Duration::ZERO,
                text_detection: Duration::ZERO,
                track_checks,
                total: started.elapsed(),
            },
            frames_decoded: track.frames.len() as u32,
            camera_samples: 0,
            text_samples: 0,
        }
    }

    fn detect_text(
        &self,
        samples: &VideoSamples,
        track: Option<&PoseTrack>,
    ) -> Result<Vec<TextObservation>, CheckError> {
        samples
            .text_samples
            .iter()
            .map(|s| {
                let mut boxes = self.detector.detect(&s.image)?;
                if let Some(track) = track {
                    boxes.retain(|b| !on_clothing(b, track, s, samples.width, samples.height));
                }
                let mut gray = fitvision_video::opencv::core::Mat::default();
                imgproc::cvt_color_def(&s.image, &mut gray, imgproc::COLOR_BGR2GRAY)?;
                Ok(TextObservation {
                    frame_index: s.frame_index,
                    timestamp_ms: s.timestamp_ms,
                    gray,
                    boxes,
                    athlete_seen: track.and_then(|t| {
                        crate::track::person_seen_near(t, s.frame_index, s.timestamp_ms)
                    }),
                    limbs: track.and_then(|t| limbs_near(t, s, samples.width, samples.height)),
                })
            })
            .collect()
    }
}

/// A "text line" at least this tall (share of the frame height) on a person is a body
/// part (see [`part_of_person`]).
const BODY_PART_MIN_TEXT_HEIGHT: f32 = 0.2;

/// ... and so is one at least this tall against the person's own box height: caption
/// letters over an athlete are a few percent of the frame, about a tenth of a full-body
/// athlete's height at most, while a bright shirt or shoulders with a bar read as a "line"
/// a quarter to three quarters of the body tall.
const BODY_PART_MIN_PERSON_SHARE: f32 = 0.25;

/// Text boxes on a person say nothing about editing when they are part of the person
/// (see [`part_of_person`]); the person boxes come from the analysed frame nearest the
/// sample.
fn on_clothing(
    b: &TextBox,
    track: &PoseTrack,
    sample: &crate::frames::TextSample,
    width: u32,
    height: u32,
) -> bool {
    let Some(frame) = crate::track::analysed_frame_near(
        track,
        sample.frame_index,
        sample.timestamp_ms,
        crate::track::BOX_NEAR_MS,
    ) else {
        return false;
    };
    let (w, h) = (width as f32, height as f32);
    let text = PixelRect {
        x: b.x * w,
        y: b.y * h,
        w: b.w * w,
        h: b.h * h,
    };
    frame
        .persons
        .iter()
        .filter_map(|p| p.r#box.as_ref())
        .any(|pb| part_of_person(&text, &PixelRect::from(pb), h))
}

/// Joint pairs whose segments stand for a body in front of text: the limbs, the sides of
/// the torso and its two diagonals (so that text behind the middle of the torso counts as
/// crossed too).
const LIMB_JOINTS: [(usize, usize); 14] = {
    use crate::track::coco::*;
    [
        (LEFT_SHOULDER, LEFT_ELBOW),
        (LEFT_ELBOW, LEFT_WRIST),
        (RIGHT_SHOULDER, RIGHT_ELBOW),
        (RIGHT_ELBOW, RIGHT_WRIST),
        (LEFT_HIP, LEFT_KNEE),
        (LEFT_KNEE, LEFT_ANKLE),
        (RIGHT_HIP, RIGHT_KNEE),
        (RIGHT_KNEE, RIGHT_ANKLE),
        (LEFT_SHOULDER, LEFT_HIP),
        (RIGHT_SHOULDER, RIGHT_HIP),
        (LEFT_SHOULDER, RIGHT_SHOULDER),
        (LEFT_HIP, RIGHT_HIP),
        (LEFT_SHOULDER, RIGHT_HIP),
        (RIGHT_SHOULDER, LEFT_HIP),
    ]
};

/// Joints placed with at least this confidence count for hiding text. Lower than for
/// measuring: a joint the model places unsurely is still about where the body is (calves
/// hanging over a label behind a pull-up read at 0.2-0.5 when the feet are out of sight).
const LIMB_MIN_SCORE: f32 = 0.1;

/// The limbs of everyone in the analysed frame nearest the sample, in frame
/// shares; None when no analysed frame is that near.
fn limbs_near(
    track: &PoseTrack,
    sample: &crate::frames::TextSample,
    width: u32,
    height: u32,
) -> Option<Vec<Limb>> {
    let frame = crate::track::analysed_frame_near(
        track,
        sample.frame_index,
        sample.timestamp_ms,
        crate::track::BOX_NEAR_MS,
    )?;
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let share = |(x, y): (f64, f64)| ((x / w) as f32, (y / h) as f32);
    Some(
        frame
            .persons
            .iter()
            .flat_map(|person| {
                LIMB_JOINTS.iter().filter_map(move |&(a, b)| {
                    let point = |index: usize| {
                        let k = person.keypoints.get(index)?;
                        (k.score >= LIMB_MIN_SCORE)
                            .then(|| share((f64::from(k.x_px), f64::from(k.y_px))))
                    };
                    Some((point(a)?, point(b)?))
                })
            })
            .collect(),
    )
}

/// Whether a detected "text line" is part of the person rather than an edit:
/// - text printed on clothing: nearly all of it (80%) inside the person's box and
///   narrower than them (a shirt logo);
/// - a body part read as text: a "line" taller than a fifth of the frame or a quarter of
///   the person, lying mostly (over half) on them. A text-line detector reads arms spread
///   wide, a bright shirt or shoulders under a bar as one giant line, and such a blob may
///   spill past the person's box onto a mirror or the bar; real caption lines are far
///   thinner than a body.
///
/// Captions that cross the body are wider than the person and thin, and are kept.
fn part_of_person(text: &PixelRect, person: &PixelRect, frame_height: f32) -> bool {
    let inside = text.share_inside(person);
    let printed_on_clothing = inside >= 0.8 && text.w <= 0.8 * person.w;
    let body_sized = text.h >= BODY_PART_MIN_TEXT_HEIGHT * frame_height
        || text.h >= BODY_PART_MIN_PERSON_SHARE * person.h;
    printed_on_clothing || (body_sized && inside > 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME_HEIGHT: f32 = 720.0;

    fn rect(x: f32, y: f32, w: f32, h: f32) -> PixelRect {
        PixelRect { x, y, w, h }
    }

    /// A standing athlete, 120 px wide and 340 px tall, seen from the front.
    fn athlete() -> PixelRect {
        rect(270.0, 250.0, 120.0, 340.0)
    }

    #[test]
    fn a_logo_on_the_shirt_is_clothing() {
        assert!(part_of_person(
            &rect(300.0, 320.0, 50.0, 20.0),
            &athlete(),
            FRAME_HEIGHT
        ));
    }

    #[test]
    fn a_caption_across_the_body_is_kept() {
        // Wider than the athlete, 30 px letters: an edit.
        assert!(!part_of_person(
            &rect(150.0, 400.0, 360.0, 30.0),
            &athlete(),
            FRAME_HEIGHT
        ));
        // A short caption word on the chest, as wide as the athlete: still an edit.
        assert!(!part_of_person(
            &rect(275.0, 300.0, 110.0, 30.0),
            &athlete(),
            FRAME_HEIGHT
        ));
    }

    #[test]
    fn shoulders_under_a_bar_read_as_a_line_are_the_body() {
        // 89 px wide (more than 0.8 of the athlete) and 97 px tall: over a quarter of them.
        assert!(part_of_person(
            &rect(290.0, 290.0, 89.0, 97.0),
            &athlete(),
            FRAME_HEIGHT
        ));
        // Wider than the athlete, spilling onto the bar: 76% on them.
        assert!(part_of_person(
            &rect(248.0, 286.0, 167.0, 255.0),
            &athlete(),
            FRAME_HEIGHT
        ));
    }

    #[test]
    fn a_body_sized_blob_mostly_off_the_person_is_not_theirs() {
        // As tall as the blobs above, but only a third of it on the athlete.
        assert!(!part_of_person(
            &rect(350.0, 290.0, 120.0, 97.0),
            &athlete(),
            FRAME_HEIGHT
        ));
    }

    #[test]
    fn a_giant_line_spilling_onto_a_mirror_is_the_body() {
        // A tenth of a 426 px portrait frame's athlete is far below a fifth of the frame;
        // this "line" is a third of the frame tall and 69% on the athlete.
        let person = rect(26.0, 107.0, 134.0, 268.0);
        assert!(part_of_person(
            &rect(42.0, 108.0, 170.0, 143.0),
            &person,
            426.0
        ));
    }
}
