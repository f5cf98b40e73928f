//! Session CRUD, listing with cursor pagination, client-reported results and
//! per-user statistics.

use std::collections::HashMap;

use fitvision_proto::statuses;
use fitvision_proto::v1 as pb;
use prost::Message;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use tonic::Status;

use super::admin::{ensure_tenant, ensure_user};

use crate::auth::Principal;
use crate::context::AppContext;
use crate::convert::{session_to_proto, stats_to_proto, subject_to_json, video_to_proto};
use crate::db::entity::{
    artefact, session, share_link, step_result, thread, user, user_stat, video,
};
use crate::db::{new_id, now_ms};
use crate::error::{SessionError, db_status, storage_status};

/// Module that must be enabled for a session kind.
pub fn module_of(kind: pb::SessionKind) -> Option<&'static str> {
    match kind {
        pb::SessionKind::Workout => Some("workout"),
        pb::SessionKind::Weightlifting => Some("weightlifting"),
        pb::SessionKind::Jumping => Some("jumping"),
        pb::SessionKind::Running => Some("running"),
        pb::SessionKind::AiMove => Some("ai_move"),
        pb::SessionKind::Video => Some("guru"),
        pb::SessionKind::Unspecified => None,
    }
}

fn default_title(kind: pb::SessionKind, exercise_id: &str) -> String {
    let family = match kind {
        pb::SessionKind::Workout => "Workout",
        pb::SessionKind::Weightlifting => "Weightlifting",
        pb::SessionKind::Jumping => "Jumping",
        pb::SessionKind::Running => "Running",
        pb::SessionKind::AiMove => "AI Move",
        _ => "Video",
    };
    if exercise_id.is_empty() {
        format!("{family} session")
    } else {
        format!("{family} session: {exercise_id}")
    }
}

/// Checks and prepares what a new session needs. Shared by CreateSession
/// and by uploads that create their session.
pub struct NewSession {
    pub model: session::ActiveModel,
    pub id: String,
}

/// What a new session is made of.
pub struct SessionSpec<'a> {
    pub kind: pb::SessionKind,
    pub user_id: &'a str,
    pub title: &'a str,
    pub exercise_id: &'a str,
    pub subject: Option<&'a pb::Subject>,
    pub client_results: Option<&'a pb::ClientResults>,
    pub attributes: &'a HashMap<String, String>,
}

pub async fn prepare_session<C: ConnectionTrait>(
    ctx: &AppContext,
    db: &C,
    principal: &Principal,
    spec: SessionSpec<'_>,
) -> Result<NewSession, Status> {
    let SessionSpec {
        kind,
        user_id,
        title,
        exercise_id,
        subject,
        client_results,
        attributes,
    } = spec;
    let module = module_of(kind)
        .ok_or_else(|| SessionError::InvalidArgument("session kind is required".to_owned()))?;
    principal.require_module(module)?;
    let user_id = if user_id.is_empty() {
        principal.user_id.clone()
    } else {
        user_id.to_owned()
    };
    if user_id != principal.user_id {
        principal.require_manager().map_err(|_| {
            SessionError::PermissionDenied(
                "only admins and sub-admins create sessions for other users".to_owned(),
            )
        })?;
    }
    if !exercise_id.is_empty() {
        let known =
            crate::catalog::resolve(db, &principal.tenant_id, ctx.library_tenant(), exercise_id)
                .await
                .map_err(db_status)?;
        if known.is_none() {
            return Err(
                SessionError::InvalidArgument(format!("unknown exercise '{exercise_id}'")).into(),
            );
        }
    }
    if let Some(results) = client_results {
        validate_client_results(results)?;
    }
    if let Some(subject) = subject {
        validate_subject(subject)?;
    }
    crate::pose_model::check_attributes(ctx, attributes).await?;
    let now = now_ms();
    let id = new_id();
    let model = session::ActiveModel {
        id: Set(id.clone()),
        tenant_id: Set(principal.tenant_id.clone()),
        user_id: Set(user_id),
        kind: Set(kind as i32),
        title: Set(if title.is_empty() {
            default_title(kind, exercise_id)
        } else {
            title.to_owned()
        }),
        exercise_id: Set(exercise_id.to_owned()),
        status: Set(statuses::session_name(pb::SessionStatus::Created).to_owned()),
        subject: Set(subject_to_json(&subject.cloned().unwrap_or_default())),
        client_results: Set(client_results.cloned().unwrap_or_default().encode_to_vec()),
        attributes: Set(serde_json::to_string(attributes).unwrap_or_else(|_| "{}".into())),
        created_at: Set(now),
        updated_at: Set(now),
        completed_at: Set(None),
    };
    Ok(NewSession { model, id })
}

