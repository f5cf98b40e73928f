//! Database rows to protobuf messages.

use std::collections::HashMap;

use fitvision_proto::v1 as pb;
use prost::Message;

use crate::db::entity::{artefact, exercise, session, step_result, thread, user, user_stat, video};

/// Names of stored pipeline steps.
pub const STEP_POSES: &str = "poses";
pub const STEP_AUTHENTICITY: &str = "authenticity";
pub const STEP_METRICS: &str = "metrics";

/// What the poses step produced (stored as protobuf in `step_results`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct PosesOutcome {
    #[prost(message, optional, tag = "1")]
    pub track: Option<pb::ObjectRef>,
    #[prost(message, optional, tag = "2")]
    pub info: Option<pb::VideoInfo>,
    #[prost(uint32, tag = "3")]
    pub frames_analysed: u32,
    #[prost(uint32, tag = "4")]
    pub frames_with_person: u32,
}

pub fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    }
}

pub fn subject_to_json(subject: &pb::Subject) -> String {
    serde_json::json!({
        "height_m": subject.height_m,
        "body_mass_kg": subject.body_mass_kg,
        "barbell_mass_kg": subject.barbell_mass_kg,
        "measurement_system": subject.measurement_system,
        "age_years": subject.age_years,
    })
    .to_string()
}

pub fn subject_from_json(json: &str) -> pb::Subject {
    let value: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let number = |key: &str| value.get(key).and_then(|v| v.as_f64()).unwrap_or(0.0);
    pb::Subject {
        height_m: number("height_m"),
        body_mass_kg: number("body_mass_kg"),
        barbell_mass_kg: number("barbell_mass_kg"),
        measurement_system: number("measurement_system") as i32,
        age_years: number("age_years") as u32,
    }
}

pub fn attributes_from_json(json: &str) -> HashMap<String, String> {
    serde_json::from_str(json).unwrap_or_default()
}

pub fn user_to_proto(model: &user::Model) -> pb::UserProfile {
    pb::UserProfile {
        user_id: model.id.clone(),
        display_name: model.display_name.clone(),
        age_years: model.age_years.max(0) as u32,
        weight_kg: model.weight_kg,
        height_cm: model.height_cm,
        role: crate::auth::role_from_name(&model.role) as i32,
    }
}

pub fn session_to_proto(
    model: &session::Model,
    videos: Vec<pb::Video>,
    user: Option<&user::Model>,
) -> pb::Session {
    pb::Session {
        session_id: model.id.clone(),
        tenant_id: model.tenant_id.clone(),
        user_id: model.user_id.clone(),
        kind: model.kind,
        title: model.title.clone(),
        exercise_id: model.exercise_id.clone(),
        status: fitvision_proto::statuses::session_from_name(&model.status).unwrap_or_default()
            as i32,
        created_at: Some(timestamp(model.created_at)),
        completed_at: model.completed_at.map(timestamp),
        subject: Some(subject_from_json(&model.subject)),
        videos,
        client_results: pb::ClientResults::decode(model.client_results.as_slice()).ok(),
        attributes: attributes_from_json(&model.attributes),
        user: user.map(user_to_proto),
    }
}

fn object_ref(key: &str, size: i64, sha: &str, content_type: &str) -> pb::ObjectRef {
    pb::ObjectRef {
        key: key.to_owned(),
        size_bytes: size.max(0) as u64,
        sha256_hex: sha.to_owned(),
        content_type: content_type.to_owned(),
    }
}

pub fn video_original(model: &video::Model) -> Option<pb::ObjectRef> {
    model.object_key.as_deref().map(|key| {
        object_ref(
            key,
            model.size_bytes,
            &model.sha256_hex,
            &model.content_type,
        )
    })
}

pub fn artefact_ref(model: &artefact::Model) -> pb::ObjectRef {
    object_ref(
        &model.object_key,
        model.size_bytes,
        &model.sha256_hex,
        &model.content_type,
    )
}

pub fn video_to_proto(
    model: &video::Model,
    steps: &[step_result::Model],
    artefacts: &[artefact::Model],
) -> pb::Video {
    let step = |name: &str| {
        steps
            .iter()
            .find(|s| s.video_id == model.id && s.step == name)
            .map(|s| s.payload.as_slice())
    };
    let poses = step(STEP_POSES).and_then(|bytes| PosesOutcome::decode(bytes).ok());
    pb::Video {
        video_id: model.id.clone(),
        session_id: model.session_id.clone(),
        exercise_id: model.exercise_id.clone(),
        status: model.status,
        failure_code: model.failure_code,
        failure_reason: model.failure_reason.clone(),
        filename: model.filename.clone(),
        original: video_original(model),
        pose_track: poses.as_ref().and_then(|p| p.track.clone()),
        info: poses.and_then(|p| p.info),
        authenticity: step(STEP_AUTHENTICITY).and_then(|b| pb::AuthenticityReport::decode(b).ok()),
        result: step(STEP_METRICS).and_then(|b| pb::AnalysisResult::decode(b).ok()),
        artefacts: artefacts
            .iter()
            .filter(|a| a.video_id == model.id)
            .map(|a| (a.name.clone(), artefact_ref(a)))
            .collect(),
        created_at: Some(timestamp(model.created_at)),
        completed_at: model.completed_at.map(timestamp),
        progress_percent: model.progress_percent,
        expected_rep_count: model.expected_rep_count.max(0) as u32,
        stage: model.stage,
    }
}

pub fn thread_to_proto(model: &thread::Model) -> pb::Thread {
    pb::Thread {
        thread_id: model.id.clone(),
        session_id: model.session_id.clone(),
        topic: model.topic.clone(),
        status: fitvision_proto::statuses::thread_from_name(&model.status).unwrap_or_default()
            as i32,
        text: model.text.clone(),
        provider: model.provider.clone(),
        error: model.error.clone(),
        created_at: Some(timestamp(model.created_at)),
        completed_at: model.completed_at.map(timestamp),
        measurement_system: model.measurement_system,
        language: model.language.clone(),
    }
}

pub fn exercise_to_proto(
    model: &exercise::Model,
    enabled: bool,
    sort_order: i32,
) -> pb::CatalogExercise {
    pb::CatalogExercise {
        exercise_id: model.id.clone(),
        client_id: model.tenant_id.clone(),
        name: model.name.clone(),
        name_zh: model.name_zh.clone(),
        description: model.description.clone(),
        category: model.category.clone(),
        difficulty: model.difficulty.clone(),
        image_url: model.image_url.clone(),
        r#type: model.mode.clone(),
        target_value: model.target_value.max(0) as u32,
        estimated_calories: model.estimated_calories,
        algorithm_json: model.definition_json.clone(),
        enabled,
        sort_order,
    }
}

pub fn stats_to_proto(model: &user_stat::Model) -> pb::ExerciseStats {
    pb::ExerciseStats {
        exercise_id: model.exercise_id.clone(),
        sessions_completed: model.sessions_completed.max(0) as u32,
        total_reps: model.total_reps.max(0) as u64,
        total_duration_s: model.total_duration_s,
        total_calories_kcal: model.total_calories_kcal,
        best_form_score: model.best_form_score,
        last_completed_at: Some(timestamp(model.last_completed_at)),
    }
}
