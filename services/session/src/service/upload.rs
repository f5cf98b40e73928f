//! Client-streaming upload: metadata, then chunks streamed straight into
//! object storage. Every check that can fail runs before the database is
//! touched, and a refused upload leaves neither object nor row.

use bytes::Bytes;
use fitvision_proto::v1 as pb;
use fitvision_storage::UploadOptions;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use tokio_stream::Stream;
use tokio_stream::StreamExt;
use tonic::Status;

use super::admin::{ensure_tenant, ensure_user};
use super::sessions::{SessionSpec, load_authorized, prepare_session};
use crate::auth::Principal;
use crate::context::AppContext;
use crate::db::entity::video;
use crate::db::{new_id, now_ms};
use crate::error::{SessionError, db_status, upload_status};
use crate::pipeline::pipeline_job;

/// Where the upload goes: an existing session, an announced video, or a new session.
enum Target {
    Existing {
        session_id: String,
        tenant_id: String,
    },
    Pending(Box<video::Model>),
    NewSession(Box<super::sessions::NewSession>),
}

impl Target {
    /// The tenant the video will belong to.
    fn tenant_id<'a>(&'a self, principal: &'a Principal) -> &'a str {
        match self {
            Target::Existing { tenant_id, .. } => tenant_id,
            Target::Pending(pending) => &pending.tenant_id,
            Target::NewSession(_) => &principal.tenant_id,
        }
    }
}

/// The file name a client gave, as it is stored and shown back: its last path
/// component, without control or reserved characters, at most 255 bytes (a name is
/// data to display, never a path, and one client's megabyte-long name must not
/// become everyone's page).
pub(crate) fn stored_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    sanitize_filename::sanitize_with_options(
        base,
        sanitize_filename::Options {
            windows: true,
            truncate: true,
            replacement: "_",
        },
    )
}

fn extension_of(filename: &str) -> &'static str {
    let lower = filename.to_ascii_lowercase();
    ["mp4", "mov", "m4v", "webm", "mkv", "avi"]
        .into_iter()
        .find(|ext| lower.ends_with(&format!(".{ext}")))
        .unwrap_or("mp4")
}

