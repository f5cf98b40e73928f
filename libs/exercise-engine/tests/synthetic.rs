//! End-to-end engine tests on synthetic tracks with analytic answers.

use std::f64::consts::TAU;

use fitvision_exercise_engine::names::{metrics, phases, series};
use fitvision_exercise_engine::synthetic::{self, BodyPose, CHAIN_PX, GROUND_Y};
use fitvision_exercise_engine::{
    AnalysisError, AnalyzeOptions, Catalog, PlateObservation, PlateSighting, analyze,
};
use fitvision_kinematics::GRAVITY_M_S2;
use fitvision_proto::v1::{PoseTrack, Subject};
use proptest::prelude::*;

fn catalog() -> Catalog {
    Catalog::builtin().expect("built-in catalog")
}

fn run(exercise: &str, track: &PoseTrack, subject: Subject) -> fitvision_proto::v1::AnalysisResult {
    let c = catalog();
    analyze(
        c.get(exercise).expect("exercise"),
        track,
        &subject,
        &AnalyzeOptions::default(),
    )
    .expect("analysis")
}

/// Deterministic pseudo-random noise in [-1, 1] (no RNG dependency in the model).
fn noise(i: usize, seed: u64) -> f64 {
    let mut x = (i as u64)
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(seed);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    (x % 2001) as f64 / 1000.0 - 1.0
}

/// Squats: knee angle cos-modulated between 180 and 70, starting standing.
fn squat_track(
    reps: usize,
    period_s: f64,
    fps: f64,
    phase: f64,
    noise_deg: f64,
    drop_every: usize,
    seed: u64,
) -> PoseTrack {
    // Lead-in and lead-out standing so every rep is complete; the phase offset
    // shifts where in the first second the reps start.
    let lead = 1.0 + phase * period_s;
    let frames = ((lead + reps as f64 * period_s + 1.0) * fps) as usize;
    synthetic::track(fps, frames, move |t| {
        let i = (t * fps).round() as usize;
        if drop_every > 0 && i.is_multiple_of(drop_every) {
            return None;
        }
        let active = t - lead;
        let knee = if active >= 0.0 && active <= reps as f64 * period_s {
            125.0 + 55.0 * (active / period_s * TAU).cos()
        } else {
            180.0
        };
        Some(BodyPose {
            knee_deg: knee + noise_deg * noise(i, seed),
            ..Default::default()
        })
    })
}

#[test]
fn three_squats_have_textbook_timestamps_and_depth() {
    let track = squat_track(3, 2.0, 30.0, 0.0, 0.0, 0, 1);
    let r = run("squat", &track, Subject::default());
    assert_eq!(r.rep_count, 3);
    assert_eq!(r.mode, "rep");
    let rep = &r.reps[0];
    // Bottom of the first rep at lead (1 s) + half a period (1 s).
    assert!(
        (rep.mid_timestamp_ms - 2000.0).abs() <= 34.0,
        "{}",
        rep.mid_timestamp_ms
    );
    // Knee ROM 180 -> 70 = 110 degrees (filtered: within a couple of degrees).
    assert!(
        (rep.range_of_motion - 110.0).abs() < 3.0,
        "{}",
        rep.range_of_motion
    );
    let knee = rep
        .analyses
        .iter()
        .find(|a| a.analysis_type == "KNEE_ANGLE_DEGREES")
        .unwrap();
    assert!((knee.scalar.unwrap() - 70.0).abs() < 2.0);
    // The figure keeps shank and thigh symmetric about the vertical, so at a 70
    // degree knee the thigh rises (180 - 70) / 2 = 55 degrees from vertical:
    // the hip sits 35 degrees above the knee, short of parallel -> depth fault.
    let hip_knee = rep
        .analyses
        .iter()
        .find(|a| a.analysis_type == "HIP_KNEE_ANGLE_DEGREES")
        .unwrap();
    assert!(
        (hip_knee.scalar.unwrap() - 35.0).abs() < 1.0,
        "{:?}",
        hip_knee.scalar
    );
    let depth = r.form_violations.iter().find(|v| v.key == "depth").unwrap();
    assert_eq!((depth.total_checks, depth.violation_count), (3, 3));
    assert!(r.series.contains_key(series::LEFT_KNEE_ANGLE));
    assert_eq!(r.series_timestamps_ms.len(), track.frames.len());
}