fn validate_subject(subject: &pb::Subject) -> Result<(), Status> {
    let ok = (0.0..=3.0).contains(&subject.height_m)
        && (0.0..=500.0).contains(&subject.body_mass_kg)
        && (0.0..=1000.0).contains(&subject.barbell_mass_kg)
        && subject.age_years <= 150;
    if ok {
        Ok(())
    } else {
        Err(SessionError::InvalidArgument(
            "subject out of range (height 0-3 m, body mass 0-500 kg, barbell 0-1000 kg, age 0-150)"
                .to_owned(),
        )
        .into())
    }
}

fn validate_client_results(results: &pb::ClientResults) -> Result<(), Status> {
    let unit = |name: &str, value: f64| {
        if (0.0..=1.0).contains(&value) {
            Ok(())
        } else {
            Err(SessionError::InvalidArgument(format!(
                "{name} must be between 0 and 1"
            )))
        }
    };
    let non_negative = |name: &str, value: f64| {
        if value >= 0.0 && value.is_finite() {
            Ok(())
        } else {
            Err(SessionError::InvalidArgument(format!(
                "{name} must be at least 0"
            )))
        }
    };
    if !matches!(results.exercise_type.as_str(), "" | "rep" | "timer") {
        return Err(SessionError::InvalidArgument(
            "exerciseType must be 'rep' or 'timer'".to_owned(),
        )
        .into());
    }
    unit("poseAccuracy", results.pose_accuracy)?;
    if let Some(score) = results.form_score {
        unit("formScore", score)?;
    }
    non_negative("durationSeconds", results.duration_s)?;
    non_negative("caloriesBurned", results.calories_burned_kcal)?;
    non_negative("holdTimeSeconds", results.hold_time_s)?;
    if let Some(outcome) = &results.completion_outcome
        && !matches!(outcome.as_str(), "success" | "failed")
    {
        return Err(SessionError::InvalidArgument(
            "completionOutcome must be 'success' or 'failed'".to_owned(),
        )
        .into());
    }
    for violation in &results.form_violations {
        if violation.key.is_empty() {
            return Err(
                SessionError::InvalidArgument("form violation key is required".to_owned()).into(),
            );
        }
        unit("violationRate", violation.violation_rate)?;
        non_negative("weight", violation.weight)?;
    }
    Ok(())
}

