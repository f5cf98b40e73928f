//! The video pipeline: poses -> authenticity -> metrics, each step stored
//! under (video, step) before the next one starts. The authenticity check runs
//! under the tenant's policy: a blocked verdict stops the pipeline; under a
//! FLAG policy the verdict is only recorded and the metrics run as usual.

use std::time::{Duration, Instant};

use fitvision_proto::v1 as pb;
use fitvision_service_kit::failure::{FailureCode, failure_code};
use prost::Message;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use tokio_stream::StreamExt;
use tracing::Instrument;

use super::{is_transient, load_video};
use crate::context::AppContext;
use crate::convert::{
    PosesOutcome, STEP_AUTHENTICITY, STEP_METRICS, STEP_POSES, subject_from_json, video_original,
    video_to_proto,
};
use crate::db::entity::{artefact, session, step_result, user, video};
use crate::db::{is_unique_violation, now_ms};
use crate::jobs::JobFailure;

/// How a step ended when it did not produce its output.
enum StepError {
    /// Retry the job later (a dependency is down).
    Transient(String),
    /// The video cannot be analysed; it is marked failed and the job ends.
    VideoFailed(pb::FailureCode, String),
    /// The video was deleted while the job ran.
    Gone,
}

impl From<sea_orm::DbErr> for StepError {
    fn from(error: sea_orm::DbErr) -> Self {
        StepError::Transient(format!("database: {error}"))
    }
}

fn status_error(
    service: &str,
    status: tonic::Status,
    permanent_code: pb::FailureCode,
) -> StepError {
    // Failures that are the video's, told in the service's own words.
    for (wire, video) in [
        (
            FailureCode::LowQualityPoseEstimate,
            pb::FailureCode::LowQualityPoseEstimate,
        ),
        (
            FailureCode::UnknownExercise,
            pb::FailureCode::UnknownExercise,
        ),
    ] {
        if failure_code(&status) == Some(wire) {
            return StepError::VideoFailed(video, status.message().to_owned());
        }
    }
    let message = format!("{service}: {}: {}", status.code(), status.message());
    if is_transient(&status) {
        StepError::Transient(message)
    } else {
        StepError::VideoFailed(permanent_code, message)
    }
}

const VIDEO_STATUS_TERMINAL: [pb::VideoStatus; 3] = [
    pb::VideoStatus::Complete,
    pb::VideoStatus::Failed,
    pb::VideoStatus::Blocked,
];

pub async fn run_video(ctx: &AppContext, video_id: &str) -> Result<(), JobFailure> {
    let Some(model) = load_video(ctx, video_id).await? else {
        return Ok(());
    };
    if VIDEO_STATUS_TERMINAL
        .iter()
        .any(|s| *s as i32 == model.status)
    {
        return Ok(());
    }
    match run_steps(ctx, &model).await {
        Ok(()) | Err(StepError::Gone) => Ok(()),
        Err(StepError::Transient(message)) => Err(JobFailure::transient(message)),
        Err(StepError::VideoFailed(code, reason)) => {
            fail_video(ctx, video_id, code, &reason)
                .await
                .map_err(|e| JobFailure::transient(format!("database: {e}")))?;
            Ok(())
        }
    }
}