#[test]
fn a_subject_whose_identity_breaks_after_one_misread_box_is_still_followed() {
    // Five squats. Mid-set the tracker misreads one frame (a box squashed to half the
    // body's height and three times its width, overlapping the next frame's box by IoU 0.25)
    // and then follows the same athlete under a new id to the end. The athlete was
    // dominant under the first id, so everything after the break is stitched on.
    let mut track = squat_track(5, 2.0, 30.0, 0.0, 0.0, 0, 3);
    let misread = track.frames.len() / 2;
    for (i, frame) in track.frames.iter_mut().enumerate().skip(misread) {
        let person = &mut frame.persons[0];
        if i == misread {
            let b = person.r#box.as_mut().expect("box");
            b.x_px -= b.width_px;
            b.width_px *= 3.0;
            b.height_px /= 2.0;
        } else {
            person.track_id = 2;
        }
    }
    // The new id holds the smaller share of the clip.
    let share_of_new: usize = track
        .frames
        .iter()
        .filter(|f| f.persons.iter().any(|p| p.track_id == 2))
        .count();
    assert!(2 * share_of_new < track.frames.len());
    let r = run("squat", &track, Subject::default());
    assert_eq!(r.rep_count, 5);
}

#[test]
fn shallow_squats_are_flagged_by_the_depth_check() {
    let frames = 200;
    let track = synthetic::track(30.0, frames, |t| {
        let k = if (1.0..5.0).contains(&t) {
            150.0 + 30.0 * ((t - 1.0) / 2.0 * TAU).cos()
        } else {
            180.0
        };
        Some(BodyPose {
            knee_deg: k,
            ..Default::default()
        })
    });
    let r = run("squat", &track, Subject::default());
    assert_eq!(r.rep_count, 2);
    let depth = r.form_violations.iter().find(|v| v.key == "depth").unwrap();
    assert_eq!(depth.violation_count, 2);
    assert!(r.form_score < 1.0);
    assert!(r.reps.iter().all(|rep| !rep.good_form));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn n_sinusoidal_reps_count_exactly_n(
        reps in 1usize..8,
        period in 1.2f64..3.5,
        phase in 0.0f64..1.0,
        noise_deg in 0.0f64..4.0,
        drop_every in prop_oneof![Just(0usize), 7usize..15],
        seed in any::<u64>(),
    ) {
        let track = squat_track(reps, period, 30.0, phase, noise_deg, drop_every, seed);
        let r = run("squat", &track, Subject::default());
        prop_assert_eq!(r.rep_count as usize, reps);
    }
}

/// A counter-movement jump of `flight` s at `fps`, take-off at 1.2 s, as a 1.75 m athlete
/// (chain = 0.779 * 1.75 m) seen from the side; also returns the ankles' rise over time.
fn ballistic_jump(fps: f64, flight: f64) -> (PoseTrack, impl Fn(f64) -> f64 + Copy) {
    let ppm = CHAIN_PX / (0.779 * 1.75);
    let t0 = 1.2;
    let c = fitvision_exercise_engine::analyzers::jump::CONTACT_RISE_BODY * CHAIN_PX;
    let v0 = GRAVITY_M_S2 * flight / 2.0 * ppm;
    let push = 2.0 * c / v0;
    let lift = move |t: f64| {
        let t1 = t0 + flight;
        if t < t0 - push || t > t1 + push {
            0.0
        } else if t < t0 {
            v0 * (t - (t0 - push)).powi(2) / (2.0 * push)
        } else if t <= t1 {
            let tau = t - t0;
            c + v0 * tau - GRAVITY_M_S2 * ppm * tau * tau / 2.0
        } else {
            v0 * ((t1 + push) - t).powi(2) / (2.0 * push)
        }
    };
    let rise = lift;
    let track = synthetic::track(fps, (3.0 * fps) as usize, move |t| {
        Some(BodyPose {
            lift_px: lift(t),
            ..Default::default()
        })
    });
    (track, rise)
}

#[test]
fn a_ballistic_jump_gives_its_height_through_the_whole_engine() {
    let flight = 0.6;
    let (track, _) = ballistic_jump(120.0, flight);
    let r = run("vertical_jump", &track, Subject::default());
    assert_eq!(r.rep_count, 1);
    let h = r.metrics[metrics::JUMP_HEIGHT_CM];
    let expected = GRAVITY_M_S2 * flight * flight / 8.0 * 100.0;
    assert!((h - expected).abs() < 0.1, "{h} vs {expected}");
    assert_eq!(r.phases[0].name, phases::FLIGHT);
}

