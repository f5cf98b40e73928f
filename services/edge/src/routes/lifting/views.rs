//! The Weightlifting and Retrieval APIs' JSON views of a session: pure functions
//! from the session (already in the caller's measurement system) to the
//! documented bodies. Download URLs come from `url`, which signs an object key.

use fitvision_exercise_engine::names::series::{
    BAR_HEIGHT, BAR_VELOCITY, BARBELL_TRAJECTORY_X as BAR_X, BARBELL_TRAJECTORY_Y as BAR_Y,
    GROUND_REACTION_FORCE as GRF, HIP_ANGLE, HIP_HEIGHT, HIP_VELOCITY, KNEE_ANGLE,
    POWER_OUTPUT as POWER, SHIN_ANGLE, TORSO_ANGLE, VERTICAL_SHOULDER_HEIGHT as SHOULDER_HEIGHT,
};
use fitvision_proto::v1::{AnalysisResult, MeasurementSystem, Session, Video};
use serde_json::{Map, Value, json};

use super::JOINTS;
use fitvision_kinematics::schema::COCO17;

use crate::routes::joint_names::{short_angle_name, short_names};
use crate::routes::pose_track::{PoseTrack, subject};
use crate::views::{
    Activity, created_at_parts, date_dmy, primary_video, title_case, video_status_name,
};
use fitvision_kinematics::units::{IN_PER_CM, LB_PER_KG};

/// Signs a stored object's key into a download URL.
pub type SignUrl<'a> = &'a dyn Fn(&str) -> String;

pub fn result_of(session: &Session) -> Option<&AnalysisResult> {
    primary_video(session).and_then(|v| v.result.as_ref())
}

/// `GET /{activity}/sessions/{id}/`
pub fn details(session: &Session, activity: Activity, url: SignUrl) -> Value {
    let video = primary_video(session);
    let result = result_of(session);
    json!({
        "session_id": session.session_id,
        "analyzed_video_url": video.map(|v| artefact_url(v, &["annotated_all", "annotated_skeleton"], url)).unwrap_or(Value::Null),
        "video_url": video.and_then(|v| v.original.as_ref()).map(|o| json!(url(&o.key))).unwrap_or(Value::Null),
        "created_at": created_at_parts(session.created_at.as_ref()),
        "exercise": session.exercise_id,
        "user_name": user_name(session),
        "activity": activity.title(),
        "title": session.title,
        "status": video.map(|v| video_status_name(v.status())).unwrap_or("awaiting_upload"),
        "metrics": scalar_metrics(result),
        "angles": angles(session),
        "report_metrics": report_metrics(result),
        "all_timestamps": timestamps_s(result),
    })
}

/// `GET /{activity}/sessions/{id}/export/`; `track` is the video's pose track, when
/// it has one.
pub fn export(session: &Session, activity: Activity, track: Option<&PoseTrack>) -> Value {
    let result = result_of(session);
    let keypoints = track
        .map(|track| keypoints(track, result.map(|r| r.subject_track_id)))
        .unwrap_or_default();
    json!({
        "session_id": session.session_id,
        "keypoints": keypoints,
        "angles": angles(session),
        "all_timestamps": timestamps_s(result),
        "metrics": scalar_metrics(result),
        "activity": activity.title(),
    })
}

/// `GET /weightlifting/sessions/{id}/lift-analysis/`; `comments` are the finished
/// recommendation threads.
pub fn lift_analysis(
    session: &Session,
    units: MeasurementSystem,
    comments: Map<String, Value>,
    url: SignUrl,
) -> Value {
    let video = primary_video(session);
    let result = result_of(session);
    let mut phase_data = Map::new();
    let mut chart_data = Map::new();
    if let (Some(video), Some(result)) = (video, result) {
        // The Weightlifting API keys the images by event (`start_of_lifting`, `first_pull_end`),
        // the chart by phase (`first_pull`); the renderer snapshots those events.
        let events = result
            .phases
            .first()
            .map(|_| "start_of_lifting".to_owned())
            .into_iter()
            .chain(result.phases.iter().map(|p| format!("{}_end", p.name)));
        for event in events {
            let snapshot = video
                .artefacts
                .get(&format!("snapshot_{event}"))
                .map(|o| json!(url(&o.key)))
                .unwrap_or(Value::Null);
            phase_data.insert(event, json!({ "image_url": snapshot }));
        }
        for phase in &result.phases {
            chart_data.insert(
                phase.name.clone(),
                json!({ "start": phase.start_timestamp_ms.round(), "end": phase.end_timestamp_ms.round() }),
            );
        }
    }
    let sections = lift_series_sections(result);
    json!({
        "session_id": session.session_id,
        "exercise": session.exercise_id,
        "key_metrics": sections["key_metrics"],
        "body_positioning": sections["body_positioning"],
        "joint_angles": sections["joint_angles"],
        "barbell_positioning": sections["barbell_positioning"],
        "phase_data": phase_data,
        "chart_data": chart_data,
        "timestamps": timestamps_s(result),
        "user_information": user_information(session, units),
        "session_date": date_dmy(session.created_at.as_ref()),
        "comments": comments,
    })
}

