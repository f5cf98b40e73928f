//! Session service configuration (flags and FITVISION_* environment variables).

use std::net::SocketAddr;
use std::path::PathBuf;

use fitvision_service_kit::grpc::ServerArgs;
use fitvision_storage::StorageArgs;

#[derive(clap::Args, Debug, Clone)]
pub struct Config {
    /// gRPC listen address.
    #[arg(
        long = "addr",
        env = "FITVISION_SESSION_ADDR",
        default_value = "127.0.0.1:50051"
    )]
    pub addr: SocketAddr,
    /// Embedded data directory: SQLite file `session.db` and `objects/` live here.
    #[arg(long, env = "FITVISION_DATA_DIR", default_value = "./fitvision-data")]
    pub data_dir: PathBuf,
    /// PostgreSQL (or SQLite) url; default: SQLite under --data-dir.
    #[arg(long, env = "FITVISION_DATABASE_URL")]
    pub database_url: Option<String>,
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Makes this string a valid admin API key of the default tenant.
    #[arg(long, env = "FITVISION_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,
    /// Secret signing access tokens. Default: with SQLite, a private file (see
    /// `--token-secret-file`); with a shared PostgreSQL, kept in the database.
    #[arg(long, env = "FITVISION_TOKEN_SECRET", hide_env_values = true)]
    pub token_secret: Option<String>,
    /// File holding the token-signing secret (created 0600 at first start).
    /// Default: `<data-dir>/token-secret`.
    #[arg(long, env = "FITVISION_TOKEN_SECRET_FILE")]
    pub token_secret_file: Option<PathBuf>,
    /// Lifetime of issued access tokens (seconds).
    #[arg(long, env = "FITVISION_TOKEN_TTL_SECS", default_value_t = 3600)]
    pub token_ttl_secs: u64,
    /// The default tenant (owner of the exercise library and of the admin key).
    #[arg(long, env = "FITVISION_DEFAULT_TENANT", default_value = "gofa")]
    pub default_tenant: String,
    /// Largest accepted upload in bytes.
    #[arg(long, env = "FITVISION_MAX_UPLOAD_BYTES", default_value_t = 1 << 30)]
    pub max_upload_bytes: u64,
    /// Longest video a tenant may upload, in seconds, unless a platform admin set
    /// the tenant's own (SetAnalysisLimits).
    #[arg(long, env = "FITVISION_MAX_VIDEO_SECONDS", default_value_t = 600)]
    pub max_video_seconds: u32,
    /// Most frames a video may have (36,000 = 10 minutes at 60 fps).
    #[arg(long, env = "FITVISION_MAX_VIDEO_FRAMES", default_value_t = 36_000)]
    pub max_video_frames: u32,
    /// A tenant's videos queued or being analysed at once; another upload is
    /// refused (429) until one finishes.
    #[arg(long, env = "FITVISION_MAX_CONCURRENT_ANALYSES", default_value_t = 16)]
    pub max_concurrent_analyses: u32,
    /// Pipeline workers in this process (0 = only serve RPCs).
    #[arg(long, env = "FITVISION_SESSION_WORKERS", default_value_t = 4)]
    pub workers: usize,
    /// Job lease; a worker that stops heart-beating loses its job after this
    /// (seconds, at least 3). Also paces the upload-area heartbeat: uploads a
    /// killed process left half-written are swept two leases after it died.
    #[arg(long, env = "FITVISION_JOB_LEASE_SECS", default_value_t = 30)]
    pub job_lease_secs: u64,
    /// Attempts before a job is dead-lettered.
    #[arg(long, env = "FITVISION_JOB_MAX_ATTEMPTS", default_value_t = 5)]
    pub job_max_attempts: i32,
    /// First retry delay; doubles per attempt (milliseconds).
    #[arg(long, env = "FITVISION_JOB_BACKOFF_MS", default_value_t = 2000)]
    pub job_backoff_ms: u64,
    #[arg(
        long,
        env = "FITVISION_POSE_INFERENCE_URL",
        default_value = "http://127.0.0.1:50052"
    )]
    pub pose_inference_url: String,
    #[arg(
        long,
        env = "FITVISION_CHEAT_DETECTION_URL",
        default_value = "http://127.0.0.1:50053"
    )]
    pub cheat_detection_url: String,
    #[arg(
        long,
        env = "FITVISION_EXERCISE_METRICS_URL",
        default_value = "http://127.0.0.1:50054"
    )]
    pub exercise_metrics_url: String,
    #[arg(
        long,
        env = "FITVISION_COACHING_URL",
        default_value = "http://127.0.0.1:50055"
    )]
    pub coaching_url: String,
    /// Frames analysed per second of video (0 = every frame, or the exercise's
    /// rate with `pose_rate_from_exercise`); a positive value analyses every video
    /// at that rate.
    #[arg(long, env = "FITVISION_POSE_TARGET_FPS", default_value_t = 0.0)]
    pub pose_target_fps: f64,
    /// Analyse each video at the rate its exercise needs (the definition's
    /// `analysis_fps`: 15 fps for controlled exercises, every frame for ballistic
    /// ones). On by default: counts and authenticity verdicts on the labelled clips are
    /// the same as at full rate, for about half the pose work (README, issue 14).
    /// `false` analyses every frame.
    #[arg(
        long,
        env = "FITVISION_POSE_RATE_FROM_EXERCISE",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub pose_rate_from_exercise: bool,
    /// Coarse to fine when a video is analysed at a reduced rate: every other analysed
    /// frame always, the ones between only where the motion bends, the others
    /// interpolated (the pose service's `Sampling.coarse_to_fine`). Off by default: on
    /// the robustness table it kept every honest verdict and count, but it changed two
    /// verdicts of edited clips (a two-person clip lost its second athlete), for a gain
    /// this machine's noise does not resolve (README, issue 14).
    #[arg(
        long,
        env = "FITVISION_POSE_COARSE_TO_FINE",
        default_value_t = false,
        action = clap::ArgAction::Set
    )]
    pub pose_coarse_to_fine: bool,
    /// Run the authenticity check alongside the pose stage (it decodes the video
    /// while the poses are computed and reads their track as it grows) instead of
    /// after it, when the video is the only one this process is analysing. The
    /// verdict is the same; on 2 cores a lone controlled-exercise clip's result comes
    /// about 10% sooner. With other videos in flight the check runs after the poses
    /// (the cores are busy anyway; a second decoder per video only costs memory).
    /// `false`: always after.
    #[arg(
        long,
        env = "FITVISION_CHECK_DURING_POSES",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub check_during_poses: bool,
    /// Below this share of analysed frames with a person the video fails
    /// with LOW_QUALITY_POSE_ESTIMATE.
    #[arg(long, env = "FITVISION_MIN_PERSON_FRAME_RATIO", default_value_t = 0.3)]
    pub min_person_frame_ratio: f64,
    /// Render the "all" annotated video as soon as a video completes.
    #[arg(long, env = "FITVISION_AUTO_RENDER", default_value_t = false)]
    pub auto_render: bool,
    /// Video the demo sessions (what `demo=true` serves a caller without analysed
    /// sessions of its own) are analysed from at the first start; `scripts/setup.sh`
    /// and `scripts/fetch-fixtures.sh` fetch the Sports2D demo clip from PyPI for it.
    /// Unset: no demo sessions.
    #[arg(long, env = "FITVISION_DEMO_VIDEO")]
    pub demo_video: Option<PathBuf>,
    #[command(flatten)]
    pub server: ServerArgs,
}

