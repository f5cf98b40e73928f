//! The per-video pipeline and the other background jobs (rendering,
//! coaching threads). Each step's output is stored under (video, step)
//! before the next starts, so a job that crashed resumes where it stopped.

pub mod clients;
mod render;
mod steps;
mod threads;

pub use steps::full_video;
pub(crate) use steps::{fail_video, mark_live, record_live};

use std::sync::Arc;

use fitvision_proto::v1 as pb;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};

use crate::context::AppContext;
use crate::db::entity::{thread, video};
use crate::db::now_ms;
use crate::jobs::{JobFailure, JobHandler, NewJob};

pub const JOB_PIPELINE: &str = "pipeline";
pub const JOB_RENDER: &str = "render";
pub const JOB_THREADS: &str = "threads";

#[derive(Debug, Serialize, Deserialize)]
pub struct PipelinePayload {
    pub video_id: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RenderPayload {
    pub video_id: String,
    /// `AnnotatedVideoFlavour` number.
    pub flavour: i32,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ThreadsPayload {
    pub session_id: String,
    pub thread_ids: Vec<String>,
}

pub fn pipeline_job(video_id: &str, max_attempts: i32) -> NewJob {
    NewJob {
        kind: JOB_PIPELINE.to_owned(),
        payload: serde_json::to_value(PipelinePayload {
            video_id: video_id.to_owned(),
        })
        .unwrap_or_default(),
        dedupe_key: format!("pipeline:{video_id}"),
        max_attempts,
    }
}

pub fn render_job(video_id: &str, flavour: pb::AnnotatedVideoFlavour, max_attempts: i32) -> NewJob {
    NewJob {
        kind: JOB_RENDER.to_owned(),
        payload: serde_json::to_value(RenderPayload {
            video_id: video_id.to_owned(),
            flavour: flavour as i32,
        })
        .unwrap_or_default(),
        dedupe_key: format!("render:{video_id}:{}", flavour_name(flavour)),
        max_attempts,
    }
}

pub fn threads_job(session_id: &str, thread_ids: Vec<String>, max_attempts: i32) -> NewJob {
    let key = format!(
        "threads:{session_id}:{}",
        thread_ids.first().cloned().unwrap_or_default()
    );
    NewJob {
        kind: JOB_THREADS.to_owned(),
        payload: serde_json::to_value(ThreadsPayload {
            session_id: session_id.to_owned(),
            thread_ids,
        })
        .unwrap_or_default(),
        dedupe_key: key,
        max_attempts,
    }
}

pub fn flavour_name(flavour: pb::AnnotatedVideoFlavour) -> &'static str {
    match flavour {
        pb::AnnotatedVideoFlavour::Skeleton => "skeleton",
        _ => "all",
    }
}

/// Artefact name of an annotated video.
pub fn annotated_artefact(flavour: pb::AnnotatedVideoFlavour) -> String {
    format!("annotated_{}", flavour_name(flavour))
}

/// Runs every job kind.
pub struct Pipeline {
    ctx: Arc<AppContext>,
}

impl Pipeline {
    pub fn new(ctx: Arc<AppContext>) -> Self {
        Self { ctx }
    }
}

fn parse<T: for<'de> Deserialize<'de>>(payload: &str) -> Result<T, JobFailure> {
    serde_json::from_str(payload)
        .map_err(|e| JobFailure::permanent(format!("bad job payload: {e}")))
}

#[async_trait::async_trait]
impl JobHandler for Pipeline {
    async fn run(&self, job: &crate::db::entity::job::Model) -> Result<(), JobFailure> {
        match job.kind.as_str() {
            JOB_PIPELINE => {
                let payload: PipelinePayload = parse(&job.payload)?;
                steps::run_video(&self.ctx, &payload.video_id).await
            }
            JOB_RENDER => {
                let payload: RenderPayload = parse(&job.payload)?;
                render::run(&self.ctx, &payload).await
            }
            JOB_THREADS => {
                let payload: ThreadsPayload = parse(&job.payload)?;
                threads::run(&self.ctx, &payload).await
            }
            other => Err(JobFailure::permanent(format!("unknown job kind '{other}'"))),
        }
    }

    async fn on_dead(&self, job: &crate::db::entity::job::Model, reason: &str) {
        match job.kind.as_str() {
            JOB_PIPELINE => {
                if let Ok(payload) = serde_json::from_str::<PipelinePayload>(&job.payload) {
                    let _ = steps::fail_video(
                        &self.ctx,
                        &payload.video_id,
                        pb::FailureCode::Internal,
                        reason,
                    )
                    .await;
                }
            }
            JOB_THREADS => {
                if let Ok(payload) = serde_json::from_str::<ThreadsPayload>(&job.payload) {
                    for id in payload.thread_ids {
                        let _ = mark_thread_failed(&self.ctx, &id, reason).await;
                    }
                }
            }
            _ => {}
        }
    }
}

pub(crate) async fn mark_thread_failed(
    ctx: &AppContext,
    id: &str,
    reason: &str,
) -> Result<(), sea_orm::DbErr> {
    if let Some(found) = thread::Entity::find_by_id(id.to_owned())
        .one(&ctx.db)
        .await?
        && found.status == fitvision_proto::statuses::thread_name(pb::ThreadStatus::Pending)
    {
        let mut active: thread::ActiveModel = found.into();
        active.status =
            Set(fitvision_proto::statuses::thread_name(pb::ThreadStatus::Failed).to_owned());
        active.error = Set(reason.to_owned());
        active.completed_at = Set(Some(now_ms()));
        active.update(&ctx.db).await?;
    }
    Ok(())
}

/// Loads a video row; `None` when it was deleted meanwhile.
pub(crate) async fn load_video(
    ctx: &AppContext,
    id: &str,
) -> Result<Option<video::Model>, JobFailure> {
    video::Entity::find_by_id(id.to_owned())
        .one(&ctx.db)
        .await
        .map_err(|e| JobFailure::transient(format!("database: {e}")))
}

/// Transient statuses are retried; the rest mean the input is bad.
pub(crate) fn is_transient(status: &tonic::Status) -> bool {
    matches!(
        status.code(),
        tonic::Code::Unavailable
            | tonic::Code::DeadlineExceeded
            | tonic::Code::ResourceExhausted
            | tonic::Code::Aborted
            | tonic::Code::Unknown
            | tonic::Code::Internal
            | tonic::Code::Cancelled
    )
}
