//! fitvision session service: the source of truth (tenants, users, keys,
//! catalog, sessions, videos, results, jobs, threads), chunked upload and the
//! analysis pipeline that drives the other services.
//!
//! [`run`] serves it; [`start`] builds it without serving, for in-process use
//! (tests, the all-in-one binary).

pub mod auth;
pub mod blocking;
pub mod catalog;
pub mod config;
pub mod context;
pub mod convert;
pub mod db;
pub mod demo;
pub mod error;
pub mod jobs;
pub mod limits;
pub mod live;
pub mod maintenance;
pub mod pipeline;
pub mod pose_model;
pub mod progress;
pub mod secrets;
pub mod service;

use std::sync::Arc;
use std::time::Duration;

use fitvision_proto::v1::live_analysis_service_server::LiveAnalysisServiceServer;
use fitvision_proto::v1::session_service_server::SessionServiceServer;
use fitvision_service_kit::grpc::{self, Health};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub use config::Config;
pub use service::SessionApi;

use crate::context::{AppContext, Settings};
use crate::jobs::{Backoff, JobQueue, WorkerSettings};

/// Upload chunks are messages; allow generous ones.
const MAX_MESSAGE_BYTES: usize = 32 << 20;
/// Shortest job lease (seconds): heartbeats run at a third of it.
const MIN_LEASE_SECS: u64 = 3;

/// A built, ready service.
pub struct Started {
    pub service: SessionServiceServer<SessionApi>,
    /// Live counting, served beside the session service on the same port.
    pub live: LiveAnalysisServiceServer<live::LiveApi>,
    pub context: Arc<AppContext>,
    /// Pipeline workers and the storage upkeep task; all end on shutdown.
    pub workers: Vec<tokio::task::JoinHandle<()>>,
    /// Set when no admin key was configured or stored: print it once.
    pub generated_admin_key: Option<String>,
}

/// Connects and migrates the database, opens storage, seeds the default
/// tenant and library, ensures the admin key and starts the workers.
pub async fn start(config: &Config, shutdown: CancellationToken) -> anyhow::Result<Started> {
    std::fs::create_dir_all(&config.data_dir)?;
    let db = db::connect_and_migrate(&config.database_url()).await?;
    make_data_private(&config.data_dir);
    let storage = config
        .storage
        .open_or_local(&config.data_dir.join("objects"))?;
    let lease = Duration::from_secs(config.job_lease_secs.max(MIN_LEASE_SECS));
    // One id names this process in job leases and in its upload area.
    let instance = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
    // Alive before the first upload, so no sweeper mistakes the area for a dead one.
    storage.beat_upload_area(&instance).await?;
    maintenance::sweep_once(&storage, &instance, lease).await;
    service::ensure_tenant(&db, &config.default_tenant).await?;
    catalog::seed_library(&db, &config.default_tenant).await?;
    let generated_admin_key =
        auth::ensure_admin_key(&db, &config.default_tenant, config.admin_key.as_deref()).await?;
    let auth = auth::Authenticator::new(
        db.clone(),
        config.default_tenant.clone(),
        Duration::from_secs(config.token_ttl_secs.max(60)),
        secrets::token_secret(config, &db).await?,
    )
    .await?;
    let queue = JobQueue::new(
        db.clone(),
        Backoff {
            base: Duration::from_millis(config.job_backoff_ms.max(1)),
            max: Duration::from_secs(300),
        },
    );
    let clients = pipeline::clients::Clients::connect(
        &config.pose_inference_url,
        &config.cheat_detection_url,
        &config.exercise_metrics_url,
        &config.coaching_url,
    )?;
    let wake = Arc::new(Notify::new());
    let context = Arc::new(AppContext {
        db,
        storage,
        auth,
        queue: queue.clone(),
        progress: progress::ProgressHub::default(),
        wake: wake.clone(),
        clients,
        settings: Settings {
            default_tenant: config.default_tenant.clone(),
            max_upload_bytes: config.max_upload_bytes,
            analysis_limits: config.analysis_limits(),
            job_max_attempts: config.job_max_attempts.max(1),
            pose_target_fps: config.pose_target_fps,
            pose_rate_from_exercise: config.pose_rate_from_exercise,
            pose_coarse_to_fine: config.pose_coarse_to_fine,
            min_person_frame_ratio: config.min_person_frame_ratio,
            auto_render: config.auto_render,
            check_during_poses: config.check_during_poses,
            upload_area: instance.clone(),
        },
        pose_stages: Default::default(),
    });
    if let Some(clip) = &config.demo_video {
        demo::spawn_ensure(context.clone(), clip.clone());
    }
    let mut workers = jobs::spawn_workers(
        queue,
        Arc::new(pipeline::Pipeline::new(context.clone())),
        WorkerSettings {
            workers: config.workers,
            lease,
            poll_interval: Duration::from_millis(500),
            owner_prefix: instance.clone(),
        },
        wake,
        shutdown.clone(),
    );
    workers.push(maintenance::spawn(
        context.db.clone(),
        context.storage.clone(),
        instance,
        lease,
        shutdown,
    ));
    let service = SessionServiceServer::new(SessionApi::new(context.clone()))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let live = LiveAnalysisServiceServer::new(live::LiveApi::new(context.clone()))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    Ok(Started {
        service,
        live,
        context,
        workers,
        generated_admin_key,
    })
}

/// Serves the session service until `shutdown` fires.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let health = Health::new(fitvision_proto::service_names::SESSION);
    let started = start(&config, shutdown.clone()).await?;
    if let Some(key) = &started.generated_admin_key {
        // Printed once, on the first start without FITVISION_ADMIN_KEY; only its hash is stored.
        println!("fitvision admin API key (shown once, store it now): {key}");
    }
    tracing::info!(
        storage = started.context.storage.description(),
        database = %redact(&config.database_url()),
        "session service ready"
    );
    health.set_serving().await;
    let routes = tonic::service::Routes::new(started.service).add_service(started.live);
    grpc::serve(config.addr, &config.server, routes, health, shutdown).await?;
    for worker in started.workers {
        let _ = worker.await;
    }
    // Uploads have drained with the server: nothing staged is still wanted.
    let area = &started.context.settings.upload_area;
    if let Err(error) = started.context.storage.release_upload_area(area).await {
        tracing::warn!(%error, area, "releasing the upload area failed");
    }
    Ok(())
}

/// Hides a password in a database url for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***{}", &url[..scheme], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Narrows the embedded data directory (0700) and SQLite files (0600) of an install
/// made before files were created private: the database holds API key hashes and the
/// token-signing secret. New files are private from the start (the service kit's umask).
fn make_data_private(data_dir: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let narrow = |path: std::path::PathBuf, mode: u32| {
            if path.exists()
                && let Err(error) =
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            {
                tracing::warn!(path = %path.display(), %error, "could not make private");
            }
        };
        narrow(data_dir.to_path_buf(), 0o700);
        for file in ["session.db", "session.db-wal", "session.db-shm"] {
            narrow(data_dir.join(file), 0o600);
        }
    }
}

#[cfg(all(test, unix))]
mod private_data_tests {
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn an_older_world_readable_install_is_narrowed() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        let db = data.join("session.db");
        std::fs::write(&db, b"keys").unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        super::make_data_private(&data);
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&db), 0o600);
    }
}