#[test]
fn a_jump_filmed_by_a_camera_following_the_athlete_gives_the_ballistic_height() {
    // The phone tilts up to keep the jumper in frame, taking 80% of the rise out of the
    // picture, while panning 40 px/s and shaking 3 px at 2 Hz; the pose stage reports that
    // camera motion, and heights are measured in the ground's frame.
    let flight = 0.8;
    let (track, rise) = ballistic_jump(30.0, flight);
    let camera = move |t: f64| {
        let shake = 3.0 * (std::f64::consts::TAU * 2.0 * t).sin();
        (40.0 * t + shake, -0.8 * rise(t) + shake)
    };
    let expected = GRAVITY_M_S2 * flight * flight / 8.0 * 100.0;
    let followed = synthetic::filmed_by(track.clone(), camera, true);
    let r = run("vertical_jump", &followed, Subject::default());
    assert_eq!(r.rep_count, 1);
    let h = r.metrics[metrics::JUMP_HEIGHT_CM];
    // At 30 fps, sub-frame timing of take-off and landing is within ~6 mm (see above).
    assert!((h - expected).abs() < 1.0, "{h} cm vs {expected} cm");
    // The same footage without the camera's motion: the apparent rise is a fifth of the
    // real one and the flight reads far shorter, which is the error this corrects.
    let unaware = synthetic::filmed_by(track, camera, false);
    let r = run("vertical_jump", &unaware, Subject::default());
    let h_unaware = r
        .metrics
        .get(metrics::JUMP_HEIGHT_CM)
        .copied()
        .unwrap_or(0.0);
    assert!(
        h_unaware < expected - 10.0,
        "{h_unaware} cm vs {expected} cm"
    );
}

#[test]
fn bar_power_matches_m_g_v_on_a_constant_velocity_pull_and_m_g_plus_a_v_when_accelerating() {
    // Plate seen at 90 px -> exactly 200 px/m.
    let ppm = 200.0;
    let fps = 60.0;
    let mass = 80.0;
    let v = 1.2; // m/s during 1.0..2.0 s
    let acc = 3.0; // m/s^2 during 2.0..2.5 s
    let height = move |t: f64| -> f64 {
        if t < 1.0 {
            0.2
        } else if t < 2.0 {
            0.2 + v * (t - 1.0)
        } else if t < 2.5 {
            let tau = t - 2.0;
            0.2 + v + v * tau + 0.5 * acc * tau * tau
        } else {
            0.2 + v + v * 0.5 + 0.5 * acc * 0.25
        }
    };
    let track = synthetic::track(fps, (3.5 * fps) as usize, move |t| {
        Some(BodyPose {
            wrists_at: Some((520.0, GROUND_Y - height(t) * ppm)),
            ..Default::default()
        })
    });
    let c = catalog();
    let options = AnalyzeOptions {
        plate: Some(PlateObservation::standard(90.0)),
        ..Default::default()
    };
    let subject = Subject {
        barbell_mass_kg: mass,
        body_mass_kg: 70.0,
        ..Default::default()
    };
    let r = analyze(c.get("snatch").unwrap(), &track, &subject, &options).unwrap();
    let power = &r.series[series::POWER_OUTPUT].values;
    let grf = &r.series[series::GROUND_REACTION_FORCE].values;
    // Middle of the constant-velocity stretch (away from the filter's corners).
    for i in [90usize, 95, 100] {
        let expected = mass * GRAVITY_M_S2 * v;
        assert!(
            (power[i] - expected).abs() / expected < 0.01,
            "frame {i}: {} vs {expected}",
            power[i]
        );
        let expected_grf = (mass + 70.0) * GRAVITY_M_S2;
        assert!((grf[i] - expected_grf).abs() / expected_grf < 0.01);
    }
    // Middle of the accelerating stretch: P = m (g + a) v(t).
    let i = (2.25 * fps) as usize;
    let v_t = v + acc * 0.25;
    let expected = mass * (GRAVITY_M_S2 + acc) * v_t;
    assert!(
        (power[i] - expected).abs() / expected < 0.01,
        "{} vs {expected}",
        power[i]
    );
    assert!(r.phases.iter().any(|p| p.name == phases::FIRST_PULL));
    assert!(r.metrics.contains_key(metrics::MAX_BAR_SPEED_M_S));
}

#[test]
fn timer_hold_duration_is_exact() {
    // The stick figure stands upright, so time a tenant-defined wall sit (knee
    // bent to 90 degrees) whose hold is known to the frame.
    let def = fitvision_exercise_engine::ExerciseDefinition::from_json(
        r#"{"id": "wall_sit", "name": "Wall sit", "mode": "timer", "met": 4.0,
            "hold": {"conditions": [{"signal": {"kind": "joint_angle", "joint": "knee"}, "max": 132.5}],
                     "minSegmentS": 1.0, "maxGapS": 0.3}}"#,
    )
    .unwrap();
    let fps = 30.0;
    // Knee at 90 degrees from frame 45 to frame 344 inclusive: 300 frames = 10.0 s.
    // The threshold sits mid-way between 90 and 175, where a zero-phase filter
    // leaves the edges of a step in place.
    let track = synthetic::track(fps, 420, |t| {
        let i = (t * fps).round() as usize;
        Some(BodyPose {
            knee_deg: if (45..=344).contains(&i) { 90.0 } else { 175.0 },
            ..Default::default()
        })
    });
    let r = analyze(
        &def,
        &track,
        &Subject::default(),
        &AnalyzeOptions::default(),
    )
    .unwrap();
    assert_eq!(r.mode, "timer");
    assert!((r.hold_time_s - 10.0).abs() < 1e-9, "{}", r.hold_time_s);
    assert_eq!(r.phases.len(), 1);
    assert_eq!(
        (r.phases[0].start_frame_index, r.phases[0].end_frame_index),
        (45, 344)
    );
}