async fn run_steps(ctx: &AppContext, model: &video::Model) -> Result<(), StepError> {
    let session = session::Entity::find_by_id(model.session_id.clone())
        .one(&ctx.db)
        .await?
        .ok_or(StepError::Gone)?;
    set_progress(
        ctx,
        &model.id,
        pb::VideoStatus::Processing,
        pb::ProgressStage::Decoding,
        0.0,
        "processing",
    )
    .await?;

    // When neither poses nor verdict are stored, the check may decode alongside the
    // pose stage (see `compute_poses`) instead of after it.
    let mut concurrent_check = None;
    let poses = match load_step(ctx, &model.id, STEP_POSES).await? {
        Some(bytes) => PosesOutcome::decode(bytes.as_slice())
            .map_err(|e| StepError::Transient(format!("stored poses unreadable: {e}")))?,
        None => {
            let with_check = ctx.settings.check_during_poses
                && load_step(ctx, &model.id, STEP_AUTHENTICITY)
                    .await?
                    .is_none();
            let started = Instant::now();
            let (poses, check) = compute_poses(ctx, model, with_check).await?;
            log_step_time(&model.id, STEP_POSES, started);
            concurrent_check = check;
            poses
        }
    };
    check_pose_quality(ctx, &poses)?;
    set_progress(
        ctx,
        &model.id,
        pb::VideoStatus::Processing,
        pb::ProgressStage::PosesDone,
        60.0,
        "poses done",
    )
    .await?;

    let track = poses
        .track
        .clone()
        .ok_or_else(|| StepError::Transient("poses step without a track".into()))?;
    let original = video_original(model).ok_or_else(|| {
        StepError::VideoFailed(
            pb::FailureCode::Internal,
            "the video has no stored original".into(),
        )
    })?;

    let report = match load_step(ctx, &model.id, STEP_AUTHENTICITY).await? {
        Some(bytes) => pb::AuthenticityReport::decode(bytes.as_slice())
            .map_err(|e| StepError::Transient(format!("stored report unreadable: {e}")))?,
        None => {
            let report = match concurrent_check.take() {
                Some(check) => check.report(&model.id).await?,
                None => {
                    let request = pb::CheckVideoRequest {
                        video: Some(original.clone()),
                        pose_track: Some(track.clone()),
                        exercise_id: model.exercise_id.clone(),
                        policy: check_policy(ctx, model).await?,
                        pose_track_inline: None,
                    };
                    let started = Instant::now();
                    let response = ctx
                        .clients
                        .cheat
                        .clone()
                        .check_video(request)
                        .await
                        .map_err(|s| {
                            status_error("cheat-detection", s, pb::FailureCode::Internal)
                        })?;
                    log_step_time(&model.id, STEP_AUTHENTICITY, started);
                    response.into_inner().report.unwrap_or_default()
                }
            };
            store_step(ctx, &model.id, STEP_AUTHENTICITY, report.encode_to_vec()).await?;
            report
        }
    };
    let verdict = format!(
        "authenticity score {:.0}, risk {}, {}",
        report.score,
        pb::RiskLevel::try_from(report.risk_level)
            .map(|r| r.as_str_name().trim_start_matches("RISK_LEVEL_").to_owned())
            .unwrap_or_default(),
        if report.blocked {
            "blocked"
        } else if report.over_threshold {
            // FLAG policy: the analysis goes on with the verdict attached.
            "flagged"
        } else {
            "passed"
        }
    );
    set_progress(
        ctx,
        &model.id,
        pb::VideoStatus::Processing,
        pb::ProgressStage::Authenticity,
        75.0,
        &verdict,
    )
    .await?;
    if report.blocked {
        let reason = if report.summary.is_empty() {
            verdict
        } else {
            report.summary.clone()
        };
        finish_video(
            ctx,
            &model.id,
            pb::VideoStatus::Blocked,
            pb::FailureCode::BlockedByAuthenticity,
            &reason,
        )
        .await?;
        return Ok(());
    }

    if load_step(ctx, &model.id, STEP_METRICS).await?.is_none() {
        let started = Instant::now();
        // No exercise given: the metrics service recognises it from the track (and
        // fails the video with UNKNOWN_EXERCISE and its best guess when it cannot).
        let exercise_choice = if model.exercise_id.is_empty() {
            None
        } else {
            let exercise = crate::catalog::resolve(
                &ctx.db,
                &model.tenant_id,
                ctx.library_tenant(),
                &model.exercise_id,
            )
            .await?
            .ok_or_else(|| {
                StepError::VideoFailed(
                    pb::FailureCode::UnknownExercise,
                    format!("unknown exercise '{}'", model.exercise_id),
                )
            })?;
            Some(if exercise.is_library {
                pb::analyze_request::Exercise::ExerciseId(exercise.id.clone())
            } else {
                pb::analyze_request::Exercise::DefinitionJson(exercise.definition_json.clone())
            })
        };
        let track_bytes = ctx
            .storage
            .get_bytes(&track.key)
            .await
            .map_err(|e| StepError::Transient(format!("reading the pose track: {e}")))?;
        let pose_track = pb::PoseTrack::decode(track_bytes).map_err(|e| {
            StepError::VideoFailed(
                pb::FailureCode::Internal,
                format!("stored pose track unreadable: {e}"),
            )
        })?;
        let subject = subject_for(ctx, &session).await?;
        let request = pb::AnalyzeRequest {
            exercise: exercise_choice,
            track: Some(pose_track),
            subject: Some(subject),
            // No plate detector yet: the scale comes from the subject's height.
            plate: None,
        };
        let response = ctx
            .clients
            .metrics
            .clone()
            .analyze(request)
            .await
            .map_err(|s| status_error("exercise-metrics", s, pb::FailureCode::Internal))?;
        let result = response.into_inner().result.unwrap_or_default();
        store_step(ctx, &model.id, STEP_METRICS, result.encode_to_vec()).await?;
        log_step_time(&model.id, STEP_METRICS, started);
    }
    set_progress(
        ctx,
        &model.id,
        pb::VideoStatus::Processing,
        pb::ProgressStage::MetricsDone,
        95.0,
        "metrics done",
    )
    .await?;
    finish_video(
        ctx,
        &model.id,
        pb::VideoStatus::Complete,
        pb::FailureCode::Unspecified,
        "",
    )
    .await?;
    if ctx.settings.auto_render {
        let job = super::render_job(
            &model.id,
            pb::AnnotatedVideoFlavour::All,
            ctx.settings.job_max_attempts,
        );
        ctx.queue.enqueue(job, false).await?;
        ctx.wake.notify_waiters();
    }
    Ok(())
}