pub async fn upload(
    ctx: &AppContext,
    principal: &Principal,
    mut stream: impl Stream<Item = Result<pb::UploadVideoRequest, Status>> + Unpin,
) -> Result<pb::UploadVideoResponse, Status> {
    let first = stream.next().await.ok_or_else(|| {
        SessionError::InvalidArgument("empty upload stream: metadata expected first".to_owned())
    })??;
    let Some(pb::upload_video_request::Payload::Metadata(metadata)) = first.payload else {
        return Err(SessionError::InvalidArgument(
            "the first message must carry the upload metadata".to_owned(),
        )
        .into());
    };
    let max = ctx.settings.max_upload_bytes;
    if metadata.declared_size_bytes > max {
        return Err(SessionError::LimitExceeded(format!(
            "declared size {} exceeds the maximum of {max} bytes",
            metadata.declared_size_bytes
        ))
        .into());
    }
    let (target, exercise_id) = resolve_target(ctx, principal, &metadata).await?;
    let tenant_id = target.tenant_id(principal).to_owned();
    let limits = crate::limits::in_force(&ctx.db, &tenant_id, &ctx.settings.analysis_limits)
        .await
        .map_err(db_status)?;
    // Before a byte is stored: a tenant at its limit uploads nothing.
    crate::limits::check_capacity(&ctx.db, &tenant_id, &limits).await?;
    let video_id = match &target {
        Target::Pending(pending) => pending.id.clone(),
        _ => new_id(),
    };
    let declared = match (&target, metadata.declared_size_bytes) {
        (_, size) if size > 0 => Some(size),
        (Target::Pending(pending), _) if pending.declared_size_bytes > 0 => {
            Some(pending.declared_size_bytes as u64)
        }
        _ => None,
    };
    let key = format!(
        "videos/{video_id}/original.{}",
        extension_of(&metadata.filename)
    );
    let mut options = UploadOptions::video(max, declared);
    options.area = Some(ctx.settings.upload_area.clone());
    if !metadata.sha256_hex.is_empty() {
        options.expected_sha256_hex = Some(metadata.sha256_hex.to_ascii_lowercase());
    }
    let mut upload = ctx
        .storage
        .begin_upload(&key, options)
        .map_err(upload_status)?;
    while let Some(message) = stream.next().await {
        let message = match message {
            Ok(message) => message,
            Err(status) => {
                upload.abort().await;
                return Err(SessionError::Cancelled(format!(
                    "upload stream broke: {}",
                    status.message()
                ))
                .into());
            }
        };
        match message.payload {
            Some(pb::upload_video_request::Payload::Chunk(chunk)) => {
                upload
                    .write(Bytes::from(chunk))
                    .await
                    .map_err(upload_status)?;
            }
            Some(pb::upload_video_request::Payload::Metadata(_)) => {
                upload.abort().await;
                return Err(SessionError::InvalidArgument(
                    "metadata may only be sent once, first".to_owned(),
                )
                .into());
            }
            None => {}
        }
    }
    let object = upload.commit().await.map_err(upload_status)?;
    let recorded = async {
        check_length(ctx, &object, &limits).await?;
        record(
            ctx,
            principal,
            target,
            &video_id,
            &exercise_id,
            &metadata,
            &object,
            &limits,
        )
        .await
    }
    .await;
    match recorded {
        Ok(()) => {}
        Err(status) => {
            // The rows were not written: do not keep the bytes either.
            let _ = ctx.storage.delete(&object.key).await;
            return Err(status);
        }
    }
    ctx.wake.notify_waiters();
    ctx.progress.publish(pb::WatchVideoResponse {
        video_id: video_id.clone(),
        stage: pb::ProgressStage::Queued as i32,
        percent: 0.0,
        message: "queued".to_owned(),
        video: None,
    });
    let video = crate::pipeline::full_video(ctx, &video_id)
        .await
        .map_err(db_status)?
        .ok_or_else(|| SessionError::Internal("the uploaded video vanished".to_owned()))?;
    Ok(pb::UploadVideoResponse { video: Some(video) })
}

async fn resolve_target(
    ctx: &AppContext,
    principal: &Principal,
    metadata: &pb::UploadMetadata,
) -> Result<(Target, String), Status> {
    if !metadata.video_id.is_empty() {
        let pending = video::Entity::find_by_id(metadata.video_id.clone())
            .one(&ctx.db)
            .await
            .map_err(db_status)?
            .ok_or_else(|| {
                SessionError::VideoNotFound(format!("video '{}' not found", metadata.video_id))
            })?;
        let session = load_authorized(ctx, principal, &pending.session_id).await?;
        if !metadata.session_id.is_empty() && metadata.session_id != session.id {
            return Err(SessionError::InvalidArgument(
                "video_id belongs to another session".to_owned(),
            )
            .into());
        }
        if pending.status != pb::VideoStatus::AwaitingUpload as i32 {
            return Err(SessionError::FailedPrecondition(format!(
                "video '{}' already has its bytes",
                pending.id
            ))
            .into());
        }
        let exercise_id = if metadata.exercise_id.is_empty() {
            pending.exercise_id.clone()
        } else {
            metadata.exercise_id.clone()
        };
        // A pre-declared video may leave its exercise open (Guru's `activity` is
        // optional), as any upload may: the pipeline recognises it.
        check_exercise(ctx, &session.tenant_id, &exercise_id).await?;
        return Ok((Target::Pending(Box::new(pending)), exercise_id));
    }
    if !metadata.session_id.is_empty() {
        let session = load_authorized(ctx, principal, &metadata.session_id).await?;
        let kind = pb::SessionKind::try_from(session.kind).unwrap_or(pb::SessionKind::Unspecified);
        if let Some(module) = super::sessions::module_of(kind) {
            principal.require_module(module)?;
        }
        let exercise_id = if metadata.exercise_id.is_empty() {
            session.exercise_id.clone()
        } else {
            metadata.exercise_id.clone()
        };
        check_exercise(ctx, &session.tenant_id, &exercise_id).await?;
        return Ok((
            Target::Existing {
                session_id: session.id,
                tenant_id: session.tenant_id,
            },
            exercise_id,
        ));
    }
    let kind =
        match pb::SessionKind::try_from(metadata.kind).unwrap_or(pb::SessionKind::Unspecified) {
            pb::SessionKind::Unspecified => pb::SessionKind::Video,
            other => other,
        };
    check_exercise(ctx, &principal.tenant_id, &metadata.exercise_id).await?;
    let no_attributes = Default::default();
    let spec = SessionSpec {
        kind,
        user_id: &metadata.user_id,
        title: &metadata.title,
        exercise_id: &metadata.exercise_id,
        subject: metadata.subject.as_ref(),
        client_results: None,
        attributes: &no_attributes,
    };
    let prepared = prepare_session(ctx, &ctx.db, principal, spec).await?;
    Ok((
        Target::NewSession(Box::new(prepared)),
        metadata.exercise_id.clone(),
    ))
}