#[test]
fn empty_and_personless_tracks_are_errors_not_panics() {
    let c = catalog();
    let def = c.get("push_up").unwrap();
    let empty = PoseTrack::default();
    assert_eq!(
        analyze(def, &empty, &Subject::default(), &AnalyzeOptions::default()),
        Err(AnalysisError::EmptyTrack)
    );
    let nobody = synthetic::track(30.0, 10, |_| None);
    assert_eq!(
        analyze(
            def,
            &nobody,
            &Subject::default(),
            &AnalyzeOptions::default()
        ),
        Err(AnalysisError::NoPerson { frames: 10 })
    );
}

#[test]
fn every_catalog_exercise_runs_on_a_squat_track_without_panicking() {
    let track = squat_track(2, 2.0, 30.0, 0.3, 2.0, 9, 7);
    let c = catalog();
    for def in c.definitions() {
        let r = analyze(
            def,
            &track,
            &Subject {
                height_m: 1.75,
                ..Default::default()
            },
            &AnalyzeOptions::default(),
        );
        let r = r.unwrap_or_else(|e| panic!("{}: {e}", def.id));
        assert!((0.0..=1.0).contains(&r.form_score), "{}", def.id);
        assert!((0.0..=1.0).contains(&r.pose_accuracy), "{}", def.id);
    }
}

/// 0 before 1 s, 1 after 2 s, in between 6u^5 - 15u^4 + 10u^3: smooth up to the
/// second derivative, so the low-pass filter leaves its ends in place.
fn smootherstep(t: f64) -> f64 {
    let u = (t - 1.0).clamp(0.0, 1.0);
    u * u * u * (u * (6.0 * u - 15.0) + 10.0)
}

/// A lift whose bar (the plate's centre) rises from 0.2 m to 1.4 m above the
/// floor and moves 0.2 m forwards, at exactly 200 px/m (a 450 mm plate seen
/// 90 px across). The hands hold the bar 6 px behind and 4 px below its axis.
fn plate_lift(fps: f64) -> (fitvision_proto::v1::PoseTrack, Vec<PlateSighting>) {
    let ppm = 200.0;
    let progress = smootherstep;
    let centre = move |t: f64| {
        (
            500.0 + 0.2 * ppm * progress(t),
            GROUND_Y - (0.2 + 1.2 * progress(t)) * ppm,
        )
    };
    let frames = (3.5 * fps) as usize;
    let track = synthetic::track(fps, frames, move |t| {
        let (x, y) = centre(t);
        Some(BodyPose {
            wrists_at: Some((x - 6.0, y + 4.0)),
            ..Default::default()
        })
    });
    // The detector locates the plate in every third frame; two of its
    // diameters are wrong (a half-hidden plate), which the median ignores.
    let sightings = (0..frames)
        .step_by(3)
        .map(|i| {
            let (x, y) = centre(i as f64 / fps);
            PlateSighting {
                frame_index: i as u32,
                diameter_px: if i == 30 || i == 60 { 55.0 } else { 90.0 },
                centre_px: Some(fitvision_kinematics::Point2::new(x, y)),
            }
        })
        .collect();
    (track, sightings)
}

#[test]
fn a_plate_gives_the_scale_in_preference_to_height_and_its_centre_is_the_bar() {
    let (track, sightings) = plate_lift(60.0);
    let c = catalog();
    // A 1.75 m subject: the height-based scale would be ~470 px/m, not 200.
    let subject = Subject {
        height_m: 1.75,
        barbell_mass_kg: 60.0,
        ..Default::default()
    };
    let with_plate = AnalyzeOptions {
        plate: Some(PlateObservation {
            diameter_m: 0.45,
            diameter_px: None,
            sightings,
        }),
        ..Default::default()
    };
    let r = analyze(c.get("snatch").unwrap(), &track, &subject, &with_plate).unwrap();
    // Exact: the plate centre is the bar, 200 px/m.
    assert!(
        (r.metrics[metrics::MAX_BAR_HEIGHT_M] - 1.4).abs() <= 0.001,
        "{:?}",
        r.metrics
    );
    assert!((r.metrics[metrics::BAR_HORIZONTAL_DISPLACEMENT_M] - 0.2).abs() <= 0.001);
    let h = &r.series[series::BAR_HEIGHT].values;
    // Frames without a sighting (hands + the median grip offset) are exact too.
    assert_eq!(h[1], 0.2);
    assert_eq!(h[h.len() - 2], 1.4);
    // Setup ends where the bar has risen 3 cm (1.2 m * smootherstep = 0.03 m).
    let (mut lo, mut hi) = (1.0, 2.0);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if 1.2 * smootherstep(mid) < 0.03 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let lift_off_s = hi;
    let setup = r.phases.iter().find(|p| p.name == phases::SETUP).unwrap();
    assert!((setup.end_timestamp_ms / 1000.0 - lift_off_s).abs() <= 1.0 / 60.0 + 1e-9);

    // One apparent diameter instead of sightings: same scale, bar at the hands (4 px = 2 cm lower).
    let single = AnalyzeOptions {
        plate: Some(PlateObservation::standard(90.0)),
        ..Default::default()
    };
    let r = analyze(c.get("snatch").unwrap(), &track, &subject, &single).unwrap();
    assert!((r.metrics[metrics::MAX_BAR_HEIGHT_M] - 1.38).abs() <= 0.001);

    // No plate: the stature scale, far from the truth for this stick figure.
    let r = analyze(
        c.get("snatch").unwrap(),
        &track,
        &subject,
        &AnalyzeOptions::default(),
    )
    .unwrap();
    assert!((r.metrics[metrics::MAX_BAR_HEIGHT_M] - 1.4).abs() > 0.3);
}