/// The tenant's policy as it stands now; the report records it, so a later change of
/// policy does not change the verdict.
async fn check_policy(
    ctx: &AppContext,
    model: &video::Model,
) -> Result<Option<pb::BlockingPolicy>, StepError> {
    Ok(crate::blocking::stored(&ctx.db, &model.tenant_id).await?)
}

/// One of this process's pose stages in flight, counted while it lives.
struct PoseStageInFlight<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> PoseStageInFlight<'a> {
    fn enter(count: &'a std::sync::atomic::AtomicUsize) -> Self {
        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Self(count)
    }

    /// Whether no other pose stage is in flight.
    fn alone(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst) == 1
    }
}

impl Drop for PoseStageInFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Pose frames sent to the concurrent check per message.
const CHECK_BATCH_FRAMES: usize = 8;

/// An authenticity check started with the pose stage: it decodes the video alongside
/// it and is fed the pose track as the frames arrive. Dropped before its report is
/// taken (the pipeline stopped early), it is cancelled.
struct ConcurrentCheck {
    /// Taken (closing the request stream) once the track's end is sent.
    track: Option<tokio::sync::mpsc::UnboundedSender<pb::CheckVideoAsPosesArriveRequest>>,
    report: tokio::task::JoinHandle<Result<pb::AuthenticityReport, tonic::Status>>,
    started: Instant,
}

impl ConcurrentCheck {
    async fn start(ctx: &AppContext, model: &video::Model) -> Result<Self, StepError> {
        let original = video_original(model).ok_or_else(|| {
            StepError::VideoFailed(
                pb::FailureCode::Internal,
                "the video has no stored original".into(),
            )
        })?;
        let start = pb::CheckVideoRequest {
            video: Some(original),
            pose_track: None,
            exercise_id: model.exercise_id.clone(),
            policy: check_policy(ctx, model).await?,
            pose_track_inline: None,
        };
        // Unbounded: the pose stage never waits on the check (which may wait for a
        // check slot); what it holds is a copy of the track the pose stage keeps anyway.
        let (track, parts) = tokio::sync::mpsc::unbounded_channel();
        track
            .send(pb::CheckVideoAsPosesArriveRequest {
                part: Some(pb::check_video_as_poses_arrive_request::Part::Start(start)),
            })
            .map_err(|e| StepError::Transient(format!("starting the check: {e}")))?;
        let mut client = ctx.clients.cheat.clone();
        // In the job's span, so that the call carries the job's trace context.
        let report = tokio::spawn(
            async move {
                let response = client
                    .check_video_as_poses_arrive(
                        tokio_stream::wrappers::UnboundedReceiverStream::new(parts),
                    )
                    .await?;
                Ok(response.into_inner().report.unwrap_or_default())
            }
            .instrument(tracing::Span::current()),
        );
        Ok(Self {
            track: Some(track),
            report,
            started: Instant::now(),
        })
    }