pub async fn create(
    ctx: &AppContext,
    principal: &Principal,
    request: pb::CreateSessionRequest,
) -> Result<pb::CreateSessionResponse, Status> {
    let kind = pb::SessionKind::try_from(request.kind).unwrap_or(pb::SessionKind::Unspecified);
    if kind == pb::SessionKind::AiMove {
        let results = request.client_results.clone().unwrap_or_default();
        if request.exercise_id.is_empty() {
            return Err(SessionError::InvalidArgument("exerciseId is required".to_owned()).into());
        }
        if !matches!(results.exercise_type.as_str(), "rep" | "timer") {
            return Err(SessionError::InvalidArgument(
                "exerciseType must be 'rep' or 'timer'".to_owned(),
            )
            .into());
        }
    }
    let spec = SessionSpec {
        kind,
        user_id: &request.user_id,
        title: &request.title,
        exercise_id: &request.exercise_id,
        subject: request.subject.as_ref(),
        client_results: request.client_results.as_ref(),
        attributes: &request.attributes,
    };
    let prepared = prepare_session(ctx, &ctx.db, principal, spec).await?;
    let txn = crate::db::begin_write(&ctx.db).await.map_err(db_status)?;
    ensure_tenant(&txn, &principal.tenant_id)
        .await
        .map_err(db_status)?;
    let owner = prepared.model.user_id.clone().unwrap();
    ensure_user(&txn, &principal.tenant_id, &owner)
        .await
        .map_err(db_status)?;
    let saved = prepared.model.insert(&txn).await.map_err(db_status)?;
    if let Some(pending) = &request.pending_video {
        let exercise_id = if pending.exercise_id.is_empty() {
            saved.exercise_id.clone()
        } else {
            pending.exercise_id.clone()
        };
        // The exercise may stay open (Guru's `activity` is optional): the upload is
        // accepted and the pipeline fails the video with UNKNOWN_EXERCISE and a
        // clear reason (see pipeline/steps.rs), instead of refusing it here.
        if !exercise_id.is_empty()
            && crate::catalog::resolve(
                &txn,
                &principal.tenant_id,
                ctx.library_tenant(),
                &exercise_id,
            )
            .await
            .map_err(db_status)?
            .is_none()
        {
            return Err(
                SessionError::InvalidArgument(format!("unknown exercise '{exercise_id}'")).into(),
            );
        }
        if pending.declared_size_bytes > ctx.settings.max_upload_bytes {
            return Err(SessionError::LimitExceeded(format!(
                "declared size {} exceeds the maximum of {} bytes",
                pending.declared_size_bytes, ctx.settings.max_upload_bytes
            ))
            .into());
        }
        let now = now_ms();
        video::ActiveModel {
            id: Set(new_id()),
            session_id: Set(saved.id.clone()),
            tenant_id: Set(saved.tenant_id.clone()),
            exercise_id: Set(exercise_id),
            status: Set(pb::VideoStatus::AwaitingUpload as i32),
            stage: Set(pb::ProgressStage::Unspecified as i32),
            progress_percent: Set(0.0),
            failure_code: Set(0),
            failure_reason: Set(String::new()),
            filename: Set(super::upload::stored_filename(&pending.filename)),
            declared_size_bytes: Set(pending.declared_size_bytes as i64),
            expected_rep_count: Set(pending.expected_rep_count as i32),
            object_key: Set(None),
            size_bytes: Set(0),
            sha256_hex: Set(String::new()),
            content_type: Set(String::new()),
            created_at: Set(now),
            updated_at: Set(now),
            completed_at: Set(None),
        }
        .insert(&txn)
        .await
        .map_err(db_status)?;
    }
    txn.commit().await.map_err(db_status)?;
    let session = load_session_proto(ctx, &saved).await?;
    Ok(pb::CreateSessionResponse {
        session: Some(session),
    })
}

/// Loads a session the principal may see.
pub async fn load_authorized(
    ctx: &AppContext,
    principal: &Principal,
    session_id: &str,
) -> Result<session::Model, Status> {
    let model = session::Entity::find_by_id(session_id.to_owned())
        .one(&ctx.db)
        .await
        .map_err(db_status)?
        .ok_or_else(|| {
            SessionError::SessionNotFound(format!("session '{session_id}' not found"))
        })?;
    principal.check_shared(session_id)?;
    principal.check_owner(&model.tenant_id, &model.user_id, "session", session_id)?;
    Ok(model)
}

pub async fn get(
    ctx: &AppContext,
    principal: &Principal,
    session_id: &str,
) -> Result<pb::Session, Status> {
    let model = load_readable(ctx, principal, session_id).await?;
    load_session_proto(ctx, &model).await
}

/// [`load_authorized`] for reads: the deployment's demo sessions are readable by every
/// caller (never writable).
pub async fn load_readable(
    ctx: &AppContext,
    principal: &Principal,
    session_id: &str,
) -> Result<session::Model, Status> {
    if let Some(model) = session::Entity::find_by_id(session_id.to_owned())
        .one(&ctx.db)
        .await
        .map_err(db_status)?
        && crate::demo::is_demo(&model)
    {
        return Ok(model);
    }
    load_authorized(ctx, principal, session_id).await
}

pub async fn load_session_proto(
    ctx: &AppContext,
    model: &session::Model,
) -> Result<pb::Session, Status> {
    let mut sessions = to_protos(ctx, std::slice::from_ref(model)).await?;
    Ok(sessions.remove(0))
}