/// `GET /{activity}/sessions/{id}/summary/`; `texts` are the finished summary
/// threads (`summary_text` is left out until one is).
pub fn summary(session: &Session, units: MeasurementSystem, texts: Map<String, Value>) -> Value {
    let result = result_of(session);
    let sections = summary_sections(result);
    let mut body = json!({
        "session_id": session.session_id,
        "exercise_type": title_case(&session.exercise_id),
        "velocity": sections["velocity"],
        "power": sections["power"],
        "stability": sections["stability"],
        "metrics": scalar_metrics(result),
        "user_information": user_information(session, units),
        "session_date": date_dmy(session.created_at.as_ref()),
    });
    if !texts.is_empty() {
        body["summary_text"] = Value::Object(texts);
    }
    body
}

fn artefact_url(video: &Video, names: &[&str], url: SignUrl) -> Value {
    names
        .iter()
        .find_map(|name| video.artefacts.get(*name))
        .map(|object| json!(url(&object.key)))
        .unwrap_or(Value::Null)
}

fn joint_of(name: &str) -> Option<&'static str> {
    JOINTS.into_iter().find(|joint| name.contains(joint))
}

fn selected_joints(session: &Session) -> Vec<String> {
    let raw = session
        .attributes
        .get("body_joint_angles")
        .map(String::as_str)
        .unwrap_or("all");
    raw.split(',')
        .map(|j| j.trim().to_ascii_lowercase())
        .filter(|j| !j.is_empty())
        .collect()
}

/// Angle series (unit deg), filtered by the session's `body_joint_angles`.
fn angles(session: &Session) -> Map<String, Value> {
    let joints = selected_joints(session);
    let all = joints.is_empty() || joints.iter().any(|j| j == "all");
    let mut out = Map::new();
    if let Some(result) = result_of(session) {
        let mut names: Vec<_> = result.series.keys().collect();
        names.sort();
        for name in names {
            let series = &result.series[name];
            if series.unit != "deg" {
                continue;
            }
            let keep = all || joint_of(name).is_some_and(|j| joints.iter().any(|s| s == j));
            if keep {
                out.insert(short_angle_name(name), json!(series.values));
            }
        }
    }
    out
}

fn report_metrics(result: Option<&AnalysisResult>) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(result) = result {
        let mut names: Vec<_> = result.series.keys().collect();
        names.sort();
        for name in names {
            let series = &result.series[name];
            if series.unit != "deg" {
                out.insert(name.clone(), json!(series.values));
            }
        }
    }
    out
}

fn scalar_metrics(result: Option<&AnalysisResult>) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(result) = result {
        let mut names: Vec<_> = result.metrics.keys().collect();
        names.sort();
        for name in names {
            let value = result.metrics[name];
            if value.is_finite() {
                out.insert(name.clone(), json!(value));
            }
        }
        out.insert("rep_count".into(), json!(result.rep_count));
        out.insert("form_score".into(), json!(result.form_score));
        out.insert("duration_s".into(), json!(result.duration_s));
    }
    out
}

fn timestamps_s(result: Option<&AnalysisResult>) -> Vec<f64> {
    result
        .map(|r| {
            r.series_timestamps_ms
                .iter()
                .map(|ms| ms / 1000.0)
                .collect()
        })
        .unwrap_or_default()
}

/// The user block; weight in kg (lb) and height in cm (in) for metric (imperial).
fn user_information(session: &Session, units: MeasurementSystem) -> Value {
    let user = session.user.clone().unwrap_or_default();
    let subject = session.subject.unwrap_or_default();
    let weight = if user.weight_kg > 0.0 {
        user.weight_kg
    } else {
        subject.body_mass_kg
    };
    let height = if user.height_cm > 0.0 {
        user.height_cm
    } else {
        subject.height_m * 100.0
    };
    let (weight, height, weight_unit, height_unit) = match units {
        MeasurementSystem::Imperial => (weight * LB_PER_KG, height * IN_PER_CM, "lb", "in"),
        _ => (weight, height, "kg", "cm"),
    };
    let round1 = |v: f64| (v * 10.0).round() / 10.0;
    json!({
        "user_id": session.user_id,
        "display_name": if user.display_name.is_empty() { session.user_id.clone() } else { user.display_name },
        "age": (user.age_years > 0).then_some(user.age_years).or((subject.age_years > 0).then_some(subject.age_years)),
        "weight": (weight > 0.0).then_some(round1(weight)),
        "height": (height > 0.0).then_some(round1(height)),
        "weight_unit": weight_unit,
        "height_unit": height_unit,
    })
}