    /// Sends the next pose frames; a check that has already ended (it failed) is not
    /// fed, and its error comes with its report.
    fn send(&self, frames: Vec<pb::PoseFrame>) {
        let part =
            pb::check_video_as_poses_arrive_request::Part::Frames(pb::PoseFrameBatch { frames });
        if let Some(track) = &self.track {
            let _ = track.send(pb::CheckVideoAsPosesArriveRequest { part: Some(part) });
        }
    }

    /// Sends the track's end and closes the request stream.
    fn end(&mut self, end: pb::PoseTrackEnd) {
        let part = pb::check_video_as_poses_arrive_request::Part::End(end);
        if let Some(track) = self.track.take() {
            let _ = track.send(pb::CheckVideoAsPosesArriveRequest { part: Some(part) });
        }
    }

    async fn report(mut self, video_id: &str) -> Result<pb::AuthenticityReport, StepError> {
        let report = (&mut self.report)
            .await
            .map_err(|e| StepError::Transient(format!("authenticity check task: {e}")))?
            .map_err(|s| status_error("cheat-detection", s, pb::FailureCode::Internal))?;
        log_step_time(video_id, STEP_AUTHENTICITY, self.started);
        Ok(report)
    }
}

impl Drop for ConcurrentCheck {
    fn drop(&mut self) {
        self.report.abort();
    }
}

/// Where the time of a video's analysis goes, for operators and the benchmarks.
fn log_step_time(video_id: &str, step: &str, started: Instant) {
    tracing::info!(
        video = video_id,
        step,
        ms = started.elapsed().as_millis() as u64,
        "pipeline step computed"
    );
}

/// Frames per second the pose stage analyses for this video: the configured rate;
/// else, when so configured, the rate its exercise needs (every frame when the
/// exercise is unknown; the metrics step reports that); else every frame.
async fn pose_rate(ctx: &AppContext, model: &video::Model) -> Result<f64, StepError> {
    if ctx.settings.pose_target_fps > 0.0 || !ctx.settings.pose_rate_from_exercise {
        return Ok(ctx.settings.pose_target_fps);
    }
    let exercise = crate::catalog::resolve(
        &ctx.db,
        &model.tenant_id,
        ctx.library_tenant(),
        &model.exercise_id,
    )
    .await?;
    Ok(exercise
        .and_then(|e| {
            fitvision_exercise_engine::ExerciseDefinition::from_json(&e.definition_json).ok()
        })
        .map_or(0.0, |definition| definition.analysis_fps()))
}