/// Sit-ups filmed from above: the athlete lies along the image's vertical axis (head up
/// in the picture), knees bent toward the camera, and each rep lifts the trunk up to
/// `top_deg` toward the camera, so the trunk shortens in the picture rather than
/// turning in it. One second lying before and after.
fn top_view_sit_ups(reps: usize, period_s: f64, top_deg: f64, fps: f64) -> PoseTrack {
    use fitvision_proto::v1::{BoundingBox, Keypoint, PersonPose, PoseFrame, VideoInfo};
    let frames = ((2.0 + reps as f64 * period_s) * fps) as usize;
    let (hip_y, trunk, cx, half_width) = (1100.0, 300.0, 540.0, 70.0);
    PoseTrack {
        schema: fitvision_proto::v1::KeypointSchema::Coco17 as i32,
        video: Some(VideoInfo {
            width_px: 1080,
            height_px: 1920,
            fps,
            frame_count: frames as u32,
            ..Default::default()
        }),
        model_id: "synthetic".into(),
        frames: (0..frames)
            .map(|i| {
                let t = i as f64 / fps - 1.0;
                let up = if (0.0..=reps as f64 * period_s).contains(&t) {
                    top_deg / 2.0 * (1.0 - (t / period_s * TAU).cos())
                } else {
                    0.0
                };
                let reach = up.to_radians().cos();
                let shoulder_y = hip_y - trunk * reach;
                let head_y = hip_y - (trunk + 70.0) * reach;
                // COCO-17: nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles
                // (left = -x); arms crossed on the chest, knees and feet below the hips.
                let points: [(f64, f64); 17] = [
                    (cx, head_y),
                    (cx - 15.0, head_y),
                    (cx + 15.0, head_y),
                    (cx - 35.0, head_y + 10.0),
                    (cx + 35.0, head_y + 10.0),
                    (cx - half_width, shoulder_y),
                    (cx + half_width, shoulder_y),
                    (cx - 40.0, shoulder_y + 60.0 * reach),
                    (cx + 40.0, shoulder_y + 60.0 * reach),
                    (cx + 30.0, shoulder_y + 20.0 * reach),
                    (cx - 30.0, shoulder_y + 20.0 * reach),
                    (cx - 60.0, hip_y),
                    (cx + 60.0, hip_y),
                    (cx - 60.0, hip_y + 150.0),
                    (cx + 60.0, hip_y + 150.0),
                    (cx - 60.0, hip_y + 330.0),
                    (cx + 60.0, hip_y + 330.0),
                ];
                PoseFrame {
                    frame_index: i as u32,
                    timestamp_ms: i as f64 * 1000.0 / fps,
                    camera: None,
                    interpolated: false,
                    persons: vec![PersonPose {
                        track_id: 1,
                        r#box: Some(BoundingBox {
                            x_px: (cx - 100.0) as f32,
                            y_px: (head_y - 20.0) as f32,
                            width_px: 200.0,
                            height_px: (hip_y + 350.0 - head_y) as f32,
                        }),
                        confidence: 0.9,
                        keypoints: points
                            .iter()
                            .map(|&(x, y)| Keypoint {
                                x_px: x as f32,
                                y_px: y as f32,
                                score: 0.9,
                                ..Default::default()
                            })
                            .collect(),
                    }],
                }
            })
            .collect(),
    }
}

#[test]
fn sit_ups_filmed_from_above_are_counted_from_the_trunk_foreshortening() {
    // The trunk's inclination in the picture never changes (it points up the image
    // throughout): only its shortening tells the reps.
    for (reps, period, top) in [(5, 2.0, 70.0), (8, 1.4, 60.0), (3, 3.0, 80.0)] {
        let track = top_view_sit_ups(reps, period, top, 30.0);
        let r = run("sit_up", &track, Subject::default());
        assert_eq!(
            r.rep_count as usize, reps,
            "{reps} reps of {period} s up to {top} deg"
        );
    }
}

