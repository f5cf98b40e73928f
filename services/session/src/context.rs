//! Everything the RPC handlers and the pipeline share.

use std::sync::Arc;

use fitvision_storage::Storage;
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::auth::Authenticator;
use crate::jobs::JobQueue;
use crate::pipeline::clients::Clients;
use crate::progress::ProgressHub;

pub struct AppContext {
    pub db: DatabaseConnection,
    pub storage: Storage,
    pub auth: Authenticator,
    pub queue: JobQueue,
    pub progress: ProgressHub,
    /// Wakes idle workers when a job is enqueued by this process.
    pub wake: Arc<Notify>,
    pub clients: Clients,
    pub settings: Settings,
    /// Pose stages this process has in flight (running or waiting for a run slot).
    pub pose_stages: std::sync::atomic::AtomicUsize,
}

/// Tunables read by handlers and steps.
#[derive(Debug, Clone)]
pub struct Settings {
    pub default_tenant: String,
    pub max_upload_bytes: u64,
    /// The deployment's analysis limits; a tenant's own replace them (see `limits`).
    pub analysis_limits: fitvision_proto::v1::AnalysisLimits,
    pub job_max_attempts: i32,
    pub pose_target_fps: f64,
    pub pose_rate_from_exercise: bool,
    pub pose_coarse_to_fine: bool,
    pub min_person_frame_ratio: f64,
    pub auto_render: bool,
    /// See `Config::check_during_poses`.
    pub check_during_poses: bool,
    /// This process's upload area (see `fitvision_storage::Storage::beat_upload_area`).
    pub upload_area: String,
}

impl AppContext {
    /// The library tenant is the default tenant.
    pub fn library_tenant(&self) -> &str {
        &self.settings.default_tenant
    }
}