/// Streams poses, reporting decoding progress, and stores the track. `with_check`: the
/// authenticity check starts once the pose stage has its run slot (so a video queued
/// for one holds no decoder) and is fed the frames as they arrive.
async fn compute_poses(
    ctx: &AppContext,
    model: &video::Model,
    with_check: bool,
) -> Result<(PosesOutcome, Option<ConcurrentCheck>), StepError> {
    let stages = PoseStageInFlight::enter(&ctx.pose_stages);
    let original = video_original(model).ok_or_else(|| {
        StepError::VideoFailed(
            pb::FailureCode::Internal,
            "the video has no stored original".into(),
        )
    })?;
    let target_fps = pose_rate(ctx, model).await?;
    let model_id = crate::pose_model::for_video(ctx, model)
        .await
        .map_err(|e| StepError::Transient(format!("database: {e}")))?;
    let request = pb::StreamPosesRequest {
        video: Some(original),
        model_id,
        sampling: Some(pb::Sampling {
            target_fps,
            // Only where frames are already sampled: jumps, sprints and lifts keep
            // every frame for their events.
            coarse_to_fine: ctx.settings.pose_coarse_to_fine && target_fps > 0.0,
        }),
        max_persons: 0,
        min_confidence: 0.0,
    };
    let mut stream = ctx
        .clients
        .pose
        .clone()
        .stream_poses(request)
        .await
        .map_err(|s| status_error("pose-inference", s, pb::FailureCode::UnreadableVideo))?
        .into_inner();
    // Alone, the check overlaps this pose stage on idle cores. With other videos in
    // flight the cores are busy anyway: overlapping gains nothing there and only holds
    // a second decoder per video (measured: same wall time for 4 videos at once, 70 MB
    // more memory), so the check then runs after the poses.
    let mut check = if with_check && stages.alone() {
        Some(ConcurrentCheck::start(ctx, model).await?)
    } else {
        None
    };
    let limits =
        crate::limits::in_force(&ctx.db, &model.tenant_id, &ctx.settings.analysis_limits).await?;
    let mut track = pb::PoseTrack::default();
    // Frames already sent to the concurrent check.
    let mut check_sent = 0;
    let mut summary = None;
    let mut last_report = Instant::now();
    while let Some(message) = stream.next().await {
        let message = message
            .map_err(|s| status_error("pose-inference", s, pb::FailureCode::UnreadableVideo))?;
        match message.event {
            Some(pb::stream_poses_response::Event::Video(info)) => {
                within_limits(crate::limits::VideoLength::of(&info), &limits)?;
                track.video = Some(info);
            }
            Some(pb::stream_poses_response::Event::Frame(frame)) => {
                let index = frame.frame_index;
                // Headers can understate a video's length: the decoded frames decide.
                // Dropping the stream stops the decoding.
                within_limits(
                    crate::limits::VideoLength {
                        seconds: frame.timestamp_ms / 1000.0,
                        frames: u64::from(index) + 1,
                    },
                    &limits,
                )?;
                track.frames.push(frame);
                if let Some(check) = &check
                    && track.frames.len() - check_sent >= CHECK_BATCH_FRAMES
                {
                    check.send(track.frames[check_sent..].to_vec());
                    check_sent = track.frames.len();
                }
                if last_report.elapsed() >= Duration::from_millis(500) {
                    last_report = Instant::now();
                    let expected = track
                        .video
                        .as_ref()
                        .map(|v| v.header_frame_count.max(v.frame_count))
                        .unwrap_or(0);
                    let percent = if expected > 0 {
                        (f64::from(index + 1) / f64::from(expected) * 100.0).min(99.0)
                    } else {
                        0.0
                    };
                    let message = format!("decoding {percent:.0}%");
                    set_progress_raw(
                        ctx,
                        &model.id,
                        pb::ProgressStage::Decoding,
                        decoding_share(percent),
                        &message,
                    )
                    .await?;
                }
            }
            Some(pb::stream_poses_response::Event::Summary(done)) => summary = Some(done),
            None => {}
        }
    }
    let summary = summary
        .ok_or_else(|| StepError::Transient("pose stream ended without a summary".into()))?;
    track.schema = summary.schema;
    track.model_id = summary.model_id.clone();
    if let Some(info) = track.video.as_mut()
        && info.frame_count == 0
    {
        info.frame_count = summary.frames_decoded;
    }
    if let Some(check) = check.as_mut() {
        check.send(track.frames[check_sent..].to_vec());
        check.end(pb::PoseTrackEnd {
            schema: track.schema,
            video: track.video.clone(),
            model_id: track.model_id.clone(),
        });
    }
    let frames_with_person = if summary.frames_with_person > 0 {
        summary.frames_with_person
    } else {
        track
            .frames
            .iter()
            .filter(|f| !f.persons.is_empty())
            .count() as u32
    };
    let key = format!("videos/{}/pose_track.pb", model.id);
    let stored = ctx
        .storage
        .put_bytes(&key, track.encode_to_vec())
        .await
        .map_err(|e| StepError::Transient(format!("storing the pose track: {e}")))?;
    let outcome = PosesOutcome {
        track: Some(pb::ObjectRef {
            content_type: "application/x-protobuf; messageType=fitvision.v1.PoseTrack".into(),
            ..stored
        }),
        info: track.video.clone(),
        frames_analysed: summary.frames_analysed.max(track.frames.len() as u32),
        frames_with_person,
    };
    if load_video(ctx, &model.id)
        .await
        .map_err(|f| StepError::Transient(f.message))?
        .is_none()
    {
        // Deleted while we decoded: do not leave the track behind.
        let _ = ctx.storage.delete(&key).await;
        return Err(StepError::Gone);
    }
    store_step(ctx, &model.id, STEP_POSES, outcome.encode_to_vec()).await?;
    Ok((outcome, check))
}

