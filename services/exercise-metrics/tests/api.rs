//! The gRPC surface of exercise-metrics, called in-process.

use std::sync::Arc;

use fitvision_exercise_engine::Catalog;
use fitvision_exercise_engine::names::metrics;
use fitvision_exercise_engine::synthetic::{self, BodyPose};
use fitvision_exercise_metrics::ExerciseMetricsApi;
use fitvision_proto::v1::analyze_request::Exercise;
use fitvision_proto::v1::exercise_metrics_service_server::ExerciseMetricsService;
use fitvision_proto::v1::{
    AnalyzeRequest, ListExercisesRequest, PlateObservation, PlateSighting, PoseTrack, Subject,
    ValidateDefinitionRequest,
};
use tonic::{Code, Request};

fn api() -> ExerciseMetricsApi {
    ExerciseMetricsApi::new(Arc::new(Catalog::builtin().unwrap()))
}

fn two_squats() -> PoseTrack {
    synthetic::track(30.0, 180, |t| {
        let knee = if (1.0..5.0).contains(&t) {
            125.0 + 55.0 * ((t - 1.0) / 2.0 * std::f64::consts::TAU).cos()
        } else {
            180.0
        };
        Some(BodyPose {
            knee_deg: knee,
            ..Default::default()
        })
    })
}

fn request(exercise: Exercise, track: PoseTrack) -> Request<AnalyzeRequest> {
    Request::new(AnalyzeRequest {
        exercise: Some(exercise),
        track: Some(track),
        subject: Some(Subject {
            height_m: 1.8,
            body_mass_kg: 80.0,
            ..Default::default()
        }),
        plate: None,
    })
}

#[tokio::test]
async fn analyze_by_alias_counts_reps() {
    let r = api()
        .analyze(request(
            Exercise::ExerciseId("squat-basic".into()),
            two_squats(),
        ))
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap();
    assert_eq!(r.exercise_id, "bodyweight_squat");
    assert_eq!(r.rep_count, 2);
    assert!(r.calories_kcal > 0.0);
}

#[tokio::test]
async fn analyze_with_an_inline_definition() {
    let json = r#"{"id": "knee_bends", "name": "Knee bends", "mode": "rep", "met": 3.0,
        "signal": {"kind": "joint_angle", "joint": "knee"},
        "reps": {"start": "high", "minRange": 40}}"#;
    let r = api()
        .analyze(request(Exercise::DefinitionJson(json.into()), two_squats()))
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap();
    assert_eq!((r.exercise_id.as_str(), r.rep_count), ("knee_bends", 2));
}

#[tokio::test]
async fn bad_requests_get_clear_statuses() {
    let e = api()
        .analyze(request(
            Exercise::ExerciseId("underwater_basket".into()),
            two_squats(),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    assert!(e.message().contains("underwater_basket"));

    let e = api()
        .analyze(request(
            Exercise::DefinitionJson("{\"id\": 3}".into()),
            two_squats(),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);

    let e = api()
        .analyze(request(
            Exercise::ExerciseId("push_up".into()),
            PoseTrack::default(),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert!(e.message().contains("no frames"));

    // No exercise and a body that only stands: nothing to recognise, and the status
    // says so with the reason code the session turns into UNKNOWN_EXERCISE.
    let standing = synthetic::track(30.0, 150, |_| Some(BodyPose::default()));
    let mut no_exercise = request(Exercise::ExerciseId("push_up".into()), standing);
    no_exercise.get_mut().exercise = None;
    let e = api().analyze(no_exercise).await.unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert_eq!(
        fitvision_service_kit::failure::failure_code(&e),
        Some(fitvision_service_kit::failure::FailureCode::UnknownExercise)
    );
    assert!(e.message().contains("could not be recognised"), "{e}");
}

#[tokio::test]
async fn a_track_without_exercise_is_recognised_then_counted() {
    let mut unlabelled = request(Exercise::ExerciseId("push_up".into()), two_squats());
    unlabelled.get_mut().exercise = None;
    let result = api()
        .analyze(unlabelled)
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap();
    assert_eq!(result.exercise_id, "squat");
    assert_eq!(result.rep_count, 2);
    let recognition = result.recognition.expect("recognition reported");
    assert_eq!(recognition.exercise_id, "squat");
    assert!(recognition.confidence >= 0.5, "{recognition:?}");
    assert!(recognition.reason.contains("knee range"), "{recognition:?}");
}

#[tokio::test]
async fn list_and_validate() {
    let list = api()
        .list_exercises(Request::new(ListExercisesRequest {}))
        .await
        .unwrap()
        .into_inner();
    let plank = list.exercises.iter().find(|e| e.id == "plank").unwrap();
    assert_eq!(plank.mode, "timer");
    assert!(!plank.definition_json.is_empty());
    // Every listed definition validates as-is (round trip of the catalog format).
    for e in &list.exercises {
        let v = api()
            .validate_definition(Request::new(ValidateDefinitionRequest {
                definition_json: e.definition_json.clone(),
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(v.valid, "{}: {:?}", e.id, v.errors);
        assert_eq!(v.exercise_id, e.id);
    }
    let bad = api()
        .validate_definition(Request::new(ValidateDefinitionRequest {
            definition_json: r#"{"id": "x", "name": "X", "mode": "rep", "met": 3}"#.into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(!bad.valid);
    assert!(bad.errors.iter().any(|m| m.contains("signal")));
}

/// A snatch pull: the bar rises from 0.2 m to 1.2 m above the floor at 200 px/m.
fn bar_rising(ppm: f64) -> PoseTrack {
    synthetic::track(60.0, 210, move |t| {
        let rise = ((t - 1.0).clamp(0.0, 1.0) * std::f64::consts::PI).cos();
        let h = 0.2 + 1.0 * (1.0 - rise) / 2.0;
        Some(BodyPose {
            wrists_at: Some((520.0, synthetic::GROUND_Y - h * ppm)),
            ..Default::default()
        })
    })
}

#[tokio::test]
async fn a_plate_sets_the_scale_and_bad_plates_are_rejected() {
    // A standard plate 90 px across: 200 px/m, whatever the subject's height says.
    let mut req = request(Exercise::ExerciseId("snatch".into()), bar_rising(200.0));
    req.get_mut().plate = Some(PlateObservation {
        diameter_px: 90.0,
        ..Default::default()
    });
    let r = api()
        .analyze(req)
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap();
    assert!(
        (r.metrics[metrics::MAX_BAR_HEIGHT_M] - 1.2).abs() <= 0.002,
        "{:?}",
        r.metrics
    );

    let mut req = request(Exercise::ExerciseId("snatch".into()), bar_rising(200.0));
    req.get_mut().plate = Some(PlateObservation {
        sightings: vec![PlateSighting {
            frame_index: 3,
            diameter_px: -90.0,
            ..Default::default()
        }],
        ..Default::default()
    });
    let e = api().analyze(req).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        e.message().contains("sightings[0].diameter_px"),
        "{}",
        e.message()
    );
}