fn user_name(session: &Session) -> String {
    session
        .user
        .as_ref()
        .map(|u| u.display_name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| session.user_id.clone())
}

/// Keypoints of the analysed person per frame: `<joint>x`, `<joint>y` (normalised
/// 0..1) and `<joint>v` (confidence), `null` in frames where the person is absent,
/// plus `timestamps` (s) of the pose frames.
fn keypoints(track: &PoseTrack, track_id: Option<u32>) -> Map<String, Value> {
    // The export's columns are the 17 COCO body keypoints, whatever the model: each
    // column reads its joint's landmark in the track's own order.
    let schema = track.schema();
    let indices: Vec<Option<usize>> = COCO17.iter().map(|&j| schema.index_of(j)).collect();
    let names: Vec<String> = short_names().collect();
    let mut columns: Vec<Vec<Value>> = vec![Vec::new(); names.len() * 3];
    let mut timestamps = Vec::new();
    for frame in &track.frames {
        timestamps.push(json!(frame.timestamp_ms / 1000.0));
        let person = subject(frame, track_id);
        for k in 0..names.len() {
            let keypoint = person.zip(indices[k]).and_then(|(p, i)| p.keypoints.get(i));
            columns[k * 3].push(keypoint.map(|kp| json!(kp.x_norm)).unwrap_or(Value::Null));
            columns[k * 3 + 1].push(keypoint.map(|kp| json!(kp.y_norm)).unwrap_or(Value::Null));
            columns[k * 3 + 2].push(keypoint.map(|kp| json!(kp.score)).unwrap_or(Value::Null));
        }
    }
    let mut out = Map::new();
    for (k, short) in names.iter().enumerate() {
        for (offset, suffix) in ["x", "y", "v"].iter().enumerate() {
            out.insert(
                format!("{short}{suffix}"),
                Value::Array(std::mem::take(&mut columns[k * 3 + offset])),
            );
        }
    }
    out.insert("timestamps".into(), Value::Array(timestamps));
    out
}

/// Values of the series the metrics engine emitted under `name` (empty when absent,
/// e.g. a clip where the bar was never seen).
fn series<'a>(result: Option<&'a AnalysisResult>, name: &str) -> &'a [f64] {
    result
        .and_then(|r| r.series.get(name))
        .map(|s| s.values.as_slice())
        .unwrap_or(&[])
}

/// The series blocks of `lift-analysis/` (Weightlifting API), one value per `timestamps` entry.
fn lift_series_sections(result: Option<&AnalysisResult>) -> Value {
    json!({
        "key_metrics": {
            "power_output": series(result, POWER),
            "ground_reaction_force": series(result, GRF),
            "barbell_velocity": series(result, BAR_VELOCITY),
        },
        "body_positioning": {
            "hip_velocity": series(result, HIP_VELOCITY),
            "shin_angle": series(result, SHIN_ANGLE),
            "hip_height": series(result, HIP_HEIGHT),
            "torso_angle": series(result, TORSO_ANGLE),
        },
        "joint_angles": {
            "hip_angle": series(result, HIP_ANGLE),
            "knee_angle": series(result, KNEE_ANGLE),
        },
        "barbell_positioning": {
            "bar_height": series(result, BAR_HEIGHT),
            "barbell_trajectory": series(result, BAR_X),
            "vertical_shoulder_height": series(result, SHOULDER_HEIGHT),
        },
    })
}

fn min_max_values(values: &[f64]) -> Value {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let min = finite.clone().fold(f64::INFINITY, f64::min);
    let max = finite.fold(f64::NEG_INFINITY, f64::max);
    json!({
        "min": min.is_finite().then_some(min),
        "max": max.is_finite().then_some(max),
        "values": values,
    })
}