#[test]
fn squats_behind_a_rack_are_counted_on_the_shoulders_when_the_legs_are_hidden() {
    // Four squats whose knees and ankles are hidden (a rack in front of the lifter, a
    // dark gym): the knee angle cannot be measured, the shoulders' drop still counts.
    let mut track = squat_track(4, 2.5, 30.0, 0.3, 0.0, 0, 1);
    hide(&mut track, &[13, 14, 15, 16]);
    let r = run("squat", &track, Subject::default());
    assert_eq!(r.rep_count, 4, "{:?}", r.warnings);
    assert!(counted_on_the_fallback(&r), "{:?}", r.warnings);
    // With the legs visible, the knee angle counts as before (no fallback).
    let r = run(
        "squat",
        &squat_track(4, 2.5, 30.0, 0.3, 0.0, 0, 1),
        Subject::default(),
    );
    assert_eq!(r.rep_count, 4);
    assert!(!counted_on_the_fallback(&r), "{:?}", r.warnings);
}

/// Gives the `keypoints` (COCO-17 indices) of everyone in `track` a confidence too low
/// to be seen.
fn hide(track: &mut PoseTrack, keypoints: &[usize]) {
    for frame in &mut track.frames {
        for p in &mut frame.persons {
            for &k in keypoints {
                p.keypoints[k].score = 0.05;
            }
        }
    }
}

/// Whether the reps were counted on the definition's fallback signal (its warning).
fn counted_on_the_fallback(r: &fitvision_proto::v1::AnalysisResult) -> bool {
    r.warnings.iter().any(|w| w.contains("hidden"))
}

/// Pull-ups from a dead hang: the body rises by `rise_share` of the shoulder-to-ankle
/// chain and back, `reps` times, with the elbows and wrists hidden (hands and bar cut
/// by the top of the frame, or a forearm lost against a busy background).
fn pull_ups_with_hidden_arms(reps: usize, rise_share: f64) -> PoseTrack {
    let (fps, period) = (30.0, 2.5);
    let lead = 1.0;
    let frames = ((lead + reps as f64 * period + 1.0) * fps) as usize;
    let mut track = synthetic::track(fps, frames, move |t| {
        let active = t - lead;
        let rise = if active >= 0.0 && active <= reps as f64 * period {
            0.5 - 0.5 * (active / period * TAU).cos()
        } else {
            0.0
        };
        Some(BodyPose {
            shoulder_deg: 180.0,
            lift_px: 100.0 + rise_share * synthetic::CHAIN_PX * rise,
            ..Default::default()
        })
    });
    hide(&mut track, &[7, 8, 9, 10]);
    track
}

#[test]
fn pull_ups_with_the_arms_hidden_are_counted_on_the_shoulders_rise() {
    // The shoulders of the shared pull-up clips rise by 0.21-1.0 chain lengths per rep
    // (each clip and its re-recordings); a quarter of the chain is a plain pull-up.
    let r = run(
        "chin_up",
        &pull_ups_with_hidden_arms(4, 0.25),
        Subject::default(),
    );
    assert_eq!(r.rep_count, 4, "{:?}", r.warnings);
    assert!(counted_on_the_fallback(&r), "{:?}", r.warnings);
    // A hang that only sways (shoulders within 4% of the chain) is no rep.
    let r = run(
        "chin_up",
        &pull_ups_with_hidden_arms(4, 0.04),
        Subject::default(),
    );
    assert_eq!(r.rep_count, 0, "{:?}", r.warnings);
}

#[test]
fn an_enlarged_copy_of_the_athlete_seen_now_and_then_does_not_become_the_subject() {
    // A portrait set re-framed to landscape over a blurred, enlarged copy of itself: the
    // detector finds the copy in one analysed frame in eight, at 3.2 times the athlete's
    // size (ten times the area), moving with them. The athlete is in every frame.
    let mut track = squat_track(4, 2.5, 30.0, 0.3, 0.0, 0, 1);
    for (i, frame) in track.frames.iter_mut().enumerate() {
        if !i.is_multiple_of(8) {
            continue;
        }
        let mut copy = frame.persons[0].clone();
        copy.track_id = 2;
        let scale = 3.2_f32;
        for k in &mut copy.keypoints {
            k.x_px = k.x_px * scale - 600.0;
            k.y_px = k.y_px * scale - 2000.0;
        }
        if let Some(b) = copy.r#box.as_mut() {
            b.x_px = b.x_px * scale - 600.0;
            b.y_px = b.y_px * scale - 2000.0;
            b.width_px *= scale;
            b.height_px *= scale;
        }
        frame.persons.push(copy);
    }
    assert_eq!(
        fitvision_exercise_engine::subject::dominant_track_id(&track),
        Some(1)
    );
    let r = run("squat", &track, Subject::default());
    assert_eq!(r.rep_count, 4, "{:?}", r.warnings);
}

