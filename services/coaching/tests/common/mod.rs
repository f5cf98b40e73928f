//! Realistic analysis results, shaped like the metrics engine's output.
#![allow(dead_code)]

use std::collections::HashMap;

use fitvision_exercise_engine::names::{metrics, phases, series};
use fitvision_proto::v1::{
    AnalysisResult, FeedbackTopic, FormViolation, GenerateFeedbackRequest, MeasurementSystem,
    Phase, Rep, Series, Subject,
};

fn check(
    key: &str,
    label: &str,
    label_zh: &str,
    weight: f64,
    total: u32,
    failed: u32,
) -> FormViolation {
    FormViolation {
        key: key.into(),
        label: label.into(),
        label_zh: label_zh.into(),
        weight,
        total_checks: total,
        violation_count: failed,
        violation_rate: f64::from(failed) / f64::from(total),
    }
}

/// A 12-rep push-up set: hips sag on 5 reps (weight 0.40), elbows flare on 2
/// (weight 0.25), lockout always clean (weight 0.35).
pub fn push_up() -> AnalysisResult {
    let faulty_reps = [2, 5, 7, 9, 11, 12];
    let reps = (1..=12)
        .map(|index| Rep {
            index,
            start_timestamp_ms: f64::from(index - 1) * 2600.0,
            mid_timestamp_ms: f64::from(index - 1) * 2600.0 + 1300.0,
            end_timestamp_ms: f64::from(index) * 2600.0,
            range_of_motion: 78.0 + f64::from(index % 4) * 2.5,
            eccentric_s: 1.4,
            concentric_s: 1.0,
            good_form: !faulty_reps.contains(&index),
            ..Default::default()
        })
        .collect();
    AnalysisResult {
        exercise_id: "push_up".into(),
        mode: "rep".into(),
        rep_count: 12,
        reps,
        form_violations: vec![
            check("elbow_flare", "Elbows flaring", "手肘外张", 0.25, 12, 2),
            check("hip_sag", "Hips sagging", "塌腰", 0.40, 12, 5),
            check("lockout", "Full lockout", "手臂完全伸直", 0.35, 12, 0),
        ],
        form_score: 0.78,
        pose_accuracy: 0.94,
        duration_s: 31.4,
        calories_kcal: 4.2,
        // Reps were counted on the elbow angle: range of motion is in degrees.
        series: HashMap::from([(
            series::FOLLOWED_SIGNAL.to_owned(),
            series("deg", &[165.0, 120.0, 84.0, 126.0, 166.0]),
        )]),
        ..Default::default()
    }
}

/// A vertical jump: one rep with a jump height in centimetres.
pub fn vertical_jump() -> AnalysisResult {
    AnalysisResult {
        exercise_id: "vertical_jump".into(),
        mode: "rep".into(),
        rep_count: 1,
        duration_s: 4.2,
        pose_accuracy: 0.97,
        metrics: HashMap::from([
            (metrics::JUMP_HEIGHT_CM.to_owned(), 45.7),
            (metrics::FLIGHT_TIME_MS.to_owned(), 610.0),
        ]),
        ..Default::default()
    }
}

fn series(unit: &str, values: &[f64]) -> Series {
    Series {
        unit: unit.into(),
        values: values.to_vec(),
    }
}

fn phase(name: &str, start_ms: f64, end_ms: f64) -> Phase {
    Phase {
        name: name.into(),
        start_timestamp_ms: start_ms,
        end_timestamp_ms: end_ms,
        ..Default::default()
    }
}

/// One snatch sampled every 100 ms, with the lift-analysis series of the Weightlifting
/// API.
pub fn snatch() -> AnalysisResult {
    let timestamps: Vec<f64> = (0..8).map(|i| f64::from(i) * 100.0).collect();
    AnalysisResult {
        exercise_id: "snatch".into(),
        mode: "rep".into(),
        rep_count: 1,
        form_violations: vec![
            check(
                "bar_path_forward",
                "Bar drifting forward",
                "杠铃前移",
                0.5,
                1,
                1,
            ),
            check("early_arm_bend", "Early arm bend", "过早屈臂", 0.3, 1, 0),
        ],
        form_score: 0.5,
        pose_accuracy: 0.91,
        duration_s: 2.4,
        series: HashMap::from([
            (
                series::BAR_VELOCITY.to_owned(),
                series("m/s", &[0.0, 0.9, 1.05, 1.28, 1.55, 2.02, 0.6, -0.4]),
            ),
            (
                series::POWER_OUTPUT.to_owned(),
                series(
                    "W",
                    &[0.0, 2350.0, 2425.0, 2510.0, 2600.0, 2705.0, 800.0, 0.0],
                ),
            ),
            (
                series::GROUND_REACTION_FORCE.to_owned(),
                series(
                    "N",
                    &[
                        1120.0, 1180.0, 1215.0, 1260.0, 1300.0, 1450.0, 900.0, 1600.0,
                    ],
                ),
            ),
            (
                series::HIP_ANGLE.to_owned(),
                series("deg", &[60.0, 75.0, 110.0, 140.0, 165.0, 172.0, 90.0, 70.0]),
            ),
            (
                series::KNEE_ANGLE.to_owned(),
                series(
                    "deg",
                    &[80.0, 110.0, 140.0, 128.0, 155.0, 168.0, 85.0, 60.0],
                ),
            ),
            (
                series::BAR_HEIGHT.to_owned(),
                series("m", &[0.22, 0.35, 0.52, 0.75, 0.98, 1.21, 1.38, 1.30]),
            ),
            (
                series::BARBELL_TRAJECTORY_X.to_owned(),
                series("m", &[0.0, -0.03, -0.05, -0.02, 0.04, 0.09, 0.06, 0.05]),
            ),
            (
                series::TORSO_ANGLE.to_owned(),
                series("deg", &[40.0, 38.5, 36.8, 20.0, 5.0, 2.0, 10.0, 15.0]),
            ),
        ]),
        series_timestamps_ms: timestamps,
        phases: vec![
            phase(phases::FIRST_PULL, 0.0, 250.0),
            phase(phases::TRANSITION, 250.0, 350.0),
            phase(phases::SECOND_PULL, 350.0, 550.0),
            phase(phases::TURNOVER, 550.0, 650.0),
            phase(phases::CATCH, 650.0, 700.0),
        ],
        metrics: HashMap::from([
            (metrics::MAX_BAR_SPEED_M_S.to_owned(), 2.05),
            (metrics::BARBELL_MASS_KG.to_owned(), 60.0),
            (metrics::LIFT_DURATION_S.to_owned(), 1.9),
            (metrics::PEAK_BAR_VELOCITY_TIMESTAMP_MS.to_owned(), 500.0),
        ]),
        warnings: vec!["Shin angle and hip velocity need a side view of the lower legs".into()],
        ..Default::default()
    }
}

pub fn subject(system: MeasurementSystem) -> Subject {
    Subject {
        height_m: 1.78,
        body_mass_kg: 75.0,
        barbell_mass_kg: 0.0,
        measurement_system: system as i32,
        age_years: 28,
    }
}

pub fn lifter(system: MeasurementSystem) -> Subject {
    Subject {
        barbell_mass_kg: 60.0,
        ..subject(system)
    }
}

pub fn request(
    results: Vec<AnalysisResult>,
    subject: Subject,
    language: &str,
    topics: &[&str],
) -> GenerateFeedbackRequest {
    GenerateFeedbackRequest {
        results,
        subject: Some(subject),
        language: language.into(),
        topics: topics
            .iter()
            .map(|topic| FeedbackTopic {
                topic: (*topic).into(),
            })
            .collect(),
    }
}