/// The video fails with VIDEO_TOO_LONG (never retried) past the tenant's limits.
fn within_limits(
    length: crate::limits::VideoLength,
    limits: &pb::AnalysisLimits,
) -> Result<(), StepError> {
    crate::limits::check_length(length, limits)
        .map_err(|error| StepError::VideoFailed(pb::FailureCode::VideoTooLong, error.to_string()))
}

fn check_pose_quality(ctx: &AppContext, poses: &PosesOutcome) -> Result<(), StepError> {
    let ratio = if poses.frames_analysed == 0 {
        0.0
    } else {
        f64::from(poses.frames_with_person) / f64::from(poses.frames_analysed)
    };
    if ratio < ctx.settings.min_person_frame_ratio {
        return Err(StepError::VideoFailed(
            pb::FailureCode::LowQualityPoseEstimate,
            format!(
                "a person was found in {} of {} analysed frames ({:.0}%, need {:.0}%)",
                poses.frames_with_person,
                poses.frames_analysed,
                ratio * 100.0,
                ctx.settings.min_person_frame_ratio * 100.0
            ),
        ));
    }
    Ok(())
}

/// The session's subject, completed from the user's profile where unknown.
async fn subject_for(ctx: &AppContext, session: &session::Model) -> Result<pb::Subject, StepError> {
    let mut subject = subject_from_json(&session.subject);
    if subject.height_m > 0.0 && subject.body_mass_kg > 0.0 && subject.age_years > 0 {
        return Ok(subject);
    }
    if let Some(profile) =
        user::Entity::find_by_id((session.tenant_id.clone(), session.user_id.clone()))
            .one(&ctx.db)
            .await?
    {
        if subject.height_m <= 0.0 && profile.height_cm > 0.0 {
            subject.height_m = profile.height_cm / 100.0;
        }
        if subject.body_mass_kg <= 0.0 && profile.weight_kg > 0.0 {
            subject.body_mass_kg = profile.weight_kg;
        }
        if subject.age_years == 0 && profile.age_years > 0 {
            subject.age_years = profile.age_years as u32;
        }
    }
    Ok(subject)
}

async fn load_step(
    ctx: &AppContext,
    video_id: &str,
    step: &str,
) -> Result<Option<Vec<u8>>, StepError> {
    Ok(
        step_result::Entity::find_by_id((video_id.to_owned(), step.to_owned()))
            .one(&ctx.db)
            .await?
            .map(|s| s.payload),
    )
}