#[test]
fn a_plate_scales_distances_of_other_exercises_too() {
    // A sit-and-reach with the hands 45 px beyond the ankles: 10 cm at 450 px/m
    // (a plate 202.5 px across), whatever the subject's height.
    let track = synthetic::track(30.0, 90, |_| {
        Some(BodyPose {
            wrists_at: Some((545.0, GROUND_Y - 100.0)),
            ..Default::default()
        })
    });
    let options = AnalyzeOptions {
        plate: Some(PlateObservation::standard(202.5)),
        ..Default::default()
    };
    let subject = Subject {
        height_m: 1.6,
        ..Default::default()
    };
    let r = analyze(
        catalog().get("sit_and_reach").unwrap(),
        &track,
        &subject,
        &options,
    )
    .unwrap();
    assert!(
        (r.metrics[metrics::REACH_DISTANCE_CM] - 10.0).abs() < 1e-9,
        "{:?}",
        r.metrics
    );
}

/// A shoulder-over-hands height exercise (the push-up's signal) on the stick figure:
/// the shoulders drop ~117 px as the knees bend while the hands stay still at waist
/// height. On every other rep the hands' detection is dragged `drag` of the way
/// along with the shoulders at the bottom, as a body covering its hands in a close
/// or dark clip makes a pose model do, shrinking those reps in a per-frame difference.
fn planted_hands_track(reps: usize, drag: f64) -> PoseTrack {
    planted_hands_track_at(reps, drag, 2.0, 30.0)
}

/// [`planted_hands_track`] at `period` s per rep, sampled at `fps`.
fn planted_hands_track_at(reps: usize, drag: f64, period: f64, fps: f64) -> PoseTrack {
    let frames = (reps as f64 * period * fps) as usize + 45;
    synthetic::track(fps, frames, move |t| {
        let phase = (t / period).min(reps as f64);
        let knee = 135.0 + 45.0 * (TAU * phase).cos();
        let dragged = if (phase as usize) % 2 == 1 { drag } else { 0.0 };
        Some(BodyPose {
            knee_deg: knee,
            wrists_at: Some((620.0, GROUND_Y - 520.0 + dragged * shoulder_drop_px(knee))),
            ..Default::default()
        })
    })
}

/// How far the stick figure's shoulders sink at a knee angle: shank and thigh each
/// lose (1 - sin(knee / 2)) of their height.
fn shoulder_drop_px(knee_deg: f64) -> f64 {
    (synthetic::SHANK_PX + synthetic::THIGH_PX) * (1.0 - (knee_deg.to_radians() / 2.0).sin())
}

fn shoulder_over_hands(planted: bool) -> fitvision_exercise_engine::ExerciseDefinition {
    fitvision_exercise_engine::ExerciseDefinition::from_json(&format!(
        r#"{{"id": "shoulder_dip", "name": "Shoulder dip", "mode": "rep", "met": 3.0,
            "signal": {{"kind": "height", "joint": "shoulder", "relativeTo": "wrist",
                        "planted": {planted}}},
            "reps": {{"start": "high", "minRange": 0.08, "minDurationS": 0.5, "maxDurationS": 12}}}}"#
    ))
    .unwrap()
}

#[test]
fn push_ups_at_a_record_pace_all_count() {
    // 0.5 s a rep (120 a minute, near the fastest sets people film), seen at the 15 fps
    // controlled exercises are analysed at: every rep is a full excursion lasting about
    // 0.4 s between its plateaus, which the push-up's minimum duration must admit.
    let push_up = catalog().get("push_up").unwrap().clone();
    for (period, fps) in [(0.5, 15.0), (0.5, 30.0), (2.0, 15.0)] {
        let track = planted_hands_track_at(12, 0.0, period, fps);
        let result = analyze(
            &push_up,
            &track,
            &Subject::default(),
            &AnalyzeOptions::default(),
        );
        assert_eq!(
            result.unwrap().rep_count,
            12,
            "{period} s a rep at {fps} fps"
        );
    }
}

#[test]
fn planted_hands_are_read_by_their_median_so_their_detection_errors_cost_no_reps() {
    let track = planted_hands_track(5, 0.5);
    let count = |planted: bool| {
        analyze(
            &shoulder_over_hands(planted),
            &track,
            &Subject::default(),
            &AnalyzeOptions::default(),
        )
        .unwrap()
        .rep_count
    };
    assert_eq!(count(true), 5);
    // The same hands read per frame: the two dragged reps shrink to half the others
    // and are dropped (the error this removes).
    assert_eq!(count(false), 3);
}

