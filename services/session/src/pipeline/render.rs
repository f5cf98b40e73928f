//! Annotated-video rendering jobs (pose-inference draws from the stored track).

use fitvision_proto::v1 as pb;
use prost::Message;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::{RenderPayload, annotated_artefact, flavour_name, is_transient, load_video};
use crate::context::AppContext;
use crate::convert::{PosesOutcome, STEP_AUTHENTICITY, STEP_METRICS, STEP_POSES, video_original};
use crate::db::entity::{artefact, step_result};
use crate::db::now_ms;
use crate::jobs::JobFailure;

fn db_failure(error: sea_orm::DbErr) -> JobFailure {
    JobFailure::transient(format!("database: {error}"))
}

pub async fn run(ctx: &AppContext, payload: &RenderPayload) -> Result<(), JobFailure> {
    let flavour = pb::AnnotatedVideoFlavour::try_from(payload.flavour)
        .unwrap_or(pb::AnnotatedVideoFlavour::All);
    let Some(model) = load_video(ctx, &payload.video_id).await? else {
        return Ok(());
    };
    let steps = step_result::Entity::find()
        .filter(step_result::Column::VideoId.eq(model.id.as_str()))
        .all(&ctx.db)
        .await
        .map_err(db_failure)?;
    let step = |name: &str| {
        steps
            .iter()
            .find(|s| s.step == name)
            .map(|s| s.payload.as_slice())
    };
    let Some(poses) = step(STEP_POSES).and_then(|b| PosesOutcome::decode(b).ok()) else {
        let finished = model.status == pb::VideoStatus::Failed as i32;
        return Err(if finished {
            JobFailure::permanent("the video failed before its poses were found")
        } else {
            JobFailure::transient("waiting for the video's poses")
        });
    };
    let overlay = match flavour {
        pb::AnnotatedVideoFlavour::Skeleton => pb::OverlayKind::Skeleton,
        _ => pb::OverlayKind::All,
    };
    let output_key = format!(
        "videos/{}/annotated_{}.mp4",
        model.id,
        flavour_name(flavour)
    );
    let snapshot_prefix = if overlay == pb::OverlayKind::All {
        format!("videos/{}/snapshots/", model.id)
    } else {
        String::new()
    };
    let request = pb::RenderAnnotatedVideoRequest {
        video: video_original(&model),
        pose_track: poses.track.clone(),
        result: step(STEP_METRICS).and_then(|b| pb::AnalysisResult::decode(b).ok()),
        authenticity: step(STEP_AUTHENTICITY).and_then(|b| pb::AuthenticityReport::decode(b).ok()),
        overlay: overlay as i32,
        output_key: output_key.clone(),
        snapshot_key_prefix: snapshot_prefix,
    };
    let response = ctx
        .clients
        .pose
        .clone()
        .render_annotated_video(request)
        .await
        .map_err(|status| {
            let message = format!(
                "pose-inference render: {}: {}",
                status.code(),
                status.message()
            );
            if is_transient(&status) {
                JobFailure::transient(message)
            } else {
                JobFailure::permanent(message)
            }
        })?
        .into_inner();
    let mut outputs: Vec<(String, pb::ObjectRef)> = Vec::new();
    if let Some(video) = response.video {
        outputs.push((annotated_artefact(flavour), video));
    }
    for (phase, object) in response.phase_snapshots {
        outputs.push((format!("snapshot_{phase}"), object));
    }
    if load_video(ctx, &model.id).await?.is_none() {
        for (_, object) in &outputs {
            let _ = ctx.storage.delete(&object.key).await;
        }
        return Ok(());
    }
    let txn = crate::db::begin_write(&ctx.db).await.map_err(db_failure)?;
    for (name, object) in outputs {
        artefact::Entity::delete_many()
            .filter(artefact::Column::VideoId.eq(model.id.as_str()))
            .filter(artefact::Column::Name.eq(name.as_str()))
            .exec(&txn)
            .await
            .map_err(db_failure)?;
        artefact::ActiveModel {
            video_id: Set(model.id.clone()),
            name: Set(name),
            object_key: Set(object.key),
            size_bytes: Set(object.size_bytes as i64),
            sha256_hex: Set(object.sha256_hex),
            content_type: Set(object.content_type),
            created_at: Set(now_ms()),
        }
        .insert(&txn)
        .await
        .map_err(db_failure)?;
    }
    txn.commit().await.map_err(db_failure)?;
    Ok(())
}