/// Stores a step's output once; a concurrent duplicate insert is ignored.
async fn store_step(
    ctx: &AppContext,
    video_id: &str,
    step: &str,
    payload: Vec<u8>,
) -> Result<(), StepError> {
    let inserted = step_result::ActiveModel {
        video_id: Set(video_id.to_owned()),
        step: Set(step.to_owned()),
        payload: Set(payload),
        created_at: Set(now_ms()),
    }
    .insert(&ctx.db)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(error) if is_unique_violation(&error) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// Overall pipeline percent for a decoding percent: pose decoding is the
/// first 60% of the pipeline (the `PosesDone` mark).
fn decoding_share(decoding_percent: f64) -> f64 {
    decoding_percent.clamp(0.0, 100.0) * 0.6
}

async fn set_progress(
    ctx: &AppContext,
    video_id: &str,
    status: pb::VideoStatus,
    stage: pb::ProgressStage,
    percent: f64,
    message: &str,
) -> Result<(), StepError> {
    let updated = video::Entity::update_many()
        .col_expr(video::Column::Status, (status as i32).into())
        .col_expr(video::Column::Stage, (stage as i32).into())
        .col_expr(video::Column::ProgressPercent, percent.into())
        .col_expr(video::Column::UpdatedAt, now_ms().into())
        .filter(video::Column::Id.eq(video_id))
        .exec(&ctx.db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(StepError::Gone);
    }
    ctx.progress.publish(pb::WatchVideoResponse {
        video_id: video_id.to_owned(),
        stage: stage as i32,
        percent,
        message: message.to_owned(),
        video: None,
    });
    Ok(())
}

/// Decoding progress: event and row both carry the overall percent (one
/// monotonic series for watchers, whether live or resynced from the row);
/// the message names the decoding percent.
async fn set_progress_raw(
    ctx: &AppContext,
    video_id: &str,
    stage: pb::ProgressStage,
    overall: f64,
    message: &str,
) -> Result<(), StepError> {
    video::Entity::update_many()
        .col_expr(video::Column::Stage, (stage as i32).into())
        .col_expr(video::Column::ProgressPercent, overall.into())
        .filter(video::Column::Id.eq(video_id))
        .exec(&ctx.db)
        .await?;
    ctx.progress.publish(pb::WatchVideoResponse {
        video_id: video_id.to_owned(),
        stage: stage as i32,
        percent: overall,
        message: message.to_owned(),
        video: None,
    });
    Ok(())
}

async fn finish_video(
    ctx: &AppContext,
    video_id: &str,
    status: pb::VideoStatus,
    code: pb::FailureCode,
    reason: &str,
) -> Result<(), StepError> {
    let stage = if status == pb::VideoStatus::Complete {
        pb::ProgressStage::Completed
    } else {
        pb::ProgressStage::Failed
    };
    let now = now_ms();
    let updated = video::Entity::update_many()
        .col_expr(video::Column::Status, (status as i32).into())
        .col_expr(video::Column::Stage, (stage as i32).into())
        .col_expr(video::Column::ProgressPercent, 100.0.into())
        .col_expr(video::Column::FailureCode, (code as i32).into())
        .col_expr(video::Column::FailureReason, reason.into())
        .col_expr(video::Column::CompletedAt, Some(now).into())
        .col_expr(video::Column::UpdatedAt, now.into())
        .filter(video::Column::Id.eq(video_id))
        .exec(&ctx.db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(StepError::Gone);
    }
    publish_final(ctx, video_id, stage, reason).await?;
    Ok(())
}

/// Publishes the terminal event carrying the whole video.
async fn publish_final(
    ctx: &AppContext,
    video_id: &str,
    stage: pb::ProgressStage,
    reason: &str,
) -> Result<(), StepError> {
    let video = full_video(ctx, video_id).await?;
    ctx.progress.publish(pb::WatchVideoResponse {
        video_id: video_id.to_owned(),
        stage: stage as i32,
        percent: 100.0,
        message: if reason.is_empty() {
            "completed".to_owned()
        } else {
            reason.to_owned()
        },
        video,
    });
    Ok(())
}

/// A video with its steps and artefacts.
pub async fn full_video(
    ctx: &AppContext,
    video_id: &str,
) -> Result<Option<pb::Video>, sea_orm::DbErr> {
    let Some(model) = video::Entity::find_by_id(video_id.to_owned())
        .one(&ctx.db)
        .await?
    else {
        return Ok(None);
    };
    let steps = step_result::Entity::find()
        .filter(step_result::Column::VideoId.eq(video_id))
        .all(&ctx.db)
        .await?;
    let artefacts = artefact::Entity::find()
        .filter(artefact::Column::VideoId.eq(video_id))
        .all(&ctx.db)
        .await?;
    Ok(Some(video_to_proto(&model, &steps, &artefacts)))
}

/// Marks a video failed (used for permanent errors and dead-lettered jobs).
pub async fn fail_video(
    ctx: &AppContext,
    video_id: &str,
    code: pb::FailureCode,
    reason: &str,
) -> Result<(), sea_orm::DbErr> {
    match finish_video(ctx, video_id, pb::VideoStatus::Failed, code, reason).await {
        Ok(()) | Err(StepError::Gone) => Ok(()),
        Err(StepError::Transient(message)) | Err(StepError::VideoFailed(_, message)) => {
            Err(sea_orm::DbErr::Custom(message))
        }
    }
}

/// Stores a finished live set under `video_id` (a video row awaiting upload): its
/// pose track, the authenticity report of its track and the result, then completes
/// the video (or blocks it, as the report says), so it reads like an uploaded one
/// (without an original file).
pub(crate) async fn record_live(
    ctx: &AppContext,
    video_id: &str,
    track: &pb::PoseTrack,
    report: pb::AuthenticityReport,
    result: &pb::AnalysisResult,
    recorded: Option<pb::ObjectRef>,
) -> Result<(), tonic::Status> {
    let failed = |what: &str, error: String| tonic::Status::internal(format!("{what}: {error}"));
    let key = format!("videos/{video_id}/pose_track.pb");
    let stored = ctx
        .storage
        .put_bytes(&key, track.encode_to_vec())
        .await
        .map_err(|e| failed("storing the pose track", e.to_string()))?;
    let outcome = PosesOutcome {
        track: Some(pb::ObjectRef {
            content_type: "application/x-protobuf; messageType=fitvision.v1.PoseTrack".into(),
            ..stored
        }),
        info: track.video.clone(),
        frames_analysed: track.frames.len() as u32,
        frames_with_person: track
            .frames
            .iter()
            .filter(|f| !f.persons.is_empty())
            .count() as u32,
    };
    let steps = [
        (STEP_POSES, outcome.encode_to_vec()),
        (STEP_AUTHENTICITY, report.encode_to_vec()),
        (STEP_METRICS, result.encode_to_vec()),
    ];
    let as_status = |error: StepError| match error {
        StepError::Transient(message) | StepError::VideoFailed(_, message) => {
            failed("recording the live set", message)
        }
        StepError::Gone => tonic::Status::not_found("the live set's video was deleted"),
    };
    let blocked = report.blocked.then(|| report.summary.clone());
    if let Some(original) = &recorded {
        // The recording is the video's original: it plays and renders like an upload's.
        video::Entity::update_many()
            .col_expr(video::Column::ObjectKey, Some(original.key.clone()).into())
            .col_expr(
                video::Column::SizeBytes,
                (original.size_bytes as i64).into(),
            )
            .col_expr(video::Column::Sha256Hex, original.sha256_hex.clone().into())
            .col_expr(video::Column::ContentType, "video/mp4".into())
            .col_expr(video::Column::Filename, "live.mp4".into())
            .filter(video::Column::Id.eq(video_id))
            .exec(&ctx.db)
            .await
            .map_err(|e| failed("recording the live set", e.to_string()))?;
    }
    for (step, payload) in steps {
        store_step(ctx, video_id, step, payload)
            .await
            .map_err(as_status)?;
    }
    // Under a blocking policy a set the checks refuse is stored as an upload would be.
    let (status, code, reason) = match &blocked {
        Some(summary) => (
            pb::VideoStatus::Blocked,
            pb::FailureCode::BlockedByAuthenticity,
            summary.as_str(),
        ),
        None => (pb::VideoStatus::Complete, pb::FailureCode::Unspecified, ""),
    };
    finish_video(ctx, video_id, status, code, reason)
        .await
        .map_err(as_status)?;
    if recorded.is_some() && blocked.is_none() && ctx.settings.auto_render {
        let job = super::render_job(
            video_id,
            pb::AnnotatedVideoFlavour::All,
            ctx.settings.job_max_attempts,
        );
        ctx.queue
            .enqueue(job, false)
            .await
            .map_err(|e| failed("queueing the annotated video", e.to_string()))?;
        ctx.wake.notify_waiters();
    }
    Ok(())
}

/// A kept live set's video is processing from the set's start.
pub(crate) async fn mark_live(ctx: &AppContext, video_id: &str) -> Result<(), tonic::Status> {
    set_progress(
        ctx,
        video_id,
        pb::VideoStatus::Processing,
        pb::ProgressStage::Decoding,
        0.0,
        "counting live",
    )
    .await
    .map_err(|_| tonic::Status::internal("marking the live set's video as processing"))
}