#[test]
fn planted_hands_that_move_with_a_following_camera_are_read_per_frame() {
    // A camera riding with the athlete keeps the shoulders still in the picture and
    // moves everything else (no background to measure its motion by): the hands move
    // more than the shoulders, so they are not taken as planted, and the per-frame
    // difference still holds every rep.
    let reps = 5;
    let track = planted_hands_track(reps, 0.0);
    let shoulder_y = |t: f64| {
        let phase = (t / 2.0).min(reps as f64);
        shoulder_drop_px(135.0 + 45.0 * (TAU * phase).cos())
    };
    let followed = synthetic::filmed_by(track, |t| (0.0, shoulder_y(t)), false);
    let r = analyze(
        &shoulder_over_hands(true),
        &followed,
        &Subject::default(),
        &AnalyzeOptions::default(),
    )
    .unwrap();
    assert_eq!(r.rep_count, reps as u32);
}

#[test]
fn a_runner_of_unknown_height_gets_distances_from_a_typical_stature_with_their_uncertainty() {
    use fitvision_kinematics::scale::{
        SHOULDER_TO_ANKLE_CHAIN_FRACTION, TYPICAL_ADULT_STATURE_M, TYPICAL_ADULT_STATURE_SD_M,
    };
    // A body gliding 600 px to the right over 3 s.
    let (fps, seconds, travel_px) = (30.0, 3.0, 600.0);
    let track = synthetic::track(fps, (fps * seconds) as usize + 1, |t| {
        Some(BodyPose {
            x_px: 300.0 + travel_px * t / seconds,
            ..Default::default()
        })
    });
    let sprint = catalog().get("sprint").unwrap().clone();
    let distance = |subject: Subject| {
        let result = analyze(&sprint, &track, &subject, &AnalyzeOptions::default()).unwrap();
        (
            result.metrics.get(metrics::DISTANCE_M).copied(),
            result
                .metrics
                .get(metrics::DISTANCE_UNCERTAINTY_PCT)
                .copied(),
            result.series.contains_key(series::RUNNER_DISTANCE_M),
        )
    };
    // No height: the chain of the stick figure is 0.779 of a 1.70 m stature.
    let px_per_m = CHAIN_PX / (SHOULDER_TO_ANKLE_CHAIN_FRACTION * TYPICAL_ADULT_STATURE_M);
    let (metres, uncertainty, progress) = distance(Subject::default());
    assert!(progress, "runner progress is reported without a height");
    assert!(
        (metres.unwrap() - travel_px / px_per_m).abs() < 0.01,
        "{metres:?}"
    );
    let expected_pct = 100.0 * TYPICAL_ADULT_STATURE_SD_M / TYPICAL_ADULT_STATURE_M;
    assert!((uncertainty.unwrap() - expected_pct).abs() < 0.01);
    // A given height is a measured scale: its distance, and no assumed uncertainty.
    let (metres, uncertainty, _) = distance(Subject {
        height_m: 1.9,
        ..Default::default()
    });
    let px_per_m = CHAIN_PX / (SHOULDER_TO_ANKLE_CHAIN_FRACTION * 1.9);
    assert!(
        (metres.unwrap() - travel_px / px_per_m).abs() < 0.01,
        "{metres:?}"
    );
    assert_eq!(uncertainty, None);
}

/// Skipping: 20 hops of `lift_px` (0.5 s each, half of it in the air) over 10 s at 30 fps.
fn skipping_track(lift_px: f64) -> PoseTrack {
    synthetic::track(30.0, 330, move |t| {
        let phase = (t - 0.5) / 0.5;
        let airborne = (0.5..10.5).contains(&t) && phase.fract() < 0.5;
        Some(BodyPose {
            lift_px: if airborne {
                lift_px * (TAU * phase.fract()).sin()
            } else {
                0.0
            },
            ..Default::default()
        })
    })
}

#[test]
fn hop_height_follows_the_hops_without_rounding_steps() {
    // Hops of 20 and 21 px are 0.031 and 0.033 body units of this figure (its chain is
    // 640 px): the reps' displayed ranges, rounded to 0.01, read 0.03 for both, and a hop
    // height taken from them does not move; measured, it moves by the hops' own 5%.
    let subject = Subject {
        height_m: 1.75,
        ..Subject::default()
    };
    let low = run("skipping", &skipping_track(20.0), subject);
    let high = run("skipping", &skipping_track(21.0), subject);
    assert_eq!(low.rep_count, 20);
    assert_eq!(high.rep_count, 20);
    let (h_low, h_high) = (
        low.metrics[metrics::JUMP_HEIGHT_CM],
        high.metrics[metrics::JUMP_HEIGHT_CM],
    );
    assert!(
        (h_high / h_low - 1.05).abs() < 0.005,
        "{h_low} cm and {h_high} cm"
    );
}