/// Frames read from an upload to check its length: the header's claim, confirmed
/// by a first decode (two frames give the decoder's frame rate).
const PROBE_FRAMES: u32 = 2;

/// Refuses a video longer than the limits, from its header and a first decode.
/// A file the probe cannot read is let through: the pipeline reports it in its own
/// words (UNREADABLE_VIDEO), and it stops any video whose header understated its
/// length when decoding passes the limit.
async fn check_length(
    ctx: &AppContext,
    object: &pb::ObjectRef,
    limits: &pb::AnalysisLimits,
) -> Result<(), Status> {
    let probed = ctx
        .clients
        .pose
        .clone()
        .probe_video(pb::ProbeVideoRequest {
            video: Some(object.clone()),
            max_frames: PROBE_FRAMES,
        })
        .await;
    match probed {
        Ok(response) => {
            if let Some(info) = response.into_inner().video {
                crate::limits::check_length(crate::limits::VideoLength::of(&info), limits)?;
            }
            Ok(())
        }
        Err(status) => {
            tracing::debug!(key = %object.key, code = ?status.code(), message = status.message(),
                "upload probe failed; the pipeline will judge the file");
            Ok(())
        }
    }
}

async fn check_exercise(
    ctx: &AppContext,
    tenant_id: &str,
    exercise_id: &str,
) -> Result<(), Status> {
    if exercise_id.trim().is_empty() {
        // No exercise: the pipeline recognises it from the poses.
        return Ok(());
    }
    let known = crate::catalog::resolve(&ctx.db, tenant_id, ctx.library_tenant(), exercise_id)
        .await
        .map_err(db_status)?;
    if known.is_none() {
        return Err(
            SessionError::InvalidArgument(format!("unknown exercise '{exercise_id}'")).into(),
        );
    }
    Ok(())
}