/// Sessions with their videos, results and users, in four queries.
async fn to_protos(
    ctx: &AppContext,
    models: &[session::Model],
) -> Result<Vec<pb::Session>, Status> {
    let ids: Vec<String> = models.iter().map(|m| m.id.clone()).collect();
    let videos = video::Entity::find()
        .filter(video::Column::SessionId.is_in(ids.clone()))
        .order_by_asc(video::Column::Id)
        .all(&ctx.db)
        .await
        .map_err(db_status)?;
    let video_ids: Vec<String> = videos.iter().map(|v| v.id.clone()).collect();
    let (steps, artefacts) = if video_ids.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        let steps = step_result::Entity::find()
            .filter(step_result::Column::VideoId.is_in(video_ids.clone()))
            .all(&ctx.db)
            .await
            .map_err(db_status)?;
        let artefacts = artefact::Entity::find()
            .filter(artefact::Column::VideoId.is_in(video_ids))
            .all(&ctx.db)
            .await
            .map_err(db_status)?;
        (steps, artefacts)
    };
    let mut users: Vec<user::Model> = Vec::new();
    for model in models {
        if users
            .iter()
            .any(|u| u.tenant_id == model.tenant_id && u.id == model.user_id)
        {
            continue;
        }
        if let Some(found) =
            user::Entity::find_by_id((model.tenant_id.clone(), model.user_id.clone()))
                .one(&ctx.db)
                .await
                .map_err(db_status)?
        {
            users.push(found);
        }
    }
    Ok(models
        .iter()
        .map(|model| {
            let own_videos = videos
                .iter()
                .filter(|v| v.session_id == model.id)
                .map(|v| video_to_proto(v, &steps, &artefacts))
                .collect();
            let owner = users
                .iter()
                .find(|u| u.tenant_id == model.tenant_id && u.id == model.user_id);
            session_to_proto(model, own_videos, owner)
        })
        .collect())
}

/// The tenant and user filter a listing may read: the caller's own tenant (platform
/// admins any), and managers every user of it, users only themselves.
fn readable_owner(
    principal: &Principal,
    request: &pb::ListSessionsRequest,
) -> Result<(String, Option<String>), Status> {
    let tenant_id = if request.tenant_id.is_empty() {
        principal.tenant_id.clone()
    } else {
        request.tenant_id.clone()
    };
    if tenant_id != principal.tenant_id && !principal.platform_admin {
        return Err(SessionError::PermissionDenied(
            "only platform admins list other tenants".to_owned(),
        )
        .into());
    }
    let user_filter = if principal.is_manager() {
        (!request.user_id.is_empty()).then(|| request.user_id.clone())
    } else if request.user_id.is_empty() || request.user_id == principal.user_id {
        Some(principal.user_id.clone())
    } else {
        return Err(SessionError::PermissionDenied(
            "users list only their own sessions".to_owned(),
        )
        .into());
    };
    Ok((tenant_id, user_filter))
}

