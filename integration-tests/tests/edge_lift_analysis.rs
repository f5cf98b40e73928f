//! The Weightlifting API's lift-analysis / summary / imperial units, on a real
//! barbell clip through the real `fitvision serve` (build it first:
//! `cargo build -p fitvision`).
//!
//! squat_barbell_side_60fps.mp4 is a barbell squat, not a snatch: the assertions are
//! on structure (every documented key present, series aligned with `all_timestamps`,
//! imperial values converted), never on snatch-specific figures.

use std::time::Duration;

use fitvision_integration_tests::edge_http::{Body, Edge, api_key, video_part};
use fitvision_integration_tests::{Suite, shared_video};
use reqwest::multipart::Form;
use serde_json::Value;

fn array_len(value: &Value) -> usize {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .len()
}

#[tokio::test(flavor = "multi_thread")]
async fn lift_analysis_and_summary_follow_the_weightlifting_api_with_imperial_units() {
    let Some(clip) = shared_video("squat_barbell_side_60fps.mp4") else {
        return;
    };
    let suite = Suite::start().await.expect("suite starts");
    let edge = Edge::new(suite.edge_url());
    let auth = api_key(&suite.admin_key);

    let form = Form::new()
        .text("user_id", "lifter-1")
        .text("exercise_name", "clean")
        .text("session_name", "Barbell clip")
        .text("barbell_mass", "60")
        .part("video", video_part(&clip));
    let (status, body) = edge
        .post("/weightlifting/sessions/", &auth, Body::Form(form))
        .await;
    assert_eq!(status, 200, "{body}");
    let id = body["session_id"].as_str().unwrap().to_owned();

    let details = edge
        .poll(
            &format!("/weightlifting/sessions/{id}/"),
            &auth,
            Duration::from_secs(600),
            |body| {
                ["completed", "failed", "blocked"]
                    .contains(&body["status"].as_str().unwrap_or_default())
            },
        )
        .await;
    assert_eq!(details["status"], "completed", "{details}");
    let frames = array_len(&details["all_timestamps"]);
    assert!(frames > 10, "{frames} analysed samples");

    let (status, lift) = edge
        .get(
            &format!("/weightlifting/sessions/{id}/lift-analysis/"),
            &auth,
        )
        .await;
    assert_eq!(status, 200, "{lift}");
    let documented = [
        ("key_metrics", "power_output"),
        ("key_metrics", "ground_reaction_force"),
        ("key_metrics", "barbell_velocity"),
        ("body_positioning", "hip_velocity"),
        ("body_positioning", "shin_angle"),
        ("body_positioning", "hip_height"),
        ("body_positioning", "torso_angle"),
        ("joint_angles", "hip_angle"),
        ("joint_angles", "knee_angle"),
        ("barbell_positioning", "bar_height"),
        ("barbell_positioning", "barbell_trajectory"),
        ("barbell_positioning", "vertical_shoulder_height"),
    ];
    for (section, key) in documented {
        let len = array_len(&lift[section][key]);
        // A series is either absent (the engine could not measure it: empty) or aligned.
        assert!(
            len == 0 || len == frames,
            "{section}.{key}: {len} vs {frames}"
        );
    }
    // The body is always seen on this clip: its series must be present.
    for (section, key) in [
        ("joint_angles", "knee_angle"),
        ("joint_angles", "hip_angle"),
        ("body_positioning", "hip_height"),
    ] {
        assert_eq!(array_len(&lift[section][key]), frames, "{section}.{key}");
    }
    for phase in lift["chart_data"].as_object().unwrap().values() {
        assert!(phase["start"].as_f64().unwrap() <= phase["end"].as_f64().unwrap());
    }
    assert!(lift["phase_data"].is_object());
    assert!(lift["user_information"].is_object());
    assert_eq!(lift["session_date"].as_str().unwrap().len(), 10);

    let summary_path = format!("/weightlifting/sessions/{id}/summary/");
    let (status, summary) = edge.get(&summary_path, &auth).await;
    assert_eq!(status, 200, "{summary}");
    let velocity = &summary["velocity"]["bar_velocity"];
    assert!(velocity["values"].is_array());
    assert!(summary["power"]["ground_reaction_force"]["values"].is_array());
    assert!(summary["power"]["power"]["values"].is_array());
    assert!(summary["stability"]["total_time"].as_f64().unwrap() > 0.0);
    assert!(summary["stability"]["bar_trajectory"]["xAxis"].is_array());
    assert!(summary["stability"]["bar_trajectory"]["yAxis"].is_array());

    // Imperial: lengths in ft (x 3.28084), angles unchanged.
    let (status, imperial) = edge
        .get(
            &format!("/weightlifting/sessions/{id}/lift-analysis/?measurement_system=imperial"),
            &auth,
        )
        .await;
    assert_eq!(status, 200, "{imperial}");
    let metric_hip = lift["body_positioning"]["hip_height"].as_array().unwrap();
    let imperial_hip = imperial["body_positioning"]["hip_height"]
        .as_array()
        .unwrap();
    for (m, ft) in metric_hip.iter().zip(imperial_hip) {
        let (m, ft) = (m.as_f64().unwrap(), ft.as_f64().unwrap());
        assert!((m / 0.3048 - ft).abs() < 0.01, "{m} m vs {ft} ft");
    }
    assert_eq!(
        lift["joint_angles"]["knee_angle"],
        imperial["joint_angles"]["knee_angle"]
    );
    let (status, bad) = edge
        .get(
            &format!("{summary_path}?measurement_system=furlongs"),
            &auth,
        )
        .await;
    assert_eq!(status, 400, "{bad}");
    assert!(bad["error"].is_string(), "{bad}");
}