/// Writes the session (when new), the video row and its pipeline job in one transaction.
#[allow(clippy::too_many_arguments)]
async fn record(
    ctx: &AppContext,
    principal: &Principal,
    target: Target,
    video_id: &str,
    exercise_id: &str,
    metadata: &pb::UploadMetadata,
    object: &pb::ObjectRef,
    limits: &pb::AnalysisLimits,
) -> Result<(), Status> {
    let now = now_ms();
    let txn = crate::db::begin_write(&ctx.db).await.map_err(db_status)?;
    // Again where the video is written: uploads that passed the first check
    // together cannot all be recorded past the limit.
    crate::limits::check_capacity(&txn, target.tenant_id(principal), limits).await?;
    let (session_id, tenant_id, pending) = match target {
        Target::Existing {
            session_id,
            tenant_id,
        } => (session_id, tenant_id, None),
        Target::Pending(pending) => (
            pending.session_id.clone(),
            pending.tenant_id.clone(),
            Some(*pending),
        ),
        Target::NewSession(prepared) => {
            ensure_tenant(&txn, &principal.tenant_id)
                .await
                .map_err(db_status)?;
            let owner = prepared.model.user_id.clone().unwrap();
            ensure_user(&txn, &principal.tenant_id, &owner)
                .await
                .map_err(db_status)?;
            prepared.model.insert(&txn).await.map_err(db_status)?;
            (prepared.id, principal.tenant_id.clone(), None)
        }
    };
    let filled = |mut active: video::ActiveModel| {
        active.exercise_id = Set(exercise_id.to_owned());
        active.status = Set(pb::VideoStatus::Queued as i32);
        active.stage = Set(pb::ProgressStage::Queued as i32);
        active.object_key = Set(Some(object.key.clone()));
        active.size_bytes = Set(object.size_bytes as i64);
        active.sha256_hex = Set(object.sha256_hex.clone());
        active.content_type = Set(object.content_type.clone());
        active.updated_at = Set(now);
        active
    };
    match pending {
        Some(pending) => {
            let mut active: video::ActiveModel = pending.clone().into();
            if !metadata.filename.is_empty() {
                active.filename = Set(stored_filename(&metadata.filename));
            }
            if metadata.expected_rep_count > 0 {
                active.expected_rep_count = Set(metadata.expected_rep_count as i32);
            }
            filled(active).update(&txn).await.map_err(db_status)?;
        }
        None => {
            let active = video::ActiveModel {
                id: Set(video_id.to_owned()),
                session_id: Set(session_id.clone()),
                tenant_id: Set(tenant_id),
                progress_percent: Set(0.0),
                failure_code: Set(0),
                failure_reason: Set(String::new()),
                filename: Set(stored_filename(&metadata.filename)),
                declared_size_bytes: Set(metadata.declared_size_bytes as i64),
                expected_rep_count: Set(metadata.expected_rep_count as i32),
                created_at: Set(now),
                completed_at: Set(None),
                ..Default::default()
            };
            filled(active).insert(&txn).await.map_err(db_status)?;
        }
    }
    crate::db::entity::session::Entity::update_many()
        .col_expr(
            crate::db::entity::session::Column::Status,
            fitvision_proto::statuses::session_name(pb::SessionStatus::InProgress).into(),
        )
        .col_expr(crate::db::entity::session::Column::UpdatedAt, now.into())
        .filter(crate::db::entity::session::Column::Id.eq(session_id.as_str()))
        .filter(crate::db::entity::session::Column::Status.eq(
            fitvision_proto::statuses::session_name(pb::SessionStatus::Created),
        ))
        .exec(&txn)
        .await
        .map_err(db_status)?;
    // The job commits with the video: never a video without its job or a job without its video.
    crate::jobs::queue::enqueue_in(&txn, pipeline_job(video_id, ctx.settings.job_max_attempts))
        .await
        .map_err(db_status)?;
    txn.commit().await.map_err(db_status)?;
    Ok(())
}

#[cfg(test)]
mod filename_tests {
    use super::stored_filename;

    #[test]
    fn client_file_names_are_stored_short_flat_and_printable() {
        assert_eq!(stored_filename("squat set 1.mp4"), "squat set 1.mp4");
        assert_eq!(stored_filename("../../etc/passwd"), "passwd");
        assert_eq!(stored_filename("C:\\clips\\jump.mov"), "jump.mov");
        assert_eq!(stored_filename("a\nb<script>.mp4"), "a_b_script_.mp4");
        let huge = stored_filename(&format!("{}.mp4", "x".repeat(1_000_000)));
        assert!(huge.len() <= 255, "{}", huge.len());
    }
}