pub async fn list(
    ctx: &AppContext,
    principal: &Principal,
    request: pb::ListSessionsRequest,
) -> Result<pb::ListSessionsResponse, Status> {
    let (tenant_id, user_filter) = if request.demo {
        (
            crate::demo::DEMO_TENANT.to_owned(),
            Some(crate::demo::DEMO_USER.to_owned()),
        )
    } else {
        readable_owner(principal, &request)?
    };
    let limit = match request.limit {
        0 => 20,
        n => n.min(500),
    } as u64;
    let mut query = session::Entity::find().filter(session::Column::TenantId.eq(tenant_id));
    if let Some(user_id) = user_filter {
        query = query.filter(session::Column::UserId.eq(user_id));
    }
    if request.kind != 0 {
        query = query.filter(session::Column::Kind.eq(request.kind));
    }
    if request.status != pb::SessionStatus::Unspecified as i32 {
        let status = statuses::session_name_of(request.status);
        if status.is_empty() {
            return Err(SessionError::InvalidArgument(format!(
                "status {} is not a session status",
                request.status
            ))
            .into());
        }
        query = query.filter(session::Column::Status.eq(status));
    }
    if request.analysed_only {
        query = query.filter(
            session::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(video::Column::SessionId)
                    .from(video::Entity)
                    .and_where(video::Column::Status.eq(pb::VideoStatus::Complete as i32))
                    .to_owned(),
            ),
        );
    }
    if !request.start_after.is_empty() {
        query = if request.newest_first {
            query.filter(session::Column::Id.lt(request.start_after.clone()))
        } else {
            query.filter(session::Column::Id.gt(request.start_after.clone()))
        };
    }
    query = if request.newest_first {
        query.order_by_desc(session::Column::Id)
    } else {
        query.order_by_asc(session::Column::Id)
    };
    let mut models = query
        .limit(limit + 1)
        .all(&ctx.db)
        .await
        .map_err(db_status)?;
    let more = models.len() as u64 > limit;
    models.truncate(limit as usize);
    let next_cursor = if more {
        models.last().map(|m| m.id.clone()).unwrap_or_default()
    } else {
        String::new()
    };
    Ok(pb::ListSessionsResponse {
        sessions: to_protos(ctx, &models).await?,
        next_cursor,
    })
}

/// Canonical ClientResults field name for a mask entry (proto or the AI Move API's
/// camelCase).
fn canonical_field(name: &str) -> Option<&'static str> {
    Some(match name {
        "exercise_type" | "exerciseType" => "exercise_type",
        "target_reps" | "targetReps" => "target_reps",
        "target_duration_s" | "targetDurationSeconds" => "target_duration_s",
        "reps_completed" | "repsCompleted" => "reps_completed",
        "duration_s" | "durationSeconds" => "duration_s",
        "calories_burned_kcal" | "caloriesBurned" => "calories_burned_kcal",
        "pose_accuracy" | "poseAccuracy" => "pose_accuracy",
        "form_score" | "formScore" => "form_score",
        "hold_time_s" | "holdTimeSeconds" => "hold_time_s",
        "retry_count_remaining" | "retryCountRemaining" => "retry_count_remaining",
        "retry_count_used" | "retryCountUsed" => "retry_count_used",
        "failure_reason" | "failureReason" => "failure_reason",
        "form_violations" | "formViolations" => "form_violations",
        "completion_outcome" | "completionOutcome" => "completion_outcome",
        _ => return None,
    })
}

/// Applies the fields named in `mask` (all non-default ones when empty).
fn merge_results(
    current: &mut pb::ClientResults,
    patch: &pb::ClientResults,
    mask: &[String],
) -> Result<(), Status> {
    let fields: Vec<&'static str> = if mask.is_empty() {
        let mut present = Vec::new();
        let defaults = pb::ClientResults::default();
        if patch.exercise_type != defaults.exercise_type {
            present.push("exercise_type");
        }
        if patch.target_reps != 0 {
            present.push("target_reps");
        }
        if patch.target_duration_s != 0 {
            present.push("target_duration_s");
        }
        if patch.reps_completed != 0 {
            present.push("reps_completed");
        }
        if patch.duration_s != 0.0 {
            present.push("duration_s");
        }
        if patch.calories_burned_kcal != 0.0 {
            present.push("calories_burned_kcal");
        }
        if patch.pose_accuracy != 0.0 {
            present.push("pose_accuracy");
        }
        if patch.form_score.is_some() {
            present.push("form_score");
        }
        if patch.hold_time_s != 0.0 {
            present.push("hold_time_s");
        }
        if patch.retry_count_remaining.is_some() {
            present.push("retry_count_remaining");
        }
        if patch.retry_count_used != 0 {
            present.push("retry_count_used");
        }
        if patch.failure_reason.is_some() {
            present.push("failure_reason");
        }
        if !patch.form_violations.is_empty() {
            present.push("form_violations");
        }
        if patch.completion_outcome.is_some() {
            present.push("completion_outcome");
        }
        present
    } else {
        mask.iter()
            .map(|name| {
                canonical_field(name).ok_or_else(|| {
                    SessionError::InvalidArgument(format!("unknown result field '{name}'"))
                })
            })
            .collect::<Result<_, _>>()?
    };
    for field in fields {
        match field {
            "exercise_type" => current.exercise_type = patch.exercise_type.clone(),
            "target_reps" => current.target_reps = patch.target_reps,
            "target_duration_s" => current.target_duration_s = patch.target_duration_s,
            "reps_completed" => current.reps_completed = patch.reps_completed,
            "duration_s" => current.duration_s = patch.duration_s,
            "calories_burned_kcal" => current.calories_burned_kcal = patch.calories_burned_kcal,
            "pose_accuracy" => current.pose_accuracy = patch.pose_accuracy,
            "form_score" => current.form_score = patch.form_score,
            "hold_time_s" => current.hold_time_s = patch.hold_time_s,
            "retry_count_remaining" => current.retry_count_remaining = patch.retry_count_remaining,
            "retry_count_used" => current.retry_count_used = patch.retry_count_used,
            "failure_reason" => current.failure_reason = patch.failure_reason.clone(),
            "form_violations" => current.form_violations = patch.form_violations.clone(),
            "completion_outcome" => current.completion_outcome = patch.completion_outcome.clone(),
            _ => {}
        }
    }
    Ok(())
}