/// The series blocks of `summary/` (Weightlifting API): velocity, power and stability.
fn summary_sections(result: Option<&AnalysisResult>) -> Value {
    let bar_height = min_max_values(series(result, BAR_HEIGHT));
    json!({
        "velocity": { "bar_velocity": min_max_values(series(result, BAR_VELOCITY)) },
        "power": {
            "ground_reaction_force": min_max_values(series(result, GRF)),
            "power": min_max_values(series(result, POWER)),
        },
        "stability": {
            "total_time": result.map(|r| r.duration_s).unwrap_or(0.0),
            "bar_height": { "max": bar_height["max"], "values": bar_height["values"] },
            "bar_trajectory": { "xAxis": series(result, BAR_X), "yAxis": series(result, BAR_Y) },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use fitvision_exercise_engine::names::series as series_names;
    use fitvision_proto::v1::Series;

    /// An analysis carrying every series libs/exercise-engine's lift analyser emits,
    /// each filled with its own index so a wrong mapping shows.
    fn lift_result() -> AnalysisResult {
        let names = [
            (BAR_HEIGHT, "m"),
            (BAR_X, "m"),
            (BAR_Y, "m"),
            (BAR_VELOCITY, "m/s"),
            (series_names::BAR_SPEED, "m/s"),
            (POWER, "W"),
            (GRF, "N"),
            (HIP_HEIGHT, "m"),
            (HIP_VELOCITY, "m/s"),
            (SHOULDER_HEIGHT, "m"),
            (KNEE_ANGLE, "deg"),
            (HIP_ANGLE, "deg"),
            (TORSO_ANGLE, "deg"),
            (SHIN_ANGLE, "deg"),
        ];
        let mut result = AnalysisResult {
            series_timestamps_ms: vec![0.0, 100.0, 200.0],
            duration_s: 0.2,
            ..Default::default()
        };
        for (index, (name, unit)) in names.iter().enumerate() {
            let base = index as f64 * 10.0;
            result.series.insert(
                (*name).into(),
                Series {
                    unit: (*unit).into(),
                    values: vec![base + 1.0, base + 3.0, base + 2.0],
                },
            );
        }
        result
    }

    fn first(value: &Value) -> f64 {
        value[0].as_f64().expect("a non-empty numeric series")
    }

    #[test]
    fn lift_analysis_maps_every_documented_key_onto_the_engine_series() {
        let result = lift_result();
        let sections = lift_series_sections(Some(&result));
        let expected = [
            ("key_metrics", "power_output", POWER),
            ("key_metrics", "ground_reaction_force", GRF),
            ("key_metrics", "barbell_velocity", BAR_VELOCITY),
            ("body_positioning", "hip_velocity", HIP_VELOCITY),
            ("body_positioning", "shin_angle", SHIN_ANGLE),
            ("body_positioning", "hip_height", HIP_HEIGHT),
            ("body_positioning", "torso_angle", TORSO_ANGLE),
            ("joint_angles", "hip_angle", HIP_ANGLE),
            ("joint_angles", "knee_angle", KNEE_ANGLE),
            ("barbell_positioning", "bar_height", BAR_HEIGHT),
            ("barbell_positioning", "barbell_trajectory", BAR_X),
            (
                "barbell_positioning",
                "vertical_shoulder_height",
                SHOULDER_HEIGHT,
            ),
        ];
        for (section, key, engine_name) in expected {
            let values = &sections[section][key];
            assert_eq!(
                values.as_array().map(Vec::len),
                Some(result.series_timestamps_ms.len()),
                "{section}.{key}"
            );
            assert_eq!(
                first(values),
                result.series[engine_name].values[0],
                "{section}.{key} must come from {engine_name}"
            );
        }
    }

    #[test]
    fn summary_sections_give_min_max_and_trajectory_axes() {
        let result = lift_result();
        let sections = summary_sections(Some(&result));
        let velocity = &result.series[BAR_VELOCITY].values;
        assert_eq!(
            sections["velocity"]["bar_velocity"]["min"],
            json!(velocity[0])
        );
        assert_eq!(
            sections["velocity"]["bar_velocity"]["max"],
            json!(velocity[1])
        );
        assert_eq!(
            sections["velocity"]["bar_velocity"]["values"],
            json!(velocity)
        );
        assert_eq!(
            sections["power"]["power"]["values"],
            json!(result.series[POWER].values)
        );
        assert_eq!(
            sections["power"]["ground_reaction_force"]["max"],
            json!(result.series[GRF].values[1])
        );
        assert_eq!(sections["stability"]["total_time"], json!(0.2));
        assert_eq!(
            sections["stability"]["bar_height"]["max"],
            json!(result.series[BAR_HEIGHT].values[1])
        );
        assert_eq!(
            sections["stability"]["bar_trajectory"]["xAxis"],
            json!(result.series[BAR_X].values)
        );
        assert_eq!(
            sections["stability"]["bar_trajectory"]["yAxis"],
            json!(result.series[BAR_Y].values)
        );
    }

    #[test]
    fn missing_analysis_gives_empty_series_not_errors() {
        let sections = lift_series_sections(None);
        assert_eq!(sections["key_metrics"]["power_output"], json!([]));
        let summary = summary_sections(None);
        assert_eq!(summary["velocity"]["bar_velocity"]["max"], Value::Null);
    }

    #[test]
    fn min_max_ignores_non_finite_values() {
        let v = min_max_values(&[1.0, f64::NAN, 3.0]);
        assert_eq!(v["min"], json!(1.0));
        assert_eq!(v["max"], json!(3.0));
        assert_eq!(min_max_values(&[])["min"], Value::Null);
    }
}