impl Config {
    /// Defaults for an embedded instance under `data_dir` (tests, all-in-one).
    pub fn embedded(data_dir: PathBuf) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 50051)),
            data_dir,
            database_url: None,
            storage: StorageArgs::default(),
            admin_key: None,
            token_secret: None,
            token_secret_file: None,
            token_ttl_secs: 3600,
            default_tenant: "gofa".to_owned(),
            max_upload_bytes: 1 << 30,
            max_video_seconds: 600,
            max_video_frames: 36_000,
            max_concurrent_analyses: 16,
            workers: 4,
            job_lease_secs: 30,
            job_max_attempts: 5,
            job_backoff_ms: 2000,
            pose_inference_url: "http://127.0.0.1:50052".to_owned(),
            cheat_detection_url: "http://127.0.0.1:50053".to_owned(),
            exercise_metrics_url: "http://127.0.0.1:50054".to_owned(),
            coaching_url: "http://127.0.0.1:50055".to_owned(),
            pose_target_fps: 0.0,
            pose_rate_from_exercise: true,
            pose_coarse_to_fine: false,
            min_person_frame_ratio: 0.3,
            auto_render: false,
            check_during_poses: true,
            demo_video: None,
            server: ServerArgs::default(),
        }
    }

    /// The deployment's analysis limits (each at least 1).
    pub fn analysis_limits(&self) -> fitvision_proto::v1::AnalysisLimits {
        fitvision_proto::v1::AnalysisLimits {
            max_video_seconds: self.max_video_seconds.max(1),
            max_video_frames: self.max_video_frames.max(1),
            max_concurrent_analyses: self.max_concurrent_analyses.max(1),
        }
    }

    pub fn database_url(&self) -> String {
        match self.database_url.as_deref().filter(|u| !u.is_empty()) {
            Some(url) => url.to_owned(),
            None => crate::db::sqlite_url(&self.data_dir.join("session.db")),
        }
    }
}