pub async fn update(
    ctx: &AppContext,
    principal: &Principal,
    request: pb::UpdateSessionRequest,
) -> Result<pb::UpdateSessionResponse, Status> {
    let model = load_authorized(ctx, principal, &request.session_id).await?;
    // The status to set, as the database spells it.
    let new_status = match request.status {
        None => None,
        Some(number) => match statuses::session_name_of(number) {
            "" => {
                return Err(SessionError::InvalidArgument(format!(
                    "status must be one of {}",
                    statuses::SESSION
                        .iter()
                        .map(|(s, _)| s.as_str_name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .into());
            }
            name => Some(name),
        },
    };
    let mut results =
        pb::ClientResults::decode(model.client_results.as_slice()).unwrap_or_default();
    if let Some(patch) = &request.client_results {
        validate_client_results(patch)?;
        merge_results(&mut results, patch, &request.client_result_fields)?;
    } else if !request.client_result_fields.is_empty() {
        return Err(SessionError::InvalidArgument(
            "client_result_fields given without client_results".to_owned(),
        )
        .into());
    }
    if let Some(exercise_id) = &request.exercise_id
        && crate::catalog::resolve(&ctx.db, &model.tenant_id, ctx.library_tenant(), exercise_id)
            .await
            .map_err(db_status)?
            .is_none()
    {
        return Err(
            SessionError::InvalidArgument(format!("unknown exercise '{exercise_id}'")).into(),
        );
    }
    crate::pose_model::check_attributes(ctx, &request.attributes).await?;
    let now = now_ms();
    let txn = crate::db::begin_write(&ctx.db).await.map_err(db_status)?;
    let mut attributes = crate::convert::attributes_from_json(&model.attributes);
    attributes.extend(request.attributes.clone());
    let mut active: session::ActiveModel = model.clone().into();
    active.client_results = Set(results.encode_to_vec());
    active.attributes = Set(serde_json::to_string(&attributes).unwrap_or_else(|_| "{}".into()));
    active.updated_at = Set(now);
    if let Some(title) = &request.title {
        active.title = Set(title.clone());
    }
    if let Some(exercise_id) = &request.exercise_id {
        active.exercise_id = Set(exercise_id.clone());
    }
    let completing = new_status == Some(statuses::session_name(pb::SessionStatus::Completed));
    if let Some(status) = new_status
        && !completing
    {
        active.status = Set(status.to_owned());
    }
    let saved = active.update(&txn).await.map_err(db_status)?;
    if completing {
        // Conditional update: only the first completion counts toward the stats.
        let transitioned = session::Entity::update_many()
            .col_expr(
                session::Column::Status,
                Expr::value(statuses::session_name(pb::SessionStatus::Completed)),
            )
            .col_expr(session::Column::CompletedAt, Expr::value(Some(now)))
            .filter(session::Column::Id.eq(saved.id.as_str()))
            .filter(
                session::Column::Status.ne(statuses::session_name(pb::SessionStatus::Completed)),
            )
            .exec(&txn)
            .await
            .map_err(db_status)?
            .rows_affected
            == 1;
        if transitioned {
            add_to_stats(&txn, &saved, &results, now)
                .await
                .map_err(db_status)?;
        }
    }
    if let Some(expected) = request.expected_rep_count {
        video::Entity::update_many()
            .col_expr(
                video::Column::ExpectedRepCount,
                Expr::value(expected as i32),
            )
            .filter(video::Column::SessionId.eq(saved.id.as_str()))
            .exec(&txn)
            .await
            .map_err(db_status)?;
    }
    let reanalysed = match &request.exercise_id {
        Some(exercise_id) if *exercise_id != model.exercise_id => {
            reset_for_exercise(&txn, &saved.id, exercise_id, now)
                .await
                .map_err(db_status)?
        }
        _ => Vec::new(),
    };
    txn.commit().await.map_err(db_status)?;
    for video_id in &reanalysed {
        ctx.queue
            .enqueue(
                crate::pipeline::pipeline_job(video_id, ctx.settings.job_max_attempts),
                true,
            )
            .await
            .map_err(db_status)?;
    }
    if !reanalysed.is_empty() {
        ctx.wake.notify_waiters();
    }
    let reloaded = session::Entity::find_by_id(saved.id.clone())
        .one(&ctx.db)
        .await
        .map_err(db_status)?
        .ok_or_else(|| SessionError::SessionNotFound("session deleted meanwhile".to_owned()))?;
    Ok(pb::UpdateSessionResponse {
        session: Some(load_session_proto(ctx, &reloaded).await?),
    })
}

/// A session whose exercise changes: every video takes the new exercise, and those whose
/// analysis already ended after their poses were stored (complete, or failed for want
/// of an exercise, say) are queued again. The stored poses and authenticity report are
/// kept, so only the metrics step runs again. Returns the videos to queue.
async fn reset_for_exercise<C: ConnectionTrait>(
    db: &C,
    session_id: &str,
    exercise_id: &str,
    now: i64,
) -> Result<Vec<String>, sea_orm::DbErr> {
    video::Entity::update_many()
        .col_expr(video::Column::ExerciseId, Expr::value(exercise_id))
        .filter(video::Column::SessionId.eq(session_id))
        .exec(db)
        .await?;
    let ended = [
        pb::VideoStatus::Complete as i32,
        pb::VideoStatus::Failed as i32,
    ];
    let candidates = video::Entity::find()
        .filter(video::Column::SessionId.eq(session_id))
        .filter(video::Column::Status.is_in(ended))
        .all(db)
        .await?;
    let mut queued = Vec::new();
    for v in candidates {
        let has_poses =
            step_result::Entity::find_by_id((v.id.clone(), crate::convert::STEP_POSES.to_owned()))
                .one(db)
                .await?
                .is_some();
        if !has_poses {
            // Failed before its poses (an unreadable file): nothing to re-analyse.
            continue;
        }
        step_result::Entity::delete_by_id((v.id.clone(), crate::convert::STEP_METRICS.to_owned()))
            .exec(db)
            .await?;
        video::Entity::update_many()
            .col_expr(
                video::Column::Status,
                Expr::value(pb::VideoStatus::Queued as i32),
            )
            .col_expr(video::Column::FailureCode, Expr::value(0))
            .col_expr(video::Column::FailureReason, Expr::value(""))
            .col_expr(video::Column::CompletedAt, Expr::value(Option::<i64>::None))
            .col_expr(video::Column::UpdatedAt, Expr::value(now))
            .filter(video::Column::Id.eq(v.id.as_str()))
            .exec(db)
            .await?;
        queued.push(v.id);
    }
    Ok(queued)
}

async fn add_to_stats<C: ConnectionTrait>(
    db: &C,
    session: &session::Model,
    results: &pb::ClientResults,
    now: i64,
) -> Result<(), sea_orm::DbErr> {
    let key = (
        session.tenant_id.clone(),
        session.user_id.clone(),
        session.exercise_id.clone(),
    );
    let form = results.form_score.unwrap_or(0.0);
    match user_stat::Entity::find_by_id(key).one(db).await? {
        Some(found) => {
            let best = found.best_form_score.max(form);
            let mut active: user_stat::ActiveModel = found.clone().into();
            active.sessions_completed = Set(found.sessions_completed + 1);
            active.total_reps = Set(found.total_reps + i64::from(results.reps_completed));
            active.total_duration_s = Set(found.total_duration_s + results.duration_s);
            active.total_calories_kcal =
                Set(found.total_calories_kcal + results.calories_burned_kcal);
            active.best_form_score = Set(best);
            active.last_completed_at = Set(now);
            active.update(db).await?;
        }
        None => {
            user_stat::ActiveModel {
                tenant_id: Set(session.tenant_id.clone()),
                user_id: Set(session.user_id.clone()),
                exercise_id: Set(session.exercise_id.clone()),
                sessions_completed: Set(1),
                total_reps: Set(i64::from(results.reps_completed)),
                total_duration_s: Set(results.duration_s),
                total_calories_kcal: Set(results.calories_burned_kcal),
                best_form_score: Set(form),
                last_completed_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// Deletes the session's objects first (so a failure leaves rows that a
/// retry can use to finish), then every row that belongs to it.
pub async fn delete(
    ctx: &AppContext,
    principal: &Principal,
    session_id: &str,
) -> Result<(), Status> {
    let model = load_authorized(ctx, principal, session_id).await?;
    let videos = video::Entity::find()
        .filter(video::Column::SessionId.eq(session_id))
        .all(&ctx.db)
        .await
        .map_err(db_status)?;
    for video in &videos {
        ctx.storage
            .delete_prefix(&format!("videos/{}/", video.id))
            .await
            .map_err(storage_status)?;
    }
    let video_ids: Vec<String> = videos.iter().map(|v| v.id.clone()).collect();
    let txn = crate::db::begin_write(&ctx.db).await.map_err(db_status)?;
    if !video_ids.is_empty() {
        step_result::Entity::delete_many()
            .filter(step_result::Column::VideoId.is_in(video_ids.clone()))
            .exec(&txn)
            .await
            .map_err(db_status)?;
        artefact::Entity::delete_many()
            .filter(artefact::Column::VideoId.is_in(video_ids.clone()))
            .exec(&txn)
            .await
            .map_err(db_status)?;
        video::Entity::delete_many()
            .filter(video::Column::Id.is_in(video_ids.clone()))
            .exec(&txn)
            .await
            .map_err(db_status)?;
    }
    share_link::Entity::delete_many()
        .filter(share_link::Column::SessionId.eq(session_id))
        .exec(&txn)
        .await
        .map_err(db_status)?;
    thread::Entity::delete_many()
        .filter(thread::Column::SessionId.eq(session_id))
        .exec(&txn)
        .await
        .map_err(db_status)?;
    session::Entity::delete_by_id(model.id.clone())
        .exec(&txn)
        .await
        .map_err(db_status)?;
    txn.commit().await.map_err(db_status)?;
    for video_id in &video_ids {
        for prefix in [
            format!("pipeline:{video_id}"),
            format!("render:{video_id}:"),
        ] {
            ctx.queue
                .delete_by_key_prefix(&prefix)
                .await
                .map_err(db_status)?;
        }
    }
    ctx.queue
        .delete_by_key_prefix(&format!("threads:{session_id}:"))
        .await
        .map_err(db_status)?;
    Ok(())
}

pub async fn user_stats(
    ctx: &AppContext,
    principal: &Principal,
    user_id: &str,
) -> Result<pb::GetUserStatsResponse, Status> {
    let user_id = if user_id.is_empty() {
        principal.user_id.as_str()
    } else {
        user_id
    };
    if user_id != principal.user_id {
        principal.require_manager()?;
    }
    let stats = user_stat::Entity::find()
        .filter(user_stat::Column::TenantId.eq(principal.tenant_id.as_str()))
        .filter(user_stat::Column::UserId.eq(user_id))
        .order_by_asc(user_stat::Column::ExerciseId)
        .all(&ctx.db)
        .await
        .map_err(db_status)?;
    Ok(pb::GetUserStatsResponse {
        stats: stats.iter().map(stats_to_proto).collect(),
    })
}
